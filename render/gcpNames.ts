import { Deployment, prodNameBase } from "./deployment";

/** The suffixes components/StorageBuckets.ts gives its two buckets. */
export const BUCKET_SUFFIXES = { computeLogs: "compute-logs", defsState: "defs-state" } as const;

/** Physical GCP names one deployment creates: no two deployments of a project share one. */
export interface GcpNames {
  /** `<project>-dagster[-<stack>]`: bucket names are global, so the project id leads. */
  bucketPrefix: string;
  /** The buckets this deployment creates with buckets on (the preview stack: the branch-data bucket). */
  buckets: string[];
  /** The Google service account Dagster's pods impersonate (prod-like stacks only). */
  serviceAccountId?: string;
  /** The Artifact Registry repository (prod-like stacks only). */
  registryId: string;
  /** The Cloud SQL instance (prod-like stacks only). */
  sqlInstance: string;
}

/** The preview stack's one bucket, each branch writing under its own pr-<N>/ prefix. */
export function branchDataBucketName(project: string): string {
  return `${project}-dagster-branch-data`;
}

/** Names of what a deployment creates in GCP; a branch creates nothing there (it uses the preview stack's). */
export function gcpNames(d: Deployment, project: string): GcpNames {
  if (d.kind === "branch") return { bucketPrefix: "", buckets: [], registryId: "", sqlInstance: "" };
  if (d.kind === "preview") return { bucketPrefix: "", buckets: [branchDataBucketName(project)], registryId: "", sqlInstance: "" };
  const base = prodNameBase(d.stack);
  const bucketPrefix = `${project}-${base}`;
  return {
    bucketPrefix,
    buckets: Object.values(BUCKET_SUFFIXES).map((s) => `${bucketPrefix}-${s}`),
    serviceAccountId: base,
    registryId: base,
    sqlInstance: `dagster-${d.stack}`,
  };
}
