import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ADMISSION_POLICY_KEYS, GuardrailExpectations, admissionPolicies } from "../render/admission";
import { BRANCH_DEPLOYER_CLUSTER_ROLE, BRANCH_NAMESPACE_CLUSTER_ROLE, deployerClusterRules, namespaceRules } from "../render/branchRbac";
import { COMPONENT_PREFIX, platformLabels } from "./labels";

export interface BranchDeployerAccessArgs {
  /** The branch deployer's Google service account email: GKE names it so in RBAC and admission. */
  deployer: string;
  /** What branch namespaces must hold before a pod may start there. */
  guardrails: pulumi.Input<GuardrailExpectations>;
}

/**
 * The branch deployer's rights in the preview cluster and their limits: a ClusterRole that can
 * only create namespaces and bind itself in them, the role it binds there, and the admission
 * policies that confine it to dagster-pr-<N> namespaces and hold every branch namespace to its
 * egress, quota and limits. A branch stack can change none of it: all of it is cluster-scoped.
 */
export class BranchDeployerAccess extends pulumi.ComponentResource {
  constructor(name: string, args: BranchDeployerAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${COMPONENT_PREFIX}:BranchDeployerAccess`, name, {}, opts);
    const parent = { parent: this };
    const labels = platformLabels("branch-deployer");
    const deployerRole = new k8s.rbac.v1.ClusterRole(`${name}-deployer`, { metadata: { name: BRANCH_DEPLOYER_CLUSTER_ROLE, labels }, rules: deployerClusterRules() }, parent);
    new k8s.rbac.v1.ClusterRole(`${name}-namespace`, { metadata: { name: BRANCH_NAMESPACE_CLUSTER_ROLE, labels }, rules: namespaceRules() }, parent);
    // GKE authenticates a Google service account as a user named by its email.
    new k8s.rbac.v1.ClusterRoleBinding(
      `${name}-deployer`,
      {
        metadata: { name: BRANCH_DEPLOYER_CLUSTER_ROLE, labels },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: BRANCH_DEPLOYER_CLUSTER_ROLE },
        subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: args.deployer }],
      },
      { parent: this, dependsOn: [deployerRole] },
    );
    const policies = pulumi.output(args.guardrails).apply((g) => admissionPolicies(args.deployer, g));
    // A fixed list of policies, so the resources are declared outside the apply.
    for (const key of ADMISSION_POLICY_KEYS) {
      const policy = policies.apply((p) => p[key]);
      const vap = new k8s.admissionregistration.v1.ValidatingAdmissionPolicy(`${name}-${key}`, { metadata: { name: policy.name, labels }, spec: policy.spec }, parent);
      new k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding(`${name}-${key}`, { metadata: { name: policy.name, labels }, spec: policy.binding }, { parent: this, dependsOn: [vap] });
    }
    this.registerOutputs({});
  }
}
