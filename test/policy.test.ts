/**
 * The policy pack's rules, called as the pure functions they are (a PolicyPack is never built
 * here: it would start the analyzer's gRPC server), then run against the program's real plans.
 */
import { strict as assert } from "assert";
import * as path from "path";
import { Plan, planStack } from "../offline/plan";
import * as teardown from "../policy/branchTeardown";
import { RULES } from "../policy/catalog";
import * as cloudSql from "../policy/cloudSql";
import { DEFAULT_PRODUCTION_DATABASE, PRODUCTION_DATABASE_SCHEMA, productionDatabaseOf } from "../policy/config";
import { configMapSecretViolations } from "../policy/configMaps";
import { holdsTo, resolveStack, stackKindViolations, stackOfUrn } from "../policy/deployment";
import { exposureViolations } from "../policy/exposure";
import { unpinnedImageViolations } from "../policy/images";
import { bucketAccessViolations } from "../policy/storage";
import * as snowflake from "../policy/snowflake";
import { leadingIdentifier, referencesDatabase } from "../policy/snowflakeNames";
import { PolicyInput, Props, StackResource, StackViolation } from "../policy/types";
import { fromPlan } from "./helpers/policy";

// ---- fixtures --------------------------------------------------------------------------------

/**
 * The pack tells prod from a branch by the stack name the engine writes into every URN. Fixtures
 * are made in a placeholder stack; `prod()` and `branch()` are resources of a real stack, and the
 * rules below are called through `inStackOf`, which moves every fixture into that stack.
 */
const ANY_STACK = "fixture";
let counter = 0;
function res(type: string, props: Props, opts: { name?: string; protect?: boolean; stack?: string } = {}): StackResource {
  const name = opts.name ?? `r${++counter}`;
  return { type, name, urn: `urn:pulumi:${opts.stack ?? ANY_STACK}::dagster-platform::${type}::${name}`, props, protect: opts.protect ?? false };
}

function inStackOf<A extends unknown[], R>(rule: (resources: readonly StackResource[], ...rest: A) => R): (resources: readonly StackResource[], ...rest: A) => R {
  return (resources, ...rest) => {
    const stack = resources.map((r) => stackOfUrn(r.urn)).find((s) => s !== ANY_STACK) ?? ANY_STACK;
    return rule(resources.map((r) => ({ ...r, urn: r.urn.replace(`urn:pulumi:${ANY_STACK}::`, `urn:pulumi:${stack}::`) })), ...rest);
  };
}
const branchTeardownViolations = inStackOf(teardown.branchTeardownViolations);
const prodCloudSqlDeletionViolations = inStackOf(cloudSql.prodCloudSqlDeletionViolations);
const { cloudSqlInstanceViolations } = cloudSql;
const branchCredentialViolations = inStackOf(snowflake.branchCredentialViolations);
const branchProductionGrantViolations = inStackOf(snowflake.branchProductionGrantViolations);
const prodCloneViolations = inStackOf(snowflake.prodCloneViolations);

const NAMESPACE = "kubernetes:core/v1:Namespace";
const RELEASE = "kubernetes:helm.sh/v3:Release";
const SERVICE = "kubernetes:core/v1:Service";
const INGRESS = "kubernetes:networking.k8s.io/v1:Ingress";
const BACKEND_CONFIG = "kubernetes:cloud.google.com/v1:BackendConfig";
const SQL = "gcp:sql/databaseInstance:DatabaseInstance";
const GRANT = "snowflake:index/grantPrivilegesToAccountRole:GrantPrivilegesToAccountRole";
const EXECUTE = "snowflake:index/execute:Execute";
const SECRET = "kubernetes:core/v1:Secret";

function namespace(stack: string, name: string): StackResource {
  return res(NAMESPACE, { metadata: { name, labels: { "app.kubernetes.io/part-of": "dagster-platform" } } }, { name: `ns-${name}`, stack });
}
const prod = () => namespace("prod", "dagster");
const branch = () => namespace("pr-42", "dagster-pr-42");

function messages(violations: readonly (string | StackViolation)[]): string[] {
  return violations.map((v) => (typeof v === "string" ? v : v.message));
}

/** Asserts exactly one violation, whose message matches `pattern`. */
function one(violations: readonly (string | StackViolation)[], pattern: RegExp): void {
  const m = messages(violations);
  assert.equal(m.length, 1, `expected one violation matching ${pattern}, got ${JSON.stringify(m)}`);
  assert.match(m[0], pattern);
}

// ---- a: buckets ------------------------------------------------------------------------------

describe("policy: storage-bucket-not-public", () => {
  const bucket = (props: Props): PolicyInput => ({ type: "gcp:storage/bucket:Bucket", props: { name: "b", location: "EU", ...props } });

  it("passes a bucket with public access prevention enforced and uniform access", () => {
    assert.deepEqual(bucketAccessViolations(bucket({ publicAccessPrevention: "enforced", uniformBucketLevelAccess: true })), []);
  });

  it("fails a bucket whose public access prevention is inherited or unset", () => {
    one(bucketAccessViolations(bucket({ publicAccessPrevention: "inherited", uniformBucketLevelAccess: true })), /publicAccessPrevention must be "enforced" \(is "inherited"\)/);
    one(bucketAccessViolations(bucket({ uniformBucketLevelAccess: true })), /publicAccessPrevention must be "enforced" \(is null\)/);
  });

  it("fails a bucket without uniform bucket-level access", () => {
    one(bucketAccessViolations(bucket({ publicAccessPrevention: "enforced", uniformBucketLevelAccess: false })), /uniformBucketLevelAccess must be true/);
    one(bucketAccessViolations(bucket({ publicAccessPrevention: "enforced" })), /uniformBucketLevelAccess/);
  });

  it("judges buckets only", () => {
    assert.deepEqual(bucketAccessViolations({ type: "gcp:storage/bucketIAMMember:BucketIAMMember", props: {} }), []);
  });
});

