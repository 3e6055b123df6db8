import { BRANCH_EGRESS_POLICY, BRANCH_LIMIT_RANGE, BRANCH_QUOTA } from "./branchNamespace";
import { BRANCH_NAMESPACE_CLUSTER_ROLE, BRANCH_NAMESPACE_PATTERN } from "./branchRbac";
import { AdmissionPolicy, GuardrailExpectations, KIND_VARIABLE, Validation, WRITING, celString, egressShapeCel, limitRangeShapeCel, quotaShapeCel } from "./admissionCel";

/**
 * What holds in every dagster-pr-<N> namespace, whoever asks: the branch deployer, a
 * ServiceAccount of the namespace (a run pod, or a pod a pull request started with a Role the
 * deployer made), an administrator. Confining only the deployer is not enough: it can bind a
 * namespace ServiceAccount to a Role of its own and act through it (review finding 5).
 *
 * What Dagster legitimately does there passes: the charts create ServiceAccounts, Roles,
 * RoleBindings of those Roles to their ServiceAccounts, ClusterIP Services and Opaque Secrets;
 * the run launcher creates Jobs (not matched); the namespace controller deletes everything,
 * guardrails included, once the namespace is Terminating.
 */
export const NAMESPACE_POLICY = "dagster-branch-namespace-limits";

/** The kinds this policy inspects, as `<group>/<resource>`; its match constraints list exactly these. */
export const NAMESPACE_POLICY_KINDS = [
  "/limitranges",
  "/resourcequotas",
  "/secrets",
  "/services",
  "networking.k8s.io/ingresses",
  "networking.k8s.io/networkpolicies",
  "rbac.authorization.k8s.io/rolebindings",
] as const;

/** CEL: the request writes an object of `kind`; the validation's own condition follows `||`. */
const unless = (kind: (typeof NAMESPACE_POLICY_KINDS)[number]) => `variables.kind != ${celString(kind)} || !(${WRITING}) || `;

/** The namespace is being deleted: its controller removes every object in it, guardrails too. */
const TERMINATING = "(namespaceObject != null && has(namespaceObject.status) && has(namespaceObject.status.phase) && namespaceObject.status.phase == 'Terminating')";

function guardrailValidations(g: GuardrailExpectations): Validation[] {
  const guarded = [
    ["networking.k8s.io/networkpolicies", BRANCH_EGRESS_POLICY],
    ["/resourcequotas", BRANCH_QUOTA],
    ["/limitranges", BRANCH_LIMIT_RANGE],
  ]
    .map(([kind, name]) => `(variables.kind == ${celString(kind)} && request.name == ${celString(name)})`)
    .join(" || ");
  const declaresEgress = "((has(object.spec.policyTypes) && 'Egress' in object.spec.policyTypes) || has(object.spec.egress))";
  return [
    {
      expression: `request.operation != 'DELETE' || !(${guarded}) || ${TERMINATING}`,
      message: `a branch namespace's guardrails (${BRANCH_EGRESS_POLICY}, ${BRANCH_QUOTA}, ${BRANCH_LIMIT_RANGE}) go only with the namespace`,
    },
    {
      expression: `${unless("networking.k8s.io/networkpolicies")}!${declaresEgress} || (${egressShapeCel("object", g)})`,
      message: "NetworkPolicies add up: in a branch namespace any one that allows egress may allow only the branch egress shape (its namespace, cluster DNS, the metadata server, the control plane, the internet without private ranges)",
    },
    { expression: `${unless("/resourcequotas")}request.name != ${celString(BRANCH_QUOTA)} || (${quotaShapeCel("object", g)})`, message: `the ResourceQuota ${BRANCH_QUOTA} holds the preview stack's figures` },
    { expression: `${unless("/limitranges")}request.name != ${celString(BRANCH_LIMIT_RANGE)} || (${limitRangeShapeCel("object")})`, message: `the LimitRange ${BRANCH_LIMIT_RANGE} gives containers default requests` },
  ];
}

