/**
 * The deployment comment on real plan diffs: prod on a base repos/ (ingest, reports, legacy-etl)
 * against pr-7 on a head repos/ (ingest unchanged, reports' image and env changed, legacy-etl
 * removed, forecasting added), planned with the real program under the offline runtime.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { postComment } from "../lifecycle/cli";
import { code, COMMENT_MARKER, findDeploymentComment, renderComment, splitImage } from "../lifecycle/comment";
import { compareLocations, comparePlans, diffValues, PlanComparison, PlanDir, readPlanDir } from "../lifecycle/planDiff";
import { Plan, planStack, writePlan } from "../offline/plan";
import { FakePulumi } from "./fixtures/fake-pulumi/harness";
import { FakeGitHub, PROJECT_DIR, testDeps } from "./fixtures/lifecycle/fakes";

const SHA = "0123456789abcdef0123456789abcdef01234567";
const FIXTURES = "test/fixtures/lifecycle";
const OUTPUTS = {
  webserverUrl: "http://localhost:8080",
  webserverAccess: "kubectl --namespace dagster-pr-7 port-forward service/dagster-dagster-webserver 8080:80, then open http://localhost:8080",
  cloneDatabase: "PRODUCTION_CLONE_7",
  namespace: "dagster-pr-7",
  postgresHost: "dagster-postgresql.dagster-pr-7.svc.cluster.local",
  commitSha: SHA,
};

describe("deployment comment on real plans", function () {
  this.timeout(60000);
  let base: Plan;
  let head: Plan;
  let dirs: { base: string; head: string };
  let changes: PlanComparison;

  before(async () => {
    base = await planStack({ projectDir: PROJECT_DIR, stack: "prod", reposDir: `${FIXTURES}/repos-base` });
    head = await planStack({ projectDir: PROJECT_DIR, stack: "pr-7", reposDir: `${FIXTURES}/repos-head`, overrides: [`commitSha=${SHA}`, "branchSecretNames=reports-api-token"] });
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "plans-"));
    dirs = { base: path.join(tmp, "base"), head: path.join(tmp, "head") };
    writePlan(base, dirs.base);
    writePlan(head, dirs.head);
    changes = comparePlans(readPlanDir(dirs.base), readPlanDir(dirs.head));
  });
  after(() => fs.rmSync(path.dirname(dirs.base), { recursive: true, force: true }));

  it("reads plan directories as npm run plan writes them", () => {
    const fromDisk: PlanDir = readPlanDir(dirs.head);
    assert.deepEqual(fromDisk.locations, head.locations);
    assert.equal(fromDisk.resources.length, head.resources.length);
    assert.deepEqual(comparePlans({ locations: base.locations, resources: base.resources }, { locations: head.locations, resources: head.resources }), changes);
  });

  it("code locations: one added, one changed (image bump + env), one removed, one unchanged", () => {
    assert.deepEqual(
      changes.locations.map((l) => `${l.name}:${l.kind}`),
      ["forecasting:added", "ingest:unchanged", "legacy-etl:removed", "reports:changed"],
    );
    const reports = changes.locations.find((l) => l.name === "reports");
    assert.deepEqual(reports?.changes, [
      { field: "image", before: "europe-west4-docker.pkg.dev/acme-data-prod/dagster/reports:1.4.2", after: "europe-west4-docker.pkg.dev/acme-data-prod/dagster/reports:1.5.0" },
      { field: "env", key: "LOG_LEVEL", before: "info", after: "debug" },
      { field: "env", key: "REPORT_TIMEZONE", before: undefined, after: "Europe/Amsterdam" },
    ]);
  });

  it("releases: install, upgrade with only the PR's value changes, uninstall; the rest unchanged", () => {
    assert.deepEqual(
      changes.releases.map((r) => `${r.release}:${r.kind}`),
      ["code-forecasting:install", "code-ingest:same", "code-legacy-etl:uninstall", "code-reports:upgrade", "dagster:same"],
    );
    // Every branch release differs from prod in DAGSTER_CLOUD_*, the Workload Identity
    // annotation and optional Secrets; none of that may show up as the PR's change.
    assert.deepEqual(
      changes.releases.find((r) => r.release === "code-reports")?.values,
      [
        { path: "env.LOG_LEVEL", before: "info", after: "debug" },
        { path: "env.REPORT_TIMEZONE", before: undefined, after: "Europe/Amsterdam" },
        { path: "image.tag", before: "1.4.2", after: "1.5.0" },
      ],
    );
  });

  it("resources: the locations' own added/removed apart from the branch's shape", () => {
    assert.deepEqual(
      changes.resources.locations.map((t) => [t.type, t.added, t.removed]),
      [
        ["dagster-platform:index:UserCodeLocation", ["forecasting"], ["legacy-etl"]],
        ["kubernetes:helm.sh/v3:Release", ["code-forecasting"], ["code-legacy-etl"]],
      ],
    );
    const shapeTypes = changes.resources.shape.map((t) => t.type);
    for (const t of ["gcp:container/cluster:Cluster", "gcp:sql/databaseInstance:DatabaseInstance", "snowflake:index/execute:Execute", "pulumi:pulumi:StackReference"]) assert.ok(shapeTypes.includes(t), t);
    assert.ok(!shapeTypes.includes("kubernetes:helm.sh/v3:Release"), "releases only differ by the PR's locations");
    assert.deepEqual(changes.resources.totals, { base: base.resources.length, head: head.resources.length });
  });

  it("renders state, preview, clone and the change tables", () => {
    const body = renderComment({ pr: 7, stack: "pr-7", state: "ready", outputs: OUTPUTS, changes, runUrl: "https://github.com/acme/data-platform/actions/runs/12", updatedAt: new Date("2025-03-01T12:00:00Z") });
    assert.ok(body.startsWith(`${COMMENT_MARKER}\n`));
    for (const expected of [
      "**State:** ✅ Ready `0123456` · 2025-03-01 12:00 UTC · [CI run](https://github.com/acme/data-platform/actions/runs/12)",
      "| Preview | `kubectl --namespace dagster-pr-7 port-forward service/dagster-dagster-webserver 8080:80`, then open http://localhost:8080 |",
      "| Snowflake clone | `PRODUCTION_CLONE_7` |",
      "| Run storage (its own PostgreSQL) | `dagster-postgresql.dagster-pr-7.svc.cluster.local` |",
      "Code locations: 1 added, 1 changed, 1 removed, 1 unchanged.",
      "| `forecasting` | ➕ added | image `europe-west4-docker.pkg.dev/acme-data-prod/dagster/forecasting:0.1.0`; target `--module-name forecasting.definitions`; env `FORECAST_HORIZON_DAYS`, `LOG_LEVEL` |",
      "| `reports` | ✏️ changed | image `1.4.2` → `1.5.0`; env `LOG_LEVEL` `info` → `debug`; env `REPORT_TIMEZONE` added (`Europe/Amsterdam`) |",
      "| `legacy-etl` | ➖ removed | was image `europe-west4-docker.pkg.dev/acme-data-prod/dagster/legacy-etl:0.9.0` |",
      "Unchanged: `ingest`.",
      "| `code-reports` | dagster-user-deployments 1.13.19 | upgrade: `env.LOG_LEVEL` `info` → `debug`; `env.REPORT_TIMEZONE` set to `Europe/Amsterdam`; `image.tag` `1.4.2` → `1.5.0` |",
      "| `code-forecasting` | dagster-user-deployments 1.13.19 | install |",
      "| `code-legacy-etl` | dagster-user-deployments 1.13.19 | uninstall |",
      "Same as prod apart from deployment settings: `code-ingest`, `dagster`.",
      "**Resources this PR adds or removes** (those of code locations: 2 added, 2 removed)",
      "| `kubernetes:helm.sh/v3:Release` | 1: `code-forecasting` | 1: `code-legacy-etl` |",
    ]) {
      assert.ok(body.includes(expected), `missing:\n${expected}\n--- in ---\n${body}`);
    }
    assert.match(body, /<details><summary>All resources: prod \d+, pr-7 \d+\./);
    assert.ok(!body.includes("plan-placeholder"), "no secret (not even a placeholder) reaches the comment");
    assert.ok(!/DAGSTER_CLOUD_[A-Z]/.test(body), "platform variables are not the PR's change");
  });

  it("deploying and failed states say what the preview is", () => {
    const at = new Date("2025-03-01T12:00:00Z");
    const first = renderComment({ pr: 7, stack: "pr-7", state: "deploying", sha: SHA, updatedAt: at });
    assert.match(first, /\*\*State:\*\* ⏳ Deploying `0123456`…/);
    assert.match(first, /\| Preview \| available when the deploy finishes \|/);
    assert.match(first, /No plans were given/);
    const redeploy = renderComment({ pr: 7, stack: "pr-7", state: "deploying", outputs: OUTPUTS, updatedAt: at });
    assert.match(redeploy, /The preview below is the previous deploy/);
    const failed = renderComment({ pr: 7, stack: "pr-7", state: "failed", failedStep: "verify workspace", updatedAt: at, changes: { unavailable: "plan/head/locations.json does not exist" } });
    assert.match(failed, /❌ Failed at step `verify workspace`/);
    assert.match(failed, /\| Preview \| not available \|/);
    assert.match(failed, /Change summary unavailable: plan\/head\/locations.json does not exist/);
    const ingress = renderComment({ pr: 7, stack: "pr-7", state: "ready", updatedAt: at, outputs: { webserverUrl: "https://pr-7.dagster.acme.dev", webserverAccess: "open https://pr-7.dagster.acme.dev (sign in through Identity-Aware Proxy)" } });
    assert.match(ingress, /\| Preview \| \[https:\/\/pr-7\.dagster\.acme\.dev\]\(https:\/\/pr-7\.dagster\.acme\.dev\) · open https:\/\/pr-7\.dagster\.acme\.dev \(sign in through Identity-Aware Proxy\) \|/);
  });

  it("comment command: reads the stack's outputs, creates the comment once, then edits it in place", async () => {
    const fake = new FakePulumi();
    try {
      fake.setState({ stacks: { "pr-7": FakePulumi.stack({ outputs: { ...OUTPUTS, kubeconfig: "apiVersion: v1" }, secretOutputs: ["kubeconfig"] }) } });
      const github = new FakeGitHub().open(7);
      github.comments.set(7, [{ id: 1, body: `> quoting the bot\n> ${COMMENT_MARKER}` }]);
      const deps = await testDeps(fake, { github });
      const first = await postComment(deps, { pr: 7, state: "deploying", basePlan: dirs.base, headPlan: dirs.head });
      assert.equal(first.action, "created");
      assert.deepEqual(fake.calls(), ["stack output pr-7", "stack output pr-7 --show-secrets"]);
      assert.ok(!first.body.includes("apiVersion"), "secret outputs stay out");
      const second = await postComment(deps, { pr: 7, state: "ready", basePlan: dirs.base, headPlan: dirs.head });
      assert.deepEqual({ action: second.action, id: second.id }, { action: "updated", id: first.id });
      assert.equal(github.comments.get(7)?.length, 2, "the quote and one deployment comment");
      assert.equal(findDeploymentComment(github.comments.get(7) ?? [])?.body, second.body);
      assert.deepEqual(github.requests, ["GET comments 7", "POST comment 7", "GET comments 7", `PATCH comment ${first.id}`]);

      // A PR whose stack does not exist yet still gets its state.
      const none = await postComment(deps, { pr: 8, state: "failed", failedStep: "plan", basePlan: "/nonexistent", headPlan: "/nonexistent" });
      assert.match(none.body, /❌ Failed at step `plan`/);
      assert.match(none.body, /Change summary unavailable: \/nonexistent\/locations.json does not exist/);
    } finally {
      fake.cleanup();
    }
  });
});

describe("comment helpers", () => {
  it("code spans survive pipes, backticks and newlines inside table cells", () => {
    assert.equal(code("a|b"), "`a\\|b`");
    assert.equal(code("x `y` z"), "``x `y` z``");
    assert.equal(code("`edge`"), "`` `edge` ``");
    assert.equal(code("line1\nline2"), "`line1 line2`");
    assert.equal(code("x".repeat(100)).length, 72 + 2);
  });

  it("images split into repository and tag or digest", () => {
    assert.deepEqual(splitImage("registry:5000/team/app:1.2"), { repository: "registry:5000/team/app", ref: "1.2" });
    assert.deepEqual(splitImage("registry:5000/team/app"), { repository: "registry:5000/team/app", ref: "latest" });
    assert.deepEqual(splitImage("app@sha256:abc"), { repository: "app", ref: "sha256:abc" });
  });

  it("values diff matches named lists by name and treats other lists as values", () => {
    assert.deepEqual(
      diffValues({ deployments: [{ name: "a", port: 1 }, { name: "b", port: 2 }], args: ["x"] }, { deployments: [{ name: "b", port: 3 }, { name: "a", port: 1 }], args: ["y"] }).map((d) => d.path.join(".")),
      ["args", "deployments.[b].port"],
    );
  });

  it("secrets added and removed", () => {
    const loc = { name: "x", release: "code-x", image: "i:1", target: [], port: 3030, env: {}, secrets: ["a", "b"] };
    assert.deepEqual(compareLocations([loc], [{ ...loc, secrets: ["b", "c"] }])[0].changes, [
      { field: "secrets", key: "a", before: "a", after: undefined },
      { field: "secrets", key: "c", before: undefined, after: "c" },
    ]);
  });
});