// ---- b: Cloud SQL ----------------------------------------------------------------------------

function sqlSettings(overrides: { ip?: Props; backup?: Props; deletionProtectionEnabled?: boolean } = {}): Props {
  return {
    tier: "db-custom-2-7680",
    deletionProtectionEnabled: overrides.deletionProtectionEnabled ?? true,
    ipConfiguration: { ipv4Enabled: false, privateNetwork: "projects/p/global/networks/dagster", ...overrides.ip },
    backupConfiguration: { enabled: true, pointInTimeRecoveryEnabled: true, transactionLogRetentionDays: 7, ...overrides.backup },
  };
}
const instance = (props: Props): PolicyInput => ({ type: SQL, props: { databaseVersion: "POSTGRES_16", deletionProtection: true, ...props } });

describe("policy: cloudsql-private-and-recoverable", () => {
  it("passes a private instance with backups and point-in-time recovery", () => {
    assert.deepEqual(cloudSqlInstanceViolations(instance({ settings: sqlSettings() })), []);
  });

  it("fails a public IP, including the default one when ipv4Enabled is unset", () => {
    one(cloudSqlInstanceViolations(instance({ settings: sqlSettings({ ip: { ipv4Enabled: true } }) })), /ipv4Enabled must be false/);
    one(cloudSqlInstanceViolations(instance({ settings: sqlSettings({ ip: { ipv4Enabled: undefined } }) })), /ipv4Enabled must be false/);
  });

  it("fails authorized networks", () => {
    const ip = { authorizedNetworks: [{ name: "office", value: "203.0.113.0/24" }] };
    one(cloudSqlInstanceViolations(instance({ settings: sqlSettings({ ip }) })), /authorizedNetworks must be empty \(has 1\)/);
  });

  it("fails disabled backups and missing point-in-time recovery", () => {
    one(cloudSqlInstanceViolations(instance({ settings: sqlSettings({ backup: { enabled: false } }) })), /backupConfiguration\.enabled must be true/);
    one(cloudSqlInstanceViolations(instance({ settings: sqlSettings({ backup: { pointInTimeRecoveryEnabled: false } }) })), /pointInTimeRecoveryEnabled must be true/);
  });

  it("fails an instance with no settings at all on every count but authorized networks", () => {
    assert.equal(cloudSqlInstanceViolations(instance({})).length, 3);
  });

  it("asks MySQL for its binary log, the MySQL form of point-in-time recovery", () => {
    const mysql = (backup: Props) => instance({ databaseVersion: "MYSQL_8_0", settings: sqlSettings({ backup: { pointInTimeRecoveryEnabled: undefined, ...backup } }) });
    assert.deepEqual(cloudSqlInstanceViolations(mysql({ binaryLogEnabled: true })), []);
    one(cloudSqlInstanceViolations(mysql({ pointInTimeRecoveryEnabled: true })), /binaryLogEnabled must be true/);
  });
});

describe("policy: cloudsql-deletion-protected-in-prod", () => {
  const sql = (props: Props) => res(SQL, { databaseVersion: "POSTGRES_16", ...props }, { name: "postgres" });

  it("passes a prod instance with both deletion protections, or with the provider's default", () => {
    assert.deepEqual(prodCloudSqlDeletionViolations([prod(), sql({ deletionProtection: true, settings: sqlSettings() })]), []);
    assert.deepEqual(prodCloudSqlDeletionViolations([prod(), sql({ settings: sqlSettings() })]), []);
  });

  it("fails a prod instance without API-level deletion protection", () => {
    const v = prodCloudSqlDeletionViolations([prod(), sql({ deletionProtection: true, settings: sqlSettings({ deletionProtectionEnabled: false }) })]);
    one(v, /DatabaseInstance postgres: settings\.deletionProtectionEnabled must be true in prod/);
    assert.equal(v[0].urn, `urn:pulumi:prod::dagster-platform::${SQL}::postgres`);
  });

  it("fails a prod instance whose provider deletion protection is off", () => {
    one(prodCloudSqlDeletionViolations([prod(), sql({ deletionProtection: false, settings: sqlSettings() })]), /deletionProtection must not be false/);
  });

  it("does not apply to a branch, and applies to any other stack name and an unknown kind", () => {
    const unprotected = () => sql({ deletionProtection: false, settings: sqlSettings({ deletionProtectionEnabled: false }) });
    assert.deepEqual(prodCloudSqlDeletionViolations([branch(), unprotected()]), []);
    assert.equal(prodCloudSqlDeletionViolations([unprotected()]).length, 2);
    assert.equal(prodCloudSqlDeletionViolations([res(NAMESPACE, {}, { stack: "pr-4x" }), unprotected()]).length, 2);
  });
});

// ---- deployment kind -------------------------------------------------------------------------

