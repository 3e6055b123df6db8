/**
 * Configuration of the preview stack and of what branches may load: read and refused before
 * anything is planned, every problem named with its file or key and field, no value printed.
 */
import { strict as assert } from "assert";
import * as path from "path";
import { RawConfig, parsePlatformConfig } from "../config";
import { InputError } from "../locations/problems";
import { valuesOf } from "../platform/branchObjects";
import { location, reposDir } from "./helpers/plan";

const SHA = "0123456789abcdef0123456789abcdef01234567";
const GCP = { "gcp:project": "acme-data-preview", "gcp:region": "europe-west4" };
const DEPLOYER = "dagster-branch-deployer@acme-data-preview.iam.gserviceaccount.com";

function raw(stack: string, values: Record<string, string>, repos: string, secret: string[] = []): RawConfig {
  const ns = (k: string) => (k.includes(":") ? k : `dagster-platform:${k}`);
  const all: Record<string, string> = {
    "dagster-platform:chartVersion": "1.13.19",
    "dagster-platform:reposDir": path.relative(process.cwd(), repos),
    "dagster-platform:previewStack": "organization/dagster-platform/preview",
  };
  for (const [k, v] of Object.entries(values)) all[ns(k)] = v;
  return { project: "dagster-platform", stack, projectDir: process.cwd(), values: all, secretKeys: new Set(secret.map(ns)) };
}

function refusal(r: RawConfig): string {
  try {
    parsePlatformConfig(r);
  } catch (e) {
    assert.ok(e instanceof InputError, String(e));
    return e.message;
  }
  assert.fail("expected the configuration to be refused");
}

const withRefs = reposDir({ "etl.yaml": location("registry.example.com/etl:1.0.0", "secrets: [etl-api, etl-db]\nconfigMaps: [etl-settings]\n") });
const plain = reposDir({ "etl.yaml": location("registry.example.com/etl:1.0.0") });
const branch = (values: Record<string, string>, repos = withRefs) => raw("pr-42", { ...GCP, commitSha: SHA, snowflake: "false", ...values }, repos);
const preview = (values: Record<string, string>, secret = ["branchSecretValues"]) => raw("preview", { ...GCP, clusterMode: "create", branchDeployer: DEPLOYER, ...values }, plain, secret);

describe("branch exposure", () => {
  it("refuses an IAP (external) Ingress on a branch: the preview cluster admits only internal ones", () => {
    assert.match(refusal(branch({ branchSecretNames: "etl-api, etl-db", branchConfigMapNames: "etl-settings", ingress: "iap", ingressBranchDomain: "preview.acme.example", iapOAuthClientId: "x.apps.googleusercontent.com" })), /ingress: is iap on a branch stack.*internal/);
    const internal = parsePlatformConfig(branch({ branchSecretNames: "etl-api, etl-db", branchConfigMapNames: "etl-settings", ingress: "internal", ingressBranchDomain: "preview.acme.example" }));
    assert.equal(internal.ingress.mode, "internal");
  });
});

describe("branch Secrets and ConfigMaps: provided by the preview stack, or refused before planning", () => {
  it("refuses each reference the preview stack does not provide, naming the file and field", () => {
    const text = refusal(branch({ branchSecretNames: "etl-api" }));
    assert.match(text, /2 problems/);
    assert.match(text, /repos-[^/]+\/etl\.yaml: secrets\[1\]: "etl-db" has no branch-safe version.*add "etl-db" to branchSecretNames in Pulumi\.yaml/);
    assert.match(text, /etl\.yaml: configMaps\[0\]: "etl-settings" has no branch-safe version.*branchConfigMapNames.*branchConfigMapValues/);
    assert.doesNotMatch(text, /secrets\[0\]/, "etl-api is provided");
  });

  it("accepts a branch whose every reference is provided, and prod needs no list at all", () => {
    const cfg = parsePlatformConfig(branch({ branchSecretNames: "etl-api, etl-db", branchConfigMapNames: "etl-settings" }));
    assert.deepEqual(cfg.branch?.objects, { secrets: ["etl-api", "etl-db"], configMaps: ["etl-settings"] });
    const prodRefs = raw("prod", { cloudSql: "false", buckets: "false", registry: "false", snowflake: "false", postgresHost: "pg", postgresPassword: "pw", ambientKubeconfig: "true" }, withRefs, ["postgresPassword"]);
    assert.deepEqual(parsePlatformConfig(prodRefs).locations[0].secrets, ["etl-api", "etl-db"]);
  });

  it("running the branch without the location is the other way out", () => {
    const repos = reposDir({ "etl.yaml": location("registry.example.com/etl:1.0.0", "secrets: [etl-api]\n"), "web.yaml": location("registry.example.com/web:1.0.0") });
    assert.match(refusal(branch({}, repos)), /etl\.yaml: secrets\[0\]/);
    assert.deepEqual(parsePlatformConfig(branch({ branchLocations: "web" }, repos)).locations.map((l) => l.name), ["web"]);
  });

  it("a name the preview stack has no value for yet fails the branch deploy, instead of an empty Secret", () => {
    assert.deepEqual(valuesOf({ "etl-api": { TOKEN: "t" } }, "etl-api", false), { TOKEN: "t" });
    assert.throws(() => valuesOf({}, "etl-db", false), /the preview stack has no branch-safe values for "etl-db".*redeploy it from main/);
    assert.deepEqual(valuesOf({}, "etl-db", true), {}, "offline plans answer from the committed preview configuration");
  });

  it("refuses a name list entry that is not a Kubernetes object name", () => {
    assert.match(refusal(branch({ branchSecretNames: "etl-api,Etl_DB", branchConfigMapNames: "etl-settings" })), /branchSecretNames: "Etl_DB" is not a Kubernetes object name/);
  });
});

