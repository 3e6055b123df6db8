import type * as k8s from "@pulumi/kubernetes";

/**
 * The CEL pieces the preview cluster's ValidatingAdmissionPolicies are built from: literals, and
 * the shapes a branch namespace's guardrail objects must keep (render/branchNamespace.ts makes
 * those objects). Plain strings, evaluated by the API server (cel-go); tests run them on two CEL
 * implementations (test/admission.test.ts, test/e2e/50-admission-cel.e2e.ts).
 */
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

export interface Validation {
  expression: string;
  message: string;
}

/** A CEL string literal; the values are validated config (emails, CIDRs, quantities), never free text. */
export function celString(s: string): string {
  if (/['\\\n]/.test(s)) throw new Error(`refusing to put ${JSON.stringify(s)} into a CEL expression`);
  return `'${s}'`;
}

export const celList = (items: readonly (string | number)[]) => `[${items.map((i) => (typeof i === "number" ? String(i) : celString(i))).join(", ")}]`;

/** CEL: the request creates or updates its object (`object` is then set). */
export const WRITING = "request.operation in ['CREATE', 'UPDATE']";
/** The resource a request is about, as `<group>/<resource>` (core group: empty). */
export const KIND_VARIABLE = { name: "kind", expression: "request.resource.group + '/' + request.resource.resource" };

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
