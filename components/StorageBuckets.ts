import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { BUCKET_SUFFIXES } from "../render/gcpNames";
import { COMPONENT_PREFIX } from "./labels";

export interface StorageBucketsArgs {
  /** Globally unique name prefix, e.g. `<project>-dagster`. */
  prefix: string;
  location: string;
  computeLogRetentionDays: number;
}

/**
 * Prod's two buckets: compute logs (expire after N days) and versioned defs state (object
 * versioning on, old versions pruned). Never public: uniform access and public access prevention
 * enforced; protected and never force-destroyed. (Branches own no bucket: BranchDataBucket.)
 */
export class StorageBuckets extends pulumi.ComponentResource {
  readonly computeLogs: gcp.storage.Bucket;
  readonly defsState: gcp.storage.Bucket;

  constructor(name: string, args: StorageBucketsArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${COMPONENT_PREFIX}:StorageBuckets`, name, {}, opts);
    const common = {
      location: args.location,
      uniformBucketLevelAccess: true,
      publicAccessPrevention: "enforced",
      forceDestroy: false,
      labels: { "managed-by": "pulumi", "part-of": "dagster-platform" },
    };
    const opt = { parent: this, protect: true };
    this.computeLogs = new gcp.storage.Bucket(
      `${name}-compute-logs`,
      {
        ...common,
        name: `${args.prefix}-${BUCKET_SUFFIXES.computeLogs}`,
        versioning: { enabled: false },
        lifecycleRules: [{ action: { type: "Delete" }, condition: { age: args.computeLogRetentionDays } }],
      },
      opt,
    );
    this.defsState = new gcp.storage.Bucket(
      `${name}-defs-state`,
      {
        ...common,
        name: `${args.prefix}-${BUCKET_SUFFIXES.defsState}`,
        versioning: { enabled: true },
        lifecycleRules: [{ action: { type: "Delete" }, condition: { numNewerVersions: 10, withState: "ARCHIVED" } }],
      },
      opt,
    );
    this.registerOutputs({ computeLogs: this.computeLogs.name, defsState: this.defsState.name });
  }
}
