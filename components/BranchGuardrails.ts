import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { BranchLimits } from "../config/types";
import { BRANCH_EGRESS_POLICY, BRANCH_LIMIT_RANGE, BRANCH_QUOTA, EgressInput, branchEgressSpec, branchLimitRangeSpec, branchQuotaSpec } from "../render/branchNamespace";
import { COMPONENT_PREFIX, platformLabels } from "./labels";

export interface BranchGuardrailsArgs {
  namespace: pulumi.Input<string>;
  limits: BranchLimits;
  egress: pulumi.Input<EgressInput>;
}

/**
 * A branch namespace's egress NetworkPolicy, ResourceQuota and LimitRange. The preview cluster
 * admits no pod in the namespace without them and refuses the branch deployer their deletion, so
 * they are left to the namespace's deletion (`retainOnDelete`): removing the namespace removes them.
 */
export class BranchGuardrails extends pulumi.ComponentResource {
  /** Everything that starts pods waits for these: the preview cluster refuses pods before them. */
  readonly resources: pulumi.Resource[];

  constructor(name: string, args: BranchGuardrailsArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${COMPONENT_PREFIX}:BranchGuardrails`, name, {}, opts);
    const labels = platformLabels("branch-guardrails");
    const keep = { parent: this, retainOnDelete: true };
    this.resources = [
      new k8s.networking.v1.NetworkPolicy(
        `${name}-egress`,
        { metadata: { name: BRANCH_EGRESS_POLICY, namespace: args.namespace, labels }, spec: pulumi.output(args.egress).apply(branchEgressSpec) },
        keep,
      ),
      new k8s.core.v1.ResourceQuota(`${name}-quota`, { metadata: { name: BRANCH_QUOTA, namespace: args.namespace, labels }, spec: branchQuotaSpec(args.limits) }, keep),
      new k8s.core.v1.LimitRange(`${name}-limits`, { metadata: { name: BRANCH_LIMIT_RANGE, namespace: args.namespace, labels }, spec: branchLimitRangeSpec() }, keep),
    ];
    this.registerOutputs({});
  }
}
