/**
 * `npm run rehearse` against real Dagster 1.13.19 and a real PostgreSQL: the README's quick start,
 * adding/removing/changing locations with zero restarts on two webserver replicas, a location
 * that fails to import, a `codeServer: true` location whose code fails, and a branch stack whose
 * code sees the Dagster+ variables.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_DIR, definitions, describeRun, folder, rehearse } from "./helpers/rehearse";

const SHA = "0123456789abcdef0123456789abcdef01234567";

describe("rehearse (real Dagster 1.13.19 + PostgreSQL)", function () {
  this.timeout(15 * 60_000);

  it("the quick start, then a deploy that adds, removes and changes locations: zero restarts, both replicas verified, the daemon follows", async () => {
    const code = folder("code-", {
      ...Object.fromEntries(["marketing-etl/marketing_etl/__init__.py", "marketing-etl/marketing_etl/definitions.py", "finance-reporting/finance_reporting/__init__.py"].map((f) => [f, fs.readFileSync(path.join(PROJECT_DIR, "examples", f), "utf8")])),
      "ingest/ingest/__init__.py": definitions(),
    });
    const marketing = fs.readFileSync(path.join(PROJECT_DIR, "repos", "marketing-etl.yaml"), "utf8").replace('ATTRIBUTION_WINDOW_DAYS: "30"', 'ATTRIBUTION_WINDOW_DAYS: "45"');
    const next = folder("repos-next-", { "marketing-etl.yaml": marketing, "ingest.yaml": "image: registry.example.com/data/ingest:1.0.0\npackage: ingest\nport: 4000\n" });
    const run = await rehearse(["--repos", "repos", "--code", code, "--then", next]);
    assert.equal(run.code, 0, describeRun(run));
    const [first, second] = run.report?.steps ?? [];
    assert.deepEqual(first.locations, { "finance-reporting": { status: "LOADED", error: null }, "marketing-etl": { status: "LOADED", error: null } });
    assert.deepEqual(second.locations, { ingest: { status: "LOADED", error: null }, "marketing-etl": { status: "LOADED", error: null } });
    assert.equal(first.webserverPids.length, 2, "prod runs two webserver replicas");
    assert.deepEqual(second.webserverPids, first.webserverPids, "no webserver restarted");
    assert.equal(second.daemonPid, first.daemonPid, "the daemon did not restart");
    assert.notEqual(second.codeServerPids["marketing-etl"], first.codeServerPids["marketing-etl"], "a changed location's code server is a new one (its release rolled)");
    assert.ok(!("finance-reporting" in second.codeServerPids), "a removed location's code server is gone");
    for (const step of [first, second]) {
      assert.equal(step.verifier.exitCode, 0);
      assert.ok(step.daemonLoadedSeconds !== null && step.daemonLoadedSeconds < 120, `the daemon loaded the workspace: ${step.daemonLoadedSeconds}`);
    }
    assert.match(run.stdout, /PASSED/);
    console.log(`      rehearsal with --then: ${run.seconds.toFixed(0)}s, peak memory ${run.report?.peakMemoryMb} MB, verifier ${first.verifier.seconds}s then ${second.verifier.seconds}s`);
  });

  it("a location whose module raises on import fails the deploy, naming it and its Python error, and the workspace is not changed", async () => {
    const code = folder("code-", { "etl/etl/__init__.py": definitions(), "broken/broken/__init__.py": 'raise RuntimeError("BROKEN_MARKER: credentials are not configured")\n' });
    const repos = folder("repos-", { "etl.yaml": "image: registry.example.com/etl:1.0.0\npackage: etl\n", "broken.yaml": "image: registry.example.com/broken:1.0.0\npackage: broken\nport: 4000\n" });
    const run = await rehearse(["--repos", repos, "--code", code]);
    assert.equal(run.code, 1, describeRun(run));
    const step = run.report?.steps[0];
    assert.equal(step?.locations.broken.status, "ERROR");
    assert.match(String(step?.locations.broken.error), /RuntimeError: BROKEN_MARKER: credentials are not configured/);
    assert.match(run.stdout, /broken: .*RuntimeError: BROKEN_MARKER/);
    assert.ok(step?.problems.some((p) => /release of broken failed, so the workspace was not changed/.test(p)));
    assert.deepEqual(step?.webserverPids, [], "the system release never started: it waits for the workspace");
  });

  it("a branch stack: code sees DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT=1 and its pull request; a codeServer location whose code fails is named with its error", async () => {
    const probeDir = fs.mkdtempSync(path.join(os.tmpdir(), "probe-"));
    const probe = `\nwith open(os.path.join(os.environ["PROBE_DIR"], "env.json"), "w") as f:\n    import json\n    json.dump({k: v for k, v in os.environ.items() if k.startswith(("DAGSTER_CLOUD_", "SNOWFLAKE_DATABASE"))}, f)\n`;
    const code = folder("code-", { "probe/probe/__init__.py": definitions(probe), "flaky/flaky/__init__.py": 'raise ValueError("FLAKY_MARKER: bad model path")\n' });
    const repos = folder("repos-", {
      "probe.yaml": `image: registry.example.com/probe:1.0.0\npackage: probe\nenv: {PROBE_DIR: "${probeDir}"}\n`,
      "flaky.yaml": "image: registry.example.com/flaky:1.0.0\npackage: flaky\ncodeServer: true\nport: 4000\n",
    });
    const config = [`commitSha=${SHA}`, "branch=feature/attribution", "commitAuthorName=Ada Lovelace", "commitTimestamp=1724871941", "gitRepository=acme/dagster-platform"];
    const run = await rehearse(["--repos", repos, "--code", code, "--stack", "pr-7", ...config.flatMap((c) => ["--config", c])]);
    assert.equal(run.code, 1, describeRun(run));
    const step = run.report?.steps[0];
    assert.equal(step?.locations.probe.status, "LOADED", describeRun(run));
    assert.equal(step?.locations.flaky.status, "ERROR");
    assert.match(String(step?.locations.flaky.error), /ValueError: FLAKY_MARKER: bad model path/);
    assert.equal(step?.verifier.exitCode, 1, "the verifier failed on the location's error, without waiting for its timeout");
    assert.ok((step?.verifier.seconds ?? 999) < 60, `verifier ${step?.verifier.seconds}s`);
    assert.equal(step?.webserverPids.length, 1, "branch stacks run one webserver");
    const env = JSON.parse(fs.readFileSync(path.join(probeDir, "env.json"), "utf8")) as Record<string, string>;
    assert.equal(env.DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT, "1");
    assert.equal(env.DAGSTER_CLOUD_PULL_REQUEST_ID, "7");
    assert.equal(env.DAGSTER_CLOUD_DEPLOYMENT_NAME, "pr-7");
    assert.equal(env.DAGSTER_CLOUD_PULL_REQUEST_STATUS, "OPEN");
    assert.equal(env.DAGSTER_CLOUD_GIT_SHA, SHA);
    assert.equal(env.DAGSTER_CLOUD_GIT_AUTHOR_NAME, "Ada Lovelace");
    assert.equal(env.DAGSTER_CLOUD_GIT_TIMESTAMP, "1724871941");
    assert.equal(env.DAGSTER_CLOUD_GIT_REPO, "acme/dagster-platform");
    assert.equal(env.SNOWFLAKE_DATABASE, "PRODUCTION_CLONE_7", "the branch's code points at its clone");
  });

  it("refuses a chartVersion without a pinned lock, naming the file to add", async () => {
    const run = await rehearse(["--repos", "repos", "--code", "examples", "--config", "chartVersion=1.13.18"]);
    assert.equal(run.code, 1, describeRun(run));
    assert.match(run.stderr, /no pinned Python lock for chartVersion 1\.13\.18: requirements\/dagster-1\.13\.18\.txt does not exist/);
  });
});