describe("policy: stack-kind-known (the stack name from the URNs, never a label)", () => {
  it("reads prod, preview and branch from the stack name the engine writes into URNs", () => {
    assert.deepEqual(resolveStack([prod()]), { stack: "prod", kind: "prod", pullRequest: undefined, problems: [] });
    assert.deepEqual(resolveStack([res(NAMESPACE, {}, { stack: "preview" })]).kind, "preview");
    assert.deepEqual(resolveStack([branch()]), { stack: "pr-42", kind: "branch", pullRequest: 42, problems: [] });
    assert.equal(resolveStack([res(NAMESPACE, {}, { stack: "dr-drill-1" })]).kind, "prod", "any other name is held to prod's rules");
    assert.deepEqual(stackKindViolations([prod(), res("gcp:storage/bucket:Bucket", {}, { stack: "prod" })]), []);
  });

  it("ignores a deployment-kind label the program writes", () => {
    const relabelled = res(NAMESPACE, { metadata: { name: "dagster-pr-42", labels: { "dagster-platform/deployment-kind": "prod" } } }, { stack: "pr-42" });
    assert.equal(resolveStack([relabelled]).kind, "branch");
  });

  it("fails a malformed pr- name and resources of several stacks", () => {
    one(stackKindViolations([res(NAMESPACE, {}, { stack: "pr-042" })]), /stack "pr-042": the stack name "pr-042" starts like a pull request.s but is not exactly pr-<N>/);
    one(stackKindViolations([prod(), branch()]), /the resources name 2 stacks/);
  });

  it("holds a stack of unknown kind to every kind's rules", () => {
    assert.equal(holdsTo([prod()], "branch"), false);
    assert.equal(holdsTo([branch()], "prod"), false);
    assert.equal(holdsTo([prod(), branch()], "prod") && holdsTo([prod(), branch()], "branch") && holdsTo([prod(), branch()], "preview"), true);
    assert.equal(holdsTo([res(NAMESPACE, {}, { stack: "pr-4x" })], "branch"), true);
  });
});

// ---- c: secret-looking keys ------------------------------------------------------------------

function userRelease(deployments: Props[], chart = "dagster-user-deployments"): StackResource {
  return res(RELEASE, { name: "code-etl", chart, namespace: "dagster", values: { deployments } }, { name: "code-etl" });
}
function deployment(props: Props = {}): Props {
  return { name: "etl", image: { repository: "europe-west4-docker.pkg.dev/p/dagster/etl", tag: "1.4.2", pullPolicy: "IfNotPresent" }, env: { LOG_LEVEL: "info" }, ...props };
}

describe("policy: no-secret-keys-in-configmaps", () => {
  const configMap = (props: Props): PolicyInput => ({ type: "kubernetes:core/v1:ConfigMap", props: { metadata: { name: "cm" }, ...props } });

  it("passes ConfigMaps with ordinary keys", () => {
    assert.deepEqual(configMapSecretViolations(configMap({ data: { "workspace.yaml": "load_from: []\n", TOKENIZER_MODEL: "bert" } })), []);
  });

  it("fails a secret-looking data key, without quoting its value", () => {
    const v = configMapSecretViolations(configMap({ data: { DB_PASSWORD: "hunter2" } }));
    one(v, /data key "DB_PASSWORD" looks like a secret/);
    assert.ok(!v[0].includes("hunter2"));
  });

  it("fails a secret-looking binaryData key", () => {
    one(configMapSecretViolations(configMap({ binaryData: { "private-key": "LS0t" } })), /binaryData key "private-key"/);
  });

  it("fails secret-looking env of a dagster-user-deployments release, which the chart writes into a ConfigMap", () => {
    const v = configMapSecretViolations(userRelease([deployment({ env: { LOG_LEVEL: "info", apiKey: "k", GITHUB_TOKEN: "t" } })]));
    assert.deepEqual(messages(v).map((m) => m.split(":")[0] + m.match(/env "(\w+)"/)?.[1]), ["code location etlapiKey", "code location etlGITHUB_TOKEN"]);
    assert.deepEqual(configMapSecretViolations(userRelease([deployment()])), []);
  });

  it("ignores a list-shaped env, which the chart puts in the pod spec instead", () => {
    assert.deepEqual(configMapSecretViolations(userRelease([deployment({ env: [{ name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: "db", key: "pw" } } }] })])), []);
  });

  it("leaves other charts' values alone", () => {
    assert.deepEqual(configMapSecretViolations(userRelease([deployment({ env: { DB_PASSWORD: "x" } })], "some-other-chart")), []);
  });
});

// ---- d: pinned images ------------------------------------------------------------------------

