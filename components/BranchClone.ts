import * as pulumi from "@pulumi/pulumi";
import * as snowflake from "@pulumi/snowflake";
import * as tls from "@pulumi/tls";
import { publicKeyBody } from "../render/snowflake";
import { createBranchCall, dropBranchCall, listBranchesCall } from "../render/snowflakeCalls";
import { COMPONENT_PREFIX } from "./labels";

export interface BranchCloneArgs {
  /** The database to clone (config snowflakeProductionDatabase); only ever a CALL's argument. */
  productionDatabase: string;
  pullRequest: number;
  /** The pull request's head commit: a new one re-clones when `recloneOnDeploy` is on. */
  commitSha: string;
  recloneOnDeploy: boolean;
  /** Clone production as of this time (ISO 8601); undefined: as it is at the deploy. */
  cloneAt?: string;
}

/**
 * The branch's Snowflake objects: `<PRODUCTION>_CLONE_<N>`, role and key-pair user
 * `DAGSTER_PR_<N>`, all made by one CALL of CREATE_BRANCH and removed by DROP_BRANCH
 * (snowflake/branch_admin.sql). CI's role may call those procedures and do nothing else, so the
 * stack declares no grant, user, role or database of its own. The key pair is the stack's: its
 * public half goes into the CALL, its private half (a Pulumi secret) into the credentials Secret.
 */
export class BranchClone extends pulumi.ComponentResource {
  readonly execute: snowflake.Execute;
  /** The branch user's private key, PKCS#8 PEM (secret). */
  readonly privateKey: pulumi.Output<string>;

  constructor(name: string, args: BranchCloneArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${COMPONENT_PREFIX}:BranchClone`, name, {}, opts);
    const ref = { sourceDatabase: args.productionDatabase, pullRequest: args.pullRequest };
    const key = new tls.PrivateKey(name, { algorithm: "RSA", rsaBits: 2048 }, { parent: this });
    this.privateKey = key.privateKeyPemPkcs8;
    this.execute = new snowflake.Execute(
      name,
      {
        execute: key.publicKeyPem.apply((pem) => createBranchCall({ ...ref, cloneAt: args.cloneAt, publicKey: publicKeyBody(pem) })),
        revert: dropBranchCall(ref),
        // Read on every refresh: `npm run branch -- up` re-creates what it no longer lists (a
        // clone dropped by hand), because Execute itself never notices (lifecycle/snowflakeDrift.ts).
        query: listBranchesCall(args.productionDatabase, args.pullRequest),
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
    this.registerOutputs({});
  }
}
