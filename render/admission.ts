import { AdmissionPolicy, GuardrailExpectations, KIND_VARIABLE, Validation, celList, celString, egressShapeCel, limitRangeShapeCel, quotaShapeCel } from "./admissionCel";
import { namespaceLimitsPolicy } from "./admissionNamespace";
import { BRANCH_NAMESPACE_PATTERN, branchWritableKinds } from "./branchRbac";
import { BRANCH_EGRESS_POLICY, BRANCH_LIMIT_RANGE, BRANCH_QUOTA } from "./branchNamespace";

export type { AdmissionPolicy, GuardrailExpectations } from "./admissionCel";
export { celString, egressShapeCel, limitRangeShapeCel, quotaShapeCel } from "./admissionCel";

/**
 * ValidatingAdmissionPolicies (admissionregistration.k8s.io/v1, GA in Kubernetes 1.30) of the
 * preview cluster, as plain specs with CEL expressions. The preview stack installs them; branch
 * stacks cannot change them (cluster-scoped, outside the deployer's rights).
 *
 * - confinement: every request of the branch deployer, subresources included, lands in a
 *   dagster-pr-<N> namespace and is of a kind a branch creates.
 * - namespace limits (admissionNamespace.ts): every request in a dagster-pr-<N> namespace,
 *   whoever makes it: egress, bindings, token Secrets, Services, Ingresses, guardrail deletion.
 * - guardrails: no pod starts in a dagster-pr-<N> namespace, whoever creates it, unless that
 *   namespace holds the egress NetworkPolicy, the ResourceQuota and the LimitRange in the shape
 *   the preview stack expects (per-namespace params, `parameterNotFoundAction: Deny`).
 */
export const CONFINEMENT_POLICY = "dagster-branch-deployer-confinement";

function confinementValidations(): Validation[] {
  return [
    { expression: `variables.target.matches(${celString(BRANCH_NAMESPACE_PATTERN)})`, message: "the branch deployer acts only in namespaces dagster-pr-<N>" },
    // No subresource at all: no pods/exec, serviceaccounts/token, */status, bindings.
    { expression: `request.subResource == '' && variables.kind in ${celList(branchWritableKinds())}`, message: "the branch deployer may write only the kinds a branch deployment creates" },
  ];
}

/** The branch deployer's confinement: every request it makes, cluster-wide. */
export function confinementPolicy(deployer: string): AdmissionPolicy {
  return {
    name: CONFINEMENT_POLICY,
    spec: {
      failurePolicy: "Fail",
      matchConstraints: {
        // "*" alone matches no subresource (a rule's resource "*" is "*" with subresource ""):
        // "*/*" brings pods/exec, serviceaccounts/token and the like under the policy.
        resourceRules: [{ apiGroups: ["*"], apiVersions: ["*"], operations: ["CREATE", "UPDATE", "DELETE", "CONNECT"], resources: ["*", "*/*"], scope: "*" }],
      },
      matchConditions: [{ name: "branch-deployer", expression: `request.userInfo.username == ${celString(deployer)}` }],
      variables: [
        KIND_VARIABLE,
        // A Namespace is cluster-scoped: its own name is what must match (object is null on DELETE).
        { name: "target", expression: "request.resource.resource == 'namespaces' ? (object != null ? object.metadata.name : oldObject.metadata.name) : request.namespace" },
      ],
      validations: confinementValidations().map((v) => ({ ...v, reason: "Forbidden" })),
    },
    binding: { policyName: CONFINEMENT_POLICY, validationActions: ["Deny"] },
  };
}

/** One guardrail: pods in a branch namespace need the named object, in shape, in that namespace. */
function guardrail(name: string, paramKind: { apiVersion: string; kind: string }, paramName: string, expression: string, message: string): AdmissionPolicy {
  return {
    name,
    spec: {
      failurePolicy: "Fail",
      paramKind,
      matchConstraints: { resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["pods"], scope: "Namespaced" }] },
      matchConditions: [{ name: "branch-namespace", expression: `request.namespace.matches(${celString(BRANCH_NAMESPACE_PATTERN)})` }],
      validations: [{ expression, message, reason: "Forbidden" }],
    },
    // No paramRef namespace: the param is looked up in the pod's own namespace; none found: denied.
    binding: { policyName: name, validationActions: ["Deny"], paramRef: { name: paramName, parameterNotFoundAction: "Deny" } },
  };
}

/** Every policy the preview stack installs, by a short key that names its resources: one fixed list. */
export const ADMISSION_POLICY_KEYS = ["confinement", "namespace-limits", "egress", "quota", "limits"] as const;

export function admissionPolicies(deployer: string, g: GuardrailExpectations): Record<(typeof ADMISSION_POLICY_KEYS)[number], AdmissionPolicy> {
  const [egress, quota, limits] = guardrailPolicies(g);
  return { confinement: confinementPolicy(deployer), "namespace-limits": namespaceLimitsPolicy(deployer, g), egress, quota, limits };
}

export function guardrailPolicies(g: GuardrailExpectations): AdmissionPolicy[] {
  return [
    guardrail(
      "dagster-branch-egress-required",
      { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy" },
      BRANCH_EGRESS_POLICY,
      egressShapeCel("params", g),
      `pods in a branch namespace need the NetworkPolicy ${BRANCH_EGRESS_POLICY} in the branch egress shape`,
    ),
    guardrail("dagster-branch-quota-required", { apiVersion: "v1", kind: "ResourceQuota" }, BRANCH_QUOTA, quotaShapeCel("params", g), `pods in a branch namespace need the ResourceQuota ${BRANCH_QUOTA} with the preview stack's figures`),
    guardrail("dagster-branch-limits-required", { apiVersion: "v1", kind: "LimitRange" }, BRANCH_LIMIT_RANGE, limitRangeShapeCel("params"), `pods in a branch namespace need the LimitRange ${BRANCH_LIMIT_RANGE} with default requests`),
  ];
}
