import * as pulumi from "@pulumi/pulumi";

/** Stack outputs, gathered from each part of the program. */
export type StackOutputs = Record<string, pulumi.Input<unknown>>;

/**
 * Names of the preview stack's outputs that pr-<N> stacks read through a StackReference (the
 * only stack they read): keep them stable.
 */
export const PREVIEW_OUTPUTS = {
  /** Kubeconfig of the preview cluster (gke-gcloud-auth-plugin, no static credential). */
  kubeconfig: "kubeconfig",
  /** The cluster's private control-plane endpoint: the one in-VPC address branch pods may call (the Kubernetes API). */
  controlPlaneEndpoint: "controlPlaneEndpoint",
  /** The preview VPC's ranges, kept out of a branch's internet egress. */
  privateRanges: "privateRanges",
  /** Email of the branch deployer, bound to a branch's namespace by the branch itself. */
  branchDeployer: "branchDeployer",
  /** Branch-safe Secret data by name (secret) and ConfigMap data by name. */
  branchSecrets: "branchSecrets",
  branchConfigMaps: "branchConfigMaps",
  /** The bucket branches keep compute logs and defs state in, each under pr-<N>/ (absent without buckets). */
  branchDataBucket: "branchDataBucket",
} as const;