/**
 * RoleBindings: a Role of the namespace to the namespace's own ServiceAccounts (what the charts
 * do) or to the deployer; the ClusterRole dagster-branch-namespace to the deployer only. No
 * Group (system:authenticated), no other user, no ServiceAccount of another namespace.
 */
function bindingValidation(deployer: string): Validation {
  const toDeployer = `(s.kind == 'User' && s.name == ${celString(deployer)})`;
  const ownServiceAccount = "(s.kind == 'ServiceAccount' && has(s.namespace) && s.namespace == request.namespace)";
  const namespaceRole = `object.roleRef.kind == 'ClusterRole' && object.roleRef.name == ${celString(BRANCH_NAMESPACE_CLUSTER_ROLE)} && has(object.subjects) && object.subjects.all(s, ${toDeployer})`;
  const ownRole = `object.roleRef.kind == 'Role' && (!has(object.subjects) || object.subjects.all(s, ${ownServiceAccount} || ${toDeployer}))`;
  return {
    expression: `${unless("rbac.authorization.k8s.io/rolebindings")}(${namespaceRole}) || (${ownRole})`,
    message: `a branch RoleBinding binds a Role of its namespace to that namespace's ServiceAccounts or the branch deployer, or ${BRANCH_NAMESPACE_CLUSTER_ROLE} to the branch deployer only`,
  };
}

function exposureValidations(): Validation[] {
  const internalClass = "has(object.metadata.annotations) && 'kubernetes.io/ingress.class' in object.metadata.annotations && object.metadata.annotations['kubernetes.io/ingress.class'] == 'gce-internal'";
  return [
    {
      expression: `${unless("/secrets")}!has(object.type) || object.type != 'kubernetes.io/service-account-token'`,
      message: "no long-lived ServiceAccount token Secret (kubernetes.io/service-account-token) in a branch namespace",
    },
    {
      expression: `${unless("/services")}(!has(object.spec.type) || object.spec.type == 'ClusterIP') && (!has(object.spec.externalIPs) || size(object.spec.externalIPs) == 0)`,
      message: "a branch Service is ClusterIP without externalIPs: nothing in a branch is exposed on a node port, a load balancer or an external IP",
    },
    {
      // GKE makes an external load balancer of any other Ingress, and the services.loadbalancers
      // quota does not count it. IAP cannot be checked on the Ingress alone (it lives in a
      // BackendConfig the Service names), so branches get internal Ingresses only.
      expression: `${unless("networking.k8s.io/ingresses")}(${internalClass}) && (!has(object.spec.ingressClassName) || object.spec.ingressClassName == 'gce-internal')`,
      message: "a branch Ingress is internal (kubernetes.io/ingress.class: gce-internal): GKE would give any other one an external load balancer",
    },
  ];
}

/** Every request in a dagster-pr-<N> namespace, from anyone, for the kinds that can widen a branch. */
export function namespaceLimitsPolicy(deployer: string, g: GuardrailExpectations): AdmissionPolicy {
  const groups = [...new Set(NAMESPACE_POLICY_KINDS.map((k) => k.split("/")[0]))].sort();
  return {
    name: NAMESPACE_POLICY,
    spec: {
      failurePolicy: "Fail",
      matchConstraints: {
        resourceRules: groups.map((group) => ({
          apiGroups: [group],
          apiVersions: ["*"],
          operations: ["CREATE", "UPDATE", "DELETE"],
          resources: NAMESPACE_POLICY_KINDS.filter((k) => k.split("/")[0] === group).map((k) => k.split("/")[1]),
          scope: "Namespaced",
        })),
      },
      matchConditions: [{ name: "branch-namespace", expression: `request.namespace.matches(${celString(BRANCH_NAMESPACE_PATTERN)})` }],
      variables: [KIND_VARIABLE],
      validations: [...guardrailValidations(g), bindingValidation(deployer), ...exposureValidations()].map((v) => ({ ...v, reason: "Forbidden" })),
    },
    binding: { policyName: NAMESPACE_POLICY, validationActions: ["Deny"] },
  };
}
