import { excerpt } from "../locations/problems";
import { Deployment, prodNameBase } from "../render/deployment";
import { gcpNames } from "../render/gcpNames";
import { Cidr, overlappingPairs, parseCidr, rangeProblem } from "./cidr";
import { GCP_PROJECT, GCP_SERVICE_ACCOUNT } from "./formats";
import { bucketLocationProblem, bucketNameProblem, computeNameProblem, gkeClusterNameProblem, regionProblem, registryIdProblem, serviceAccountIdProblem } from "./gcpRules";
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
export function readCloud(c: ConfigReader, deployment: Deployment, proxySubnetCidr: string | undefined): CloudSettings {
  const isBranch = deployment.kind === "branch";
  const isPreview = deployment.kind === "preview";
  const clusterMode = isBranch ? "preview" : c.enumValue<"create" | "existing">("clusterMode");
  const cloudSql = isBranch || isPreview ? false : c.bool("cloudSql");
  const bucketsOn = c.bool("buckets");
  const registryOn = isBranch || isPreview ? false : c.bool("registry");
  const gcp = clusterMode === "create" || cloudSql || bucketsOn || registryOn || isBranch ? readGcp(c) : undefined;
  if (!registryOn && c.isSet("previewNodeServiceAccount")) c.problem("previewNodeServiceAccount", "is set, but this stack has no registry", "set it on the prod stack, which owns the Artifact Registry repository");
  if (isPreview && clusterMode !== "create") c.problem("clusterMode", `is ${clusterMode} on the preview stack`, "the preview stack creates the cluster branches run in: set clusterMode create");
  const base = isBranch ? "" : prodNameBase(deployment.stack);
  if (gcp && gcp.project !== "unset" && !isBranch) checkDerivedNames(c, deployment, gcp.project, bucketsOn, registryOn);
  const network = !isBranch && (clusterMode === "create" || cloudSql) ? readNetwork(c, base, proxySubnetCidr) : undefined;
  checkClusterNetwork(c, clusterMode, network, cloudSql);
  return {
    gcp,
    cloudSql,
    cluster: readCluster(c, clusterMode, base),
    network,
    buckets: bucketsOn ? readBuckets(c, gcp?.region ?? "") : undefined,
    registry: registryOn ? readRegistry(c) : undefined,
  };
}

/** The registry, and the one outside reader it may have: the preview cluster's nodes, which pull the same images. */
function readRegistry(c: ConfigReader): NonNullable<PlatformConfig["registry"]> {
  const reader = c.string("previewNodeServiceAccount");
  if (reader !== undefined && !GCP_SERVICE_ACCOUNT.test(reader)) {
    c.problem("previewNodeServiceAccount", `${excerpt(reader)} is not a Google service account email`, "the preview stack's output nodeServiceAccount, e.g. dagster-preview-nodes@acme-data-preview.iam.gserviceaccount.com");
  }
  return { keepRecent: c.int("registryKeepRecent"), untaggedDays: c.int("registryUntaggedDays"), ...(reader !== undefined ? { previewNodeServiceAccount: reader } : {}) };
}

function readGcp(c: ConfigReader): PlatformConfig["gcp"] {
  const project = c.providerValue("gcp:project");
  const region = c.providerValue("gcp:region");
  // Project ids: 6-30 lowercase letters, digits and hyphens, starting with a letter (cloud.google.com/resource-manager/docs/creating-managing-projects).
  if (!project) c.problem("gcp:project", "is not set, and this stack plans GCP resources", "pulumi config set gcp:project <project id>");
  else if (!GCP_PROJECT.test(project)) c.problem("gcp:project", `${excerpt(project)} is not a GCP project id`, "6-30 lowercase letters, digits and -, starting with a letter");
  if (!region) c.problem("gcp:region", "is not set, and this stack plans GCP resources", "pulumi config set gcp:region europe-west4");
  else if (regionProblem(region)) c.problem("gcp:region", `${excerpt(region)}: ${regionProblem(region)}`);
  return { project: project && GCP_PROJECT.test(project) ? project : "unset", region: region ?? "unset" };
}

/** Names derived from the project and the stack must be names GCP accepts. */
function checkDerivedNames(c: ConfigReader, d: Deployment, project: string, bucketsOn: boolean, registryOn: boolean): void {
  const names = gcpNames(d, project);
  if (bucketsOn) {
    for (const bucket of names.buckets) {
      const why = bucketNameProblem(bucket);
      if (why) c.problem("gcp:project", `the bucket name "${bucket}" it derives is refused by Cloud Storage: ${why}`, "use a shorter project id or stack name, or buckets: false");
    }
  }
  const sa = names.serviceAccountId === undefined ? undefined : serviceAccountIdProblem(names.serviceAccountId);
  if (bucketsOn && sa) c.problem("(stack name)", `the service account id "${names.serviceAccountId}" it derives is refused: ${sa}`);
  const registry = registryIdProblem(names.registryId);
  if (registryOn && registry) c.problem("(stack name)", `the registry id "${names.registryId}" it derives is refused: ${registry}`);
}

