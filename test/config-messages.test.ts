/**
 * What a refused stack configuration prints: the stack, the key as `pulumi config` names it, the
 * value, and the fix. Expected lines are written out by hand from docs/configuration.md and the
 * rules' sources.
 */
import { strict as assert } from "assert";
import * as path from "path";
import { PlatformConfig, RawConfig, parsePlatformConfig } from "../config";
import { InputError, formatProblem } from "../locations/problems";
import { location, reposDir } from "./helpers/plan";

const repos = path.relative(process.cwd(), reposDir({ "etl.yaml": location("registry.example.com/etl:1.0.0"), "ml.yaml": location("registry.example.com/ml:1.0.0") }));
const SHA = "0123456789abcdef0123456789abcdef01234567";
type Values = Record<string, string>;
const ns = (k: string) => (k.includes(":") ? k : `dagster-platform:${k}`);

function raw(stack: string, values: Values, secrets: Values): RawConfig {
  const all: Values = { "dagster-platform:chartVersion": "1.13.19", "dagster-platform:reposDir": repos };
  for (const [k, v] of Object.entries({ ...values, ...secrets })) all[ns(k)] = v;
  return { project: "dagster-platform", stack, projectDir: process.cwd(), values: all, secretKeys: new Set(Object.keys(secrets).map(ns)) };
}

/** Prod with an existing cluster and an external PostgreSQL: nothing in GCP. */
const K8S = { cloudSql: "false", buckets: "false", registry: "false", postgresHost: "pg.internal" };
const K8S_SECRETS = { postgresPassword: "pw", kubeconfig: "apiVersion: v1" };
const GCP = { "gcp:project": "acme-data-prod", "gcp:region": "europe-west4", clusterMode: "create" };
const BRANCH = { commitSha: SHA, previewStack: "organization/dagster-platform/preview", "gcp:project": "acme-data-preview", "gcp:region": "europe-west4" };

/** Every line the refusal prints (without the leading "  - "), or [] when the config is accepted. */
function lines(stack: string, values: Values, secrets: Values = {}): string[] {
  try {
    parsePlatformConfig(raw(stack, values, secrets));
    return [];
  } catch (e) {
    assert.ok(e instanceof InputError, String(e));
    assert.ok(e.message.startsWith(`Refusing to plan stack "${stack}": `), e.message);
    return e.problems.map(formatProblem);
  }
}

function accept(stack: string, values: Values, secrets: Values = {}): PlatformConfig {
  return parsePlatformConfig(raw(stack, values, secrets));
}

/** The refusal holds exactly these lines. */
function refuses(stack: string, values: Values, secrets: Values, expected: string[]): void {
  assert.deepEqual(lines(stack, values, secrets), expected);
}

