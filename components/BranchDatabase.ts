import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { COMPONENT_PREFIX } from "./labels";

export interface BranchDatabaseArgs {
  pullRequest: number;
  /** Prod's Cloud SQL instance, by name, from the StackReference: the branch never owns it. */
  instanceName: pulumi.Input<string>;
}

/** `dagster_pr_<N>`: a PostgreSQL identifier made only of a fixed prefix and the PR number. */
export function branchDatabaseName(pullRequest: number): string {
  return `dagster_pr_${pullRequest}`;
}

/**
 * The branch's own database and user on prod's Cloud SQL instance, so its run history stays
 * apart from prod's. Both are created and dropped with the branch stack; the instance is only
 * referenced by name, so `pulumi destroy` on a branch cannot touch it.
 */
export class BranchDatabase extends pulumi.ComponentResource {
  readonly database: gcp.sql.Database;
  readonly user: gcp.sql.User;
  readonly databaseName: string;
  readonly userName: string;
  readonly password: pulumi.Output<string>;

  constructor(name: string, args: BranchDatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${COMPONENT_PREFIX}:BranchDatabase`, name, {}, opts);
    this.databaseName = branchDatabaseName(args.pullRequest);
    this.userName = this.databaseName;
    const password = new random.RandomPassword(name, { length: 32, special: false }, { parent: this });
    this.password = pulumi.secret(password.result);
    this.user = new gcp.sql.User(name, { name: this.userName, instance: args.instanceName, password: this.password }, { parent: this });
    this.database = new gcp.sql.Database(
      name,
      { name: this.databaseName, instance: args.instanceName, deletionPolicy: "DELETE" },
      // Dagster's tables are owned by the branch user, and PostgreSQL will not drop a user that
      // owns objects: depending on the user makes destroy drop the database first.
      { parent: this, dependsOn: [this.user] },
    );
    this.registerOutputs({ database: this.databaseName });
  }
}
