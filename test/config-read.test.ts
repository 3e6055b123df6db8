/** Every key lands in the typed configuration as written: whole configurations, spelled out by hand. */
import { strict as assert } from "assert";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { PlatformConfig, RawConfig, parsePlatformConfig } from "../config";
import { location, reposDir } from "./helpers/plan";

const repos = path.relative(process.cwd(), reposDir({ "etl.yaml": location("registry.example.com/etl:1.0.0"), "ml.yaml": location("registry.example.com/ml:2.0.0") }));
const SHA = "0123456789abcdef0123456789abcdef01234567";

function parse(stack: string, values: Record<string, string>, secrets: Record<string, string> = {}): PlatformConfig {
  const ns = (k: string) => (k.includes(":") ? k : `dagster-platform:${k}`);
  const all: Record<string, string> = { "dagster-platform:chartVersion": "1.13.19", "dagster-platform:reposDir": repos };
  for (const [k, v] of Object.entries({ ...values, ...secrets })) all[ns(k)] = v;
  return parsePlatformConfig({ project: "dagster-platform", stack, projectDir: process.cwd(), values: all, secretKeys: new Set(Object.keys(secrets).map(ns)) } as RawConfig);
}

/** Outputs (secrets) replaced by their value, read under Pulumi's rules, so a whole config compares. */
async function plain(v: unknown): Promise<unknown> {
  if (pulumi.Output.isInstance(v)) return { secret: await new Promise((resolve) => (v as pulumi.Output<unknown>).apply(resolve)) };
  if (Array.isArray(v)) return Promise.all(v.map(plain));
  if (v && typeof v === "object") return Object.fromEntries(await Promise.all(Object.entries(v).map(async ([k, x]) => [k, await plain(x)])));
  return v;
}

/** The locations' own fields are checked elsewhere: here only which ones were read. */
const names = (cfg: PlatformConfig) => ({ ...cfg, locations: cfg.locations.map((l) => l.name) });

const PROD_SIZE = {
  webserver: { requests: { cpu: "500m", memory: "1Gi" }, limits: { memory: "2Gi" } },
  daemon: { requests: { cpu: "500m", memory: "1Gi" }, limits: { memory: "2Gi" } },
  runs: { requests: { cpu: "500m", memory: "1Gi" } },
  codeServer: { requests: { cpu: "250m", memory: "512Mi" }, limits: { memory: "1Gi" } },
  webserverReplicas: 2,
};
const BRANCH_SIZE = {
  webserver: { requests: { cpu: "250m", memory: "512Mi" }, limits: { memory: "1Gi" } },
  daemon: { requests: { cpu: "250m", memory: "512Mi" }, limits: { memory: "1Gi" } },
  runs: { requests: { cpu: "250m", memory: "512Mi" } },
  codeServer: { requests: { cpu: "250m", memory: "512Mi" }, limits: { memory: "1Gi" } },
  webserverReplicas: 1,
};

