import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { BranchDataBucket } from "../components/BranchDataBucket";
import { BranchDeployerAccess } from "../components/BranchDeployerAccess";
import { PlatformConfig, PreviewConfig } from "../config";
import { guardrailExpectations } from "../render/branchNamespace";
import { branchDataBucketName } from "../render/gcpNames";
import { Cloud } from "./cloud";
import { PREVIEW_OUTPUTS, StackOutputs } from "./outputs";

/**
 * The preview stack: what branches share, in a project of its own. Its VPC and Autopilot cluster
 * (deployCloud), the branch deployer's rights there and their admission limits, and the outputs
 * a branch reads: the kubeconfig, the addresses its egress policy needs, the branch-safe values,
 * and the one bucket branches write (each under its prefix). No Cloud SQL, no Dagster.
 */
export function deployPreview(cfg: PlatformConfig, preview: PreviewConfig, cloud: Cloud, kubernetes: k8s.Provider): StackOutputs {
  const network = cfg.network;
  if (!cloud.cluster || !network || network.mode !== "create") throw new Error("the preview stack creates its VPC and cluster (config/cloud.ts guarantees both)");
  const privateRanges = [network.subnetCidr, network.podsCidr, network.servicesCidr].sort();
  const controlPlaneEndpoint = cloud.cluster.privateEndpoint;
  new BranchDeployerAccess(
    "branch-deployer",
    { deployer: preview.branchDeployer, guardrails: controlPlaneEndpoint.apply((endpoint) => guardrailExpectations({ controlPlaneEndpoint: endpoint, privateRanges }, preview.limits)) },
    { provider: kubernetes },
  );
  const data = branchData(cfg, cloud);
  return {
    ...cloud.outputs,
    ...(data ? { [PREVIEW_OUTPUTS.branchDataBucket]: data.bucket.name } : {}),
    deployment: cfg.deployment.kind,
    nodeServiceAccount: cloud.cluster.nodeServiceAccount,
    [PREVIEW_OUTPUTS.controlPlaneEndpoint]: controlPlaneEndpoint,
    [PREVIEW_OUTPUTS.privateRanges]: privateRanges,
    [PREVIEW_OUTPUTS.branchDeployer]: preview.branchDeployer,
    [PREVIEW_OUTPUTS.branchSecrets]: pulumi.secret(preview.secretValues),
    [PREVIEW_OUTPUTS.branchConfigMaps]: preview.configMapValues,
  };
}

/** The branch-data bucket, granted to the preview cluster's workloads; none when buckets are off. */
function branchData(cfg: PlatformConfig, cloud: Cloud): BranchDataBucket | undefined {
  if (!cfg.buckets || !cfg.gcp || cfg.cluster.mode !== "create" || !cloud.cluster) return undefined;
  return new BranchDataBucket(
    "branch-data",
    {
      name: branchDataBucketName(cfg.gcp.project),
      location: cfg.buckets.location,
      retentionDays: cfg.buckets.computeLogRetentionDays,
      project: cfg.gcp.project,
      cluster: { name: cloud.cluster.cluster.name, location: cfg.gcp.region },
    },
    cloud.onGcp,
  );
}
