/**
 * The disaster-recovery drill's orchestration against the fake `pulumi` CLI (command sequence,
 * timings, teardown even when the deploy fails), and its configuration against the real program.
 */
import { strict as assert } from "assert";
import { projectWorkspace } from "../lifecycle/deps";
import { checkDrillStack, defaultDrillStack, DrillSettings, drillConfig, formatDrillReport, runDrill, verificationFromState } from "../lifecycle/drill";
import { planStack } from "../offline/plan";
import { FakePulumi } from "./fixtures/fake-pulumi/harness";
import { MemoryLog, PROJECT_DIR } from "./fixtures/lifecycle/fakes";

const SETTINGS: DrillSettings = {
  stack: "drill-test",
  keep: false,
  postgres: { host: "postgres.drill.internal", user: "dagster_drill", database: "dagster_drill", password: "drill-password" },
  kubeContext: "gke_acme_europe-west4_dagster",
  namespace: "dagster-drill",
};
const CONFIG_KEYS =
  "dagster-platform:environment,dagster-platform:clusterMode,dagster-platform:cloudSql,dagster-platform:buckets,dagster-platform:registry,dagster-platform:snowflake,dagster-platform:namespace,dagster-platform:workspaceRollout,dagster-platform:postgresHost,dagster-platform:postgresPassword(secret),dagster-platform:postgresUser,dagster-platform:postgresDatabase,dagster-platform:ambientKubeconfig,dagster-platform:kubeContext";