describe("policy: code-location-images-pinned", () => {
  const REPO = "europe-west4-docker.pkg.dev/acme/dagster/etl";
  const HEX = "9b2f4c6d8e0a1b3c5d7e9f1a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e2f4a6b8c";
  const withImage = (image: unknown, chart?: string) => userRelease([deployment({ image })], chart);

  it("passes a version tag, a digest split the way chartImage writes it, and a tag carrying a digest", () => {
    assert.deepEqual(unpinnedImageViolations(withImage({ repository: REPO, tag: "1.4.2" })), []);
    assert.deepEqual(unpinnedImageViolations(withImage({ repository: `${REPO}@sha256`, tag: HEX })), []);
    assert.deepEqual(unpinnedImageViolations(withImage({ repository: REPO, tag: `1.4.2@sha256:${HEX}` })), []);
    assert.deepEqual(unpinnedImageViolations(withImage({ repository: REPO, tag: 2 })), []);
  });

  it("fails latest", () => {
    one(unpinnedImageViolations(withImage({ repository: REPO, tag: "latest" })), /code location etl: image ".*etl:latest" is not pinned/);
  });

  it("fails an empty or missing tag, on which the chart falls back to its own version", () => {
    one(unpinnedImageViolations(withImage({ repository: REPO, tag: "" })), /has no tag: the chart would fall back to its own version/);
    one(unpinnedImageViolations(withImage({ repository: REPO })), /has no tag/);
  });

  it("fails a deployment with no image repository", () => {
    one(unpinnedImageViolations(withImage(undefined)), /has no image\.repository/);
  });

  it("fails a reference the distribution grammar rejects", () => {
    one(unpinnedImageViolations(withImage({ repository: "Registry.example.com/Team/ETL", tag: "1.0" })), /is not a valid reference: the path component "Team"/);
  });

  it("finds releases whatever form the chart is named in, and names unnamed deployments by position", () => {
    one(unpinnedImageViolations(withImage({ repository: REPO, tag: "latest" }, "dagster/dagster-user-deployments")), /not pinned/);
    one(unpinnedImageViolations(userRelease([{ image: { repository: REPO, tag: "latest" } }])), /code location deployments\[0\]/);
    assert.deepEqual(unpinnedImageViolations(withImage({ repository: REPO, tag: "latest" }, "dagster")), []);
  });

  it("reads a v4 Chart of the same chart, and nothing that is not a Helm install", () => {
    const latest = withImage({ repository: REPO, tag: "latest" });
    one(unpinnedImageViolations({ ...latest, type: "kubernetes:helm.sh/v4:Chart" }), /not pinned/);
    assert.deepEqual(unpinnedImageViolations({ ...latest, type: "kubernetes:core/v1:ConfigMap" }), []);
  });
});

// ---- e: webserver exposure -------------------------------------------------------------------

const BACKEND_ANNOTATION = "cloud.google.com/backend-config";

function systemRelease(webserverService: Props, ingress?: Props, ns = "dagster"): StackResource {
  const values: Props = { dagsterWebserver: { service: webserverService } };
  if (ingress) values.ingress = ingress;
  return res(RELEASE, { name: "dagster", chart: "dagster", namespace: ns, values }, { name: "dagster" });
}
function backendConfig(name: string, iap: boolean | undefined, ns = "dagster"): StackResource {
  const spec: Props = { timeoutSec: 300 };
  if (iap !== undefined) spec.iap = { enabled: iap, oauthclientCredentials: { secretName: "dagster-iap-oauth" } };
  return res(BACKEND_CONFIG, { apiVersion: "cloud.google.com/v1", kind: "BackendConfig", metadata: { name, namespace: ns }, spec }, { name: `bc-${name}` });
}
const iapService = (extra: Props = {}) => ({ type: "ClusterIP", annotations: { [BACKEND_ANNOTATION]: '{"default":"dagster-webserver"}', ...extra } });
const gceIngress = { enabled: true, annotations: { "kubernetes.io/ingress.class": "gce" } };