describe("the typed configuration", () => {
  it("prod on GCP, every setting away from its default", async () => {
    const cfg = parse("prod", {
      "gcp:project": "acme-data-prod", "gcp:region": "us-central1", clusterMode: "create", clusterName: "main", clusterReleaseChannel: "STABLE",
      namespace: "dagster-main", workspaceRollout: "restart", helmTimeoutSeconds: "900", runJobTtlSeconds: "3600", chartRepository: "https://charts.example.com",
      systemImage: "registry.example.com/dagster/system:1.13.19", verifyImage: "registry.example.com/python:3.12", verifyTimeoutSeconds: "120",
      networkName: "vpc-main", subnetCidr: "10.1.0.0/20", podsCidr: "10.4.0.0/14", servicesCidr: "10.2.0.0/20", natAddresses: "2", verifySecondsPerLocation: "15",
      cloudSqlTier: "db-custom-2-7680", cloudSqlDiskGb: "50", cloudSqlAvailability: "REGIONAL", cloudSqlBackupStart: "03:30", cloudSqlPitrDays: "3",
      bucketLocation: "US", computeLogRetentionDays: "90", registryKeepRecent: "5", registryUntaggedDays: "2",
      ingress: "iap", ingressHost: "dagster.acme.example", iapOAuthClientId: "client.apps.googleusercontent.com",
      snowflake: "true", snowflakeAccount: "acme-analytics", snowflakeWarehouse: "WH", snowflakeProductionDatabase: "PROD_DB", snowflakeUser: "DAGSTER_PROD", snowflakeRole: "DAGSTER_ROLE",
    }, { iapOAuthClientSecret: "iap-secret", snowflakePrivateKey: "pk" });
    assert.deepEqual(await plain(names(cfg)), {
      project: "dagster-platform",
      deployment: { kind: "prod", stack: "prod" },
      namespace: "dagster-main",
      chart: { version: "1.13.19", repository: "https://charts.example.com" },
      systemImage: { repository: "registry.example.com/dagster/system", tag: "1.13.19" },
      workspaceRollout: "restart",
      helmTimeoutSeconds: 900,
      runJobTtlSeconds: 3600,
      verify: { image: "registry.example.com/python:3.12", timeoutSeconds: 120, secondsPerLocation: 15 },
      locations: ["etl", "ml"],
      size: PROD_SIZE,
      gcp: { project: "acme-data-prod", region: "us-central1" },
      cluster: { mode: "create", name: "main", releaseChannel: "STABLE" },
      network: { mode: "create", name: "vpc-main", subnetCidr: "10.1.0.0/20", podsCidr: "10.4.0.0/14", servicesCidr: "10.2.0.0/20", natAddresses: 2 },
      buckets: { location: "US", computeLogRetentionDays: 90 },
      registry: { keepRecent: 5, untaggedDays: 2 },
      postgres: { mode: "cloudsql", tier: "db-custom-2-7680", diskSizeGb: 50, availability: "REGIONAL", backupStart: "03:30", pitrDays: 3, deletionProtection: true },
      ingress: { mode: "iap", host: "dagster.acme.example", oauthClientId: "client.apps.googleusercontent.com", oauthClientSecret: { secret: "iap-secret" } },
      snowflake: { account: "acme-analytics", warehouse: "WH", productionDatabase: "PROD_DB", prod: { user: "DAGSTER_PROD", role: "DAGSTER_ROLE", privateKey: { secret: "pk" } } },
      branch: undefined,
      preview: undefined,
      secretPlaceholders: [],
    });
  });

  it("prod on GCP with every default", async () => {
    const cfg = parse("prod", { "gcp:project": "acme-data-prod", "gcp:region": "europe-west4", clusterMode: "create" });
    assert.deepEqual(await plain(names(cfg)), {
      project: "dagster-platform",
      deployment: { kind: "prod", stack: "prod" },
      namespace: "dagster",
      chart: { version: "1.13.19", repository: "https://dagster-io.github.io/helm" },
      systemImage: { repository: "docker.io/dagster/dagster-celery-k8s", tag: "1.13.19" },
      workspaceRollout: "reload",
      helmTimeoutSeconds: 600,
      runJobTtlSeconds: 86400,
      verify: { image: "docker.io/dagster/dagster-celery-k8s:1.13.19", timeoutSeconds: 600, secondsPerLocation: 10 },
      locations: ["etl", "ml"],
      size: PROD_SIZE,
      gcp: { project: "acme-data-prod", region: "europe-west4" },
      cluster: { mode: "create", name: "dagster", releaseChannel: "REGULAR" },
      network: { mode: "create", name: "dagster", subnetCidr: "10.10.0.0/20", podsCidr: "10.16.0.0/14", servicesCidr: "10.20.0.0/20", natAddresses: 1 },
      buckets: { location: "EUROPE-WEST4", computeLogRetentionDays: 30 },
      registry: { keepRecent: 20, untaggedDays: 14 },
      postgres: { mode: "cloudsql", tier: "db-custom-1-3840", diskSizeGb: 20, availability: "ZONAL", backupStart: "02:00", pitrDays: 7, deletionProtection: true },
      ingress: { mode: "none" },
      snowflake: undefined,
      branch: undefined,
      preview: undefined,
      secretPlaceholders: [],
    });
  });

  it("a production-like stack on Kubernetes alone, external PostgreSQL, internal ingress", async () => {
    const cfg = parse("staging", {
      environment: "production", clusterMode: "existing", kubeContext: "ctx", cloudSql: "false", buckets: "false", registry: "false",
      postgresHost: "pg.internal", postgresPort: "6432", postgresDatabase: "dg", postgresUser: "dgu",
      ingress: "internal", ingressHost: "dagster.internal.example", proxySubnetCidr: "10.40.0.0/23",
    }, { postgresPassword: "pw", kubeconfig: "kc" });
    const { size, chart, systemImage, verify, ...rest } = names(cfg);
    assert.deepEqual([size, chart.version, systemImage.tag, verify.timeoutSeconds], [PROD_SIZE, "1.13.19", "1.13.19", 600]);
    assert.deepEqual(await plain(rest), {
      project: "dagster-platform",
      deployment: { kind: "prod", stack: "staging" },
      namespace: "dagster-staging",
      workspaceRollout: "reload",
      helmTimeoutSeconds: 600,
      runJobTtlSeconds: 86400,
      locations: ["etl", "ml"],
      gcp: undefined,
      cluster: { mode: "existing", ambient: false, kubeconfig: { secret: "kc" }, context: "ctx" },
      network: undefined,
      buckets: undefined,
      registry: undefined,
      postgres: { mode: "external", host: "pg.internal", port: 6432, database: "dg", user: "dgu", password: { secret: "pw" } },
      ingress: { mode: "internal", host: "dagster.internal.example", proxySubnetCidr: "10.40.0.0/23" },
      snowflake: undefined,
      branch: undefined,
      preview: undefined,
      secretPlaceholders: [],
    });
  });

  it("a branch with Snowflake, a subset of locations, and its own host", async () => {
    const cfg = parse("pr-42", {
      "gcp:project": "acme-data-preview", "gcp:region": "europe-west4", commitSha: SHA, branch: "feature/x", previewStack: "acme/dagster-platform/preview", recloneOnDeploy: "false",
      commitTimestamp: "1764633600", commitAuthorName: "Ada", commitMessage: "Add ml\n\nbody", branchMaxConcurrentRuns: "2", branchPostgresStorageGb: "8",
      branchLocations: " ml , ", snowflake: "true", snowflakeAccount: "acme-analytics", snowflakeWarehouse: "WH",
      ingress: "internal", ingressBranchDomain: "preview.acme.example", buckets: "true", computeLogRetentionDays: "30",
    });
    const { chart, systemImage, verify, ...rest } = names(cfg);
    assert.deepEqual([chart.version, systemImage.tag, verify.timeoutSeconds], ["1.13.19", "1.13.19", 600]);
    assert.deepEqual(await plain(rest), {
      project: "dagster-platform",
      deployment: { kind: "branch", stack: "pr-42", pullRequest: 42, commitSha: SHA, branch: "feature/x", commit: { timestamp: "1764633600", authorName: "Ada", message: "Add ml" } },
      namespace: "dagster-pr-42",
      workspaceRollout: "reload",
      helmTimeoutSeconds: 600,
      runJobTtlSeconds: 86400,
      locations: ["ml"],
      size: BRANCH_SIZE,
      gcp: { project: "acme-data-preview", region: "europe-west4" },
      cluster: { mode: "preview" },
      network: undefined,
      buckets: { location: "EUROPE-WEST4", computeLogRetentionDays: 30 },
      registry: undefined,
      postgres: { mode: "branch", image: "docker.io/library/postgres:16.10", storageGb: 8 },
      ingress: { mode: "internal", host: "pr-42.preview.acme.example", proxySubnetCidr: "10.30.0.0/23" },
      snowflake: { account: "acme-analytics", warehouse: "WH", productionDatabase: "PRODUCTION", cloneAt: undefined },
      branch: {
        previewStack: "acme/dagster-platform/preview",
        recloneOnDeploy: false,
        objects: { secrets: [], configMaps: [] },
        limits: { cpuQuota: "8", memoryQuota: "32Gi", podQuota: 50, maxConcurrentRuns: 2 },
      },
      preview: undefined,
      secretPlaceholders: [],
    });
  });

  it("the Snowflake variables are reserved only when Snowflake is on", () => {
    const files = reposDir({ "etl.yaml": location("registry.example.com/etl:1.0.0", "env: {SNOWFLAKE_WAREHOUSE: X}\n") });
    const base = { "gcp:project": "acme-data-prod", "gcp:region": "europe-west4", clusterMode: "create", reposDir: path.relative(process.cwd(), files) };
    assert.equal(parse("prod", base).locations[0].env.SNOWFLAKE_WAREHOUSE, "X");
    assert.throws(() => parse("prod", { ...base, snowflake: "true", snowflakeAccount: "a-b", snowflakeWarehouse: "WH", snowflakeUser: "U", snowflakeRole: "R" }, { snowflakePrivateKey: "k" }), /env\.SNOWFLAKE_WAREHOUSE: "SNOWFLAKE_WAREHOUSE" is set by the platform for every location/);
  });

  it("a branch subset of \"all\" runs every location", () => {
    const cfg = parse("pr-1", { "gcp:project": "acme-data-prod", "gcp:region": "europe-west4", commitSha: SHA, previewStack: "o/p/preview", branchLocations: "all" });
    assert.deepEqual(cfg.locations.map((l) => l.name), ["etl", "ml"]);
  });

  it("the repos/ folder is named in its problems as configured", () => {
    assert.throws(() => parse("prod", { "gcp:project": "acme-data-prod", "gcp:region": "europe-west4", clusterMode: "create", reposDir: "no/such/folder" }), /no\/such\/folder: cannot read the folder: ENOENT/);
  });
});
