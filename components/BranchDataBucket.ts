import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { branchWorkloadsPrincipalSet } from "../render/branchData";
import { COMPONENT_PREFIX } from "./labels";

export interface BranchDataBucketArgs {
  name: string;
  location: string;
  /** Objects older than this are deleted: compute logs, and defs state a branch wrote that long ago. */
  retentionDays: number;
  project: string;
  /** The preview cluster, whose workloads (every branch's pods) may use the bucket. */
  cluster: { name: pulumi.Input<string>; location: string };
}

/**
 * The one bucket every branch writes, each under its prefix `pr-<N>/` (compute logs, defs state),
 * owned by the preview stack so that no branch owns, or needs rights to create, anything in GCP.
 * Object access goes to every workload of the preview cluster through Workload Identity
 * Federation for GKE's principal set for a cluster: granted once, with no change per branch, and
 * nothing but branches runs there. So branches can read and write each other's prefixes; they
 * cannot reach prod's buckets (another project, another workload identity pool).
 */
export class BranchDataBucket extends pulumi.ComponentResource {
  readonly bucket: gcp.storage.Bucket;

  constructor(name: string, args: BranchDataBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${COMPONENT_PREFIX}:BranchDataBucket`, name, {}, opts);
    this.bucket = new gcp.storage.Bucket(
      name,
      {
        name: args.name,
        location: args.location,
        uniformBucketLevelAccess: true,
        publicAccessPrevention: "enforced",
        // Branch data is disposable: the bucket may go with the preview stack, contents and all.
        forceDestroy: true,
        versioning: { enabled: false },
        lifecycleRules: [{ action: { type: "Delete" }, condition: { age: args.retentionDays } }],
        labels: { "managed-by": "pulumi", "part-of": "dagster-platform" },
      },
      { parent: this },
    );
    new gcp.storage.BucketIAMMember(
      `${name}-branch-workloads`,
      {
        bucket: this.bucket.name,
        // Read, write, list and delete objects; nothing on the bucket itself or its policy.
        role: "roles/storage.objectUser",
        member: pulumi.all([this.bucket.projectNumber, args.cluster.name]).apply(([projectNumber, cluster]) =>
          branchWorkloadsPrincipalSet({ projectNumber: String(projectNumber), project: args.project, location: args.cluster.location, cluster }),
        ),
      },
      { parent: this },
    );
    this.registerOutputs({ bucket: this.bucket.name });
  }
}
