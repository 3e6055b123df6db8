/**
 * Every Helm values object the program renders, checked the way `helm install` checks it:
 * coalesced over the chart's defaults, validated against the chart's values.schema.json, and run
 * through the templates' `fail` conditions. A value Helm would reject fails this test.
 */
import { strict as assert } from "assert";
import { ErrorObject } from "ajv";
import { Plan } from "../offline/plan";
import { describeErrors, helmCoalesce, readFixture, systemTemplateFailures, userCodeNameFailures, validatorFor } from "./helpers/chart";
import { KUBERNETES_ONLY, SHA_A, plan } from "./helpers/plan";

type Values = Record<string, unknown>;

const systemDefaults = readFixture("dagster.values.yaml");
const userDefaults = readFixture("dagster-user-deployments.values.yaml");
const systemSchema = validatorFor("dagster.values.schema.json");
const userSchema = validatorFor("dagster-user-deployments.values.schema.json");
const newestSchema = validatorFor("dagster.values.schema.newest-pr34167-2bdb239.json");
/**
 * The newest schema has no values.yaml of its version: 835892b's defaults plus the keys it newly
 * requires, at the empty values a newer values.yaml ships (`ui` is PR #34167's addition).
 */
const newestDefaults = helmCoalesce(systemDefaults, { global: { dagsterInstanceConfigMap: "" }, migrate: { extraContainers: [], initContainers: [] }, ui: {} });

function check(values: Values, release: string, chart: string): string[] {
  const problems: string[] = [];
  const report = (what: string, errors: ErrorObject[]) => errors.length > 0 && problems.push(`${release}: ${what}:\n${describeErrors(errors)}`);
  if (chart === "dagster") {
    report("835892b schema", systemSchema(helmCoalesce(systemDefaults, values)));
    report("newest schema", newestSchema(helmCoalesce(newestDefaults, values)));
    problems.push(...systemTemplateFailures(helmCoalesce(systemDefaults, values)).map((f) => `${release}: template fails: ${f}`));
  } else {
    report("subchart schema", userSchema(helmCoalesce(userDefaults, values)));
    problems.push(...userCodeNameFailures(release, values).map((f) => `${release}: ${f}`));
  }
  return problems;
}

function checkPlan(p: Plan): string[] {
  const releases = p.resources.filter((r) => r.type === "kubernetes:helm.sh/v3:Release");
  assert.ok(releases.length >= 2, "a plan has the system release and at least one location");
  return releases.flatMap((r) => check(r.inputs.values as Values, String(r.inputs.name), String(r.inputs.chart)));
}