describe("branch stack: reads the preview stack only", () => {
  it("refuses a previewStack that names prod, or no stack at all", () => {
    assert.match(refusal(branch({ branchSecretNames: "etl-api,etl-db", branchConfigMapNames: "etl-settings", previewStack: "organization/dagster-platform/prod" })), /previewStack: "organization\/dagster-platform\/prod" is not the preview stack.*never prod/);
    assert.match(refusal(branch({ branchSecretNames: "etl-api,etl-db", branchConfigMapNames: "etl-settings", previewStack: "prod" })), /previewStack: "prod" is not a stack reference/);
  });

  it("owns no cluster, registry or Cloud SQL, and refuses the prod-only registry reader", () => {
    const cfg = parsePlatformConfig(branch({ branchSecretNames: "etl-api,etl-db", branchConfigMapNames: "etl-settings", cloudSql: "true", registry: "true" }));
    assert.deepEqual([cfg.cluster.mode, cfg.postgres.mode, cfg.registry, cfg.network], ["preview", "branch", undefined, undefined]);
    assert.match(refusal(branch({ previewNodeServiceAccount: "x-nodes@acme-data-preview.iam.gserviceaccount.com" }, plain)), /previewNodeServiceAccount: is set, but this stack has no registry/);
  });

  it("limits: the quota must hold the branch's pods with every allowed run going", () => {
    // webserver, daemon, PostgreSQL, verification Job, one code server, four runs: 250m and 512Mi each.
    assert.match(refusal(branch({ branchCpuQuota: "2" }, plain)), /branchCpuQuota: 9 pods requesting 2\.25 CPU and 4\.5Gi with 4 runs going exceed the quota \(2 CPU, 32Gi, 50 pods\)/);
    assert.ok(parsePlatformConfig(branch({ branchCpuQuota: "2250m", branchMemoryQuota: "5Gi" }, plain)), "exactly enough is enough");
    assert.match(refusal(branch({ branchMemoryQuota: "2Gi", branchMaxConcurrentRuns: "1" }, plain)), /6 pods requesting 1\.50 CPU and 3\.0Gi with 1 runs going exceed the quota/);
    assert.match(refusal(branch({ branchCpuQuota: "100", branchMemoryQuota: "100Gi", branchMaxConcurrentRuns: "100" }, plain)), /105 pods .* exceed the quota \(100 CPU, 100Gi, 50 pods\)/);
    // 105 pods of 250m/512Mi: 26.25 CPU and 52.5Gi; a pod quota of 105 holds them, 104 does not.
    const wide = { branchCpuQuota: "100", branchMemoryQuota: "100Gi", branchMaxConcurrentRuns: "100" };
    assert.equal(parsePlatformConfig(branch({ ...wide, branchPodQuota: "105" }, plain)).branch?.limits.podQuota, 105);
    assert.match(refusal(branch({ ...wide, branchPodQuota: "104" }, plain)), /105 pods .* exceed the quota \(100 CPU, 100Gi, 104 pods\)/);
    assert.match(refusal(branch({ branchPodQuota: "9" }, plain)), /branchPodQuota: "9" is not a whole number between 10 and 10000/);
  });

  it("limits: quantities and the run cap are checked, the PostgreSQL image must be pinned", () => {
    const text = refusal(branch({ branchCpuQuota: "lots", branchMemoryQuota: "512Mi", branchMaxConcurrentRuns: "0", branchPostgresImage: "postgres:latest" }, plain));
    assert.match(text, /branchCpuQuota: "lots" is not a Kubernetes quantity/);
    assert.match(text, /branchMemoryQuota: "512Mi" is not a Kubernetes quantity of at least 1Gi/);
    assert.match(text, /branchMaxConcurrentRuns: "0" is not a whole number between 1 and 100/);
    assert.match(text, /branchPostgresImage: "postgres:latest" is not a pinned image reference/);
  });
});

