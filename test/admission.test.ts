/**
 * The preview cluster's admission policies, evaluated: their CEL runs on a CEL evaluator
 * (@bufbuild/cel, checked against the CEL spec's conformance tests) over admission requests
 * shaped as the Kubernetes API server passes them (ValidatingAdmissionPolicy docs: `object`,
 * `oldObject` (null when absent), `request`, `params`, `variables`; JSON integers as int). The
 * branch's own objects must pass; what a hostile pull request would write must not.
 */
import { strict as assert } from "assert";
import { isCelError, run } from "@bufbuild/cel";
import { AdmissionPolicy, confinementPolicy, guardrailPolicies } from "../render/admission";
import { branchEgressSpec, branchLimitRangeSpec, branchQuotaSpec, guardrailExpectations } from "../render/branchNamespace";
import { BRANCH_DEPLOYER_ROLE_BINDING, BRANCH_NAMESPACE_CLUSTER_ROLE } from "../render/branchRbac";

const DEPLOYER = "dagster-branch-deployer@acme-data-preview.iam.gserviceaccount.com";
const LIMITS = { cpuQuota: "8", memoryQuota: "32Gi", maxConcurrentRuns: 4 };
const EGRESS_INPUT = { controlPlaneEndpoint: "10.10.0.2", privateRanges: ["10.10.0.0/20", "10.16.0.0/14", "10.20.0.0/20"] };
const EXPECT = guardrailExpectations(EGRESS_INPUT, LIMITS);

/** JSON as the API server hands it to CEL: objects are maps, whole numbers ints. */
function toCel(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(toCel);
  if (v !== null && typeof v === "object") return new Map(Object.entries(v).map(([k, x]) => [k, toCel(x)]));
  if (typeof v === "number" && Number.isInteger(v)) return BigInt(v);
  return v;
}

function evaluate(expression: string, vars: Record<string, unknown>): unknown {
  const out = run(expression, Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, v instanceof Map ? v : toCel(v)])) as never);
  if (isCelError(out)) throw new Error(`${out.message} in ${expression.slice(0, 120)}…`);
  return out;
}

interface Request {
  operation: "CREATE" | "UPDATE" | "DELETE" | "CONNECT";
  group?: string;
  resource: string;
  subResource?: string;
  namespace?: string;
  name?: string;
  object?: unknown;
  oldObject?: unknown;
  user?: string;
}

/** Runs a policy as the API server would: match conditions, then variables, then validations. */
function admit(policy: AdmissionPolicy, req: Request, params?: unknown): { matched: boolean; denied: string[] } {
  const request = {
    operation: req.operation,
    namespace: req.namespace ?? "",
    name: req.name ?? "",
    subResource: req.subResource ?? "",
    resource: { group: req.group ?? "", version: "v1", resource: req.resource },
    userInfo: { username: req.user ?? DEPLOYER, groups: ["system:authenticated"] },
  };
  const vars: Record<string, unknown> = { request, object: req.object ?? null, oldObject: req.oldObject ?? null, params: params ?? null };
  const spec = policy.spec as { matchConditions?: { expression: string }[]; variables?: { name: string; expression: string }[]; validations: { expression: string; message: string }[] };
  if (!(spec.matchConditions ?? []).every((c) => evaluate(c.expression, vars) === true)) return { matched: false, denied: [] };
  const variables = new Map<string, unknown>();
  for (const v of spec.variables ?? []) variables.set(v.name, evaluate(v.expression, { ...vars, variables }));
  const denied = spec.validations.filter((v) => evaluate(v.expression, { ...vars, variables }) !== true).map((v) => v.message);
  return { matched: true, denied };
}

const confinement = confinementPolicy(DEPLOYER, EXPECT);
const [egressRequired, quotaRequired, limitsRequired] = guardrailPolicies(EXPECT);
const allowed = (req: Request) => assert.deepEqual(admit(confinement, req), { matched: true, denied: [] });
function refused(req: Request, pattern: RegExp): void {
  const r = admit(confinement, req);
  assert.ok(r.matched && r.denied.some((m) => pattern.test(m)), `expected a refusal matching ${pattern}, got ${JSON.stringify(r)}`);
}