describe("policy: webserver-not-public (dagster release)", () => {
  it("passes a ClusterIP webserver with no ingress, or with the chart's default type", () => {
    assert.deepEqual(exposureViolations([systemRelease({ type: "ClusterIP" })]), []);
    assert.deepEqual(exposureViolations([systemRelease({ port: 80 })]), []);
  });

  it("fails a LoadBalancer or NodePort webserver Service", () => {
    one(exposureViolations([systemRelease({ type: "LoadBalancer" })]), /Release dagster: dagsterWebserver\.service\.type must be ClusterIP \(is "LoadBalancer"\)/);
    one(exposureViolations([systemRelease({ type: "NodePort" })]), /must be ClusterIP \(is "NodePort"\)/);
  });

  it("passes an internal load balancer Ingress", () => {
    assert.deepEqual(exposureViolations([systemRelease({ type: "ClusterIP" }, { enabled: true, annotations: { "kubernetes.io/ingress.class": "gce-internal" } })]), []);
  });

  it("passes an external Ingress whose webserver Service has an IAP-enabled BackendConfig in the stack", () => {
    assert.deepEqual(exposureViolations([systemRelease(iapService(), gceIngress), backendConfig("dagster-webserver", true)]), []);
  });

  it("fails an external Ingress with no backend-config annotation", () => {
    one(exposureViolations([systemRelease({ type: "ClusterIP" }, gceIngress), backendConfig("dagster-webserver", true)]), /external load balancer \(class gce\) without IAP: the webserver Service has no cloud\.google\.com\/backend-config annotation/);
  });

  it("fails an external Ingress whose BackendConfig does not enable IAP", () => {
    one(exposureViolations([systemRelease(iapService(), gceIngress), backendConfig("dagster-webserver", undefined)]), /names BackendConfig dagster-webserver, which does not set spec\.iap\.enabled: true/);
    one(exposureViolations([systemRelease(iapService(), gceIngress), backendConfig("dagster-webserver", false)]), /does not set spec\.iap\.enabled/);
  });

  it("fails an external Ingress whose BackendConfig is not in the stack, or is in another namespace", () => {
    one(exposureViolations([systemRelease(iapService(), gceIngress)]), /which is not a resource of this stack in namespace dagster/);
    one(exposureViolations([systemRelease(iapService(), gceIngress), backendConfig("dagster-webserver", true, "elsewhere")]), /not a resource of this stack/);
  });

  it("treats an Ingress with no class as GKE's external default", () => {
    one(exposureViolations([systemRelease({ type: "ClusterIP" }, { enabled: true })]), /class gce\) without IAP/);
    assert.deepEqual(exposureViolations([systemRelease(iapService(), { enabled: true }), backendConfig("dagster-webserver", true)]), []);
  });

  it("fails an ingress class that is neither gce-internal nor gce", () => {
    one(exposureViolations([systemRelease(iapService(), { enabled: true, annotations: { "kubernetes.io/ingress.class": "nginx" } }), backendConfig("dagster-webserver", true)]), /ingress class "nginx" is neither gce-internal nor gce with IAP/);
    one(exposureViolations([systemRelease(iapService(), { enabled: true, ingressClassName: "nginx" }), backendConfig("dagster-webserver", true)]), /"nginx"/);
  });

  it("reads ingress.enabled as the chart's template does", () => {
    assert.deepEqual(exposureViolations([systemRelease({ type: "ClusterIP" }, { enabled: false, annotations: { "kubernetes.io/ingress.class": "gce" } })]), []);
    one(exposureViolations([systemRelease({ type: "ClusterIP" }, { enabled: "false", annotations: { "kubernetes.io/ingress.class": "gce" } })]), /without IAP/);
  });

  it("requires IAP on every BackendConfig a per-port annotation names", () => {
    const service = { type: "ClusterIP", annotations: { [BACKEND_ANNOTATION]: '{"ports":{"80":"with-iap","http":"without"}}' } };
    one(exposureViolations([systemRelease(service, gceIngress), backendConfig("with-iap", true), backendConfig("without", false)]), /names BackendConfig without, which does not set/);
    assert.deepEqual(exposureViolations([systemRelease(service, gceIngress), backendConfig("with-iap", true), backendConfig("without", true)]), []);
  });

  it("fails a backend-config annotation that is not JSON or names nothing", () => {
    one(exposureViolations([systemRelease({ annotations: { [BACKEND_ANNOTATION]: "dagster-webserver" } }, gceIngress)]), /annotation that is not JSON/);
    one(exposureViolations([systemRelease({ annotations: { [BACKEND_ANNOTATION]: "{}" } }, gceIngress)]), /annotation that names no BackendConfig/);
  });
});

describe("policy: webserver-not-public (Services and Ingresses)", () => {
  const service = (type: string, annotations: Props = {}, name = "web") => res(SERVICE, { metadata: { name, namespace: "dagster", annotations }, spec: { type, ports: [{ port: 80 }] } }, { name });
  function ingress(annotations: Props, spec: Props): StackResource {
    return res(INGRESS, { metadata: { name: "web", namespace: "dagster", annotations }, spec }, { name: "ingress-web" });
  }
  const backend = (name: string) => ({ rules: [{ host: "d.example.com", http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name, port: { number: 80 } } } }] } }] });
  const gce = { "kubernetes.io/ingress.class": "gce" };

  it("passes ClusterIP Services and internal LoadBalancers", () => {
    assert.deepEqual(exposureViolations([service("ClusterIP")]), []);
    assert.deepEqual(exposureViolations([service("LoadBalancer", { "networking.gke.io/load-balancer-type": "Internal" })]), []);
  });

  it("fails an external LoadBalancer Service", () => {
    one(exposureViolations([service("LoadBalancer")]), /Service web: a LoadBalancer Service must be internal/);
  });

  it("fails a NodePort Service unless an IAP BackendConfig fronts it", () => {
    one(exposureViolations([service("NodePort")]), /Service web: a NodePort Service must sit behind an IAP-protected load balancer, but it has no/);
    assert.deepEqual(exposureViolations([service("NodePort", { [BACKEND_ANNOTATION]: '{"default":"iap"}' }), backendConfig("iap", true)]), []);
  });

  it("passes an internal Ingress, and an external one whose backend Service is behind IAP", () => {
    assert.deepEqual(exposureViolations([ingress({ "kubernetes.io/ingress.class": "gce-internal" }, backend("anything"))]), []);
    const iap = service("ClusterIP", { [BACKEND_ANNOTATION]: '{"default":"iap"}' });
    assert.deepEqual(exposureViolations([ingress(gce, backend("web")), iap, backendConfig("iap", true)]), []);
  });

  it("passes an external Ingress in front of the dagster release's IAP-protected webserver Service", () => {
    const stack = [ingress(gce, backend("dagster-dagster-webserver")), systemRelease(iapService()), backendConfig("dagster-webserver", true)];
    assert.deepEqual(exposureViolations(stack), []);
  });

  it("fails an external Ingress whose backend Service lacks IAP or is not in the stack", () => {
    one(exposureViolations([ingress(gce, backend("web")), service("ClusterIP")]), /Ingress ingress-web: external \(gce\) Ingress without IAP: backend Service web has no cloud\.google\.com\/backend-config/);
    one(exposureViolations([ingress(gce, backend("elsewhere"))]), /backend Service elsewhere is not defined by this stack/);
  });

  it("reads the older serviceName backend shape and the default backend", () => {
    one(exposureViolations([ingress(gce, { backend: { serviceName: "legacy", servicePort: 80 } })]), /backend Service legacy/);
    one(exposureViolations([ingress({}, { defaultBackend: { service: { name: "fallback", port: { number: 80 } } } })]), /backend Service fallback/);
  });

  it("fails an external Ingress with no backend, and one of another class", () => {
    one(exposureViolations([ingress(gce, {})]), /with no backend Service cannot be shown to be behind IAP/);
    one(exposureViolations([ingress({}, { ingressClassName: "nginx", ...backend("web") })]), /ingress class "nginx"/);
  });
});

