/**
 * The branch lifecycle against the fake `pulumi` CLI, through the real Automation API, for what
 * the real CLI cannot show here (test/fixtures/fake-pulumi says why): a lock that outlives the wait
 * on a gs:// backend, and the reaper's Snowflake, GitHub and Kubernetes failure paths (kubectl is
 * the fake in test/fixtures/fake-kubectl; the retire path itself: lifecycle-retire.test.ts). Open, push (from a fresh
 * checkout), close, close twice, reopen, close during a running deploy, failed deploys and the
 * reap policy run against the real CLI in test/e2e/20-lifecycle.e2e.ts.
 */
import { strict as assert } from "assert";
import { branchDown, branchUp, reap } from "../lifecycle/branch";
import { runBranchCli } from "../lifecycle/cli";
import { StackLockedError } from "../lifecycle/locks";
import { FakePulumi } from "./fixtures/fake-pulumi/harness";
import { FakeKubectl } from "./fixtures/fake-kubectl/harness";
import { branchResources, FakeGitHub, FakeSnowflake, platformRetireSettings, previewStack, PROJECT_DIR, testDeps } from "./fixtures/lifecycle/fakes";

const SHA = "0123456789abcdef0123456789abcdef01234567";
const CONFIG = "dagster-platform:commitSha,dagster-platform:branch,dagster-platform:branchLocations";

/**
 * What `up` runs on a stack that exists: select, configure, refresh, read the refreshed state (for
 * Snowflake objects gone missing), update, read the result.
 */
const REFRESH = (s: string) => [`refresh ${s}`, `stack history ${s} --show-secrets`, `stack export ${s} --show-secrets`];
const UP_EXISTING = (s: string, up = `up ${s}`) => [`stack select ${s}`, `config set-all ${s} ${CONFIG}`, ...REFRESH(s), up, `stack output ${s}`, `stack output ${s} --show-secrets`, `stack history ${s} --show-secrets`];
/**
 * Retire (lifecycle/retire.ts): read the state, then (after the namespace and Snowflake objects
 * are gone) read it again and remove it without running a provider. The first retire of a reap
 * also reads the preview stack's kubeconfig. Never `destroy`.
 */
const RETIRE = (s: string) => [`stack export ${s}`, `stack export ${s}`, `stack rm ${s} --force`];
const KUBECONFIG = "stack output organization/dagster-platform/preview --show-secrets";
const RETIRE_FIRST = (s: string) => [`stack export ${s}`, KUBECONFIG, `stack export ${s}`, `stack rm ${s} --force`];