const ns = "dagster-pr-42";
const egressPolicy = (spec: unknown) => ({ metadata: { name: "branch-egress", namespace: ns }, spec });
const pod = { operation: "CREATE" as const, resource: "pods", namespace: ns, user: "system:serviceaccount:kube-system:replicaset-controller" };

describe("admission: the branch deployer's confinement", () => {
  it("applies to the branch deployer only", () => {
    assert.equal(admit(confinement, { operation: "CREATE", resource: "configmaps", namespace: "dagster", user: "admin@acme.example" }).matched, false);
  });

  it("lets it create its namespace, bind itself there, and write what a branch creates", () => {
    allowed({ operation: "CREATE", resource: "namespaces", name: ns, object: { metadata: { name: ns } } });
    allowed({ operation: "DELETE", resource: "namespaces", name: ns, oldObject: { metadata: { name: ns } } });
    allowed({
      operation: "CREATE",
      group: "rbac.authorization.k8s.io",
      resource: "rolebindings",
      namespace: ns,
      object: { metadata: { name: BRANCH_DEPLOYER_ROLE_BINDING }, roleRef: { kind: "ClusterRole", name: BRANCH_NAMESPACE_CLUSTER_ROLE }, subjects: [{ kind: "User", name: DEPLOYER }] },
    });
    allowed({ operation: "CREATE", group: "apps", resource: "statefulsets", namespace: ns, object: { spec: {} } });
    allowed({ operation: "CREATE", group: "networking.k8s.io", resource: "networkpolicies", namespace: ns, object: egressPolicy(branchEgressSpec(EGRESS_INPUT)) });
    allowed({ operation: "CREATE", resource: "resourcequotas", namespace: ns, object: { spec: branchQuotaSpec(LIMITS) } });
    allowed({ operation: "CREATE", resource: "services", namespace: ns, object: { spec: { type: "ClusterIP" } } });
    allowed({ operation: "DELETE", group: "apps", resource: "statefulsets", namespace: ns });
  });

  it("refuses any other namespace: prod's, kube-system, a malformed branch name", () => {
    refused({ operation: "CREATE", resource: "configmaps", namespace: "dagster", object: {} }, /only in namespaces dagster-pr-<N>/);
    refused({ operation: "CREATE", resource: "secrets", namespace: "kube-system", object: {} }, /only in namespaces/);
    refused({ operation: "CREATE", resource: "namespaces", name: "dagster-pr-042", object: { metadata: { name: "dagster-pr-042" } } }, /only in namespaces/);
    refused({ operation: "DELETE", resource: "namespaces", name: "dagster", oldObject: { metadata: { name: "dagster" } } }, /only in namespaces/);
  });

  it("refuses kinds a branch does not create, cluster-scoped ones and pods", () => {
    refused({ operation: "CREATE", group: "rbac.authorization.k8s.io", resource: "clusterrolebindings", object: {} }, /only the kinds a branch deployment creates/);
    refused({ operation: "CREATE", group: "admissionregistration.k8s.io", resource: "validatingadmissionpolicybindings", object: {} }, /only the kinds/);
    refused({ operation: "CREATE", resource: "pods", namespace: ns, object: {} }, /only the kinds/);
    refused({ operation: "CONNECT", resource: "pods", subResource: "exec", namespace: ns }, /only the kinds/);
    refused({ operation: "CREATE", resource: "serviceaccounts", subResource: "token", namespace: ns, object: {} }, /only the kinds/);
  });

  it("refuses bindings of other roles or to other subjects", () => {
    const binding = (roleRef: unknown, subjects: unknown) => ({ operation: "CREATE" as const, group: "rbac.authorization.k8s.io", resource: "rolebindings", namespace: ns, object: { roleRef, subjects } });
    refused(binding({ kind: "ClusterRole", name: "cluster-admin" }, [{ kind: "User", name: DEPLOYER }]), /binds a Role of its namespace/);
    refused(binding({ kind: "Role", name: "dagster-role" }, [{ kind: "Group", name: "system:authenticated" }]), /binds a Role/);
    refused(binding({ kind: "Role", name: "dagster-role" }, [{ kind: "ServiceAccount", name: "dagster", namespace: "dagster" }]), /binds a Role/);
    allowed(binding({ kind: "Role", name: "dagster-role" }, [{ kind: "ServiceAccount", name: "dagster", namespace: ns }]));
  });

  it("refuses deleting or loosening the guardrails, and exposing a Service", () => {
    refused({ operation: "DELETE", group: "networking.k8s.io", resource: "networkpolicies", namespace: ns, oldObject: egressPolicy(branchEgressSpec(EGRESS_INPUT)) }, /may not delete a branch namespace's guardrails/);
    refused({ operation: "DELETE", resource: "resourcequotas", namespace: ns }, /guardrails/);
    const openEgress = { podSelector: {}, policyTypes: ["Egress"], egress: [{}] };
    refused({ operation: "CREATE", group: "networking.k8s.io", resource: "networkpolicies", namespace: ns, object: egressPolicy(openEgress) }, /may allow egress only to/);
    const toProd = { podSelector: {}, policyTypes: ["Egress"], egress: [{ to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "dagster" } } }] }] };
    refused({ operation: "UPDATE", group: "networking.k8s.io", resource: "networkpolicies", namespace: ns, object: egressPolicy(toProd) }, /may allow egress only to/);
    refused({ operation: "UPDATE", resource: "resourcequotas", namespace: ns, object: { spec: branchQuotaSpec({ ...LIMITS, cpuQuota: "64" }) } }, /preview stack's figures/);
    refused({ operation: "CREATE", resource: "services", namespace: ns, object: { spec: { type: "LoadBalancer" } } }, /ClusterIP/);
  });
});

