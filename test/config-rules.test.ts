/**
 * Stack configuration rules: stack names, config combinations, Kubernetes, GCP and Cloud SQL rules
 * for the names and ranges a stack derives. Expected names, limits and messages are written out
 * here from the rules' sources, never computed by the code under test.
 */
import { strict as assert } from "assert";
import * as path from "path";
import { PlatformConfig, RawConfig, parsePlatformConfig } from "../config";
import { InputError } from "../locations/problems";
import { classifyStack } from "../render/deployment";
import { gcpNames } from "../render/gcpNames";
import { location, reposDir } from "./helpers/plan";

const repos = path.relative(process.cwd(), reposDir({ "etl.yaml": location("registry.example.com/etl:1.0.0") }));
const SHA = "0123456789abcdef0123456789abcdef01234567";

type Values = Record<string, string>;
const ns = (k: string) => (k.includes(":") ? k : `dagster-platform:${k}`);

function raw(stack: string, values: Values, secrets: Values = {}, placeholders = false): RawConfig {
  const all: Values = { "dagster-platform:chartVersion": "1.13.19", "dagster-platform:reposDir": repos };
  for (const [k, v] of Object.entries({ ...values, ...secrets })) all[ns(k)] = v;
  return { project: "dagster-platform", stack, projectDir: process.cwd(), values: all, secretKeys: new Set(Object.keys(secrets).map(ns)), secretPlaceholders: placeholders };
}

/** GCP prod: a created cluster, network, Cloud SQL, buckets and registry. */
const GCP = { "gcp:project": "acme-data-prod", "gcp:region": "europe-west4", clusterMode: "create" };
/** Nothing in GCP: an existing cluster and an external PostgreSQL. */
const K8S = { cloudSql: "false", buckets: "false", registry: "false", postgresHost: "pg.internal" };
const K8S_SECRETS = { postgresPassword: "pw", kubeconfig: "apiVersion: v1" };
const PROD_LIKE = { environment: "production" };

function accept(stack: string, values: Values, secrets: Values = {}): PlatformConfig {
  return parsePlatformConfig(raw(stack, values, secrets));
}

/** The refusal's text; every pattern must match it. */
function refuse(stack: string, values: Values, secrets: Values, ...patterns: RegExp[]): string {
  let text = "";
  try {
    parsePlatformConfig(raw(stack, values, secrets));
  } catch (e) {
    assert.ok(e instanceof InputError, String(e));
    text = e.message;
  }
  assert.ok(text, "expected the configuration to be refused");
  for (const p of patterns) assert.match(text, p);
  return text;
}

