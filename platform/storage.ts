import * as pulumi from "@pulumi/pulumi";
import { USER_CODE_SERVICE_ACCOUNT, systemObjectNames } from "../chart/names";
import { DagsterIdentity } from "../components/DagsterIdentity";
import { StorageBuckets } from "../components/StorageBuckets";
import { PlatformConfig } from "../config";
import { branchComputeLogs, branchDataPrefix, branchDefsStateBasePath } from "../render/branchData";
import { gcpNames } from "../render/gcpNames";
import { defsStateBasePath } from "../render/systemValues";
import { Cloud } from "./cloud";
import { PREVIEW_OUTPUTS, StackOutputs } from "./outputs";

/** Where Dagster keeps compute logs and defs state, and the Google identity its pods act as. */
export interface Storage {
  computeLogs?: pulumi.Output<{ bucket: string; prefix: string }>;
  defsStateBasePath?: pulumi.Output<string>;
  /** Prod: the Google service account Dagster's KSAs impersonate. Branches have none. */
  gcpServiceAccount?: pulumi.Output<string>;
  outputs: StackOutputs;
}

/**
 * Prod: two buckets of its own and a Google identity that may use them. A branch owns nothing in
 * GCP: it writes under its prefix pr-<N>/ of the preview stack's branch-data bucket, which the
 * preview stack grants to every workload of the preview cluster.
 */
export function deployStorage(cfg: PlatformConfig, cloud: Cloud): Storage {
  if (!cfg.buckets || !cfg.gcp) return { outputs: {} };
  const d = cfg.deployment;
  if (d.kind === "branch") {
    if (!cloud.preview) throw new Error("a branch reads the preview stack (config/ guarantees it)");
    const bucket = cloud.preview.requireOutput(PREVIEW_OUTPUTS.branchDataBucket).apply(String);
    return {
      computeLogs: bucket.apply((b) => branchComputeLogs(b, d.pullRequest)),
      defsStateBasePath: bucket.apply((b) => branchDefsStateBasePath(b, d.pullRequest)),
      outputs: { branchData: pulumi.interpolate`gs://${bucket}/${branchDataPrefix(d.pullRequest)}/` },
    };
  }
  const names = gcpNames(d, cfg.gcp.project);
  const buckets = new StorageBuckets(
    "buckets",
    { prefix: names.bucketPrefix, location: cfg.buckets.location, computeLogRetentionDays: cfg.buckets.computeLogRetentionDays },
    cloud.onGcp,
  );
  const identity = new DagsterIdentity(
    "dagster-identity",
    {
      accountId: prodLikeAccountId(names.serviceAccountId),
      project: cfg.gcp.project,
      namespace: cfg.namespace,
      kubernetesServiceAccounts: [systemObjectNames().serviceAccount, USER_CODE_SERVICE_ACCOUNT],
      buckets: { "compute-logs": buckets.computeLogs.name, "defs-state": buckets.defsState.name },
    },
    cloud.onGcp,
  );
  return {
    computeLogs: buckets.computeLogs.name.apply((bucket) => ({ bucket, prefix: "compute-logs" })),
    defsStateBasePath: buckets.defsState.name.apply(defsStateBasePath),
    gcpServiceAccount: identity.email,
    outputs: { computeLogsBucket: buckets.computeLogs.name, defsStateBucket: buckets.defsState.name, dagsterServiceAccount: identity.email },
  };
}

/** Only branches and the preview stack lack one, and neither reaches here (render/gcpNames.ts). */
function prodLikeAccountId(id: string | undefined): string {
  if (id === undefined) throw new Error("a production-like stack names its Dagster service account (render/gcpNames.ts)");
  return id;
}
