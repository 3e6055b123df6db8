import type * as k8s from "@pulumi/kubernetes";
import { BRANCH_NAMESPACE_CLUSTER_ROLE, BRANCH_NAMESPACE_PATTERN, branchWritableKinds } from "./branchRbac";
import { BRANCH_EGRESS_POLICY, BRANCH_LIMIT_RANGE, BRANCH_QUOTA } from "./branchNamespace";

/**
 * ValidatingAdmissionPolicies (admissionregistration.k8s.io/v1, GA in Kubernetes 1.30) of the
 * preview cluster, as plain specs with CEL expressions. The preview stack installs them; branch
 * stacks cannot change them (cluster-scoped, outside the deployer's rights).
 *
 * - confinement: every write of the branch deployer lands in a dagster-pr-<N> namespace, is of a
 *   kind a branch creates, binds nobody but the deployer and the namespace's own ServiceAccounts,
 *   keeps egress inside the branch shape and the quota at the preview's figures, and never
 *   deletes a guardrail (deleting the namespace removes them).
 * - guardrails: no pod starts in a dagster-pr-<N> namespace, whoever creates it, unless that
 *   namespace holds the egress NetworkPolicy, the ResourceQuota and the LimitRange in the shape
 *   the preview stack expects (per-namespace params, `parameterNotFoundAction: Deny`).
 */
export const CONFINEMENT_POLICY = "dagster-branch-deployer-confinement";

export interface GuardrailExpectations {
  /** /32s branch pods may reach besides the internet: the control plane, metadata server, NodeLocal DNS. */
  exactCidrs: string[];
  /** Ranges the internet rule must except. */
  internetExcept: string[];
  /** The ResourceQuota's `hard`, exactly. */
  quota: Record<string, string>;
}

export interface AdmissionPolicy {
  name: string;
  spec: k8s.types.input.admissionregistration.v1.ValidatingAdmissionPolicySpec;
  binding: k8s.types.input.admissionregistration.v1.ValidatingAdmissionPolicyBindingSpec;
}