describe("stack names", () => {
  it("classifies by exact name", () => {
    assert.deepEqual(classifyStack("prod"), { kind: "prod" });
    assert.deepEqual(classifyStack("pr-42"), { kind: "branch", pullRequest: 42 });
    assert.deepEqual(classifyStack("pr-999999999"), { kind: "branch", pullRequest: 999999999 });
    assert.deepEqual(classifyStack("preview"), { kind: "preview" });
    for (const other of ["staging", "project-x", "primary", "drill-20250301-040506", "p", "prx"]) assert.deepEqual(classifyStack(other), { kind: "other" }, other);
  });
  for (const name of ["PR-1", "pr_1", "pr-01", "Pr-3", "pr1", "pr", "pr-", "pr.7", "pr-1234567890", "pr--1", "pr-4x", "pR-5"]) {
    it(`"${name}" is refused as a malformed pull-request name`, () => {
      const c = classifyStack(name);
      assert.equal(c.kind, "invalid");
      assert.match((c as { reason: string }).reason, /starts like a pull request's but is not exactly pr-<N>/);
      refuse(name, { ...K8S, ...PROD_LIKE }, K8S_SECRETS, new RegExp(`\\(stack name\\): the stack name "${name.replace(/[.]/g, "\\.")}" starts like a pull request's but is not exactly pr-<N> .*\\(branch stacks are named pr-<pull request number>; prod is prod\\)`));
    });
  }
  for (const name of ["Prod", "PROD", "Preview"]) {
    it(`"${name}" is a reserved name in another case`, () => {
      refuse(name, { ...K8S, ...PROD_LIKE }, K8S_SECRETS, new RegExp(`the stack name "${name}" is "${name.toLowerCase()}" in another case; stack names are case-sensitive`));
    });
  }
  it("the preview stack is never production-like", () => refuse("preview", { ...K8S, ...PROD_LIKE }, K8S_SECRETS, /environment: is set on the preview stack \(the preview stack serves branches and is never production-like/));
  it("a refused name is the only problem reported: nothing derived from it is checked", () => {
    // Each of these would otherwise derive names GCP refuses (dagster-PR-1) and fail prod's defaults.
    for (const stack of ["PR-1", "staging", "Prod"]) {
      const text = refuse(stack, { ...GCP, clusterMode: "existing", namespace: "Bad" }, {}, /\(stack name\)/);
      assert.match(text, /: 1 problem; nothing was planned/, stack);
    }
  });
  it("another name is refused unless declared production-like", () => {
    refuse("staging", K8S, K8S_SECRETS, /\(stack name\): the stack "staging" is neither prod, preview nor pr-<N> \(to run another production-like deployment \(with its own names, dagster-staging…\), declare it: pulumi config set environment production/);
  });
  it("a declared production-like stack gets names of its own", () => {
    const cfg = accept("staging", { ...GCP, ...PROD_LIKE });
    assert.deepEqual(cfg.deployment, { kind: "prod", stack: "staging" });
    assert.equal(cfg.namespace, "dagster-staging");
    assert.deepEqual(cfg.cluster, { mode: "create", name: "dagster-staging", releaseChannel: "REGULAR" });
    assert.equal(cfg.network?.name, "dagster-staging");
    assert.deepEqual(gcpNames(cfg.deployment, "acme-data-prod"), {
      bucketPrefix: "acme-data-prod-dagster-staging",
      buckets: ["acme-data-prod-dagster-staging-compute-logs", "acme-data-prod-dagster-staging-defs-state"],
      serviceAccountId: "dagster-staging",
      registryId: "dagster-staging",
      sqlInstance: "dagster-staging",
    });
  });
  it("prod keeps its names", () => {
    const cfg = accept("prod", GCP);
    assert.equal(cfg.namespace, "dagster");
    assert.deepEqual(cfg.cluster, { mode: "create", name: "dagster", releaseChannel: "REGULAR" });
    assert.equal(cfg.network?.name, "dagster");
    assert.deepEqual(gcpNames(cfg.deployment, "acme-data-prod"), {
      bucketPrefix: "acme-data-prod-dagster",
      buckets: ["acme-data-prod-dagster-compute-logs", "acme-data-prod-dagster-defs-state"],
      serviceAccountId: "dagster",
      registryId: "dagster",
      sqlInstance: "dagster-prod",
    });
  });
  it("a branch names nothing in GCP (it uses the preview stack's bucket); the preview stack names its branch-data bucket", () => {
    assert.deepEqual(gcpNames({ kind: "branch", stack: "pr-42", pullRequest: 42, commitSha: SHA, branch: "b" }, "acme-data-preview"), { bucketPrefix: "", buckets: [], registryId: "", sqlInstance: "" });
    assert.deepEqual(gcpNames({ kind: "preview", stack: "preview" }, "acme-data-preview"), { bucketPrefix: "", buckets: ["acme-data-preview-dagster-branch-data"], registryId: "", sqlInstance: "" });
  });
  it("environment production on prod is allowed; any other environment value is not", () => {
    accept("prod", { ...GCP, ...PROD_LIKE });
    refuse("staging", { ...K8S, environment: "staging" }, K8S_SECRETS, /environment: "staging" is not an environment this program knows \(the only value is production/);
  });
  it("a branch is never production-like", () => refuse("pr-7", { commitSha: SHA, "gcp:project": "acme-data-prod", "gcp:region": "europe-west4", previewStack: "o/p/preview", ...PROD_LIKE }, {}, /environment: is set on a branch stack/));
  it("a production-like name must make valid resource names", () => {
    accept("a234567890123456789012", { ...K8S, ...PROD_LIKE }, K8S_SECRETS);
    refuse("a2345678901234567890123", { ...K8S, ...PROD_LIKE }, K8S_SECRETS, /the stack name "a2345678901234567890123" cannot name a deployment's resources \(a production-like stack other than prod needs a name of lowercase letters, digits and -, starting with a letter, at most 22 characters/);
    refuse("Staging", { ...K8S, ...PROD_LIKE }, K8S_SECRETS, /the stack name "Staging" cannot name/);
    refuse("staging-", { ...K8S, ...PROD_LIKE }, K8S_SECRETS, /the stack name "staging-" cannot name/);
    refuse("1staging", { ...K8S, ...PROD_LIKE }, K8S_SECRETS, /the stack name "1staging" cannot name/);
  });
});

describe("namespaces", () => {
  for (const reserved of ["default", "kube-system", "kube-public", "kube-node-lease", "kube-dagster"]) {
    it(`${reserved} is Kubernetes' own`, () => refuse("prod", { ...GCP, namespace: reserved }, {}, new RegExp(`namespace: "${reserved}" belongs to Kubernetes itself`)));
  }
  it("a branch's namespace", () => refuse("prod", { ...GCP, namespace: "dagster-pr-7" }, {}, /namespace: "dagster-pr-7" is a branch deployment's namespace/));
  it("names Kubernetes refuses", () => {
    refuse("prod", { ...GCP, namespace: "Dagster" }, {}, /namespace: "Dagster" is not a Kubernetes namespace name/);
    refuse("prod", { ...GCP, namespace: "d".repeat(64) }, {}, /is not a Kubernetes namespace name/);
    refuse("prod", { ...GCP, namespace: "-dagster" }, {}, /is not a Kubernetes namespace name/);
    assert.equal(accept("prod", { ...GCP, namespace: "d".repeat(63) }).namespace, "d".repeat(63));
    assert.equal(accept("prod", { ...GCP, namespace: "dagster-pr-x" }).namespace, "dagster-pr-x");
  });
  it("a branch may not set it", () => refuse("pr-7", { commitSha: SHA, "gcp:project": "acme-data-prod", "gcp:region": "europe-west4", previewStack: "o/p/preview", namespace: "x" }, {}, /namespace: is set on a branch stack/));
  it("a branch's namespace is dagster-pr-<N>", () => assert.equal(accept("pr-7", { commitSha: SHA, "gcp:project": "acme-data-prod", "gcp:region": "europe-west4", previewStack: "o/p/preview" }).namespace, "dagster-pr-7"));
});

describe("cluster and network combinations", () => {
  it("a created cluster in an existing network is refused", () => refuse("prod", { ...GCP, network: "existing", networkName: "shared" }, {}, /network: is existing, but clusterMode is create \(a created cluster needs the subnet and pods\/services ranges of a created network/));
  it("an existing cluster with Cloud SQL in a new VPC is refused", () => refuse("prod", { ...GCP, clusterMode: "existing" }, { kubeconfig: "k" }, /network: is create, but the cluster is an existing one/));
  it("an existing cluster needs a kubeconfig, or the ambient one chosen explicitly", () => {
    refuse("staging", { ...K8S, ...PROD_LIKE }, { postgresPassword: "pw" }, /kubeconfig: is not set, and clusterMode is existing \(to deploy into the cluster of the current kubeconfig context of whoever runs pulumi instead, set ambientKubeconfig true\) \(pulumi config set --secret kubeconfig <value>\)/);
    const ambient = accept("staging", { ...K8S, ...PROD_LIKE, ambientKubeconfig: "true", kubeContext: "ctx" }, { postgresPassword: "pw" });
    assert.deepEqual(ambient.cluster, { mode: "existing", ambient: true, context: "ctx" });
    const given = accept("staging", { ...K8S, ...PROD_LIKE }, K8S_SECRETS);
    assert.equal(given.cluster.mode === "existing" && !given.cluster.ambient && given.cluster.kubeconfig !== undefined, true);
  });
  it("the offline plan plans a missing kubeconfig with a placeholder", () => {
    const cfg = parsePlatformConfig(raw("staging", { ...K8S, ...PROD_LIKE }, { postgresPassword: "pw" }, true));
    assert.deepEqual(cfg.secretPlaceholders, ["kubeconfig"]);
  });
  it("ambient and a kubeconfig together are refused", () => refuse("staging", { ...K8S, ...PROD_LIKE, ambientKubeconfig: "true" }, K8S_SECRETS, /ambientKubeconfig: is true, but kubeconfig is set/));
  it("create mode takes neither a kubeconfig nor the ambient one", () => {
    refuse("prod", GCP, { kubeconfig: "k" }, /kubeconfig: is set, but clusterMode is create/);
    refuse("prod", { ...GCP, ambientKubeconfig: "true" }, {}, /ambientKubeconfig: is true, but clusterMode is create/);
  });
  it("a branch never uses the ambient kubeconfig", () => refuse("pr-7", { commitSha: SHA, "gcp:project": "acme-data-prod", "gcp:region": "europe-west4", previewStack: "o/p/preview", ambientKubeconfig: "true" }, {}, /ambientKubeconfig: is set on a branch stack/));
});

describe("VPC ranges", () => {
  it("the defaults are valid and apart", () => {
    const cfg = accept("prod", GCP);
    assert.deepEqual(cfg.network, { mode: "create", name: "dagster", subnetCidr: "10.10.0.0/20", podsCidr: "10.16.0.0/14", servicesCidr: "10.20.0.0/20", natAddresses: 1 });
  });
  const bad: [string, string, RegExp][] = [
    ["10.10.0.1/20", "subnetCidr", /subnetCidr: "10\.10\.0\.1\/20" has host bits set: the range of \/20 starting there is 10\.10\.0\.0\/20/],
    ["10.17.0.0/14", "podsCidr", /podsCidr: "10\.17\.0\.0\/14" has host bits set: the range of \/14 starting there is 10\.16\.0\.0\/14/],
    ["10.10.0.0/33", "subnetCidr", /subnetCidr: "10\.10\.0\.0\/33" is not an IPv4 CIDR range such as 10\.10\.0\.0\/20/],
    ["256.0.0.0/8", "subnetCidr", /"256\.0\.0\.0\/8" is not an IPv4 CIDR range/],
    ["10.010.0.0/16", "subnetCidr", /"10\.010\.0\.0\/16" is not an IPv4 CIDR range/],
    ["10.10.0.0/020", "subnetCidr", /"10\.10\.0\.0\/020" is not an IPv4 CIDR range/],
    ["10.10.0.0", "subnetCidr", /"10\.10\.0\.0" is not an IPv4 CIDR range/],
    ["127.0.0.0/16", "subnetCidr", /subnetCidr: 127\.0\.0\.0\/16 overlaps 127\.0\.0\.0\/8, which no VPC subnet may use/],
    ["169.254.0.0/20", "servicesCidr", /169\.254\.0\.0\/20 overlaps 169\.254\.0\.0\/16/],
    ["10.10.0.0/30", "subnetCidr", /subnetCidr: 10\.10\.0\.0\/30: a subnet range is between \/8 and \/29/],
    ["10.0.0.0/7", "subnetCidr", /a subnet range is between \/8 and \/29/],
  ];
  for (const [value, key, pattern] of bad) it(`${key} ${value}`, () => refuse("prod", { ...GCP, [key]: value }, {}, pattern));
  it("/8 and /29 are the widest and narrowest", () => {
    accept("prod", { ...GCP, subnetCidr: "11.0.0.0/8" });
    accept("prod", { ...GCP, subnetCidr: "10.10.0.0/29" });
  });
  it("overlapping ranges are named pair by pair", () => {
    const text = refuse("prod", { ...GCP, podsCidr: "10.10.0.0/16", servicesCidr: "10.10.8.0/24" }, {});
    assert.match(text, /podsCidr: 10\.10\.0\.0\/16 overlaps subnetCidr 10\.10\.0\.0\/20 \(GCP refuses overlapping subnet and secondary ranges/);
    assert.match(text, /servicesCidr: 10\.10\.8\.0\/24 overlaps subnetCidr 10\.10\.0\.0\/20/);
    assert.match(text, /servicesCidr: 10\.10\.8\.0\/24 overlaps podsCidr 10\.10\.0\.0\/16/);
    assert.equal(text.split("\n").length - 1, 3);
  });
  it("ranges that touch do not overlap", () => accept("prod", { ...GCP, subnetCidr: "10.10.0.0/20", servicesCidr: "10.10.16.0/20" }));
  it("the proxy-only subnet may not overlap the others", () => {
    refuse("prod", { ...GCP, ingress: "internal", ingressHost: "dagster.internal.example", proxySubnetCidr: "10.20.0.0/23" }, {}, /proxySubnetCidr: 10\.20\.0\.0\/23 overlaps servicesCidr 10\.20\.0\.0\/20/);
    accept("prod", { ...GCP, ingress: "internal", ingressHost: "dagster.internal.example" });
  });
  it("a bad proxy-only range is reported once", () => {
    const text = refuse("prod", { ...GCP, ingress: "internal", ingressHost: "dagster.internal.example", proxySubnetCidr: "10.30.0.1/23" }, {});
    assert.equal((text.match(/proxySubnetCidr/g) ?? []).length, 1, text);
  });
});

describe("GCP names", () => {
  it("project ids", () => {
    refuse("prod", { ...GCP, "gcp:project": "Acme-Data" }, {}, /gcp:project: "Acme-Data" is not a GCP project id \(6-30 lowercase letters/);
    refuse("prod", { ...GCP, "gcp:project": "acme" }, {}, /gcp:project: "acme" is not a GCP project id/);
    refuse("prod", { ...GCP, "gcp:project": "a".repeat(31) }, {}, /is not a GCP project id/);
    refuse("prod", { "gcp:region": "europe-west4", clusterMode: "create" }, {}, /gcp:project: is not set, and this stack plans GCP resources/);
  });
  it("regions", () => {
    refuse("prod", { ...GCP, "gcp:region": "europe west4" }, {}, /gcp:region: "europe west4": a GCP region looks like europe-west4 or us-central1/);
    refuse("prod", { ...GCP, "gcp:region": "EUROPE-WEST4" }, {}, /a GCP region looks like/);
    accept("prod", { ...GCP, "gcp:region": "us-central1" });
  });
  it("cluster names (GKE: 40 characters; the nodes' service account <name>-nodes: 30)", () => {
    refuse("prod", { ...GCP, clusterName: "dagster-" }, {}, /clusterName: "dagster-": a GKE cluster name is 1-40 lowercase letters/);
    refuse("prod", { ...GCP, clusterName: "Dagster" }, {}, /a GKE cluster name/);
    refuse("prod", { ...GCP, clusterName: "a".repeat(25) }, {}, /clusterName: "a{25}": a service account id is 6-30 lowercase letters/);
    accept("prod", { ...GCP, clusterName: "a".repeat(24) });
  });
  it("network names (Compute Engine: 63, with the -private-services suffix)", () => {
    refuse("prod", { ...GCP, networkName: "n".repeat(47) }, {}, /networkName: "n{40}"… \(47 characters\): Compute Engine names are 1-63 lowercase letters/);
    accept("prod", { ...GCP, networkName: "n".repeat(46) });
    refuse("prod", { ...GCP, networkName: "Net" }, {}, /networkName: "Net": Compute Engine names/);
  });
  it("bucket names (Cloud Storage: 63 characters, no google)", () => {
    refuse("a234567890123456789012", { ...GCP, ...PROD_LIKE, "gcp:project": "a2345678901234567890123456789z" }, {}, /gcp:project: the bucket name "a2345678901234567890123456789z-dagster-a234567890123456789012-compute-logs" it derives is refused by Cloud Storage: a bucket name is 3-63 characters/);
    refuse("prod", { ...GCP, "gcp:project": "my-google-data" }, {}, /the bucket name "my-google-data-dagster-compute-logs" it derives is refused by Cloud Storage: a bucket name cannot start with "goog" or contain "google"/);
    refuse("prod", { ...GCP, "gcp:project": "goog-data-prod" }, {}, /cannot start with "goog"/);
    accept("prod", { ...GCP, buckets: "false", "gcp:project": "my-google-data" });
  });
  it("bucket locations", () => {
    refuse("prod", { ...GCP, bucketLocation: "europe west4" }, {}, /bucketLocation: "europe west4": a bucket location is a region/);
    for (const l of ["EU", "US", "EUR4", "EUROPE-WEST4", "nam4"]) assert.equal(accept("prod", { ...GCP, bucketLocation: l }).buckets?.location, l);
    assert.equal(accept("prod", GCP).buckets?.location, "EUROPE-WEST4");
  });
  it("Cloud SQL tiers (custom machine types)", () => {
    for (const [tier, why] of [
      ["db-custom-3-7680", /3 vCPUs: a custom tier has 1 or an even number of vCPUs up to 96/],
      ["db-custom-98-393216", /98 vCPUs/],
      ["db-custom-2-7000", /7000 MB: custom memory is a multiple of 256 MB/],
      ["db-custom-2-3584", /3584 MB for 2 vCPU: custom memory is 0\.9 to 6\.5 GB per vCPU, at least 3840 MB/],
      ["db-custom-1-6912", /6912 MB for 1 vCPU/],
      ["db-custom-8-7168", /7168 MB for 8 vCPU/],
      ["db-n1-standard-1", /a Cloud SQL tier is db-custom-<vCPUs>-<memory MB>/],
      ["db-custom-2", /a Cloud SQL tier is/],
    ] as const) {
      refuse("prod", { ...GCP, cloudSqlTier: tier }, {}, new RegExp(`cloudSqlTier: "${tier}": ${why.source}`));
    }
    for (const tier of ["db-f1-micro", "db-g1-small", "db-custom-1-3840", "db-custom-1-6656", "db-custom-2-7680", "db-custom-96-624640", "db-custom-4-3840", "db-custom-8-7424"]) accept("prod", { ...GCP, cloudSqlTier: tier });
  });
  it("the backup window", () => {
    for (const t of ["24:00", "2:00", "02:60", "0200", "02:00 "]) refuse("prod", { ...GCP, cloudSqlBackupStart: t }, {}, /cloudSqlBackupStart: .* is not a time HH:MM \(UTC, 24-hour\)/);
    for (const t of ["00:00", "23:59", "19:30"]) accept("prod", { ...GCP, cloudSqlBackupStart: t });
  });
  it("prod keeps deletion protection; another production-like stack may drop it", () => {
    refuse("prod", { ...GCP, cloudSqlDeletionProtection: "false" }, {}, /cloudSqlDeletionProtection: is false on the prod stack/);
    accept("staging", { ...GCP, ...PROD_LIKE, cloudSqlDeletionProtection: "false" });
  });
});

describe("values and secrets", () => {
  it("whole numbers at their bounds", () => {
    for (const [v, ok] of [["59", false], ["60", true], ["3600", true], ["3601", false], ["1e3", false], ["6.5e2", false], ["600.0", false], ["-600", false]] as const) {
      if (ok) assert.equal(accept("prod", { ...GCP, helmTimeoutSeconds: v }).helmTimeoutSeconds, Number(v));
      else refuse("prod", { ...GCP, helmTimeoutSeconds: v }, {}, new RegExp(`helmTimeoutSeconds: "${v.replace(/[.]/g, "\\.")}" is not a whole number between 60 and 3600`));
    }
  });
  it("booleans are true or false", () => refuse("prod", { ...GCP, cloudSql: "True" }, {}, /cloudSql: "True" is not a boolean \(use true or false\)/));
  it("a long value is printed as an excerpt", () => {
    const text = refuse("prod", { ...GCP, helmTimeoutSeconds: "9".repeat(10_000) }, {});
    assert.match(text, /helmTimeoutSeconds: "9{40}"… \(10,000 characters\) is not a whole number/);
    assert.ok(text.length < 1000);
  });
  for (const key of ["kubeconfig", "postgresPassword", "iapOAuthClientSecret", "snowflakePrivateKey"]) {
    const secrets = Object.fromEntries(Object.entries(K8S_SECRETS).filter(([k]) => k !== key));
    it(`${key} in plain text is refused`, () => refuse("staging", { ...K8S, ...PROD_LIKE, [key]: "plain" }, secrets, new RegExp(`${key}: is stored in plain text \\(set it with: pulumi config set --secret ${key} <value>\\)`)));
  }
  it("an unknown key, with a did-you-mean", () => refuse("prod", { ...GCP, clusterNmae: "x" }, {}, /dagster-platform:clusterNmae: unknown config key "clusterNmae" \(did you mean "clusterName"\?\)/));
  it("charts and images are pinned", () => {
    refuse("prod", { ...GCP, chartVersion: "1.13" }, {}, /chartVersion: "1\.13" is not a chart version such as 1\.13\.19/);
    refuse("prod", { ...GCP, chartRepository: "http://charts.example.com" }, {}, /chartRepository: "http:\/\/charts\.example\.com" is not an https URL/);
    refuse("prod", { ...GCP, systemImage: "docker.io/dagster/dagster-celery-k8s" }, {}, /systemImage: .* is not pinned/);
    refuse("prod", { ...GCP, systemImage: "registry.example.com/X:1" }, {}, /systemImage: "registry\.example\.com\/X:1" is not an image reference: the path component "X" must be lowercase/);
    refuse("prod", { ...GCP, verifyImage: "python:latest" }, {}, /verifyImage: "python:latest" is not a pinned image reference/);
    assert.deepEqual(accept("prod", { ...GCP, systemImage: "registry.example.com/dagster:1.13.19" }).systemImage, { repository: "registry.example.com/dagster", tag: "1.13.19" });
  });
});

describe("Snowflake and branch settings", () => {
  const SF = { snowflake: "true", snowflakeAccount: "acme-analytics", snowflakeWarehouse: "DAGSTER_WH", snowflakeUser: "DAGSTER_PROD", snowflakeRole: "DAGSTER_PROD" };
  const SF_KEY = { snowflakePrivateKey: "key" };
  it("valid Snowflake settings", () => assert.equal(accept("prod", { ...GCP, ...SF }, SF_KEY).snowflake?.prod?.role, "DAGSTER_PROD"));
  it("identifiers spliced into SQL are plain uppercase identifiers", () => {
    refuse("prod", { ...GCP, ...SF, snowflakeWarehouse: "dagster_wh" }, SF_KEY, /snowflakeWarehouse: "dagster_wh" is not an unquoted uppercase Snowflake identifier/);
    refuse("prod", { ...GCP, ...SF, snowflakeRole: "dagster-prod" }, SF_KEY, /snowflakeRole: "dagster-prod" is not an unquoted uppercase Snowflake identifier/);
    refuse("prod", { ...GCP, ...SF, snowflakeProductionDatabase: "PRODUCTION; DROP DATABASE X" }, SF_KEY, /snowflakeProductionDatabase: .* is not an unquoted uppercase Snowflake identifier/);
    refuse("prod", { ...GCP, ...SF, snowflakeAccount: "acme analytics" }, SF_KEY, /snowflakeAccount: "acme analytics" is not a Snowflake account identifier/);
  });
  it("prod needs its credentials", () => refuse("prod", { ...GCP, snowflake: "true", snowflakeAccount: "acme-analytics", snowflakeWarehouse: "DAGSTER_WH" }, {}, /snowflakeUser: is not set, and snowflake is true/, /snowflakeRole: is not set/, /snowflakePrivateKey: is not set/));
  const BRANCH = { commitSha: SHA, "gcp:project": "acme-data-preview", "gcp:region": "europe-west4", previewStack: "organization/dagster-platform/preview" };
  it("a branch never holds production credentials", () => {
    refuse("pr-7", { ...BRANCH, snowflake: "true", snowflakeAccount: "acme-analytics", snowflakeWarehouse: "DAGSTER_WH", snowflakeRole: "DAGSTER_PROD" }, {}, /snowflakeRole: is set on a branch stack/);
  });
  it("branch settings", () => {
    refuse("pr-7", { ...BRANCH, commitSha: "xyz1234" }, {}, /commitSha: "xyz1234" is not a git commit sha/);
    refuse("pr-7", { ...BRANCH, commitSha: "ABCDEF0" }, {}, /commitSha: "ABCDEF0" is not a git commit sha/);
    refuse("pr-7", { ...BRANCH, commitSha: "abcdef" }, {}, /commitSha: "abcdef" is not a git commit sha/);
    refuse("pr-7", { ...BRANCH, branch: "feat branch" }, {}, /branch: "feat branch" is not a git branch name/);
    refuse("pr-7", { ...BRANCH, branch: "b".repeat(256) }, {}, /branch: .* is not a git branch name/);
    refuse("pr-7", { ...BRANCH, previewStack: "preview" }, {}, /previewStack: "preview" is not a stack reference \(org\/project\/stack/);
    refuse("pr-7", { ...BRANCH, previewStack: "organization/dagster-platform/prod" }, {}, /previewStack: "organization\/dagster-platform\/prod" is not the preview stack/);
    refuse("pr-7", { ...BRANCH, previewStack: "" }, {}, /previewStack: is not set, and a branch stack reads/);
    refuse("prod", { ...GCP, branchLocations: "etl" }, {}, /branchLocations: is set on a non-branch stack/);
    const cfg = accept("pr-7", { ...BRANCH, branch: "b".repeat(255), recloneOnDeploy: "false" });
    assert.deepEqual(cfg.branch, { previewStack: "organization/dagster-platform/preview", recloneOnDeploy: false, objects: { secrets: [], configMaps: [] }, limits: { cpuQuota: "8", memoryQuota: "32Gi", podQuota: 50, maxConcurrentRuns: 4 } });
    assert.deepEqual(cfg.deployment, { kind: "branch", stack: "pr-7", pullRequest: 7, commitSha: SHA, branch: "b".repeat(255), commit: {} });
  });
  it("ingress hosts", () => {
    refuse("prod", { ...GCP, ingress: "iap", ingressHost: "Dagster.example", iapOAuthClientId: "id" }, { iapOAuthClientSecret: "s" }, /ingressHost: "Dagster\.example" is not a DNS host name/);
    refuse("pr-7", { ...BRANCH, ingress: "internal" }, {}, /ingressBranchDomain: is not set, and ingress is internal, so branch webservers need a host name under a domain/);
    const cfg = accept("pr-7", { ...BRANCH, ingress: "internal", ingressBranchDomain: "preview.acme.example" });
    assert.equal(cfg.ingress.mode === "internal" && cfg.ingress.host, "pr-7.preview.acme.example");
  });
});
