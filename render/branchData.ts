/**
 * Where a branch's Dagster keeps its compute logs and defs state: under its own prefix of the
 * preview stack's branch-data bucket, and who may use that bucket.
 */

/** A branch's prefix in the branch-data bucket. */
export function branchDataPrefix(pullRequest: number): string {
  return `pr-${pullRequest}`;
}

export function branchComputeLogs(bucket: string, pullRequest: number): { bucket: string; prefix: string } {
  return { bucket, prefix: `${branchDataPrefix(pullRequest)}/compute-logs` };
}

export function branchDefsStateBasePath(bucket: string, pullRequest: number): string {
  return `gs://${bucket}/${branchDataPrefix(pullRequest)}/defs-state`;
}

/**
 * Every workload of one GKE cluster, as Workload Identity Federation for GKE names it in IAM
 * (GKE docs, "About Workload Identity Federation for GKE", principal identifiers: "All Pods in a
 * specific cluster"). The narrowest identifier that needs no IAM change per branch: the
 * per-namespace one (`…/namespace/dagster-pr-<N>`) would need a grant per branch, which the
 * branch deployer could then make for anything; the per-ServiceAccount ones name a namespace too.
 */
export function branchWorkloadsPrincipalSet(c: { projectNumber: string; project: string; location: string; cluster: string }): string {
  return (
    `principalSet://iam.googleapis.com/projects/${c.projectNumber}/locations/global/workloadIdentityPools/${c.project}.svc.id.goog/` +
    `kubernetes.cluster/https://container.googleapis.com/v1/projects/${c.project}/locations/${c.location}/clusters/${c.cluster}`
  );
}