describe("admission: no pod in a branch namespace without its guardrails", () => {
  it("applies to pods in dagster-pr-<N> namespaces, whoever creates them", () => {
    assert.equal(admit(egressRequired, { ...pod, namespace: "dagster" }, null).matched, false);
    assert.equal(admit(egressRequired, pod, egressPolicy(branchEgressSpec(EGRESS_INPUT))).matched, true);
  });

  it("the branch's own egress policy, quota and limit range pass", () => {
    assert.deepEqual(admit(egressRequired, pod, egressPolicy(branchEgressSpec(EGRESS_INPUT))).denied, []);
    assert.deepEqual(admit(quotaRequired, pod, { spec: branchQuotaSpec(LIMITS) }).denied, []);
    assert.deepEqual(admit(limitsRequired, pod, { spec: branchLimitRangeSpec() }).denied, []);
  });

  it("a loosened egress policy fails: an extra open rule, a peer in another namespace, private ranges not excepted, another port", () => {
    const spec = branchEgressSpec(EGRESS_INPUT) as unknown as { egress: { to: Record<string, unknown>[]; ports?: unknown[] }[] };
    const variants = [
      { ...spec, egress: [...spec.egress, { to: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: [{ protocol: "TCP", port: 443 }] }] },
      { ...spec, egress: [...spec.egress, { to: [{ namespaceSelector: {}, podSelector: {} }] }] },
      { ...spec, egress: [...spec.egress, { to: [{ ipBlock: { cidr: "10.30.0.0/23" } }], ports: [{ protocol: "TCP", port: 80 }] }] },
      { ...spec, egress: [...spec.egress, { to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["10.0.0.0/8"] } }], ports: [{ protocol: "TCP", port: 5432 }] }] },
      { ...spec, podSelector: { matchLabels: { app: "one" } } },
    ];
    for (const v of variants) assert.equal(admit(egressRequired, pod, egressPolicy(v)).denied.length, 1, JSON.stringify(v).slice(0, 200));
  });

  it("a larger quota, or a limit range without default requests, fails", () => {
    assert.equal(admit(quotaRequired, pod, { spec: branchQuotaSpec({ ...LIMITS, memoryQuota: "64Gi" }) }).denied.length, 1);
    assert.equal(admit(quotaRequired, pod, { spec: { hard: { "requests.cpu": "8" } } }).denied.length, 1);
    assert.equal(admit(limitsRequired, pod, { spec: { limits: [{ type: "Container", max: { memory: "1Gi" } }] } }).denied.length, 1);
  });

  it("no object at all: each guardrail's binding denies (parameterNotFoundAction)", () => {
    for (const p of [egressRequired, quotaRequired, limitsRequired]) assert.equal((p.binding.paramRef as { parameterNotFoundAction: string }).parameterNotFoundAction, "Deny");
  });
});
