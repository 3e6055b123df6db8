import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as snowflake from "@pulumi/snowflake";
import * as tls from "@pulumi/tls";
import { SNOWFLAKE_SECRET_NAME, publicKeyBody, snowflakeCredentials } from "../render/snowflake";
import { COMPONENT_PREFIX } from "./labels";
import { kubernetesSecret } from "./secrets";

export interface BranchSnowflakeAccessArgs {
  account: string;
  warehouse: string;
  productionDatabase: string;
  cloneDatabase: string;
  role: string;
  user: string;
  /** Grants on the clone are replaced whenever the clone is. */
  clone: pulumi.Resource;
  namespace: pulumi.Input<string>;
}

/** What the branch role is granted, by grant resource name. Nothing names the production database. */
type Grant = Omit<snowflake.GrantPrivilegesToAccountRoleArgs, "accountRoleName"> & { onClone: boolean };

export function branchGrants(cloneDatabase: string, warehouse: string): Record<string, Grant> {
  return {
    database: { onClone: true, privileges: ["USAGE", "MONITOR", "CREATE SCHEMA"], onAccountObject: { objectType: "DATABASE", objectName: cloneDatabase } },
    "all-schemas": { onClone: true, allPrivileges: true, onSchema: { allSchemasInDatabase: cloneDatabase } },
    "future-schemas": { onClone: true, allPrivileges: true, onSchema: { futureSchemasInDatabase: cloneDatabase } },
    "all-tables": { onClone: true, allPrivileges: true, onSchemaObject: { all: { objectTypePlural: "TABLES", inDatabase: cloneDatabase } } },
    "future-tables": { onClone: true, allPrivileges: true, onSchemaObject: { future: { objectTypePlural: "TABLES", inDatabase: cloneDatabase } } },
    "all-views": { onClone: true, allPrivileges: true, onSchemaObject: { all: { objectTypePlural: "VIEWS", inDatabase: cloneDatabase } } },
    "future-views": { onClone: true, allPrivileges: true, onSchemaObject: { future: { objectTypePlural: "VIEWS", inDatabase: cloneDatabase } } },
    warehouse: { onClone: false, privileges: ["USAGE"], onAccountObject: { objectType: "WAREHOUSE", objectName: warehouse } },
  };
}

/**
 * The branch's own Snowflake identity: a role with rights on the clone and the warehouse only,
 * and a key-pair service user whose key the stack generates. Code locations get it as the
 * `dagster-snowflake` Secret; production credentials never reach a branch.
 */
export class BranchSnowflakeAccess extends pulumi.ComponentResource {
  readonly role: snowflake.AccountRole;
  readonly user: snowflake.ServiceUser;
  readonly secret: k8s.core.v1.Secret;

  constructor(name: string, args: BranchSnowflakeAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${COMPONENT_PREFIX}:BranchSnowflakeAccess`, name, {}, opts);
    const parent = { parent: this };
    this.role = new snowflake.AccountRole(name, { name: args.role, comment: `Dagster branch deployment: ${args.cloneDatabase} only` }, parent);

    const grants = branchGrants(args.cloneDatabase, args.warehouse);
    for (const [grantName, { onClone, ...grant }] of Object.entries(grants)) {
      if (JSON.stringify(grant).includes(`"${args.productionDatabase}"`)) {
        throw new Error(`refusing to grant ${grantName} on the production database ${args.productionDatabase} to ${args.role}`);
      }
      new snowflake.GrantPrivilegesToAccountRole(
        `${name}-${grantName}`,
        { ...grant, accountRoleName: this.role.name },
        onClone
          ? // A clone carries no grants on the database object itself: when it is replaced, its grants
            // must be made again, and revoked first (the old and new grant are the same grant).
            { parent: this, dependsOn: [args.clone], replaceWith: [args.clone], deleteBeforeReplace: true }
          : parent,
      );
    }

    const key = new tls.PrivateKey(name, { algorithm: "RSA", rsaBits: 2048 }, parent);
    this.user = new snowflake.ServiceUser(
      name,
      {
        name: args.user,
        comment: `Dagster branch deployment ${args.role}`,
        defaultRole: this.role.name,
        defaultWarehouse: args.warehouse,
        defaultNamespace: args.cloneDatabase,
        rsaPublicKey: key.publicKeyPem.apply(publicKeyBody),
      },
      parent,
    );
    new snowflake.GrantAccountRole(`${name}-user`, { roleName: this.role.name, userName: this.user.name }, parent);

    this.secret = kubernetesSecret(
      `${name}-credentials`,
      {
        name: SNOWFLAKE_SECRET_NAME,
        namespace: args.namespace,
        component: "snowflake",
        data: snowflakeCredentials({ account: args.account, database: args.cloneDatabase, privateKey: key.privateKeyPemPkcs8, role: args.role, user: args.user, warehouse: args.warehouse }),
        describe: { "snowflake-database": args.cloneDatabase, "snowflake-role": args.role, "snowflake-user": args.user },
      },
      { parent: this, dependsOn: [this.user] },
    );
    this.registerOutputs({ role: this.role.name, user: this.user.name });
  }
}
