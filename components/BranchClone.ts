import * as pulumi from "@pulumi/pulumi";
import * as snowflake from "@pulumi/snowflake";
import { cloneStatement, dropStatement } from "../render/snowflake";
import { COMPONENT_PREFIX } from "./labels";

export interface BranchCloneArgs {
  productionDatabase: string;
  cloneDatabase: string;
  /** The pull request's head commit: a new one re-clones when `recloneOnDeploy` is on. */
  commitSha: string;
  recloneOnDeploy: boolean;
}

/**
 * `PRODUCTION_CLONE_<N>`, a zero-copy clone of production, created by the stack and dropped by
 * `pulumi destroy`. Provider 1.x has no clone argument on Database, so the clone is a statement
 * with its revert.
 */
export class BranchClone extends pulumi.ComponentResource {
  readonly execute: snowflake.Execute;
  readonly databaseName: string;

  constructor(name: string, args: BranchCloneArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${COMPONENT_PREFIX}:BranchClone`, name, {}, opts);
    this.databaseName = args.cloneDatabase;
    this.execute = new snowflake.Execute(
      name,
      {
        execute: cloneStatement(args.productionDatabase, args.cloneDatabase),
        revert: dropStatement(args.cloneDatabase),
        query: `SHOW DATABASES LIKE '${args.cloneDatabase}'`,
      },
      {
        parent: this,
        // Fresh data on every deploy: a new commit replaces the clone.
        replacementTrigger: args.recloneOnDeploy ? args.commitSha : undefined,
        // The old and new clone share one name: created first, the new one would be dropped by
        // the old one's revert. Delete first, then create.
        deleteBeforeReplace: true,
      },
    );
    this.registerOutputs({ database: this.databaseName });
  }
}