// ---- f: branch guardrails --------------------------------------------------------------------

describe("policy: Snowflake object references", () => {
  it("reads the database an object reference starts in", () => {
    assert.equal(leadingIdentifier("PRODUCTION"), "PRODUCTION");
    assert.equal(leadingIdentifier("production.public.orders"), "PRODUCTION");
    assert.equal(leadingIdentifier('"PRODUCTION"."PUBLIC"'), "PRODUCTION");
    assert.equal(leadingIdentifier('"Mixed""Case".x'), 'Mixed"Case');
    assert.equal(leadingIdentifier('"unterminated'), undefined);
  });

  it("matches the production database but not its clone or a quoted lower-case namesake", () => {
    assert.equal(referencesDatabase("PRODUCTION.PUBLIC", "PRODUCTION"), true);
    assert.equal(referencesDatabase("PRODUCTION_CLONE_42", "PRODUCTION"), false);
    assert.equal(referencesDatabase('"production"', "PRODUCTION"), false);
  });
});

describe("policy: branch-no-production-grants", () => {
  const grant = (props: Props, type = GRANT) => res(type, { accountRoleName: "DAGSTER_PR_42", ...props }, { name: "grant" });
  const check = (g: StackResource, db = DEFAULT_PRODUCTION_DATABASE, kind = branch()) => branchProductionGrantViolations([kind, g], db);

  it("passes grants on the clone and the warehouse", () => {
    assert.deepEqual(check(grant({ privileges: ["USAGE"], onAccountObject: { objectType: "DATABASE", objectName: "PRODUCTION_CLONE_42" } })), []);
    assert.deepEqual(check(grant({ allPrivileges: true, onSchemaObject: { future: { objectTypePlural: "TABLES", inDatabase: "PRODUCTION_CLONE_42" } } })), []);
    assert.deepEqual(check(grant({ privileges: ["USAGE"], onAccountObject: { objectType: "WAREHOUSE", objectName: "DAGSTER_WH" } })), []);
  });

  for (const [what, props, field] of [
    ["objectName", { onAccountObject: { objectType: "DATABASE", objectName: "PRODUCTION" } }, "onAccountObject.objectName"],
    ["allSchemasInDatabase", { onSchema: { allSchemasInDatabase: "PRODUCTION" } }, "onSchema.allSchemasInDatabase"],
    ["futureSchemasInDatabase", { onSchema: { futureSchemasInDatabase: "PRODUCTION" } }, "onSchema.futureSchemasInDatabase"],
    ["all.inDatabase", { onSchemaObject: { all: { objectTypePlural: "TABLES", inDatabase: "PRODUCTION" } } }, "onSchemaObject.all.inDatabase"],
    ["future.inDatabase", { onSchemaObject: { future: { objectTypePlural: "VIEWS", inDatabase: "PRODUCTION" } } }, "onSchemaObject.future.inDatabase"],
    ["a schema inside it", { onSchema: { schemaName: '"PRODUCTION"."PUBLIC"' } }, "onSchema.schemaName"],
    ["an object inside it, unquoted lower case", { onSchemaObject: { objectType: "TABLE", objectName: "production.public.orders" } }, "onSchemaObject.objectName"],
  ] as const) {
    it(`fails a branch grant naming the production database as ${what}`, () => {
      const v = check(grant({ privileges: ["SELECT"], ...props }));
      one(v, new RegExp(`GrantPrivilegesToAccountRole grant: ${field.replace(/\./g, "\\.")} = .* names the production database PRODUCTION`));
      assert.match(v[0].urn ?? "", /::grant$/);
    });
  }

  it("reads every grant type, not only grants to account roles", () => {
    one(check(grant({ on: { objectType: "DATABASE", objectName: "PRODUCTION" } }, "snowflake:index/grantOwnership:GrantOwnership")), /GrantOwnership grant: on\.objectName/);
    one(check(grant({ databaseRoleName: '"PRODUCTION"."READER"' }, "snowflake:index/grantDatabaseRole:GrantDatabaseRole")), /databaseRoleName/);
  });

  it("ignores role names, privileges and object kinds", () => {
    assert.deepEqual(check(grant({ accountRoleName: "PRODUCTION", privileges: ["PRODUCTION"], onAccountObject: { objectType: "PRODUCTION", objectName: "PRODUCTION_CLONE_42" } })), []);
  });

  it("takes the production database from the policy config", () => {
    const onProduction = grant({ onAccountObject: { objectType: "DATABASE", objectName: "PRODUCTION" } });
    const onAnalytics = grant({ onAccountObject: { objectType: "DATABASE", objectName: "ANALYTICS" } });
    assert.deepEqual(check(onProduction, "ANALYTICS"), []);
    one(check(onAnalytics, "ANALYTICS"), /names the production database ANALYTICS/);
  });

  it("allows prod its own grants", () => {
    assert.deepEqual(check(grant({ onAccountObject: { objectType: "DATABASE", objectName: "PRODUCTION" } }), DEFAULT_PRODUCTION_DATABASE, prod()), []);
  });
});

