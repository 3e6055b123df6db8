import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { ArtifactRegistry } from "../components/ArtifactRegistry";
import { GkeAutopilotCluster } from "../components/GkeAutopilotCluster";
import { Network } from "../components/Network";
import { PlatformConfig } from "../config";
import { gcpNames } from "../render/gcpNames";
import { PREVIEW_OUTPUTS, StackOutputs } from "./outputs";

/** What everything else stands on: the GCP provider, the VPC, the cluster and how to reach it. */
export interface Cloud {
  /** Options that give a resource the explicit GCP provider (empty without GCP). */
  onGcp: pulumi.ComponentResourceOptions;
  network?: Network;
  /** The cluster this stack creates (prod, preview). */
  cluster?: GkeAutopilotCluster;
  /** Branch stacks: the preview stack, read through a StackReference (the only stack a branch reads). */
  preview?: pulumi.StackReference;
  /** The kubeconfig the Kubernetes provider uses; undefined only when the stack chose the ambient one. */
  kubeconfig?: pulumi.Input<string>;
  kubeContext?: string;
  outputs: StackOutputs;
}

/**
 * Prod owns the registry, the VPC and (in create mode) the cluster; the preview stack owns a VPC
 * and a cluster of its own for branches; a branch owns none of them and deploys into the preview
 * cluster with the kubeconfig the preview stack exports.
 */
export function deployCloud(cfg: PlatformConfig): Cloud {
  const outputs: StackOutputs = {};
  // Every resource names its provider explicitly; none falls back to ambient defaults. A branch
  // owns nothing in GCP, so it has no GCP provider at all (policy branch-known-providers).
  const gcpProvider = cfg.gcp && cfg.deployment.kind !== "branch"
    ? new gcp.Provider("gcp", { project: cfg.gcp.project, region: cfg.gcp.region, defaultLabels: { "managed-by": "pulumi", "part-of": "dagster-platform" } })
    : undefined;
  const onGcp = gcpProvider ? { provider: gcpProvider } : {};
  const preview = cfg.branch ? new pulumi.StackReference("preview", { name: cfg.branch.previewStack }) : undefined;

  let registry: ArtifactRegistry | undefined;
  if (cfg.registry && cfg.gcp) {
    const readers = cfg.registry.previewNodeServiceAccount ? [cfg.registry.previewNodeServiceAccount] : [];
    registry = new ArtifactRegistry("registry", { repositoryId: gcpNames(cfg.deployment, cfg.gcp.project).registryId, project: cfg.gcp.project, region: cfg.gcp.region, keepRecent: cfg.registry.keepRecent, untaggedDays: cfg.registry.untaggedDays, readers }, onGcp);
    outputs.registryUrl = registry.url;
  }

  let network: Network | undefined;
  if (cfg.network && cfg.gcp) {
    network = new Network(
      "network",
      {
        ...cfg.network,
        project: cfg.gcp.project,
        region: cfg.gcp.region,
        proxySubnetCidr: cfg.ingress.mode === "internal" && cfg.network.mode === "create" ? cfg.ingress.proxySubnetCidr : undefined,
        privateServicesAccess: cfg.deployment.kind !== "preview",
      },
      onGcp,
    );
  }

  let kubeconfig: pulumi.Input<string> | undefined;
  let kubeContext: string | undefined;
  let cluster: GkeAutopilotCluster | undefined;
  // Every mode names its kubeconfig; the ambient one only when the stack chose it (ambientKubeconfig).
  if (cfg.cluster.mode === "create") {
    if (!cfg.gcp || !network?.subnetId) throw new Error("a created cluster needs GCP and a created network (config/cloud.ts refuses anything else)");
    cluster = new GkeAutopilotCluster(
      "cluster",
      {
        name: cfg.cluster.name,
        project: cfg.gcp.project,
        region: cfg.gcp.region,
        releaseChannel: cfg.cluster.releaseChannel,
        network: network.networkId,
        subnetwork: network.subnetId,
        registry: registry ? { location: registry.repository.location, repositoryId: registry.repository.repositoryId } : undefined,
        // Pull-request code runs in the preview cluster: a token it leaks there must be useless
        // outside the VPC. CI runners have no fixed addresses, so authorized networks cannot
        // name them; the DNS endpoint lets them in by Google identity instead.
        controlPlane: cfg.deployment.kind === "preview" ? "dns" : "public-ip",
      },
      onGcp,
    );
    kubeconfig = cluster.kubeconfig;
    outputs.clusterName = cluster.cluster.name;
    outputs.clusterAccess = `gcloud container clusters get-credentials ${cfg.cluster.name} --region ${cfg.gcp.region} --project ${cfg.gcp.project}${cfg.deployment.kind === "preview" ? " --dns-endpoint" : ""}`;
  } else if (cfg.cluster.mode === "existing") {
    kubeContext = cfg.cluster.context;
    if (!cfg.cluster.ambient) {
      if (!cfg.cluster.kubeconfig) throw new Error("an existing cluster needs its kubeconfig (config/cloud.ts refuses anything else)");
      kubeconfig = cfg.cluster.kubeconfig;
    }
  } else {
    if (!preview) throw new Error("a branch deploys into the preview stack's cluster (config/branch.ts requires the reference)");
    kubeconfig = preview.requireOutput(PREVIEW_OUTPUTS.kubeconfig) as pulumi.Output<string>;
  }
  if (kubeconfig !== undefined) outputs.kubeconfig = pulumi.secret(kubeconfig);
  if (network?.natEgressIps) outputs.natEgressIps = network.natEgressIps;
  if (cfg.gcp) {
    outputs.gcpProject = cfg.gcp.project;
    outputs.gcpRegion = cfg.gcp.region;
  }
  return { onGcp, network, cluster, preview, kubeconfig, kubeContext, outputs };
}
