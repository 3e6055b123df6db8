/**
 * Edges of the stack-configuration rules the other config tests leave open: Snowflake settings
 * and clone freshness, the preview stack's branch-safe values, the shared value formats, and
 * defaults. Every expected value and refusal line is written out here, never computed by the
 * code under test.
 */
import { strict as assert } from "assert";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { PlatformConfig, RawConfig, parsePlatformConfig } from "../config";
import { DNS_LABEL, GCP_SERVICE_ACCOUNT, GIT_SHA, HOST, SEMVER, STACK_REF } from "../config/formats";
import { InputError } from "../locations/problems";
import { location, reposDir } from "./helpers/plan";

type Values = Record<string, string>;
const SHA = "0123456789abcdef0123456789abcdef01234567";
const ns = (k: string) => (k.includes(":") ? k : `dagster-platform:${k}`);
const plain = path.relative(process.cwd(), reposDir({ "etl.yaml": location("registry.example.com/etl:1.0.0") }));

function raw(stack: string, values: Values, secrets: Values = {}, repos = plain): RawConfig {
  const all: Values = { "dagster-platform:chartVersion": "1.13.19", "dagster-platform:reposDir": repos };
  for (const [k, v] of Object.entries({ ...values, ...secrets })) all[ns(k)] = v;
  return { project: "dagster-platform", stack, projectDir: process.cwd(), values: all, secretKeys: new Set(Object.keys(secrets).map(ns)) };
}

/** The refusal's problem lines, without the heading. */
function problems(r: RawConfig): string[] {
  try {
    parsePlatformConfig(r);
  } catch (e) {
    assert.ok(e instanceof InputError, String(e));
    return e.message.split("\n").slice(1).map((l) => l.trim());
  }
  assert.fail("expected the configuration to be refused");
}

const GCP = { "gcp:project": "acme-data-prod", "gcp:region": "europe-west4", clusterMode: "create" };
const SF = { snowflake: "true", snowflakeAccount: "acme-analytics", snowflakeWarehouse: "DAGSTER_WH", snowflakeUser: "DAGSTER_PROD", snowflakeRole: "DAGSTER_PROD" };
const SF_KEY = { snowflakePrivateKey: "key" };
const BRANCH = { "gcp:project": "acme-data-preview", "gcp:region": "europe-west4", commitSha: SHA, previewStack: "organization/dagster-platform/preview" };
const BRANCH_SF = { ...BRANCH, snowflake: "true", snowflakeAccount: "acme-analytics", snowflakeWarehouse: "DAGSTER_WH" };

async function secretValue(o: pulumi.Output<unknown>): Promise<unknown> {
  return new Promise((resolve) => o.apply(resolve));
}

