/** A stack per pull request: its own Dagster (its Snowflake objects: snowflake-branch.test.ts). */
import { strict as assert } from "assert";
import { InputError } from "../locations/problems";
import { Plan } from "../offline/plan";
import { OfflineRunError } from "../offline/runtime";
import { SHA_A, find, ofType, plan } from "./helpers/plan";

type Values = Record<string, unknown>;
const GRANT = "snowflake:index/grantPrivilegesToAccountRole:GrantPrivilegesToAccountRole";
const EXECUTE = "snowflake:index/execute:Execute";

async function refused(stack: string, overrides: string[], pattern: RegExp, secrets: string[] = []): Promise<void> {
  await assert.rejects(plan(stack, { overrides, secrets }), (e: unknown) => {
    assert.ok(e instanceof OfflineRunError && e.cause instanceof InputError, String(e));
    assert.equal(e.registered.length, 0);
    assert.match(e.cause.message, pattern);
    return true;
  });
}

describe("branch deployments (pr-<N> stacks)", function () {
  this.timeout(60000);
  let branch: Plan, prod: Plan;
  before(async () => {
    prod = await plan("prod");
    branch = await plan("pr-42", { overrides: [`commitSha=${SHA_A}`, "branch=feature/better-attribution"] });
  });

  it("runs in namespace dagster-pr-42 with its own system release, database and code locations", () => {
    assert.equal(find(branch, "kubernetes:core/v1:Namespace", "namespace").inputs.metadata && (find(branch, "kubernetes:core/v1:Namespace", "namespace").inputs.metadata as Values).name, "dagster-pr-42");
    for (const r of ofType(branch, "kubernetes:helm.sh/v3:Release")) assert.equal(r.inputs.namespace, "dagster-pr-42", r.name);
    assert.equal(((find(branch, "kubernetes:apps/v1:StatefulSet", "postgres").inputs.metadata as Values).namespace), "dagster-pr-42", "its own PostgreSQL, in its namespace");
    const pg = (branch.values.dagster as { postgresql: Values }).postgresql;
    assert.deepEqual([pg.postgresqlHost, pg.postgresqlDatabase, pg.postgresqlUsername], ["dagster-postgresql.dagster-pr-42.svc.cluster.local", "dagster", "dagster"]);
    const v = branch.values.dagster as { dagsterWebserver: { replicaCount: number; resources: Values } };
    assert.equal(v.dagsterWebserver.replicaCount, 1, "smaller than prod");
    assert.equal(branch.outputs.webserverUrl, "http://localhost:8080");
    assert.match(String(branch.outputs.webserverAccess), /--namespace dagster-pr-42 port-forward/);
  });

  it("every code location gets the Dagster+ variables and the branch's Snowflake Secret", () => {
    for (const loc of branch.locations) {
      const d = (branch.values[loc.release] as { deployments: { env: Values; envSecrets: Values[] }[] }).deployments[0];
      assert.equal(d.env.DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT, "1");
      assert.equal(d.env.DAGSTER_CLOUD_PULL_REQUEST_ID, "42");
      assert.equal(d.env.DAGSTER_CLOUD_DEPLOYMENT_NAME, "pr-42");
      // A location's own git metadata wins (marketing-etl's file says main); without it, the pull request's branch.
      assert.equal(d.env.DAGSTER_CLOUD_GIT_BRANCH, loc.name === "marketing-etl" ? "main" : "feature/better-attribution", loc.name);
      assert.match(String(d.env.DAGSTER_CLOUD_GIT_SHA), /^[0-9a-f]{40}$/);
      assert.equal(d.env.SNOWFLAKE_DATABASE, "PRODUCTION_CLONE_42");
      assert.deepEqual(d.envSecrets[0], { name: "dagster-snowflake" });
      for (const s of d.envSecrets.slice(1)) assert.equal(s.optional, undefined, "a location's own Secrets are required, and present in the branch namespace");
    }
    for (const loc of prod.locations) {
      const d = (prod.values[loc.release] as { deployments: { env: Values }[] }).deployments[0];
      assert.equal(d.env.DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT, "0");
      assert.equal(d.env.DAGSTER_CLOUD_PULL_REQUEST_ID, "");
      assert.equal(d.env.SNOWFLAKE_DATABASE, "PRODUCTION");
    }
  });

  it("prod: production credentials from secret config, SNOWFLAKE_DATABASE=PRODUCTION, and never a clone", () => {
    assert.deepEqual(ofType(prod, EXECUTE), []);
    assert.deepEqual(ofType(prod, GRANT), []);
    const meta = find(prod, "kubernetes:core/v1:Secret", "snowflake-credentials").inputs.metadata as { annotations: Values };
    assert.equal(meta.annotations["dagster-platform/snowflake-database"], "PRODUCTION");
    assert.equal(meta.annotations["dagster-platform/snowflake-user"], "DAGSTER_PROD");
  });

  it("destroying a branch cannot touch prod: nothing protected, no prod-owned resource, no shared physical name", () => {
    assert.deepEqual(branch.resources.filter((r) => r.options.protect), []);
    for (const t of ["gcp:sql/databaseInstance:DatabaseInstance", "gcp:container/cluster:Cluster", "gcp:compute/network:Network", "gcp:artifactregistry/repository:Repository"]) {
      assert.deepEqual(ofType(branch, t), [], `a branch owns no ${t}`);
    }
    const identity = (r: Plan["resources"][number]) => {
      const meta = r.inputs.metadata as Values | undefined;
      const physical = meta
        ? `${String(meta.namespace ?? "")}/${String(meta.name)}`
        : r.inputs.namespace !== undefined
          ? `${String(r.inputs.namespace)}/${String(r.inputs.name)}`
          : String(r.inputs.name ?? r.inputs.accountId ?? r.inputs.repositoryId ?? "");
      return `${r.type} ${physical}`;
    };
    const prodIdentities = new Set(prod.resources.filter((r) => r.type.includes("/") && !r.type.startsWith("pulumi:")).map(identity));
    const shared = branch.resources.filter((r) => r.type.includes("/") && !r.type.startsWith("pulumi:")).map(identity).filter((i) => prodIdentities.has(i) && !i.endsWith(" "));
    assert.deepEqual(shared, []);
  });

  it("stack names: pr-4x and pr-042 are refused by name; a branch may not hold production credentials", async () => {
    await refused("pr-4x", [], /\(stack name\): the stack name "pr-4x" starts like a pull request's but is not exactly pr-<N>/);
    await refused("pr-042", [`commitSha=${SHA_A}`], /the stack name "pr-042" starts like a pull request's/);
    await refused("pr-42", [], /commitSha: is not set/);
    await refused("pr-42", [`commitSha=${SHA_A}`, "snowflakeUser=DAGSTER_PROD"], /snowflakePrivateKey: is set on a branch stack.*\n.*snowflakeUser: is set on a branch stack/, ["snowflakePrivateKey=-----BEGIN PRIVATE KEY-----"]);
    await refused("pr-42", [`commitSha=${SHA_A}`, "snowflakeProductionDatabase=prod; DROP DATABASE X"], /not an unquoted uppercase Snowflake identifier/);
  });

  it("a branch can run only the locations the pull request changed", async () => {
    const subset = await plan("pr-42", { overrides: [`commitSha=${SHA_A}`, "branchLocations=marketing-etl"] });
    assert.deepEqual(subset.locations.map((l) => l.name), ["marketing-etl"]);
    await refused("pr-42", [`commitSha=${SHA_A}`, "branchLocations=marketing-etI"], /"marketing-etI" is not a location.*did you mean "marketing-etl"/);
  });
});