describe("branch lifecycle (fake pulumi CLI)", function () {
  this.timeout(30000);
  let fake: FakePulumi;
  beforeEach(() => {
    fake = new FakePulumi();
  });
  afterEach(() => fake.cleanup());

  it("a lock nobody releases: down gives up after the limit and explains how to clear it", async () => {
    fake.setState({ stacks: { preview: previewStack(), "pr-7": FakePulumi.stack({ resources: branchResources(7) }) }, script: { locked: { "pr-7": 1000 } } });
    const kube = new FakeKubectl();
    kube.setState({ namespaces: [] });
    const sf = new FakeSnowflake("PRODUCTION", { databases: [], roles: [], users: [] });
    const deps = await testDeps(fake, { lockWait: { timeoutMs: 30_000, initialDelayMs: 5_000, maxDelayMs: 10_000 }, kubectl: kube.kubectl(), snowflake: () => sf });
    const err = await branchDown(deps, 7, platformRetireSettings).then(
      () => assert.fail("down must fail on a lock that never clears"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof StackLockedError);
    assert.deepEqual(deps.sleeps, [5000, 10000, 10000, 5000], "never sleeps past the limit");
    assert.match(err.message, /still locked after waiting 30s/);
    assert.match(err.message, /pulumi cancel --stack pr-7/);
    assert.match(err.message, /gs:\/\/acme-pulumi-state\/\.pulumi\/locks\/organization\/dagster-platform\/pr-7\/[0-9a-f-]+\.json/, "names the lock file the backend reported");
    assert.equal(fake.calls().filter((c) => c === "stack rm pr-7 --force").length, 5);
    assert.ok(fake.state().stacks["pr-7"], "the state is kept");
    kube.cleanup();
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

describe("Snowflake drift on up (fake pulumi CLI)", function () {
  this.timeout(30000);
  const EXECUTE = "snowflake:index/execute:Execute";
  const URN = `urn:pulumi:pr-7::dagster-platform::dagster-platform:index:BranchClone$${EXECUTE}::clone`;
  const KEY = `MIIB${"A".repeat(388)}`;
  const CALL = `CALL DAGSTER_BRANCH_ADMIN.BRANCHES.CREATE_BRANCH('PRODUCTION', 7, NULL, '${KEY}')`;
  const row = (kind: string, name: string) => ({ PULL_REQUEST: "7", OBJECT_KIND: kind, OBJECT_NAME: name });
  /** The clone's Execute as `stack export` shows it after a refresh re-ran its LIST_BRANCHES query. */
  const refreshedClone = (rows: Record<string, string>[]) => ({ urn: URN, type: EXECUTE, inputs: { execute: CALL }, outputs: { execute: CALL, queryResults: rows } });
  let fake: FakePulumi;
  beforeEach(() => {
    fake = new FakePulumi();
  });
  afterEach(() => fake.cleanup());

  it("a clone dropped by hand is planned again: up replaces the Execute whose listing lost it", async () => {
    fake.setState({ stacks: { "pr-7": FakePulumi.stack({ resources: [refreshedClone([row("ROLE", "DAGSTER_PR_7"), row("USER", "DAGSTER_PR_7")])] }) } });
    const deps = await testDeps(fake);
    await branchUp(deps, { pr: 7, sha: SHA, branch: "main" });
    assert.deepEqual(fake.calls(), UP_EXISTING("pr-7", `up pr-7 --replace ${URN}`));
    assert.ok(deps.log.lines.includes(`DATABASE PRODUCTION_CLONE_7 no longer exist: re-creating them (${URN})`));
  });

  it("everything still there: a plain up, nothing replaced", async () => {
    const all = [row("DATABASE", "PRODUCTION_CLONE_7"), row("ROLE", "DAGSTER_PR_7"), row("USER", "DAGSTER_PR_7")];
    fake.setState({ stacks: { "pr-7": FakePulumi.stack({ resources: [refreshedClone(all)] }) } });
    const deps = await testDeps(fake);
    await branchUp(deps, { pr: 7, sha: SHA, branch: "main" });
    assert.deepEqual(fake.calls(), UP_EXISTING("pr-7"));
  });

  it("passes the pull request's opening time on as config, for snowflakeCloneFreshness pull-request-opened", async () => {
    const deps = await testDeps(fake);
    await branchUp(deps, { pr: 7, sha: SHA, branch: "main", openedAt: "2025-02-27T09:30:00Z" });
    assert.equal(fake.state().stacks["pr-7"].config["dagster-platform:pullRequestOpenedAt"], "2025-02-27T09:30:00Z");
  });
});

describe("reap (fake pulumi CLI, fake kubectl)", function () {
  this.timeout(30000);
  const NOW = new Date("2025-03-01T12:00:00Z");
  const daysAgo = (d: number) => new Date(NOW.getTime() - d * 86_400_000).toISOString();
  let fake: FakePulumi;
  let kube: FakeKubectl;
  let github: FakeGitHub;
  const branch = (pr: number, days: number) => FakePulumi.stack({ lastUpdate: daysAgo(days), resources: branchResources(pr) });

  beforeEach(() => {
    fake = new FakePulumi();
    fake.setState({
      stacks: {
        prod: FakePulumi.stack({ lastUpdate: daysAgo(90) }),
        preview: previewStack(),
        "pr-1": branch(1, 1), // PR closed
        "pr-2": branch(2, 10), // open but stale
        "pr-3": branch(3, 1), // open and fresh
        "pr-4": branch(4, 3), // open
        "pr-5": branch(5, 2), // unknown to GitHub
        "pr-x": FakePulumi.stack({ lastUpdate: daysAgo(300) }), // not ours
      },
    });
    kube = new FakeKubectl();
    kube.setState({ namespaces: ["default", "dagster", "dagster-pr-1", "dagster-pr-2", "dagster-pr-3", "dagster-pr-4", "dagster-pr-5"] });
    github = new FakeGitHub().open(2, 3, 4).close(1, true);
  });
  afterEach(() => {
    fake.cleanup();
    kube.cleanup();
  });

  // Branch objects as LIST_BRANCHES reports them (fixtures/lifecycle/fakes.ts): PR 1 closed with a
  // stack, 2-4 open, 5 unknown to GitHub but with a stack, 6 closed and 99 unknown without one,
  // 0 no pull request's (a leftover: always dropped); the rest only look alike.
  const snowflake = () =>
    new FakeSnowflake("PRODUCTION", {
      databases: ["PRODUCTION", "PRODUCTION_CLONE_0", "PRODUCTION_CLONE_1", "PRODUCTION_CLONE_2", "PRODUCTION_CLONE_3", "PRODUCTION_CLONE_4", "PRODUCTION_CLONE_5", "PRODUCTION_CLONE_6", "PRODUCTION_CLONE_99", "PRODUCTION_CLONE_007", "PRODUCTION_CLONE_3_BACKUP", "PRODUCTION_CLONE_", "ANALYTICS_CLONE_12"],
      roles: ["SYSADMIN", "DAGSTER_PR_0", "DAGSTER_PR_1", "DAGSTER_PR_2", "DAGSTER_PR_3", "DAGSTER_PR_6", "DAGSTER_PR_99", "DAGSTER_PR_007", "DAGSTER_PR_X"],
      users: ["DAGSTER_CI", "DAGSTER_PR_0", "DAGSTER_PR_1", "DAGSTER_PR_2", "DAGSTER_PR_3", "DAGSTER_PR_6", "DAGSTER_PR_99"],
    });
  const opts = { maxAgeDays: 7, dropOrphans: false, dryRun: false, settingsFor: platformRetireSettings };

  it("--dry-run lists what it would do, reading the states only, and changes nothing", async () => {
    const before = fake.state();
    const sf = snowflake();
    const deps = await testDeps(fake, { github: github.close(6), now: () => NOW, snowflake: () => sf, kubectl: kube.kubectl() });
    const report = await reap(deps, { ...opts, dropOrphans: true, dryRun: true });
    assert.deepEqual(fake.calls(), ["stack ls", "stack export pr-1", "stack export pr-2"]);
    assert.deepEqual(fake.state(), before);
    assert.deepEqual(kube.calls(), []);
    assert.deepEqual(sf.dropCalls, []);
    assert.deepEqual(report.retired, []);
    assert.deepEqual(report.orphans, ["DATABASE PRODUCTION_CLONE_0", "ROLE DAGSTER_PR_0", "USER DAGSTER_PR_0", "DATABASE PRODUCTION_CLONE_1", "ROLE DAGSTER_PR_1", "USER DAGSTER_PR_1", "DATABASE PRODUCTION_CLONE_6", "ROLE DAGSTER_PR_6", "USER DAGSTER_PR_6", "DATABASE PRODUCTION_CLONE_99", "ROLE DAGSTER_PR_99", "USER DAGSTER_PR_99"]);
    assert.ok(deps.log.lines.includes("[dry run] retire pr-1: pull request #1 is merged"));
    assert.ok(deps.log.lines.includes("[dry run] pr-1 can be retired: 3 resource(s) in its namespace, 1 Snowflake CALL(s)"));
    assert.ok(deps.log.lines.includes("[dry run] drop DATABASE PRODUCTION_CLONE_99, ROLE DAGSTER_PR_99, USER DAGSTER_PR_99: GitHub has no pull request #99 and no stack pr-99 owns them"));
    assert.ok(deps.log.lines.includes("[dry run] keep DATABASE PRODUCTION_CLONE_3, ROLE DAGSTER_PR_3, USER DAGSTER_PR_3: pull request #3 is open"));
  });

  it("--drop-orphans also drops, through DROP_BRANCH, the objects of closed pull requests and of unknown ones no stack owns", async () => {
    const sf = snowflake();
    const deps = await testDeps(fake, { github: github.close(6), now: () => NOW, snowflake: () => sf, kubectl: kube.kubectl() });
    const report = await reap(deps, { ...opts, dropOrphans: true });
    // Stacks are listed again after the retires, right before the branch objects.
    assert.deepEqual(fake.calls(), ["stack ls", ...RETIRE_FIRST("pr-1"), ...RETIRE("pr-2"), "stack ls"]);
    assert.deepEqual(report.retired, ["pr-1", "pr-2"]);
    assert.deepEqual(sf.dropCalls, [1, 2, 0, 6, 99], "each retired stack's (1, 2), then 0 (no pull request's), closed (6) and unknown without a stack (99); open 3-4 and unknown 5 with a stack are kept");
    assert.deepEqual(report.dropped, report.orphans);
    assert.deepEqual(github.requests.slice(-2), ["GET pull 6", "GET pull 99"], "only the pull requests without a stack are asked again");
    assert.deepEqual(sf.account.databases, ["PRODUCTION", "PRODUCTION_CLONE_3", "PRODUCTION_CLONE_4", "PRODUCTION_CLONE_5", "PRODUCTION_CLONE_007", "PRODUCTION_CLONE_3_BACKUP", "PRODUCTION_CLONE_", "ANALYTICS_CLONE_12"]);
    assert.deepEqual(sf.account.roles, ["SYSADMIN", "DAGSTER_PR_3", "DAGSTER_PR_007", "DAGSTER_PR_X"]);
    assert.deepEqual(sf.account.users, ["DAGSTER_CI", "DAGSTER_PR_3"]);
    const again = await reap(deps, { ...opts, dropOrphans: true });
    assert.deepEqual(again.dropped, []);
  });

  it("--drop-orphans without Snowflake access fails before changing anything", async () => {
    const deps = await testDeps(fake, { github, now: () => NOW, kubectl: kube.kubectl() });
    await assert.rejects(reap(deps, { ...opts, dropOrphans: true }), /needs Snowflake access/);
    assert.deepEqual(fake.calls(), []);
  });

  it("a namespace that cannot be deleted, or a DROP_BRANCH that fails, is reported; the reap does the rest and exits 1", async () => {
    kube.setState({ namespaces: kube.namespaces(), failDelete: { "dagster-pr-1": 'Error from server (Forbidden): namespaces "dagster-pr-1" is forbidden' } });
    const sf = snowflake();
    sf.failing.add(6);
    const deps = await testDeps(fake, { github: github.close(6), now: () => NOW, snowflake: () => sf, kubectl: kube.kubectl() });
    const err: string[] = [];
    const code = await runBranchCli(["reap", "--drop-orphans"], { projectDir: PROJECT_DIR, env: {}, deps: () => deps, stdout: () => undefined, stderr: (l) => err.push(l) });
    assert.equal(code, 1);
    assert.match(err.join("\n"), /retire pr-1: kubectl delete namespace dagster-pr-1 failed \(exit 1\): Error from server \(Forbidden\)/);
    assert.match(err.join("\n"), /drop the Snowflake objects of #6: .*Insufficient privileges/);
    assert.ok(fake.state().stacks["pr-1"], "a stack whose namespace is still there is kept");
    assert.deepEqual(Object.keys(fake.state().stacks).includes("pr-2"), false);
    // A closed pull request's objects go even while its stack remains: its next retire's
    // DROP_BRANCH succeeds on what is already gone.
    assert.deepEqual(sf.dropCalls, [2, 0, 1, 6, 99]);
    assert.ok(sf.account.databases.includes("PRODUCTION_CLONE_6"));
  });

  it("GitHub failing for one PR: that stack is judged on age alone", async () => {
    github.broken.add(3).add(2);
    const deps = await testDeps(fake, { github, now: () => NOW, snowflake, kubectl: kube.kubectl() });
    const report = await reap(deps, opts);
    assert.deepEqual(report.retired, ["pr-1", "pr-2"], "pr-2 is stale whatever GitHub says; pr-3 is fresh so it stays");
    assert.match(report.decisions.find((d) => d.stack === "pr-3")?.reason ?? "", /could not ask GitHub/);
  });
});