describe("Snowflake settings at their edges", () => {
  it("prod: the production database defaults to PRODUCTION; the credentials are kept as given", async () => {
    const sf = parsePlatformConfig(raw("prod", { ...GCP, ...SF }, SF_KEY)).snowflake as NonNullable<PlatformConfig["snowflake"]>;
    assert.equal(sf.productionDatabase, "PRODUCTION");
    assert.deepEqual([sf.account, sf.warehouse, sf.prod?.user, sf.prod?.role], ["acme-analytics", "DAGSTER_WH", "DAGSTER_PROD", "DAGSTER_PROD"]);
    assert.equal(await secretValue(sf.prod?.privateKey as pulumi.Output<string>), "key");
  });

  it("account identifiers: <org>-<account>, or a locator with dotted region parts of any length", () => {
    for (const account of ["acme-analytics", "xy12345.us-east-1", "xy12345.eu-west-1.aws", "A_B"]) {
      assert.equal(parsePlatformConfig(raw("prod", { ...GCP, ...SF, snowflakeAccount: account }, SF_KEY)).snowflake?.account, account);
    }
    for (const account of ["acme analytics", ".acme", "acme.", "acme..x", "-acme"]) {
      assert.ok(problems(raw("prod", { ...GCP, ...SF, snowflakeAccount: account }, SF_KEY)).some((l) => l.includes("is not a Snowflake account identifier")), account);
    }
  });

  it("the production database name leaves room for _CLONE_<N> (at most 200 characters)", () => {
    const longest = `P${"A".repeat(199)}`;
    assert.equal(parsePlatformConfig(raw("prod", { ...GCP, ...SF, snowflakeProductionDatabase: longest }, SF_KEY)).snowflake?.productionDatabase, longest);
    assert.deepEqual(problems(raw("prod", { ...GCP, ...SF, snowflakeProductionDatabase: `${longest}A` }, SF_KEY)), [
      `- stack prod config: dagster-platform:snowflakeProductionDatabase: "${longest}A" is longer than 200 characters (<name>_CLONE_<N> must fit Snowflake's 255)`,
    ]);
  });

  it("a branch holding production credentials is refused key by key, with the reason", () => {
    assert.deepEqual(problems(raw("pr-7", { ...BRANCH_SF, snowflakeUser: "U", snowflakeRole: "R" }, SF_KEY)), [
      "- stack pr-7 config: dagster-platform:snowflakePrivateKey: is set on a branch stack (branch stacks never hold production Snowflake credentials; they mint their own user and key. Unset it)",
      "- stack pr-7 config: dagster-platform:snowflakeRole: is set on a branch stack (branch stacks never hold production Snowflake credentials; they mint their own user and key. Unset it)",
      "- stack pr-7 config: dagster-platform:snowflakeUser: is set on a branch stack (branch stacks never hold production Snowflake credentials; they mint their own user and key. Unset it)",
    ]);
  });

  it("pullRequestOpenedAt belongs to branches", () => {
    assert.deepEqual(problems(raw("prod", { ...GCP, ...SF, pullRequestOpenedAt: "2025-03-01T12:00:00Z" }, SF_KEY)), [
      "- stack prod config: dagster-platform:pullRequestOpenedAt: is set on a non-branch stack (only pr-<N> stacks clone production; unset it)",
    ]);
  });

  it("clone freshness: push clones production as it is; pull-request-opened clones it as of the opening", () => {
    const at = (values: Values) => parsePlatformConfig(raw("pr-7", { ...BRANCH_SF, ...values })).snowflake?.cloneAt;
    assert.equal(at({}), undefined);
    assert.equal(at({ pullRequestOpenedAt: "2025-03-01T12:00:00Z" }), undefined, "push ignores the opening time");
    assert.equal(at({ snowflakeCloneFreshness: "pull-request-opened", pullRequestOpenedAt: "2025-03-01T12:00:00Z" }), "2025-03-01T12:00:00Z");
    assert.equal(at({ snowflakeCloneFreshness: "pull-request-opened", pullRequestOpenedAt: "2025-03-01T12:00:00+05:30" }), "2025-03-01T12:00:00+05:30");
    assert.deepEqual(problems(raw("pr-7", { ...BRANCH_SF, snowflakeCloneFreshness: "pull-request-opened" })), [
      "- stack pr-7 config: dagster-platform:pullRequestOpenedAt: is not set, and snowflakeCloneFreshness is pull-request-opened (CI passes it: npm run branch -- up … --opened-at <pull request created_at>)",
    ]);
    for (const freshness of ["push", "pull-request-opened"]) {
      assert.deepEqual(problems(raw("pr-7", { ...BRANCH_SF, snowflakeCloneFreshness: freshness, pullRequestOpenedAt: "yesterday" })), [
        "- stack pr-7 config: dagster-platform:pullRequestOpenedAt: \"yesterday\" is not an ISO 8601 time with seconds and a zone (e.g. 2025-03-01T12:00:00Z, as GitHub's pull_request.created_at)",
      ], freshness);
    }
  });
});