describe("dr:drill (fake pulumi CLI)", function () {
  this.timeout(30000);
  let fake: FakePulumi;
  beforeEach(() => {
    fake = new FakePulumi();
  });
  afterEach(() => fake.cleanup());

  async function deps() {
    return { workspace: projectWorkspace({ projectDir: PROJECT_DIR, pulumiCommand: await fake.command(), envVars: fake.env }), log: new MemoryLog(), now: () => new Date() };
  }

  it("creates from empty state, deploys, confirms the verification Job, times every phase, destroys", async () => {
    fake.setState({ script: { upDelayMs: 300, jobSeconds: 37 } });
    const report = await runDrill(await deps(), SETTINGS);
    assert.deepEqual(fake.calls(), [
      "stack init drill-test",
      `config set-all drill-test ${CONFIG_KEYS}`,
      "up drill-test",
      "stack output drill-test",
      "stack output drill-test --show-secrets",
      "stack history drill-test --show-secrets",
      "stack export drill-test --show-secrets",
      "destroy drill-test",
      "stack history drill-test --show-secrets",
      "stack rm drill-test",
    ]);
    assert.equal(report.ok, true);
    assert.deepEqual(report.phases.map((p) => `${p.phase}:${p.ok}`), ["create:true", "up:true", "verification:true", "destroy:true"]);
    const up = report.phases.find((p) => p.phase === "up");
    assert.ok((up?.seconds ?? 0) >= 0.3, "up's duration includes the deploy");
    assert.deepEqual(report.verification, { job: "verify-workspace-00c2a5b29df5", status: "passed", seconds: 37 });
    assert.deepEqual(fake.state().stacks, {}, "nothing left behind");
    // scripts/dr-drill.ts builds the same workspace: a drill stack kept with --keep and torn down
    // later from another checkout still finds its secrets provider in the state.
    assert.ok(fake.entries().every((e) => e.argv[0] === "version" || e.env.PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER === "true"));
    const text = formatDrillReport(report);
    assert.match(text, /^DR drill drill-test: PASSED/);
    assert.match(text, /verification\s+37\.0s\s+ok\s+verify-workspace-00c2a5b29df5: passed/);
    assert.match(text, /destroy\s+\d+\.\ds\s+ok/);
  });

  it("destroys the stack even when the deploy fails, and reports the failure", async () => {
    fake.setState({ script: { failUp: { "drill-test": "helm release dagster: context deadline exceeded" } } });
    const report = await runDrill(await deps(), SETTINGS);
    assert.deepEqual(fake.calls(), [
      "stack init drill-test",
      `config set-all drill-test ${CONFIG_KEYS}`,
      "up drill-test",
      "stack export drill-test --show-secrets",
      "destroy drill-test",
      "stack history drill-test --show-secrets",
      "stack rm drill-test",
    ]);
    assert.equal(report.ok, false);
    assert.deepEqual(report.phases.map((p) => `${p.phase}:${p.ok}`), ["create:true", "up:false", "verification:false", "destroy:true"]);
    assert.match(report.phases[1].detail ?? "", /error: update failed/);
    assert.deepEqual(fake.state().stacks, {});
    assert.match(formatDrillReport(report), /^DR drill drill-test: FAILED/);
  });

  it("--keep leaves the deployed stack for inspection", async () => {
    const report = await runDrill(await deps(), { ...SETTINGS, keep: true });
    assert.equal(report.ok, true);
    assert.ok(!fake.calls().some((c) => c.startsWith("destroy") || c.startsWith("stack rm")));
    assert.ok(fake.state().stacks["drill-test"]);
  });

  it("never touches prod, a branch stack, or an existing stack", async () => {
    await assert.rejects(runDrill(await deps(), { ...SETTINGS, stack: "prod" }), /the drill never runs on prod/);
    for (const stack of ["pr-3", "pr-x", "PR-3"]) await assert.rejects(runDrill(await deps(), { ...SETTINGS, stack }), new RegExp(`"${stack}" is a branch-deployment name \\(pr-…\\) or reserved`));
    await assert.rejects(runDrill(await deps(), { ...SETTINGS, stack: "preview" }), /the drill never runs on the preview stack/);
    assert.deepEqual(fake.calls(), []);
    fake.setState({ stacks: { "drill-old": FakePulumi.stack() } });
    await assert.rejects(runDrill(await deps(), { ...SETTINGS, stack: "drill-old" }), /already exists: a drill starts from empty state/);
    assert.deepEqual(fake.calls(), ["stack init drill-old"]);
    assert.equal(fake.state().stacks["drill-old"].resourceCount, 40, "an existing stack is not destroyed");
  });

  it("default names are drill-<UTC timestamp>, and valid", () => {
    const name = defaultDrillStack(new Date("2025-03-01T04:05:06Z"));
    assert.equal(name, "drill-20250301-040506");
    assert.doesNotThrow(() => checkDrillStack(name));
  });

  it("reads the verification Job's result from the state", () => {
    const job = (status: object) => ({ resources: [{ type: "kubernetes:batch/v1:Job", urn: "urn:pulumi:d::p::dagster-platform:index:WorkspaceVerification$kubernetes:batch/v1:Job::verify-workspace", outputs: { metadata: { name: "verify-workspace-1" }, status } }] });
    assert.deepEqual(verificationFromState(job({ startTime: "2025-01-01T00:00:00Z", failed: 1, conditions: [{ type: "Failed", status: "True", lastTransitionTime: "2025-01-01T00:01:00Z" }] })), {
      job: "verify-workspace-1",
      status: "failed",
      seconds: 60,
    });
    assert.equal(verificationFromState(job({ active: 1 })).status, "unfinished");
    assert.equal(verificationFromState({ resources: [] }, "verify-workspace-1").status, "not found");
  });
});

describe("dr:drill configuration", function () {
  this.timeout(60000);
  it("is a stack the program accepts: existing cluster, external Postgres, nothing in GCP or Snowflake, with a verification Job", async () => {
    const config = Object.entries(drillConfig({ ...SETTINGS, kubeContext: undefined }));
    const overrides = config.filter(([, v]) => !v.secret).map(([k, v]) => `${k}=${v.value}`);
    const secrets = config.filter(([, v]) => v.secret).map(([k, v]) => `${k}=${v.value}`);
    const plan = await planStack({ projectDir: PROJECT_DIR, stack: "drill-test", overrides, secrets });
    const types = new Set(plan.resources.map((r) => r.type));
    assert.ok(types.has("kubernetes:batch/v1:Job"), "the verification Job is planned");
    assert.ok(![...types].some((t) => t.startsWith("gcp:") || t.startsWith("snowflake:")), `no GCP or Snowflake resources: ${[...types].join(", ")}`);
    assert.equal(plan.outputs.namespace, "dagster-drill");
    assert.equal(typeof plan.outputs.verificationJob, "string");
  });
});
