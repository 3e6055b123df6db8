import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { SNOWFLAKE_SECRET_NAME, snowflakeCredentials } from "../render/snowflake";
import { COMPONENT_PREFIX } from "./labels";
import { kubernetesSecret } from "./secrets";

export interface BranchSnowflakeAccessArgs {
  account: string;
  warehouse: string;
  cloneDatabase: string;
  role: string;
  user: string;
  /** The branch user's private key (secret). */
  privateKey: pulumi.Input<string>;
  /** What creates the user: the Secret is written once the user exists. */
  clone: pulumi.Resource;
  namespace: pulumi.Input<string>;
}

/**
 * The branch's Snowflake credentials as the `dagster-snowflake` Secret every code location loads:
 * its own key-pair user, its role and its clone. Production credentials never reach a branch.
 */
export class BranchSnowflakeAccess extends pulumi.ComponentResource {
  readonly secret: k8s.core.v1.Secret;

  constructor(name: string, args: BranchSnowflakeAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${COMPONENT_PREFIX}:BranchSnowflakeAccess`, name, {}, opts);
    this.secret = kubernetesSecret(
      `${name}-credentials`,
      {
        name: SNOWFLAKE_SECRET_NAME,
        namespace: args.namespace,
        component: "snowflake",
        data: snowflakeCredentials({ account: args.account, database: args.cloneDatabase, privateKey: args.privateKey, role: args.role, user: args.user, warehouse: args.warehouse }),
        describe: { "snowflake-database": args.cloneDatabase, "snowflake-role": args.role, "snowflake-user": args.user },
      },
      { parent: this, dependsOn: [args.clone] },
    );
    this.registerOutputs({});
  }
}