describe("the preview stack's branch-safe values", () => {
  const DEPLOYER = "dagster-branch-deployer@acme-data-preview.iam.gserviceaccount.com";
  const PREVIEW = { "gcp:project": "acme-data-preview", "gcp:region": "europe-west4", clusterMode: "create", branchDeployer: DEPLOYER };
  const preview = (values: Values, secretValues: string) => raw("preview", { ...PREVIEW, ...values }, { branchSecretValues: secretValues });
  const refusal = (values: Values, secretValues: string) => problems(preview(values, secretValues));

  it("names are trimmed, deduplicated and sorted; a name Kubernetes refuses is named", () => {
    const cfg = parsePlatformConfig(preview({ branchSecretNames: " zeta , alpha,zeta,, ", branchConfigMapNames: "m2,m1", branchConfigMapValues: '{"m1": {}, "m2": {}}' }, '{"alpha": {}, "zeta": {}}'));
    assert.deepEqual(cfg.preview?.objects, { secrets: ["alpha", "zeta"], configMaps: ["m1", "m2"] });
    assert.deepEqual(refusal({ branchSecretNames: "Bad_Name" }, "{}"), [
      "- stack preview config: dagster-platform:branchSecretNames: \"Bad_Name\" is not a Kubernetes object name (lowercase letters, digits, - and ., at most 253)",
      "- stack preview config: dagster-platform:branchSecretValues: has no entry for \"Bad_Name\", which branchSecretNames lists",
    ]);
  });

  it("values that are not a JSON object of objects of strings are refused, naming entry and key, never the value", () => {
    assert.deepEqual(refusal({ branchSecretNames: "api" }, "not json"), ["- stack preview config: dagster-platform:branchSecretValues: is not JSON (write {\"<name>\": {\"KEY\": \"value\"}, …})"]);
    for (const text of ["[]", "null", "\"x\""]) {
      assert.deepEqual(refusal({ branchSecretNames: "api" }, text), ["- stack preview config: dagster-platform:branchSecretValues: is not a JSON object of names (write {\"<name>\": {\"KEY\": \"value\"}, …})"], text);
    }
    for (const entry of ["[]", "null", "\"s3cr3t\""]) {
      assert.deepEqual(refusal({ branchSecretNames: "api" }, `{"api": ${entry}}`), ["- stack preview config: dagster-platform:branchSecretValues: entry \"api\" is not an object of KEY: value"], entry);
    }
    const lines = refusal({ branchSecretNames: "api" }, '{"api": {"TOKEN": 42, "1BAD": "v", "A-B": "v", "OK_1": "v"}}');
    assert.deepEqual(lines, [
      "- stack preview config: dagster-platform:branchSecretValues: entry \"api\", key \"TOKEN\": the value is not a string (quote numbers and booleans)",
      "- stack preview config: dagster-platform:branchSecretValues: entry \"api\": key \"1BAD\" is not an environment variable name (locations load these with envFrom: letters, digits and _, not starting with a digit)",
      "- stack preview config: dagster-platform:branchSecretValues: entry \"api\": key \"A-B\" is not an environment variable name (locations load these with envFrom: letters, digits and _, not starting with a digit)",
    ]);
    assert.ok(!lines.join("\n").includes("42"), "the value is never shown");
  });

  it("every listed name has exactly one entry, and unlisted entries are named in order", () => {
    assert.deepEqual(refusal({ branchSecretNames: "api" }, '{"zz": {}, "api": {}, "mm": {}}'), [
      "- stack preview config: dagster-platform:branchSecretValues: has an entry \"mm\", which branchSecretNames does not list (add it to branchSecretNames in Pulumi.yaml, or remove it)",
      "- stack preview config: dagster-platform:branchSecretValues: has an entry \"zz\", which branchSecretNames does not list (add it to branchSecretNames in Pulumi.yaml, or remove it)",
    ]);
    assert.deepEqual(refusal({ branchConfigMapNames: "settings", branchConfigMapValues: '{"other": {}}' }, "{}"), [
      "- stack preview config: dagster-platform:branchConfigMapValues: has an entry \"other\", which branchConfigMapNames does not list (add it to branchConfigMapNames in Pulumi.yaml, or remove it)",
      "- stack preview config: dagster-platform:branchConfigMapValues: has no entry for \"settings\", which branchConfigMapNames lists",
    ]);
  });

  it("a ConfigMap key that looks like a secret is refused; a Secret may hold one", async () => {
    assert.deepEqual(refusal({ branchConfigMapNames: "settings", branchConfigMapValues: '{"settings": {"API_TOKEN": "x", "REGION": "eu"}}' }, "{}"), [
      "- stack preview config: dagster-platform:branchConfigMapValues: entry \"settings\": key \"API_TOKEN\" looks like a secret (a ConfigMap is not encrypted: put it in a Secret (branchSecretNames/branchSecretValues))",
    ]);
    const cfg = parsePlatformConfig(preview({ branchSecretNames: "api", branchConfigMapNames: "settings", branchConfigMapValues: '{"settings": {"REGION": "eu"}}' }, '{"api": {"API_TOKEN": "sandbox"}}'));
    assert.deepEqual(cfg.preview?.configMapValues, { settings: { REGION: "eu" } });
    assert.deepEqual(await secretValue(cfg.preview?.secretValues as pulumi.Output<unknown>), { api: { API_TOKEN: "sandbox" } });
  });
});

