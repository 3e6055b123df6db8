/** Stack configuration: parsed once, every problem reported at once, with the fix. */
import { strict as assert } from "assert";
import * as path from "path";
import { PlatformConfig, RawConfig, parsePlatformConfig } from "../config";
import { CONFIG_KEYS } from "../config/keys";
import { InputError } from "../locations/problems";
import { location, reposDir } from "./helpers/plan";

const repos = reposDir({ "etl.yaml": location("registry.example.com/etl:1.0.0") });

function raw(stack: string, values: Record<string, string>, secret: string[] = []): RawConfig {
  const ns = (k: string) => (k.includes(":") ? k : `dagster-platform:${k}`);
  const all: Record<string, string> = { "dagster-platform:chartVersion": "1.13.19", "dagster-platform:reposDir": path.relative(process.cwd(), repos) };
  for (const [k, v] of Object.entries(values)) all[ns(k)] = v;
  return { project: "dagster-platform", stack, projectDir: process.cwd(), values: all, secretKeys: new Set(secret.map(ns)) };
}

const K8S_ONLY = { environment: "production", cloudSql: "false", buckets: "false", registry: "false", postgresHost: "pg.internal", postgresPassword: "pw", kubeconfig: "k" };

function problems(r: RawConfig): string {
  try {
    parsePlatformConfig(r);
  } catch (e) {
    assert.ok(e instanceof InputError);
    return e.message;
  }
  assert.fail("expected the configuration to be refused");
}

describe("stack configuration", () => {
  it("a Kubernetes-only stack needs nothing from GCP", () => {
    const cfg: PlatformConfig = parsePlatformConfig(raw("staging", K8S_ONLY, ["postgresPassword", "kubeconfig"]));
    assert.equal(cfg.gcp, undefined);
    assert.equal(cfg.cluster.mode, "existing");
    assert.equal(cfg.postgres.mode, "external");
    assert.equal(cfg.workspaceRollout, "reload");
    assert.deepEqual(cfg.locations.map((l) => l.name), ["etl"]);
  });

  it("reports every config problem together", () => {
    const text = problems(raw("staging", { ...K8S_ONLY, cloudSql: "yes", helmTimeoutSeconds: "5", workspaceRollout: "reloaded", ingress: "public" }, ["postgresPassword", "kubeconfig"]));
    assert.match(text, /cloudSql: "yes" is not a boolean \(use true or false\)/);
    assert.match(text, /helmTimeoutSeconds: "5" is not a whole number between 60 and 3600/);
    assert.match(text, /workspaceRollout: "reloaded" is not one of reload, restart \(did you mean "reload"\?\)/);
    assert.match(text, /ingress: "public" is not one of none, iap, internal/);
  });

  it("a branch stack takes the head commit's metadata from CI (Dagster+ variables); prod refuses it", () => {
    const sha = "0123456789abcdef0123456789abcdef01234567";
    const commit = { commitTimestamp: "1724871941", commitAuthorName: "Ada", commitAuthorEmail: "ada@example.com", commitMessage: "Better attribution\n\nLong body", gitRepository: "acme/dagster-platform" };
    const branch = { "gcp:project": "acme-data-preview", "gcp:region": "europe-west4", commitSha: sha, previewStack: "organization/dagster-platform/preview", ...commit };
    const cfg = parsePlatformConfig(raw("pr-42", branch));
    assert.equal(cfg.deployment.kind, "branch");
    assert.deepEqual(cfg.deployment.kind === "branch" && cfg.deployment.commit, { timestamp: "1724871941", authorName: "Ada", authorEmail: "ada@example.com", message: "Better attribution", repository: "acme/dagster-platform" });
    assert.match(problems(raw("pr-42", { ...branch, commitTimestamp: "yesterday" })), /commitTimestamp: "yesterday" is not a Unix time in seconds/);
    assert.match(problems(raw("staging", { ...K8S_ONLY, commitAuthorName: "Ada" }, ["postgresPassword", "kubeconfig"])), /commitAuthorName: is set on a non-branch stack/);
  });

  it("GCP features need gcp:project and gcp:region", () => {
    const text = problems(raw("staging", { environment: "production", postgresHost: "x" }));
    assert.match(text, /gcp:project: is not set, and this stack plans GCP resources/);
    assert.match(text, /gcp:region: is not set/);
  });

  it("create mode takes no kubeconfig; an existing cluster cannot reach a Cloud SQL in a new VPC", () => {
    const gcp = { "gcp:project": "acme-data-prod", "gcp:region": "europe-west4" };
    assert.match(problems(raw("prod", { ...gcp, clusterMode: "create", kubeconfig: "k" }, ["kubeconfig"])), /kubeconfig: is set, but clusterMode is create/);
    assert.match(problems(raw("prod", { ...gcp, clusterMode: "existing" })), /network: is create, but the cluster is an existing one.*networkName/);
  });

  it("prod keeps Cloud SQL deletion protection; ingress needs a host and, for IAP, an OAuth client", () => {
    const gcp = { "gcp:project": "acme-data-prod", "gcp:region": "europe-west4", clusterMode: "create" };
    assert.match(problems(raw("prod", { ...gcp, cloudSqlDeletionProtection: "false" })), /cloudSqlDeletionProtection: is false on the prod stack/);
    const text = problems(raw("prod", { ...gcp, ingress: "iap" }));
    assert.match(text, /ingressHost: is not set, and ingress is iap/);
    assert.match(text, /iapOAuthClientId: is not set/);
    assert.match(text, /iapOAuthClientSecret: is not set.*pulumi config set --secret iapOAuthClientSecret/);
  });

  it("docs/configuration.md documents every key, as npm run docs:config generates it", async () => {
    const fs = await import("fs");
    const { CONFIG_DOC, renderConfigDoc } = await import("../scripts/config-doc");
    const doc = fs.readFileSync(CONFIG_DOC, "utf8");
    for (const key of Object.keys(CONFIG_KEYS)) assert.ok(doc.includes(`\`${key}\``), `docs/configuration.md documents ${key}`);
    assert.equal(doc, renderConfigDoc(doc), "docs/configuration.md is stale: run npm run docs:config");
  });
});
