/**
 * The branch lifecycle against the fake `pulumi` CLI, through the real Automation API, for what
 * the real CLI cannot show here (test/fixtures/fake-pulumi says why): a lock that outlives the wait
 * on a gs:// backend, and the reaper's Snowflake and GitHub failure paths. Open, push (from a fresh
 * checkout), close, close twice, reopen, close during a running deploy, failed deploys and the
 * reap policy run against the real CLI in test/e2e/20-lifecycle.e2e.ts.
 */
import { strict as assert } from "assert";
import { branchDown, branchUp, reap } from "../lifecycle/branch";
import { runBranchCli } from "../lifecycle/cli";
import { StackLockedError } from "../lifecycle/locks";
import { FakePulumi } from "./fixtures/fake-pulumi/harness";
import { FakeGitHub, FakeSnowflake, PROJECT_DIR, testDeps } from "./fixtures/lifecycle/fakes";

const SHA = "0123456789abcdef0123456789abcdef01234567";
/** Destroy, then remove (Stack.destroy({remove: true}) reads the summary in between). */
const DOWN = (s: string) => [`stack select ${s}`, `destroy ${s}`, `stack history ${s} --show-secrets`, `stack rm ${s}`];

describe("branch lifecycle (fake pulumi CLI)", function () {
  this.timeout(30000);
  let fake: FakePulumi;
  beforeEach(() => {
    fake = new FakePulumi();
  });
  afterEach(() => fake.cleanup());

  it("a lock nobody releases: gives up after the limit and explains how to clear it", async () => {
    fake.setState({ stacks: { "pr-7": FakePulumi.stack() }, script: { locked: { "pr-7": 1000 } } });
    const deps = await testDeps(fake, { lockWait: { timeoutMs: 30_000, initialDelayMs: 5_000, maxDelayMs: 10_000 } });
    const err = await branchDown(deps, 7).then(
      () => assert.fail("down must fail on a lock that never clears"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof StackLockedError);
    assert.deepEqual(deps.sleeps, [5000, 10000, 10000, 5000], "never sleeps past the limit");
    assert.match(err.message, /still locked after waiting 30s/);
    assert.match(err.message, /pulumi cancel --stack pr-7/);
    assert.match(err.message, /gs:\/\/acme-pulumi-state\/\.pulumi\/locks\/organization\/dagster-platform\/pr-7\/[0-9a-f-]+\.json/, "names the lock file the backend reported");
    assert.equal(fake.calls().filter((c) => c === "destroy pr-7").length, 5);
    assert.equal(fake.state().stacks["pr-7"].resourceCount, 40, "nothing was destroyed");
  });

  it("a deploy queued behind the close does not resurrect the stack", async () => {
    const deps = await testDeps(fake, { github: new FakeGitHub().close(7) });
    const r = await branchUp(deps, { pr: 7, sha: SHA, branch: "b" });
    assert.equal(r.status, "skipped");
    assert.deepEqual(fake.calls(), []);
    assert.deepEqual(fake.state().stacks, {});
  });

  it("usage errors exit 2 and never reach pulumi", async () => {
    const deps = await testDeps(fake);
    const err: string[] = [];
    const ctx = { projectDir: PROJECT_DIR, env: {}, deps: () => deps, stdout: () => undefined, stderr: (l: string) => err.push(l) };
    assert.equal(await runBranchCli(["up", "--pr", "7", "--sha", "main", "--branch", "b"], ctx), 2);
    assert.equal(await runBranchCli(["down", "--pr", "007"], ctx), 2);
    assert.equal(await runBranchCli(["destroy", "--pr", "7"], ctx), 2);
    assert.match(err.join("\n"), /not a git commit sha/);
    assert.deepEqual(fake.calls(), []);
  });
});

describe("reap (fake pulumi CLI)", function () {
  this.timeout(30000);
  const NOW = new Date("2025-03-01T12:00:00Z");
  const daysAgo = (d: number) => new Date(NOW.getTime() - d * 86_400_000).toISOString();
  let fake: FakePulumi;
  let github: FakeGitHub;

  beforeEach(() => {
    fake = new FakePulumi();
    fake.setState({
      stacks: {
        prod: FakePulumi.stack({ lastUpdate: daysAgo(90) }),
        "pr-1": FakePulumi.stack({ lastUpdate: daysAgo(1) }), // PR closed
        "pr-2": FakePulumi.stack({ lastUpdate: daysAgo(10) }), // open but stale
        "pr-3": FakePulumi.stack({ lastUpdate: daysAgo(1) }), // open and fresh
        "pr-4": FakePulumi.stack({ lastUpdate: daysAgo(3) }), // open
        "pr-5": FakePulumi.stack({ lastUpdate: daysAgo(2) }), // unknown to GitHub
        "pr-x": FakePulumi.stack({ lastUpdate: daysAgo(300) }), // not ours
      },
    });
    github = new FakeGitHub().open(2, 3, 4).close(1, true);
  });
  afterEach(() => fake.cleanup());

  const snowflake = () =>
    new FakeSnowflake("PRODUCTION", [
      "PRODUCTION",
      "PRODUCTION_CLONE_1",
      "PRODUCTION_CLONE_2",
      "PRODUCTION_CLONE_3",
      "PRODUCTION_CLONE_4",
      "PRODUCTION_CLONE_5",
      "PRODUCTION_CLONE_99",
      "PRODUCTION_CLONE_007",
      "PRODUCTION_CLONE_3_BACKUP",
      "PRODUCTION_CLONE_",
      "ANALYTICS_CLONE_12",
    ]);
  const opts = { maxAgeDays: 7, dropOrphans: false, dryRun: false, productionDatabase: "PRODUCTION" };

  it("--drop-orphans drops exactly the clones no remaining stack owns", async () => {
    const sf = snowflake();
    const deps = await testDeps(fake, { github, now: () => NOW, snowflake: () => sf });
    const report = await reap(deps, { ...opts, dropOrphans: true });
    // Owners are listed again after the destroys, right before the clones.
    assert.deepEqual(fake.calls(), ["stack ls", ...DOWN("pr-1"), ...DOWN("pr-2"), "stack ls"]);
    assert.deepEqual(sf.dropped, ["PRODUCTION_CLONE_1", "PRODUCTION_CLONE_2", "PRODUCTION_CLONE_99"]);
    assert.deepEqual(report.dropped, sf.dropped);
    for (const kept of ["PRODUCTION", "PRODUCTION_CLONE_3", "PRODUCTION_CLONE_4", "PRODUCTION_CLONE_5", "PRODUCTION_CLONE_007", "PRODUCTION_CLONE_3_BACKUP", "ANALYTICS_CLONE_12"]) {
      assert.ok(sf.databases.includes(kept), `${kept} must survive`);
    }
    const again = await reap(deps, { ...opts, dropOrphans: true });
    assert.deepEqual(again.dropped, []);
  });

  it("--drop-orphans without Snowflake access fails before changing anything", async () => {
    const deps = await testDeps(fake, { github, now: () => NOW });
    await assert.rejects(reap(deps, { ...opts, dropOrphans: true }), /needs Snowflake access/);
    assert.deepEqual(fake.calls(), []);
  });

  it("a stack that fails to destroy keeps its clone, and the reap exits 1 after doing the rest", async () => {
    const state = fake.state();
    fake.setState({ ...state, script: { failDestroy: { "pr-1": "snowflake: insufficient privileges" } } });
    const sf = snowflake();
    const deps = await testDeps(fake, { github, now: () => NOW, snowflake: () => sf });
    const err: string[] = [];
    const code = await runBranchCli(["reap", "--drop-orphans"], { projectDir: PROJECT_DIR, env: {}, deps: () => deps, stdout: () => undefined, stderr: (l) => err.push(l) });
    assert.equal(code, 1);
    assert.match(err.join("\n"), /destroy pr-1: error: destroy failed/);
    assert.ok(fake.state().stacks["pr-1"]);
    assert.deepEqual(Object.keys(fake.state().stacks).includes("pr-2"), false);
    assert.deepEqual(sf.dropped, ["PRODUCTION_CLONE_2", "PRODUCTION_CLONE_99"]);
  });

  it("GitHub failing for one PR: that stack is judged on age alone", async () => {
    github.broken.add(3).add(2);
    const deps = await testDeps(fake, { github, now: () => NOW });
    const report = await reap(deps, opts);
    assert.deepEqual(report.destroyed, ["pr-1", "pr-2"], "pr-2 is stale whatever GitHub says; pr-3 is fresh so it stays");
    assert.match(report.decisions.find((d) => d.stack === "pr-3")?.reason ?? "", /could not ask GitHub/);
  });
});