describe("what a refused stack configuration prints", () => {
  it("Dagster: chart version, repository, images", () => {
    refuses("prod", { ...K8S, chartVersion: "", chartRepository: "xhttps://charts.example.com", systemImage: "a.io/dagster:latest" }, K8S_SECRETS, [
      "stack prod config: dagster-platform:chartRepository: \"xhttps://charts.example.com\" is not an https URL",
      "stack prod config: dagster-platform:chartVersion: is not set, and the Helm charts must be pinned (pulumi config set chartVersion <value>)",
      "stack prod config: dagster-platform:systemImage: \"a.io/dagster:latest\" is not pinned (use a tag other than latest, or a digest)",
    ]);
    refuses("prod", { ...K8S, chartRepository: "https://charts.example.com/a b" }, K8S_SECRETS, ["stack prod config: dagster-platform:chartRepository: \"https://charts.example.com/a b\" is not an https URL"]);
  });

  it("the default system image is the chart's own at the chart's version", () => {
    const cfg = accept("prod", K8S, K8S_SECRETS);
    assert.deepEqual(cfg.systemImage, { repository: "docker.io/dagster/dagster-celery-k8s", tag: "1.13.19" });
    assert.equal(cfg.verify.image, "docker.io/dagster/dagster-celery-k8s:1.13.19");
  });

  it("namespaces Kubernetes owns, and a branch's", () => {
    for (const namespace of ["default", "kube-system", "kube-public", "kube-node-lease", "kube-x"]) {
      refuses("prod", { ...K8S, namespace }, K8S_SECRETS, [
        `stack prod config: dagster-platform:namespace: "${namespace}" belongs to Kubernetes itself (the kube- prefix and default are reserved for the system; use a namespace of the platform's own, e.g. dagster)`,
      ]);
    }
    refuses("prod", { ...K8S, namespace: "dagster-pr-12" }, K8S_SECRETS, ["stack prod config: dagster-platform:namespace: \"dagster-pr-12\" is a branch deployment's namespace (dagster-pr-<N> belongs to the pr-<N> stack; choose another name)"]);
    refuses("prod", { ...K8S, namespace: "Dagster" }, K8S_SECRETS, ["stack prod config: dagster-platform:namespace: \"Dagster\" is not a Kubernetes namespace name (lowercase letters, digits and -, starting and ending alphanumeric, at most 63)"]);
    for (const namespace of ["my-dagster-pr-1", "dagster-pr-1x", "dagster-pr-x"]) assert.equal(accept("prod", { ...K8S, namespace }, K8S_SECRETS).namespace, namespace);
  });

  it("branch stacks: what CI sets, and what they may not set", () => {
    refuses("pr-7", { ...BRANCH, commitSha: "" }, {}, ["stack pr-7 config: dagster-platform:commitSha: is not set, and a branch stack deploys one commit (CI sets it) (pulumi config set commitSha <value>)"]);
    refuses("pr-7", { ...BRANCH, commitSha: "xyz" }, {}, ["stack pr-7 config: dagster-platform:commitSha: \"xyz\" is not a git commit sha (7 to 40 lowercase hex characters)"]);
    refuses("pr-7", { ...BRANCH, branch: "a b" }, {}, ["stack pr-7 config: dagster-platform:branch: \"a b\" is not a git branch name (what git check-ref-format accepts, at most 255 characters)"]);
    refuses("pr-7", { ...BRANCH, environment: "production" }, {}, ["stack pr-7 config: dagster-platform:environment: is set on a branch stack (a branch deployment is never production-like; unset it)"]);
    refuses("pr-7", { ...BRANCH, namespace: "x" }, {}, ["stack pr-7 config: dagster-platform:namespace: is set on a branch stack (branch namespaces are always dagster-pr-<N>; unset it)"]);
  });

  it("another stack name that cannot name resources", () => {
    refuses("Stage_1", { ...K8S, environment: "production" }, K8S_SECRETS, [
      "stack Stage_1 config: (stack name): the stack name \"Stage_1\" cannot name a deployment's resources (a production-like stack other than prod needs a name of lowercase letters, digits and -, starting with a letter, at most 22 characters (dagster-<stack> names its service account, at most 30))",
    ]);
    assert.equal(accept("s", { ...K8S, environment: "production" }, K8S_SECRETS).namespace, "dagster-s");
  });

  it("GCP: project, region, Cloud SQL", () => {
    refuses("prod", { clusterMode: "create" }, {}, [
      "stack prod config: gcp:project: is not set, and this stack plans GCP resources (pulumi config set gcp:project <project id>)",
      "stack prod config: gcp:region: is not set, and this stack plans GCP resources (pulumi config set gcp:region europe-west4)",
    ]);
    refuses("prod", { ...GCP, cloudSqlBackupStart: "x02:00", cloudSqlDeletionProtection: "false" }, {}, [
      "stack prod config: dagster-platform:cloudSqlBackupStart: \"x02:00\" is not a time HH:MM (UTC, 24-hour)",
      "stack prod config: dagster-platform:cloudSqlDeletionProtection: is false on the prod stack (prod run history is protected; keep it true)",
    ]);
    refuses("prod", { ...GCP, cloudSqlBackupStart: "02:00x" }, {}, ["stack prod config: dagster-platform:cloudSqlBackupStart: \"02:00x\" is not a time HH:MM (UTC, 24-hour)"]);
  });

  it("GCP names the stack derives", () => {
    refuses("prod", { ...GCP, clusterName: "a".repeat(25) }, {}, [
      `stack prod config: dagster-platform:clusterName: "${"a".repeat(25)}": a service account id is 6-30 lowercase letters, digits and -, starting with a letter and not ending with - (its nodes' service account is <name>-nodes, at most 30 characters, so at most 24)`,
    ]);
    refuses("prod", { ...GCP, networkName: "n".repeat(47) }, {}, [
      `stack prod config: dagster-platform:networkName: "${"n".repeat(40)}"… (47 characters): Compute Engine names are 1-63 lowercase letters, digits and -, starting with a letter and not ending with - (RFC 1035) (with the -private-services suffix it derives, at most 46 characters)`,
    ]);
  });

  it("an external PostgreSQL", () => {
    refuses("prod", { cloudSql: "false", buckets: "false", registry: "false" }, { kubeconfig: "k" }, [
      "stack prod config: dagster-platform:postgresHost: is not set, and cloudSql is false, so Dagster needs an external PostgreSQL (pulumi config set postgresHost <value>)",
      "stack prod config: dagster-platform:postgresPassword: is not set, and cloudSql is false, so Dagster needs the external PostgreSQL's password (pulumi config set --secret postgresPassword <value>)",
    ]);
    const pg = accept("prod", K8S, K8S_SECRETS).postgres;
    assert.equal(pg.mode === "external" && `${pg.host}:${pg.port}/${pg.database} as ${pg.user}`, "pg.internal:5432/dagster as dagster");
  });

  it("IAP needs an OAuth client", () => {
    refuses("prod", { ...GCP, ingress: "iap", ingressHost: "dagster.acme.example" }, {}, [
      "stack prod config: dagster-platform:iapOAuthClientId: is not set, and IAP needs an OAuth client (pulumi config set iapOAuthClientId <value>)",
      "stack prod config: dagster-platform:iapOAuthClientSecret: is not set, and IAP needs an OAuth client (pulumi config set --secret iapOAuthClientSecret <value>)",
    ]);
  });

  it("Snowflake identifiers", () => {
    const sf = { snowflake: "true", snowflakeWarehouse: "WH", snowflakeUser: "U", snowflakeRole: "R" };
    refuses("prod", { ...K8S, ...sf, snowflakeAccount: "acme analytics" }, { ...K8S_SECRETS, snowflakePrivateKey: "k" }, [
      "stack prod config: dagster-platform:snowflakeAccount: \"acme analytics\" is not a Snowflake account identifier (<org>-<account>, e.g. acme-analytics)",
    ]);
    refuses("prod", { ...K8S, ...sf, snowflakeAccount: "acme.x" }, { ...K8S_SECRETS, snowflakePrivateKey: "k" }, []);
    refuses("prod", { ...K8S, ...sf, snowflakeAccount: "acme.", snowflakeWarehouse: "wh-1" }, { ...K8S_SECRETS, snowflakePrivateKey: "k" }, [
      "stack prod config: dagster-platform:snowflakeAccount: \"acme.\" is not a Snowflake account identifier (<org>-<account>, e.g. acme-analytics)",
      "stack prod config: dagster-platform:snowflakeWarehouse: \"wh-1\" is not an unquoted uppercase Snowflake identifier (letters A-Z, digits and _, starting with a letter; it is spliced into SQL)",
    ]);
  });

  it("keys: unknown, whole numbers, booleans, enums", () => {
    refuses("prod", { ...K8S, zzzzzzzz: "1" }, K8S_SECRETS, ["stack prod config: dagster-platform:zzzzzzzz: unknown config key \"zzzzzzzz\" (see docs/configuration.md for the keys)"]);
    assert.equal(accept("prod", { ...K8S, helmTimeoutSeconds: " 900 " }, K8S_SECRETS).helmTimeoutSeconds, 900);
    refuses("prod", { ...K8S, helmTimeoutSeconds: "59", buckets: "yes", workspaceRollout: "zzz" }, K8S_SECRETS, [
      "stack prod config: dagster-platform:buckets: \"yes\" is not a boolean (use true or false)",
      "stack prod config: dagster-platform:helmTimeoutSeconds: \"59\" is not a whole number between 60 and 3600",
      "stack prod config: dagster-platform:workspaceRollout: \"zzz\" is not one of reload, restart",
      // buckets falls back to its default (true), which needs GCP.
      "stack prod config: gcp:project: is not set, and this stack plans GCP resources (pulumi config set gcp:project <project id>)",
      "stack prod config: gcp:region: is not set, and this stack plans GCP resources (pulumi config set gcp:region europe-west4)",
    ]);
  });

  it("a secret in plain text", () => {
    refuses("prod", { ...K8S, postgresPassword: "pw" }, { kubeconfig: "k" }, ["stack prod config: dagster-platform:postgresPassword: is stored in plain text (set it with: pulumi config set --secret postgresPassword <value>)"]);
  });

  it("branchLocations names locations that exist", () => {
    refuses("pr-7", { ...BRANCH, branchLocations: "etl, zzzzzz" }, {}, ["stack pr-7 config: dagster-platform:branchLocations: \"zzzzzz\" is not a location in " + repos + "/ (known: etl, ml)"]);
    refuses("pr-7", { ...BRANCH, branchLocations: "etk" }, {}, ["stack pr-7 config: dagster-platform:branchLocations: \"etk\" is not a location in " + repos + "/ (did you mean \"etl\"?)"]);
    assert.deepEqual(accept("pr-7", { ...BRANCH, branchLocations: " ml " }).locations.map((l) => l.name), ["ml"]);
    assert.deepEqual(accept("pr-7", { ...BRANCH, branchLocations: " all " }).locations.map((l) => l.name), ["etl", "ml"]);
    refuses("prod", { ...K8S, branchLocations: "ml" }, K8S_SECRETS, ["stack prod config: dagster-platform:branchLocations: is set on a non-branch stack (only pr-<N> stacks run a subset of locations)"]);
  });
});