describe("preview stack configuration", () => {
  const values = JSON.stringify({ "etl-api": { API_TOKEN: "sandbox-1" } });

  it("reads the deployer and the branch-safe values of every listed name", () => {
    const cfg = parsePlatformConfig(preview({ branchSecretNames: "etl-api", branchSecretValues: values, branchConfigMapNames: "etl-settings", branchConfigMapValues: '{"etl-settings": {"REGION": "eu"}}' }));
    assert.equal(cfg.preview?.branchDeployer, DEPLOYER);
    assert.deepEqual(cfg.preview?.configMapValues, { "etl-settings": { REGION: "eu" } });
    // Buckets: the one branch-data bucket branches write under their prefixes (platform/preview.ts).
    assert.deepEqual([cfg.buckets, cfg.registry, cfg.postgres.mode, cfg.snowflake, cfg.locations.length], [{ location: "EUROPE-WEST4", computeLogRetentionDays: 30 }, undefined, "none", undefined, 0]);
  });

  it("refuses missing and unlisted entries, bad shapes and secret-looking ConfigMap keys, never printing a value", () => {
    const text = refusal(
      preview({
        branchSecretNames: "etl-api,etl-db",
        branchSecretValues: JSON.stringify({ "etl-api": { API_TOKEN: 7, "bad key": "sandbox-2" }, stray: { A: "sandbox-3" } }),
        branchConfigMapNames: "etl-settings",
        branchConfigMapValues: '{"etl-settings": {"DB_PASSWORD": "x"}}',
      }),
    );
    assert.match(text, /branchSecretValues: has no entry for "etl-db", which branchSecretNames lists/);
    assert.match(text, /branchSecretValues: has an entry "stray", which branchSecretNames does not list/);
    assert.match(text, /branchSecretValues: entry "etl-api", key "API_TOKEN": the value is not a string/);
    assert.match(text, /branchSecretValues: entry "etl-api": key "bad key" is not an environment variable name/);
    assert.match(text, /branchConfigMapValues: entry "etl-settings": key "DB_PASSWORD" looks like a secret/);
    assert.doesNotMatch(text, /sandbox-/);
  });

  it("refuses values that are not JSON without quoting them, and a plain-text secret", () => {
    const text = refusal(preview({ branchSecretNames: "etl-api", branchSecretValues: "{sandbox-token" }));
    assert.match(text, /branchSecretValues: is not JSON/);
    assert.doesNotMatch(text, /sandbox-token/);
    assert.match(refusal(preview({ branchSecretNames: "etl-api", branchSecretValues: values }, [])), /branchSecretValues: is stored in plain text/);
  });

  it("the branch deployer must be a service account of the preview project", () => {
    assert.match(refusal(preview({ branchDeployer: "dagster-branch-deployer@acme-data-prod.iam.gserviceaccount.com", branchSecretValues: "{}" })), /branchDeployer: "dagster-branch-deployer@acme-data-prod\.iam\.gserviceaccount\.com" is not a service account of the preview project acme-data-preview/);
    assert.match(refusal(preview({ branchDeployer: "ci@acme-data-preview.iam.gserviceaccount.com", branchSecretValues: "{}" })), /branchDeployer: "ci@acme-data-preview\.iam\.gserviceaccount\.com" is not a service account/);
    assert.match(refusal(preview({ branchDeployer: "", branchSecretValues: "{}" })), /branchDeployer: is not set/);
  });

  it("creates its cluster, and refuses the keys only it reads on any other stack", () => {
    assert.match(refusal(preview({ clusterMode: "existing", branchSecretValues: "{}" })), /clusterMode: is existing on the preview stack/);
    assert.match(refusal(branch({ branchDeployer: DEPLOYER }, plain)), /branchDeployer: is set on a stack that is not the preview stack/);
  });
});