describe("policy: config", () => {
  it("defaults the production database to PRODUCTION and takes a configured one", () => {
    assert.equal(productionDatabaseOf({}), "PRODUCTION");
    assert.equal(productionDatabaseOf({ productionDatabase: "" }), "PRODUCTION");
    assert.equal(productionDatabaseOf({ productionDatabase: "ANALYTICS" }), "ANALYTICS");
  });

  it("declares the same default in the schema the engine validates config against", () => {
    assert.equal(PRODUCTION_DATABASE_SCHEMA.properties.productionDatabase.default, DEFAULT_PRODUCTION_DATABASE);
    assert.match(DEFAULT_PRODUCTION_DATABASE, new RegExp(PRODUCTION_DATABASE_SCHEMA.properties.productionDatabase.pattern));
  });
});

describe("policy: branch-snowflake-credentials", () => {
  const credentials = (props: Props, name = "dagster-snowflake") => res(SECRET, { metadata: { name, namespace: "dagster-pr-42" }, type: "Opaque", ...props }, { name: "snowflake-access-credentials" });
  const branchData = { SNOWFLAKE_DATABASE: "PRODUCTION_CLONE_42", SNOWFLAKE_USER: "DAGSTER_PR_42", SNOWFLAKE_PRIVATE_KEY: "-----BEGIN PRIVATE KEY-----" };
  const check = (secret: StackResource, kind = branch()) => branchCredentialViolations([kind, secret]);
  const base64 = (data: Record<string, string>) => Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString("base64")]));

  it("passes the branch's clone and user, as stringData or as base64 data", () => {
    assert.deepEqual(check(credentials({ stringData: branchData })), []);
    assert.deepEqual(check(credentials({ data: base64(branchData) })), []);
  });

  it("fails production's database", () => {
    one(check(credentials({ stringData: { ...branchData, SNOWFLAKE_DATABASE: "PRODUCTION" } })), /Secret snowflake-access-credentials: SNOWFLAKE_DATABASE is "PRODUCTION": a branch must use its clone/);
    one(check(credentials({ data: base64({ ...branchData, SNOWFLAKE_DATABASE: "PRODUCTION" }) })), /SNOWFLAKE_DATABASE is "PRODUCTION"/);
  });

  it("fails production's user", () => {
    one(check(credentials({ stringData: { ...branchData, SNOWFLAKE_USER: "DAGSTER_PROD" } })), /SNOWFLAKE_USER is "DAGSTER_PROD": a branch must use its own DAGSTER_PR_<N> user/);
  });

  it("fails a user and a clone of different pull requests", () => {
    one(check(credentials({ stringData: { ...branchData, SNOWFLAKE_USER: "DAGSTER_PR_7" } })), /belong to different pull requests/);
  });

  it("fails visible credentials that name no database or user", () => {
    assert.deepEqual(messages(check(credentials({ stringData: { SNOWFLAKE_ACCOUNT: "acme" } }))).length, 2);
  });

  it("skips values it cannot see, other Secrets and prod", () => {
    assert.deepEqual(check(credentials({ stringData: "[secret]" })), []);
    assert.deepEqual(check(credentials({ stringData: { SNOWFLAKE_DATABASE: "PRODUCTION" } }, "other")), []);
    assert.deepEqual(check(credentials({ stringData: { SNOWFLAKE_DATABASE: "PRODUCTION", SNOWFLAKE_USER: "DAGSTER_PROD" } }), prod()), []);
  });
});

describe("policy: branch-destroy-safe", () => {
  it("passes an unprotected branch of branch-owned resources", () => {
    assert.deepEqual(branchTeardownViolations([branch(), res("gcp:sql/database:Database", { name: "dagster_pr_42" }), res("gcp:storage/bucket:Bucket", {})]), []);
  });

  it("fails a protected resource in a branch", () => {
    one(branchTeardownViolations([branch(), res("gcp:storage/bucket:Bucket", {}, { name: "logs", protect: true })]), /Bucket logs is protected: nothing in a branch stack may be/);
  });

  for (const type of ["gcp:sql/databaseInstance:DatabaseInstance", "gcp:container/cluster:Cluster", "gcp:artifactregistry/repository:Repository"]) {
    it(`fails a branch that owns a ${type.split(":").pop()}`, () => {
      one(branchTeardownViolations([branch(), res(type, {})]), new RegExp(`a branch stack must not own a ${type.replace(/[/.]/g, "\\$&")}`));
    });
  }

  it("lets prod protect and own shared infrastructure", () => {
    assert.deepEqual(branchTeardownViolations([prod(), res(SQL, {}, { protect: true }), res("gcp:container/cluster:Cluster", {})]), []);
  });
});

