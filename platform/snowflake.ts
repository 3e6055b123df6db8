import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as snowflake from "@pulumi/snowflake";
import { BranchClone } from "../components/BranchClone";
import { BranchSnowflakeAccess } from "../components/BranchSnowflakeAccess";
import { kubernetesSecret } from "../components/secrets";
import { PlatformConfig } from "../config";
import { SNOWFLAKE_SECRET_NAME, branchSnowflakeNames, snowflakeCredentials } from "../render/snowflake";
import { StackOutputs } from "./outputs";

export interface SnowflakeAccess {
  /** The credentials Secret every code location loads (none without Snowflake). */
  secrets: pulumi.Resource[];
  /**
   * Which database the locations work on. No secret, and the one thing a reviewer of a branch
   * must see per location: it goes into each location's env (a ConfigMap, visible in plans and
   * `kubectl describe`), with the value the credentials Secret carries too.
   */
  databaseEnv: Record<string, string>;
  outputs: StackOutputs;
}

/** Prod: production credentials from secret config. A branch: a clone, a role and a key-pair user, made by one CALL. */
export function deploySnowflake(cfg: PlatformConfig, namespace: pulumi.Input<string>, kubernetes: k8s.Provider): SnowflakeAccess {
  const sf = cfg.snowflake;
  if (!sf) return { secrets: [], databaseEnv: {}, outputs: {} };
  const d = cfg.deployment;
  if (d.kind === "branch") {
    const names = branchSnowflakeNames(sf.productionDatabase, d.pullRequest);
    const provider = new snowflake.Provider("snowflake", snowflakeProviderArgs(sf.account, sf.warehouse));
    const clone = new BranchClone(
      "clone",
      { productionDatabase: sf.productionDatabase, pullRequest: d.pullRequest, commitSha: d.commitSha, recloneOnDeploy: cfg.branch?.recloneOnDeploy ?? true, cloneAt: sf.cloneAt },
      { provider },
    );
    const access = new BranchSnowflakeAccess(
      "snowflake-access",
      { account: sf.account, warehouse: sf.warehouse, cloneDatabase: names.cloneDatabase, role: names.role, user: names.user, privateKey: clone.privateKey, clone: clone.execute, namespace },
      { provider: kubernetes },
    );
    return {
      secrets: [access.secret],
      databaseEnv: { SNOWFLAKE_DATABASE: names.cloneDatabase },
      outputs: { cloneDatabase: names.cloneDatabase, snowflakeRole: names.role, snowflakeUser: names.user },
    };
  }
  if (!sf.prod) return { secrets: [], databaseEnv: {}, outputs: {} };
  const secret = kubernetesSecret(
    "snowflake-credentials",
    {
      name: SNOWFLAKE_SECRET_NAME,
      namespace,
      component: "snowflake",
      data: snowflakeCredentials({ account: sf.account, database: sf.productionDatabase, privateKey: sf.prod.privateKey, role: sf.prod.role, user: sf.prod.user, warehouse: sf.warehouse }),
      describe: { "snowflake-database": sf.productionDatabase, "snowflake-role": sf.prod.role, "snowflake-user": sf.prod.user },
    },
    { provider: kubernetes },
  );
  return { secrets: [secret], databaseEnv: { SNOWFLAKE_DATABASE: sf.productionDatabase }, outputs: {} };
}

/**
 * CI's provider: account and warehouse from config, credentials from SNOWFLAKE_* in CI's
 * environment (the DAGSTER_BRANCH_DEPLOYER role). The warehouse runs the procedures' queries.
 */
function snowflakeProviderArgs(account: string, warehouse: string): snowflake.ProviderArgs {
  const m = /^([A-Za-z0-9_]+)-([A-Za-z0-9_]+)$/.exec(account);
  const base: snowflake.ProviderArgs = { authenticator: "SNOWFLAKE_JWT", warehouse };
  return m ? { ...base, organizationName: m[1], accountName: m[2] } : base;
}