describe("chart conformance: rendered values pass the charts' schemas and template rules", function () {
  this.timeout(60000);
  const plans: Record<string, Plan> = {};
  before(async () => {
    plans.prod = await plan("prod");
    plans.branch = await plan("pr-42", { overrides: [`commitSha=${SHA_A}`] });
    plans.restart = await plan("staging", { overrides: [...KUBERNETES_ONLY, "workspaceRollout=restart"] });
    plans.iap = await plan("prod", { overrides: ["ingress=iap", "ingressHost=dagster.acme.example", "iapOAuthClientId=client.apps.googleusercontent.com"] });
    plans.internal = await plan("prod", { overrides: ["ingress=internal", "ingressHost=dagster.internal.acme.example"] });
  });

  for (const name of ["prod", "branch", "restart", "iap", "internal"]) {
    it(`${name} plan: every release is accepted`, () => {
      assert.deepEqual(checkPlan(plans[name]), []);
    });
  }

  it("the system values use external Postgres, GCS compute logs and the K8sRunLauncher", () => {
    const values = plans.prod.values.dagster as Values & { postgresql: Values; computeLogManager: Values; runLauncher: Values };
    assert.equal(values.postgresql.enabled, false);
    assert.equal(values.postgresql.postgresqlHost, "192.0.2.10");
    assert.equal(values.computeLogManager.type, "GCSComputeLogManager");
    assert.equal(values.runLauncher.type, "K8sRunLauncher");
    assert.equal(values.generatePostgresqlPasswordSecret, false);
  });

  describe("the checks reject what Helm would reject", () => {
    const system = () => structuredClone(plans.prod.values.dagster) as Values & { dagsterWebserver: Values & { workspace: Values } };
    it("an unknown webserver key (additionalProperties: false)", () => {
      const v = system();
      v.dagsterWebserver.initContainerResources = {};
      assert.match(check(v, "dagster", "dagster").join("\n"), /\/dagsterWebserver must NOT have additional properties \{"additionalProperty":"initContainerResources"\}/);
    });
    it("servers next to externalConfigmap (the template fails)", () => {
      const v = system();
      v.dagsterWebserver.workspace.servers = [{ host: "x", port: 3030 }];
      assert.match(check(v, "dagster", "dagster").join("\n"), /cannot both be set/);
    });
    it("the subchart enabled without a workspace (the template fails)", () => {
      const v = system();
      v["dagster-user-deployments"] = { enabled: false, enableSubchart: true };
      assert.match(check(v, "dagster", "dagster").join("\n"), /subchart cannot be enabled/);
    });
    it("a GCS compute log manager without its config (schema if/then)", () => {
      const v = system();
      v.computeLogManager = { type: "GCSComputeLogManager", config: {} };
      assert.notDeepEqual(check(v, "dagster", "dagster"), []);
    });
    it("a user deployment without a port, and a non-string annotation", () => {
      const v = structuredClone(plans.prod.values["code-marketing-etl"]) as { deployments: Values[] };
      delete v.deployments[0].port;
      v.deployments[0].annotations = { "a/b": 1 };
      const problems = check(v as Values, "code-marketing-etl", "dagster-user-deployments").join("\n");
      assert.match(problems, /port/);
      assert.match(problems, /annotations/);
    });
    it("a Service name that is not a DNS-1035 label", () => {
      const v = structuredClone(plans.prod.values["code-marketing-etl"]) as { deployments: Values[] };
      v.deployments[0].name = "9-lives";
      assert.match(check(v as Values, "code-marketing-etl", "dagster-user-deployments").join("\n"), /DNS-1035/);
    });
    it("Helm's coalescing: lists replace, maps merge, null deletes", () => {
      assert.deepEqual(helmCoalesce({ a: [1, 2], m: { x: 1, y: 2 }, k: 1 }, { a: [3], m: { y: 3 }, k: null }), { a: [3], m: { x: 1, y: 3 } });
    });
  });

  it("every user-code release reads the Postgres Secret Pulumi creates in its namespace", () => {
    for (const p of [plans.prod, plans.branch]) {
      const secret = p.resources.find((r) => r.type === "kubernetes:core/v1:Secret" && (r.inputs.metadata as Values).name === "dagster-postgresql-secret");
      assert.ok(secret, "the Postgres Secret is planned");
      const namespace = (secret.inputs.metadata as Values).namespace;
      for (const r of p.resources.filter((x) => x.type === "kubernetes:helm.sh/v3:Release")) {
        const v = r.inputs.values as Values & { global: Values };
        assert.equal(r.inputs.namespace, namespace);
        assert.equal(v.global.postgresqlSecretName, "dagster-postgresql-secret", `${r.name} global.postgresqlSecretName`);
        if (r.inputs.chart === "dagster-user-deployments") assert.equal(v.postgresqlSecretName, "dagster-postgresql-secret");
      }
    }
  });

  it("no two releases own the same object: distinct release names, no fullnameOverride, the shared ServiceAccount is not created by any", () => {
    const releases = plans.prod.resources.filter((r) => r.type === "kubernetes:helm.sh/v3:Release");
    const names = releases.map((r) => r.inputs.name);
    assert.equal(new Set(names).size, names.length);
    for (const r of releases) {
      const v = r.inputs.values as Values & { serviceAccount?: Values };
      assert.equal(v.fullnameOverride, undefined, `${r.name} sets no fullnameOverride`);
      if (r.inputs.chart === "dagster-user-deployments") assert.equal(v.serviceAccount?.create, false, `${r.name} creates no ServiceAccount`);
    }
  });
});
