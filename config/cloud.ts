import { Deployment } from "../render/deployment";
import { GCP_PROJECT, GCP_SERVICE_ACCOUNT, cidrProblem } from "./formats";
import { ConfigReader } from "./reader";
import { ClusterConfig, NetworkConfig, PlatformConfig } from "./types";

type CloudSettings = Pick<PlatformConfig, "gcp" | "cluster" | "network" | "buckets" | "registry"> & {
  /** Whether this stack creates its own Cloud SQL instance (postgres.ts reads the rest). */
  cloudSql: boolean;
};

/**
 * GCP, the cluster, the VPC, buckets and registry: which exist, and their settings. A branch owns
 * no cluster, VPC, bucket or registry (it deploys into the preview stack's cluster and, with
 * buckets on, writes under its prefix of the preview stack's branch-data bucket); the preview
 * stack owns a cluster, VPC and that one bucket for branches (no Cloud SQL or registry).
 */
export function readCloud(c: ConfigReader, deployment: Deployment): CloudSettings {
  const isBranch = deployment.kind === "branch";
  const isPreview = deployment.kind === "preview";
  const clusterMode = isBranch ? "preview" : c.enumValue<"create" | "existing">("clusterMode");
  const cloudSql = isBranch || isPreview ? false : c.bool("cloudSql");
  const bucketsOn = c.bool("buckets");
  const registryOn = isBranch || isPreview ? false : c.bool("registry");
  const gcp = clusterMode === "create" || cloudSql || bucketsOn || registryOn || isBranch ? readGcp(c) : undefined;
  if (!registryOn && c.isSet("previewNodeServiceAccount")) c.problem("previewNodeServiceAccount", "is set, but this stack has no registry", "set it on the prod stack, which owns the Artifact Registry repository");
  if (isPreview && clusterMode !== "create") c.problem("clusterMode", `is ${clusterMode} on the preview stack`, "the preview stack creates the cluster branches run in: set clusterMode create");
  return {
    gcp,
    cloudSql,
    cluster: readCluster(c, clusterMode),
    network: !isBranch && (clusterMode === "create" || cloudSql) ? readNetwork(c, clusterMode === "existing" && cloudSql) : undefined,
    buckets: bucketsOn ? { location: c.string("bucketLocation") ?? (gcp?.region ?? "").toUpperCase(), computeLogRetentionDays: c.int("computeLogRetentionDays") } : undefined,
    registry: registryOn ? readRegistry(c) : undefined,
  };
}

/** The registry, and the one outside reader it may have: the preview cluster's nodes, which pull the same images. */
function readRegistry(c: ConfigReader): NonNullable<PlatformConfig["registry"]> {
  const reader = c.string("previewNodeServiceAccount");
  if (reader !== undefined && !GCP_SERVICE_ACCOUNT.test(reader)) {
    c.problem("previewNodeServiceAccount", `"${reader}" is not a Google service account email`, "the preview stack's output nodeServiceAccount, e.g. dagster-preview-nodes@acme-data-preview.iam.gserviceaccount.com");
  }
  return { keepRecent: c.int("registryKeepRecent"), untaggedDays: c.int("registryUntaggedDays"), ...(reader !== undefined ? { previewNodeServiceAccount: reader } : {}) };
}

function readGcp(c: ConfigReader): PlatformConfig["gcp"] {
  const project = c.providerValue("gcp:project");
  const region = c.providerValue("gcp:region");
  if (!project) c.problem("gcp:project", "is not set, and this stack plans GCP resources", "pulumi config set gcp:project <project id>");
  else if (!GCP_PROJECT.test(project)) c.problem("gcp:project", `"${project}" is not a GCP project id`);
  if (!region) c.problem("gcp:region", "is not set, and this stack plans GCP resources", "pulumi config set gcp:region europe-west4");
  return { project: project ?? "unset", region: region ?? "unset" };
}

function readCluster(c: ConfigReader, mode: "create" | "existing" | "preview"): ClusterConfig {
  if (mode === "create") {
    const name = c.string("clusterName") ?? "dagster";
    if (!/^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$/.test(name)) c.problem("clusterName", `"${name}" is not a GKE cluster name`, "lowercase letters, digits and -, at most 40, starting with a letter");
    if (c.isSet("kubeconfig")) c.problem("kubeconfig", "is set, but clusterMode is create", "the kubeconfig is built from the created cluster; unset it or use clusterMode existing");
    return { mode: "create", name, releaseChannel: c.enumValue("clusterReleaseChannel") };
  }
  if (mode === "existing") return { mode: "existing", kubeconfig: c.secret("kubeconfig"), context: c.string("kubeContext") };
  return { mode: "preview" };
}

/** The VPC; `cloudSqlBesideExistingCluster`: Cloud SQL must live in that cluster's own VPC. */
function readNetwork(c: ConfigReader, cloudSqlBesideExistingCluster: boolean): NetworkConfig {
  const mode = c.enumValue<"create" | "existing">("network");
  const name = c.string("networkName") ?? "dagster";
  if (mode === "existing") return { mode, name };
  const ranges = { subnetCidr: c.string("subnetCidr") ?? "", podsCidr: c.string("podsCidr") ?? "", servicesCidr: c.string("servicesCidr") ?? "" };
  for (const [k, v] of Object.entries(ranges)) {
    const err = cidrProblem(v);
    if (err) c.problem(k, err);
  }
  if (cloudSqlBesideExistingCluster) {
    c.problem("network", "is create, but the cluster is an existing one", "Cloud SQL's private IP is only reachable from the cluster's own VPC: set network existing and networkName to that VPC");
  }
  return { mode, name, ...ranges, natAddresses: c.int("natAddresses") };
}