describe("shared value formats", () => {
  const accepts = (re: RegExp, good: string[], bad: string[]) => {
    for (const g of good) assert.ok(re.test(g), `${re} accepts ${JSON.stringify(g)}`);
    for (const b of bad) assert.ok(!re.test(b), `${re} refuses ${JSON.stringify(b)}`);
  };
  it("DNS host names (RFC 1123, at least two labels, at most 253)", () => {
    const long = `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(61)}`; // 253
    accepts(HOST, ["a.b", "dagster.acme.example", "x-1.y-2.example", "1a.example", long], ["example", "Dagster.example", "-a.example", "a-.example", "a..example", "a.example.", " a.example", `${long}x`, "a.b c"]);
  });
  it("stack references org/project/stack", () => {
    accepts(STACK_REF, ["organization/dagster-platform/preview", "o/p/s", "A.b_c/p-1/s.2"], ["o/p", "o/p/s/x", "/p/s", "o//s", "o/p/-s", " o/p/s", "o/p/s ", "o/p/s\nx"]);
  });
  it("git commit shas: 7 to 40 lowercase hex", () => {
    accepts(GIT_SHA, ["abcdef0", SHA], ["abcdef", `${SHA}0`, "ABCDEF0", "abcdefg", ` ${SHA}`, `${SHA} `]);
  });
  it("chart versions (semver, optional pre-release)", () => {
    accepts(SEMVER, ["1.13.19", "10.0.0", "1.2.3-rc.1", "1.2.3-alpha-2"], ["1.2", "v1.2.3", "1.2.3-", "1.2.3+build", " 1.2.3", "1.2.3 ", "1.2.3-rc_1", "1.2.3-rc 1"]);
  });
  it("DNS labels (RFC 1123)", () => {
    accepts(DNS_LABEL, ["a", "a1", "a-b", "1a"], ["", "-a", "a-", "A", "a.b", "a_b", " a"]);
  });
  it("Google service account emails", () => {
    accepts(GCP_SERVICE_ACCOUNT, ["dagster-branch-deployer@acme-data-preview.iam.gserviceaccount.com", "abcdef@abcdef.iam.gserviceaccount.com"], [
      "abcde@abcdef.iam.gserviceaccount.com",
      "dagster@acme.iam.gserviceaccount.com",
      "Dagster@acme-data.iam.gserviceaccount.com",
      "dagster@acme-data.iam.gserviceaccount.com.evil",
      "x dagster@acme-data.iam.gserviceaccount.com",
      "dagster@acme-data.iamxgserviceaccount.com",
    ]);
  });
});

describe("environment variables the chart sets itself", () => {
  it("a location may not set what the chart sets in every code server", () => {
    for (const name of ["DAGSTER_HOME", "DAGSTER_CURRENT_IMAGE", "DAGSTER_K8S_PIPELINE_RUN_NAMESPACE", "DAGSTER_K8S_PIPELINE_RUN_ENV_CONFIGMAP", "DAGSTER_PG_PASSWORD"]) {
      const repos = path.relative(process.cwd(), reposDir({ "etl.yaml": location("registry.example.com/etl:1.0.0", `env: {${name}: x}\n`) }));
      const lines = problems(raw("prod", GCP, {}, repos));
      assert.ok(lines.some((l) => l.includes(`env.${name}: "${name}" is set by the platform for every location`)), `${name}: ${lines.join("; ")}`);
    }
  });
});

describe("defaults and derived checks", () => {
  it("Cloud SQL defaults: backup at 02:00, the smallest custom tier", () => {
    const pg = parsePlatformConfig(raw("prod", GCP)).postgres;
    assert.equal(pg.mode === "cloudsql" && `${pg.backupStart} ${pg.tier}`, "02:00 db-custom-1-3840");
  });
  it("an external PostgreSQL defaults to database and user dagster", () => {
    const pg = parsePlatformConfig(raw("prod", { cloudSql: "false", buckets: "false", registry: "false", postgresHost: "pg.internal", ambientKubeconfig: "true" }, { postgresPassword: "pw" })).postgres;
    assert.deepEqual(pg.mode === "external" && [pg.host, pg.port, pg.database, pg.user], ["pg.internal", 5432, "dagster", "dagster"]);
  });
  it("the longest project id and other stack name still derive a Cloud SQL instance id, service account and registry", () => {
    const project = `p${"a".repeat(28)}x`; // 30, the longest project id
    const stack = `s${"b".repeat(21)}`; // 22, the longest other stack name: dagster-<stack> is 30
    const cfg = parsePlatformConfig(raw(stack, { ...GCP, environment: "production", "gcp:project": project, buckets: "false", clusterName: "c", networkName: "n" }));
    assert.deepEqual([cfg.deployment.stack, cfg.gcp?.project, cfg.postgres.mode], [stack, project, "cloudsql"]);
  });
  it("the secrets a stack planned with placeholders are listed", () => {
    const r = { ...raw("prod", { ...GCP, ...SF, ingress: "iap", ingressHost: "dagster.acme.example", iapOAuthClientId: "x.apps.googleusercontent.com" }), secretPlaceholders: true };
    assert.deepEqual(parsePlatformConfig(r).secretPlaceholders, ["iapOAuthClientSecret", "snowflakePrivateKey"]);
  });
});