function readBuckets(c: ConfigReader, region: string): PlatformConfig["buckets"] {
  const location = c.string("bucketLocation") ?? region.toUpperCase();
  const why = bucketLocationProblem(location);
  if (c.isSet("bucketLocation") && why) c.problem("bucketLocation", `${excerpt(location)}: ${why}`);
  return { location, computeLogRetentionDays: c.int("computeLogRetentionDays") };
}

function readCluster(c: ConfigReader, mode: "create" | "existing" | "preview", base: string): ClusterConfig {
  const ambient = c.bool("ambientKubeconfig");
  if (mode === "create") {
    const name = c.string("clusterName") ?? base;
    const why = gkeClusterNameProblem(name) ?? serviceAccountIdProblem(`${name}-nodes`);
    if (why) c.problem("clusterName", `${excerpt(name)}: ${why}`, `its nodes' service account is <name>-nodes, at most 30 characters, so at most 24`);
    if (c.isSet("kubeconfig")) c.problem("kubeconfig", "is set, but clusterMode is create", "the kubeconfig is built from the created cluster; unset it or use clusterMode existing");
    if (ambient) c.problem("ambientKubeconfig", "is true, but clusterMode is create", "the created cluster's own kubeconfig is used; unset it");
    return { mode: "create", name, releaseChannel: c.enumValue("clusterReleaseChannel") };
  }
  if (mode === "existing") {
    const context = c.string("kubeContext");
    if (ambient) {
      if (c.isSet("kubeconfig")) c.problem("ambientKubeconfig", "is true, but kubeconfig is set", "choose one: unset ambientKubeconfig to use the kubeconfig");
      return { mode: "existing", ambient: true, context };
    }
    // Never silently the ambient kubeconfig: whoever runs pulumi could be pointed at any cluster.
    const why = "clusterMode is existing (to deploy into the cluster of the current kubeconfig context of whoever runs pulumi instead, set ambientKubeconfig true)";
    return { mode: "existing", ambient: false, kubeconfig: c.requiredSecret("kubeconfig", why), context };
  }
  if (ambient) c.problem("ambientKubeconfig", "is set on a branch stack", "a branch deploys into the preview stack's cluster with the kubeconfig it exports, never the ambient one; unset it");
  return { mode: "preview" };
}

/** A created cluster needs the subnet and secondary ranges only a created network has. */
function checkClusterNetwork(c: ConfigReader, clusterMode: string, network: NetworkConfig | undefined, cloudSql: boolean): void {
  if (clusterMode === "create" && network?.mode === "existing") {
    c.problem("network", "is existing, but clusterMode is create", "a created cluster needs the subnet and pods/services ranges of a created network: set network create, or create the cluster yourself and use clusterMode existing");
  }
  if (clusterMode === "existing" && cloudSql && network?.mode === "create") {
    c.problem("network", "is create, but the cluster is an existing one", "Cloud SQL's private IP is only reachable from the cluster's own VPC: set network existing and networkName to that VPC");
  }
}

/** The VPC: its name, and in create mode its ranges, each valid and none overlapping. */
function readNetwork(c: ConfigReader, base: string, proxySubnetCidr: string | undefined): NetworkConfig {
  const mode = c.enumValue<"create" | "existing">("network");
  const name = c.string("networkName") ?? base;
  // The longest name the network derives is <name>-private-services (components/Network.ts).
  const why = computeNameProblem(name) ?? computeNameProblem(`${name}-private-services`);
  if (why) c.problem("networkName", `${excerpt(name)}: ${why}`, "with the -private-services suffix it derives, at most 46 characters");
  if (mode === "existing") return { mode, name };
  const ranges = { subnetCidr: c.string("subnetCidr") ?? "", podsCidr: c.string("podsCidr") ?? "", servicesCidr: c.string("servicesCidr") ?? "" };
  // The proxy-only subnet (ingress internal) lives in the same VPC; ingress.ts checks its form.
  readRanges(c, Object.entries(ranges), proxySubnetCidr === undefined ? [] : [["proxySubnetCidr", proxySubnetCidr]]);
  return { mode, name, ...ranges, natAddresses: c.int("natAddresses") };
}

/** Parses named ranges (reporting each bad one) and reports every overlapping pair of the good ones, `others` included. */
function readRanges(c: ConfigReader, ranges: readonly [string, string][], others: readonly [string, string][]): void {
  const parsed: [string, Cidr][] = [];
  for (const [key, text] of ranges) {
    const why = rangeProblem(text);
    if (why) c.problem(key, why);
    else parsed.push([key, parseCidr(text) as Cidr]);
  }
  for (const [key, text] of others) if (!rangeProblem(text)) parsed.push([key, parseCidr(text) as Cidr]);
  for (const [a, b] of overlappingPairs(parsed)) {
    const text = (k: string) => (parsed.find(([n]) => n === k) as [string, Cidr])[1].text;
    c.problem(b, `${text(b)} overlaps ${a} ${text(a)}`, "GCP refuses overlapping subnet and secondary ranges in one VPC: choose ranges that do not overlap");
  }
}
