import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { ArtifactRegistry } from "../components/ArtifactRegistry";
import { GkeAutopilotCluster } from "../components/GkeAutopilotCluster";
import { Network } from "../components/Network";
import { PlatformConfig } from "../config";
import { gcpNames } from "../render/gcpNames";
import { PROD_OUTPUTS, StackOutputs } from "./outputs";

/** What everything else stands on: the GCP provider, the VPC, the cluster and how to reach it. */
export interface Cloud {
  /** Options that give a resource the explicit GCP provider (empty without GCP). */
  onGcp: pulumi.ComponentResourceOptions;
  network?: Network;
  /** Branch stacks: prod, read through a StackReference. */
  prod?: pulumi.StackReference;
  /** The kubeconfig the Kubernetes provider uses; undefined only when the stack chose the ambient one. */
  kubeconfig?: pulumi.Input<string>;
  kubeContext?: string;
  outputs: StackOutputs;
}

/**
 * Prod owns the registry, the VPC and (in create mode) the cluster; a branch owns none of them
 * and deploys into prod's cluster with the kubeconfig prod exports.
 */
export function deployCloud(cfg: PlatformConfig): Cloud {
  const outputs: StackOutputs = {};
  // Every resource names its provider explicitly; none falls back to ambient defaults.
  const gcpProvider = cfg.gcp
    ? new gcp.Provider("gcp", { project: cfg.gcp.project, region: cfg.gcp.region, defaultLabels: { "managed-by": "pulumi", "part-of": "dagster-platform" } })
    : undefined;
  const onGcp = gcpProvider ? { provider: gcpProvider } : {};
  const prod = cfg.branch ? new pulumi.StackReference("prod", { name: cfg.branch.prodStack }) : undefined;

  let registry: ArtifactRegistry | undefined;
  if (cfg.registry && cfg.gcp) {
    registry = new ArtifactRegistry("registry", { repositoryId: gcpNames(cfg.deployment, cfg.gcp.project).registryId, project: cfg.gcp.project, region: cfg.gcp.region, ...cfg.registry }, onGcp);
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
      },
      onGcp,
    );
  }

  let kubeconfig: pulumi.Input<string> | undefined;
  let kubeContext: string | undefined;
  // Every mode names its kubeconfig; the ambient one only when the stack chose it (ambientKubeconfig).
  if (cfg.cluster.mode === "create") {
    if (!cfg.gcp || !network?.subnetId) throw new Error("a created cluster needs GCP and a created network (config/cloud.ts refuses anything else)");
    const cluster = new GkeAutopilotCluster(
      "cluster",
      {
        name: cfg.cluster.name,
        project: cfg.gcp.project,
        region: cfg.gcp.region,
        releaseChannel: cfg.cluster.releaseChannel,
        network: network.networkId,
        subnetwork: network.subnetId,
        registry: registry ? { location: registry.repository.location, repositoryId: registry.repository.repositoryId } : undefined,
      },
      onGcp,
    );
    kubeconfig = cluster.kubeconfig;
    outputs.clusterName = cluster.cluster.name;
    outputs.clusterAccess = `gcloud container clusters get-credentials ${cfg.cluster.name} --region ${cfg.gcp.region} --project ${cfg.gcp.project}`;
  } else if (cfg.cluster.mode === "existing") {
    kubeContext = cfg.cluster.context;
    if (!cfg.cluster.ambient) {
      if (!cfg.cluster.kubeconfig) throw new Error("an existing cluster needs its kubeconfig (config/cloud.ts refuses anything else)");
      kubeconfig = cfg.cluster.kubeconfig;
    }
  } else {
    if (!prod) throw new Error("a branch deploys into the cluster of the stack it reads (config/branch.ts requires the reference)");
    kubeconfig = prod.requireOutput(PROD_OUTPUTS.kubeconfig) as pulumi.Output<string>;
  }
  if (kubeconfig !== undefined) outputs.kubeconfig = pulumi.secret(kubeconfig);
  if (cfg.gcp) {
    outputs.gcpProject = cfg.gcp.project;
    outputs.gcpRegion = cfg.gcp.region;
  }
  return { onGcp, network, prod, kubeconfig, kubeContext, outputs };
}
