import { USER_CODE_SERVICE_ACCOUNT, systemObjectNames } from "../chart/names";
import { DagsterIdentity } from "../components/DagsterIdentity";
import { StorageBuckets } from "../components/StorageBuckets";
import { PlatformConfig } from "../config";
import { gcpNames } from "../render/gcpNames";
import { Cloud } from "./cloud";
import { StackOutputs } from "./outputs";

export interface Storage {
  buckets?: StorageBuckets;
  identity?: DagsterIdentity;
  outputs: StackOutputs;
}

/**
 * The buckets Dagster writes and the Google identity that may use them. A branch gets buckets and
 * an identity of its own, so nothing in it can read or write prod's.
 */
export function deployStorage(cfg: PlatformConfig, cloud: Cloud): Storage {
  if (!cfg.buckets || !cfg.gcp) return { outputs: {} };
  const d = cfg.deployment;
  const branch = d.kind === "branch";
  const names = gcpNames(d, cfg.gcp.project);
  const buckets = new StorageBuckets(
    "buckets",
    {
      prefix: names.bucketPrefix,
      location: cfg.buckets.location,
      // A branch's logs matter for the life of a review, not for a month.
      computeLogRetentionDays: branch ? Math.min(cfg.buckets.computeLogRetentionDays, 7) : cfg.buckets.computeLogRetentionDays,
      disposable: branch,
    },
    cloud.onGcp,
  );
  const identity = new DagsterIdentity(
    "dagster-identity",
    {
      accountId: names.serviceAccountId,
      project: cfg.gcp.project,
      namespace: cfg.namespace,
      kubernetesServiceAccounts: [systemObjectNames().serviceAccount, USER_CODE_SERVICE_ACCOUNT],
      buckets: { "compute-logs": buckets.computeLogs.name, "defs-state": buckets.defsState.name },
    },
    cloud.onGcp,
  );
  return {
    buckets,
    identity,
    outputs: { computeLogsBucket: buckets.computeLogs.name, defsStateBucket: buckets.defsState.name, dagsterServiceAccount: identity.email },
  };
}