describe("policy: prod-no-snowflake-clone", () => {
  const execute = (props: Props) => res(EXECUTE, { query: "SELECT 1", ...props }, { name: "clone" });

  it("passes prod statements that clone nothing", () => {
    assert.deepEqual(prodCloneViolations([prod(), execute({ execute: "ALTER TABLE T ADD COLUMN CLONED_AT TIMESTAMP", revert: "SELECT 1" })]), []);
  });

  it("fails a prod Execute whose execute or revert statement clones", () => {
    one(prodCloneViolations([prod(), execute({ execute: "CREATE OR REPLACE DATABASE PRODUCTION_CLONE_42 CLONE PRODUCTION", revert: "SELECT 1" })]), /Execute clone: the execute statement clones a database/);
    one(prodCloneViolations([prod(), execute({ execute: "SELECT 1", revert: "create database x clone production" })]), /the revert statement clones/);
  });

  it("lets a branch clone", () => {
    assert.deepEqual(prodCloneViolations([branch(), execute({ execute: "CREATE OR REPLACE DATABASE PRODUCTION_CLONE_42 CLONE PRODUCTION" })]), []);
  });
});

// ---- the catalog index.ts serves -------------------------------------------------------------

describe("policy: catalog", () => {
  it("names every rule the way the analyzer accepts, once", () => {
    const names = RULES.map((r) => r.name);
    assert.equal(new Set(names).size, names.length);
    for (const name of names) {
      assert.match(name, /^[a-zA-Z0-9-_.]{1,100}$/);
      assert.notEqual(name, "all");
    }
  });

  it("declares config only where a rule reads it, and never an enforcementLevel property", () => {
    const configured = RULES.filter((r) => r.kind === "stack" && r.configSchema).map((r) => r.name);
    assert.deepEqual(configured, ["branch-no-production-grants"]);
    for (const r of RULES) if (r.kind === "stack") assert.equal(r.configSchema?.properties.enforcementLevel, undefined);
  });

  it("hands the configured production database to the grant rule", () => {
    const rule = RULES.find((r) => r.name === "branch-no-production-grants");
    assert.ok(rule && rule.kind === "stack");
    const stack = [branch(), res(GRANT, { onAccountObject: { objectType: "DATABASE", objectName: "ANALYTICS" } })];
    assert.equal(rule.check(stack, {}).length, 0);
    assert.equal(rule.check(stack, { productionDatabase: "ANALYTICS" }).length, 1);
  });
});

// ---- the program complies --------------------------------------------------------------------

/** A plan entry as the policy engine would hand it over. */
function runAllRules(stack: string, plan: Plan, referenced?: Plan): string[] {
  const resources = plan.resources.map((r) => fromPlan(stack, r, referenced));
  return RULES.flatMap((rule) =>
    rule.kind === "resource"
      ? resources.flatMap((r) => rule.check(r).map((m) => `${rule.name} ${r.type} ${r.name}: ${m}`))
      : rule.check(resources, {}).map((v) => `${rule.name}: ${v.message}`),
  );
}

describe("policy: the program's real plans pass every rule", function () {
  this.timeout(120000);
  const projectDir = path.resolve(__dirname, "..");
  const plans: Record<string, Plan> = {};
  const SHA = "0123456789abcdef0123456789abcdef01234567";

  before(async () => {
    plans.prod = await planStack({ projectDir, stack: "prod", revealSecrets: true });
    plans["pr-42"] = await planStack({ projectDir, stack: "pr-42", overrides: [`commitSha=${SHA}`], revealSecrets: true });
    plans.preview = await planStack({ projectDir, stack: "preview", revealSecrets: true });
    // The IAP shape is the only one that exposes the webserver beyond the VPC: plan it too.
    plans["prod-iap"] = await planStack({
      projectDir,
      stack: "prod",
      overrides: ["ingress=iap", "ingressHost=dagster.example.com", "iapOAuthClientId=client.apps.googleusercontent.com"],
      secrets: ["iapOAuthClientSecret=not-a-real-secret"],
      revealSecrets: true,
    });
  });

  for (const [label, stack, kind] of [["prod", "prod", "prod"], ["pr-42", "pr-42", "branch"], ["preview", "preview", "preview"], ["prod-iap", "prod", "prod"]] as const) {
    it(`${label}: no violations`, () => {
      const resources = plans[label].resources.map((r) => fromPlan(stack, r, plans.preview));
      assert.equal(resolveStack(resources).kind, kind);
      assert.deepEqual(runAllRules(stack, plans[label], plans.preview), []);
    });
  }

  it("the plans hold what the rules judge, so passing is not vacuous", () => {
    const types = (label: string) => new Set(plans[label].resources.map((r) => r.type));
    for (const t of ["gcp:storage/bucket:Bucket", SQL, "kubernetes:core/v1:ConfigMap", RELEASE]) assert.ok(types("prod").has(t), `prod plans a ${t}`);
    for (const t of [EXECUTE, SECRET, "pulumi:providers:kubernetes", "pulumi:pulumi:StackReference"]) assert.ok(types("pr-42").has(t), `pr-42 plans a ${t}`);
    assert.ok(types("prod-iap").has(BACKEND_CONFIG));
    assert.ok(plans.prod.resources.some((r) => r.options.protect), "prod protects something, which a branch may not");
  });

  it("a real branch plan with one resource protected fails branch-destroy-safe", () => {
    const resources = plans["pr-42"].resources.map((r) => fromPlan("pr-42", r, plans.preview));
    const volume = resources.find((r) => r.type === "kubernetes:core/v1:PersistentVolumeClaim");
    assert.ok(volume);
    volume.protect = true;
    one(branchTeardownViolations(resources), new RegExp(`PersistentVolumeClaim ${volume.name} is protected`));
  });
});
