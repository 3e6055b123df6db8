import * as pulumi from "@pulumi/pulumi";

/** Stack outputs, gathered from each part of the program. */
export type StackOutputs = Record<string, pulumi.Input<unknown>>;

/** Names of prod's outputs that pr-<N> stacks read through a StackReference: keep them stable. */
export const PROD_OUTPUTS = {
  kubeconfig: "kubeconfig",
  sqlInstanceName: "sqlInstanceName",
  sqlPrivateIp: "sqlPrivateIp",
} as const;
