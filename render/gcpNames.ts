import { Deployment, prodNameBase } from "./deployment";

/** The suffixes components/StorageBuckets.ts gives its two buckets. */
export const BUCKET_SUFFIXES = { computeLogs: "compute-logs", defsState: "defs-state" } as const;

/** Physical GCP names one deployment creates: no two deployments of a project share one. */
export interface GcpNames {
  /** `<project>-dagster[-<stack>|-pr<N>]`: bucket names are global, so the project id leads. */
  bucketPrefix: string;
  buckets: string[];
  /** The Google service account Dagster's pods impersonate. */
  serviceAccountId: string;
  /** The Artifact Registry repository (prod-like stacks only). */
  registryId: string;
  /** The Cloud SQL instance (prod-like stacks only: a branch has a database on the instance it reads). */
  sqlInstance: string;
}

export function gcpNames(d: Deployment, project: string): GcpNames {
  const branch = d.kind === "branch";
  const base = branch ? undefined : prodNameBase(d.stack);
  const bucketPrefix = branch ? `${project}-dagster-pr${d.pullRequest}` : `${project}-${base}`;
  return {
    bucketPrefix,
    buckets: Object.values(BUCKET_SUFFIXES).map((s) => `${bucketPrefix}-${s}`),
    serviceAccountId: branch ? `dagster-pr-${d.pullRequest}` : (base as string),
    registryId: base ?? "",
    sqlInstance: branch ? "" : `dagster-${d.stack}`,
  };
}