/** A CEL string literal; the values are validated config (emails, CIDRs, quantities), never free text. */
export function celString(s: string): string {
  if (/['\\\n]/.test(s)) throw new Error(`refusing to put ${JSON.stringify(s)} into a CEL expression`);
  return `'${s}'`;
}

const celList = (items: readonly (string | number)[]) => `[${items.map((i) => (typeof i === "number" ? String(i) : celString(i))).join(", ")}]`;
const ALLOWED_PORTS = [53, 80, 443, 988];

/** CEL: the NetworkPolicy at `root` selects every pod and allows only the branch egress shape. */
export function egressShapeCel(root: string, g: GuardrailExpectations): string {
  const sameNamespace = "(!has(peer.ipBlock) && !has(peer.namespaceSelector))";
  const dns =
    "(has(peer.namespaceSelector) && !has(peer.ipBlock) && has(peer.namespaceSelector.matchLabels) && size(peer.namespaceSelector.matchLabels) == 1 && " +
    "peer.namespaceSelector.matchLabels['kubernetes.io/metadata.name'] == 'kube-system' && has(rule.ports) && rule.ports.all(p, p.port == 53))";
  const address =
    `(has(peer.ipBlock) && (peer.ipBlock.cidr in ${celList(g.exactCidrs)} || (peer.ipBlock.cidr == '0.0.0.0/0' && has(peer.ipBlock.except) && ` +
    `${celList(g.internetExcept)}.all(r, r in peer.ipBlock.except))))`;
  const ports = `(rule.to.all(peer, ${sameNamespace}) || (has(rule.ports) && rule.ports.all(p, has(p.port) && !has(p.endPort) && p.port in ${celList(ALLOWED_PORTS)})))`;
  const selector = `${root}.spec.podSelector`;
  return [
    `(!has(${selector}.matchLabels) || size(${selector}.matchLabels) == 0)`,
    `(!has(${selector}.matchExpressions) || size(${selector}.matchExpressions) == 0)`,
    `has(${root}.spec.policyTypes) && 'Egress' in ${root}.spec.policyTypes`,
    `has(${root}.spec.egress) && ${root}.spec.egress.all(rule, has(rule.to) && size(rule.to) > 0 && rule.to.all(peer, ${sameNamespace} || ${dns} || ${address}) && ${ports})`,
  ].join(" && ");
}

/** CEL: the ResourceQuota at `root` holds exactly the expected figures. */
export function quotaShapeCel(root: string, g: GuardrailExpectations): string {
  const entries = Object.keys(g.quota).sort().map((k) => `${celString(k)}: ${celString(g.quota[k])}`);
  return `has(${root}.spec.hard) && {${entries.join(", ")}}.all(k, k in ${root}.spec.hard && string(${root}.spec.hard[k]) == {${entries.join(", ")}}[k])`;
}

/** CEL: the LimitRange at `root` gives containers default requests. */
export function limitRangeShapeCel(root: string): string {
  return `has(${root}.spec.limits) && ${root}.spec.limits.exists(l, l.type == 'Container' && has(l.defaultRequest) && 'cpu' in l.defaultRequest && 'memory' in l.defaultRequest)`;
}

interface Validation {
  expression: string;
  message: string;
}

/** The confinement's checks, in the order a reviewer reads them. */
function confinementValidations(deployer: string, g: GuardrailExpectations): Validation[] {
  const writing = "request.operation in ['CREATE', 'UPDATE']";
  return [
    { expression: `variables.target.matches(${celString(BRANCH_NAMESPACE_PATTERN)})`, message: "the branch deployer acts only in namespaces dagster-pr-<N>" },
    { expression: `request.subResource == '' && variables.kind in ${celList(branchWritableKinds())}`, message: "the branch deployer may write only the kinds a branch deployment creates" },
    {
      expression:
        `variables.kind != 'rbac.authorization.k8s.io/rolebindings' || !(${writing}) || ((object.roleRef.kind == 'Role' || object.roleRef.name == ${celString(BRANCH_NAMESPACE_CLUSTER_ROLE)}) && ` +
        `(!has(object.subjects) || object.subjects.all(s, (s.kind == 'ServiceAccount' && has(s.namespace) && s.namespace == request.namespace) || (s.kind == 'User' && s.name == ${celString(deployer)}))))`,
      message: "a branch RoleBinding binds a Role of its namespace (or the branch namespace role) to that namespace's ServiceAccounts or the branch deployer only",
    },
    {
      expression: `!(request.operation == 'DELETE' && variables.kind in ['networking.k8s.io/networkpolicies', '/resourcequotas', '/limitranges'])`,
      message: "the branch deployer may not delete a branch namespace's guardrails; deleting the namespace removes them",
    },
    {
      expression: `variables.kind != 'networking.k8s.io/networkpolicies' || !(${writing}) || !((has(object.spec.policyTypes) && 'Egress' in object.spec.policyTypes) || has(object.spec.egress)) || (${egressShapeCel("object", g)})`,
      message: "a branch NetworkPolicy may allow egress only to its namespace, cluster DNS, the metadata server, the control plane and the internet without private ranges",
    },
    { expression: `variables.kind != '/resourcequotas' || !(${writing}) || (${quotaShapeCel("object", g)})`, message: "a branch ResourceQuota must hold the preview stack's figures" },
    {
      expression: `variables.kind != '/services' || !(${writing}) || !has(object.spec.type) || object.spec.type == 'ClusterIP'`,
      message: "a branch Service is ClusterIP: nothing in a branch is exposed on a node port or load balancer",
    },
  ];
}

/** The branch deployer's confinement: every request it makes, cluster-wide. */
export function confinementPolicy(deployer: string, g: GuardrailExpectations): AdmissionPolicy {
  return {
    name: CONFINEMENT_POLICY,
    spec: {
      failurePolicy: "Fail",
      matchConstraints: {
        resourceRules: [{ apiGroups: ["*"], apiVersions: ["*"], operations: ["CREATE", "UPDATE", "DELETE", "CONNECT"], resources: ["*"], scope: "*" }],
      },
      matchConditions: [{ name: "branch-deployer", expression: `request.userInfo.username == ${celString(deployer)}` }],
      variables: [
        { name: "kind", expression: "request.resource.group + '/' + request.resource.resource" },
        // A Namespace is cluster-scoped: its own name is what must match (object is null on DELETE).
        { name: "target", expression: "request.resource.resource == 'namespaces' ? (object != null ? object.metadata.name : oldObject.metadata.name) : request.namespace" },
      ],
      validations: confinementValidations(deployer, g).map((v) => ({ ...v, reason: "Forbidden" })),
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
export const ADMISSION_POLICY_KEYS = ["confinement", "egress", "quota", "limits"] as const;

export function admissionPolicies(deployer: string, g: GuardrailExpectations): Record<(typeof ADMISSION_POLICY_KEYS)[number], AdmissionPolicy> {
  const [egress, quota, limits] = guardrailPolicies(g);
  return { confinement: confinementPolicy(deployer, g), egress, quota, limits };
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
