/**
 * The reaper's retire path (lifecycle/retire.ts) against the fake `pulumi` and a fake `kubectl`
 * (test/fixtures/fake-kubectl) that records its calls: per stack, the namespace goes, then the
 * Snowflake objects, then the state, and no command that runs a provider (`destroy`, `refresh`,
 * `up`) is ever issued. The real CLI shows the same, with a dynamic resource whose delete would
 * leave a mark, in test/e2e/20-lifecycle.e2e.ts.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import { reap } from "../lifecycle/branch";
import { Kubectl } from "../lifecycle/kubectl";
import { runBranchCli } from "../lifecycle/cli";
import { FakePulumi } from "./fixtures/fake-pulumi/harness";
import { FakeKubectl } from "./fixtures/fake-kubectl/harness";
import { branchResources, FakeGitHub, FakeSnowflake, platformRetireSettings, PREVIEW_KUBECONFIG, previewStack, PROJECT_DIR, testDeps, TestDeps } from "./fixtures/lifecycle/fakes";

const NOW = new Date("2025-03-01T12:00:00Z");
const KUBECONFIG = "stack output organization/dagster-platform/preview --show-secrets";
const NAMESPACE_GONE = (ns: string) => [`delete namespace ${ns} --ignore-not-found --wait=true --timeout=900s`, `get namespace ${ns} --ignore-not-found --output=name`];
/** Commands that would run a provider the state names. */
const RUNS_PROVIDERS = /^(destroy|refresh|up|preview|import)\b/;
const DYNAMIC = { urn: "urn:pulumi:pr-8::dagster-platform::pulumi-nodejs:dynamic:Resource::payload", type: "pulumi-nodejs:dynamic:Resource", custom: true, inputs: { __provider: "exports.handler = …" } };

describe("retire: the reaper removes branch stacks without running their providers", function () {
  this.timeout(30000);
  let fake: FakePulumi;
  let kube: FakeKubectl;
  let sf: FakeSnowflake;
  let github: FakeGitHub;

  beforeEach(() => {
    fake = new FakePulumi();
    fake.setState({
      stacks: {
        preview: previewStack(),
        "pr-7": FakePulumi.stack({ lastUpdate: "2025-02-28T00:00:00Z", resources: branchResources(7) }),
        "pr-8": FakePulumi.stack({ lastUpdate: "2025-02-28T00:00:00Z", resources: branchResources(8) }),
        "pr-9": FakePulumi.stack({ lastUpdate: "2025-02-28T00:00:00Z", resources: branchResources(9) }),
      },
    });
    kube = new FakeKubectl();
    kube.setState({ namespaces: ["dagster", "dagster-pr-7", "dagster-pr-8", "dagster-pr-9"] });
    sf = new FakeSnowflake("PRODUCTION", { databases: ["PRODUCTION", "PRODUCTION_CLONE_7", "PRODUCTION_CLONE_8", "PRODUCTION_CLONE_9"], roles: ["DAGSTER_PR_7", "DAGSTER_PR_8", "DAGSTER_PR_9"], users: ["DAGSTER_PR_7", "DAGSTER_PR_8", "DAGSTER_PR_9"] });
    github = new FakeGitHub().close(7, true).close(8).open(9);
  });
  afterEach(() => {
    fake.cleanup();
    kube.cleanup();
  });

  const deps = (extra: Partial<TestDeps> = {}) => testDeps(fake, { github, now: () => NOW, snowflake: () => sf, kubectl: kube.kubectl(), ...extra });
  const cli = async (argv: string[], d: TestDeps) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runBranchCli(argv, { projectDir: PROJECT_DIR, env: {}, deps: () => d, stdout: (l) => out.push(l), stderr: (l) => err.push(l) });
    return { code, stdout: out.join("\n"), stderr: err.join("\n") };
  };

  it("per stack: namespace dagster-pr-<N> deleted and gone (kubeconfig: the preview stack's, 0600, removed after), DROP_BRANCH(<N>), then stack rm --force; never a command that runs providers", async () => {
    const report = await reap(await deps(), { maxAgeDays: 7, dropOrphans: false, dryRun: false, settingsFor: platformRetireSettings });
    assert.deepEqual(report.retired, ["pr-7", "pr-8"]);
    assert.deepEqual(fake.calls(), ["stack ls", "stack export pr-7", KUBECONFIG, "stack export pr-7", "stack rm pr-7 --force", "stack export pr-8", "stack export pr-8", "stack rm pr-8 --force"]);
    assert.deepEqual(kube.calls(), [...NAMESPACE_GONE("dagster-pr-7"), ...NAMESPACE_GONE("dagster-pr-8")]);
    assert.deepEqual(sf.dropCalls, [7, 8]);
    assert.deepEqual(Object.keys(fake.state().stacks).sort(), ["pr-9", "preview"]);
    assert.deepEqual(kube.namespaces(), ["dagster", "dagster-pr-9"]);
    assert.ok(!fake.entries().some((e) => RUNS_PROVIDERS.test(e.argv[0])));
    // kubectl got the preview stack's kubeconfig as a 0600 file, deleted after the reap.
    const seen = kube.entries().map((e) => e.kubeconfig);
    assert.ok(seen.length > 0 && seen.every((k) => k?.exists && k.mode === "600" && k.path === seen[0]?.path), JSON.stringify(seen));
    assert.deepEqual(seen[0]?.execCommands, ["gke-gcloud-auth-plugin"]);
    assert.equal(fs.existsSync(seen[0]?.path ?? ""), false, "the temporary kubeconfig is removed");
  });

  it("a kubeconfig whose exec command is not gke-gcloud-auth-plugin is refused before anything changes", async () => {
    for (const [kubeconfig, why] of [
      [PREVIEW_KUBECONFIG.replace("command: gke-gcloud-auth-plugin", "command: /tmp/pr-8/payload.sh"), /exec command "\/tmp\/pr-8\/payload\.sh" is not gke-gcloud-auth-plugin/],
      [PREVIEW_KUBECONFIG.replace("      provideClusterInfo: true", "      env: [{name: LD_PRELOAD, value: /tmp/x.so}]\n      provideClusterInfo: true"), /sets environment variables/],
    ] as const) {
      fake.setState({ ...fake.state(), stacks: { ...fake.state().stacks, preview: previewStack(kubeconfig) } });
      const r = await cli(["reap"], await deps());
      assert.equal(r.code, 1);
      assert.match(r.stderr, /retire pr-7: cannot reach the cluster: the kubeconfig output of organization\/dagster-platform\/preview is refused/);
      assert.match(r.stderr, why);
      assert.deepEqual(kube.calls(), [], "kubectl never runs with it");
      assert.deepEqual(sf.dropCalls, []);
      assert.deepEqual(Object.keys(fake.state().stacks).sort(), ["pr-7", "pr-8", "pr-9", "preview"]);
    }
  });

  it("a state listing a type the retire path does not clean keeps that stack and fails the reap, naming it", async () => {
    const gcpBucket = { urn: "urn:pulumi:pr-8::dagster-platform::gcp:storage/bucket:Bucket::logs", type: "gcp:storage/bucket:Bucket", custom: true };
    fake.setState({ ...fake.state(), stacks: { ...fake.state().stacks, "pr-8": FakePulumi.stack({ lastUpdate: "2025-02-28T00:00:00Z", resources: branchResources(8, [DYNAMIC, gcpBucket]) }) } });
    const r = await cli(["reap"], await deps());
    assert.equal(r.code, 1);
    assert.match(r.stderr, /pr-8 is kept: retiring it would leak what its state lists/);
    assert.match(r.stderr, /urn:pulumi:pr-8::dagster-platform::pulumi-nodejs:dynamic:Resource::payload \(pulumi-nodejs:dynamic:Resource\) is a type the retire path does not clean/);
    assert.match(r.stderr, /gcp:storage\/bucket:Bucket::logs \(gcp:storage\/bucket:Bucket\)/);
    assert.match(r.stderr, /Nothing was changed/);
    assert.match(r.stdout, /reaped 1 stack\(s\)/, "pr-7 is retired all the same");
    assert.ok(fake.state().stacks["pr-8"]);
    assert.ok(kube.namespaces().includes("dagster-pr-8"));
    assert.deepEqual(sf.dropCalls, [7]);
    assert.ok(!kube.calls().some((c) => c.includes("dagster-pr-8")));
  });

  it("--dry-run reads the states, reports what a real run would refuse, and changes nothing", async () => {
    fake.setState({ ...fake.state(), stacks: { ...fake.state().stacks, "pr-8": FakePulumi.stack({ lastUpdate: "2025-02-28T00:00:00Z", resources: branchResources(8, [DYNAMIC]) }) } });
    const before = fake.state();
    const r = await cli(["reap", "--dry-run"], await deps());
    assert.equal(r.code, 1, "a dry run fails when the real run would");
    assert.match(r.stdout, /dry run: would retire 2 stack\(s\); nothing was changed/);
    assert.match(r.stderr, /pr-8 is kept: .*\n.*pulumi-nodejs:dynamic:Resource/);
    assert.deepEqual(fake.calls(), ["stack ls", "stack export pr-7", "stack export pr-8"]);
    assert.deepEqual(fake.state(), before);
    assert.deepEqual(kube.calls(), []);
    assert.deepEqual(sf.dropCalls, []);
  });

  it("a namespace that never finishes terminating keeps the stack and its Snowflake objects", async () => {
    kube.setState({ namespaces: kube.namespaces(), stuck: ["dagster-pr-7"] });
    const r = await cli(["reap"], await deps());
    assert.equal(r.code, 1);
    assert.match(r.stderr, /retire pr-7: kubectl delete namespace dagster-pr-7 failed .*timed out waiting for the condition on namespaces\/dagster-pr-7/);
    assert.ok(fake.state().stacks["pr-7"]);
    assert.deepEqual(sf.dropCalls, [8]);
  });

  it("a namespace kubectl reports deleted but the API server still lists is not taken as gone", async () => {
    // What `get` sees decides, not what `delete` said: here the fake's delete (with --wait=false
    // semantics) leaves it Terminating.
    const d = await deps({ kubectl: { run: (args) => kube.kubectl().run(args.map((a) => (a === "--wait=true" ? "--wait=false" : a))) } });
    kube.setState({ namespaces: kube.namespaces(), stuck: ["dagster-pr-7", "dagster-pr-8"] });
    const report = await reap(d, { maxAgeDays: 7, dropOrphans: false, dryRun: false, settingsFor: platformRetireSettings });
    assert.deepEqual(report.retired, []);
    assert.match(report.failures[0].error, /namespace dagster-pr-7 still exists after kubectl waited/);
    assert.deepEqual(sf.dropCalls, []);
  });

  it("a deploy that lands while the stack is being retired: it starts over, so what the deploy made goes too; one that keeps landing keeps the stack", async () => {
    let landings = 1;
    const landing = kube.kubectl();
    const d = await deps({
      kubectl: {
        run: async (args) => {
          const result = await landing.run(args);
          if (args.includes("get") && args.includes("dagster-pr-7") && landings-- > 0) {
            const state = fake.state();
            state.stacks["pr-7"].resources = [...(state.stacks["pr-7"].resources ?? []), { urn: "urn:pulumi:pr-7::dagster-platform::kubernetes:core/v1:ConfigMap::new", type: "kubernetes:core/v1:ConfigMap", outputs: { metadata: { namespace: "dagster-pr-7" } } }];
            fake.setState(state);
            kube.setState({ namespaces: [...kube.namespaces(), "dagster-pr-7"] });
          }
          return result;
        },
      },
    });
    const r = await cli(["retire", "--pr", "7"], d);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(fake.calls(), ["stack export pr-7", KUBECONFIG, "stack export pr-7", "stack export pr-7", "stack export pr-7", "stack rm pr-7 --force"]);
    assert.deepEqual(kube.calls(), [...NAMESPACE_GONE("dagster-pr-7"), ...NAMESPACE_GONE("dagster-pr-7")], "the namespace the deploy re-created is deleted again");
    assert.ok(!kube.namespaces().includes("dagster-pr-7"));
    assert.ok(d.log.lines.includes("pr-7 was deployed while it was being retired: starting over, so that what the deploy created goes too"));

    // A deploy that writes the state on every attempt.
    const busy: Kubectl = {
      run: async (args) => {
        const result = await landing.run(args);
        const state = fake.state();
        state.stacks["pr-8"].resources = [...(state.stacks["pr-8"].resources ?? []), { urn: `urn:pulumi:pr-8::dagster-platform::random:index/randomId:RandomId::n${Math.random()}`, type: "random:index/randomId:RandomId" }];
        fake.setState(state);
        return result;
      },
    };
    const again = await cli(["retire", "--pr", "8"], await deps({ kubectl: busy }));
    assert.equal(again.code, 1);
    assert.match(again.stderr, /pr-8 was deployed again during each of 3 attempts to retire it: its state is kept/);
    assert.ok(fake.state().stacks["pr-8"]);
  });

  it("a stack locked at removal: waits for the lock, reads the state again, then removes it", async () => {
    fake.setState({ ...fake.state(), script: { locked: { "pr-7": 2 } } });
    const d = await deps();
    const report = await reap(d, { maxAgeDays: 7, dropOrphans: false, dryRun: false, settingsFor: platformRetireSettings });
    assert.deepEqual(report.retired, ["pr-7", "pr-8"]);
    assert.deepEqual(fake.calls().slice(0, 9), ["stack ls", "stack export pr-7", KUBECONFIG, "stack export pr-7", "stack rm pr-7 --force", "stack export pr-7", "stack rm pr-7 --force", "stack export pr-7", "stack rm pr-7 --force"]);
    assert.deepEqual(d.sleeps, [5000, 10000]);
  });

  it("without Snowflake credentials, a project whose branches have Snowflake objects keeps its stacks untouched", async () => {
    const r = await cli(["reap"], await deps({ snowflake: undefined }));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /retire pr-7: retiring needs Snowflake access: this project's branches have Snowflake objects/);
    assert.deepEqual(kube.calls(), []);
    assert.equal(Object.keys(fake.state().stacks).length, 4);
  });

  it("retire --pr <N>: one stack, whatever its pull request; a missing stack is done", async () => {
    const d = await deps();
    const r = await cli(["retire", "--pr", "9"], d);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "pr-9 retired");
    assert.deepEqual(fake.calls(), ["stack export pr-9", KUBECONFIG, "stack export pr-9", "stack rm pr-9 --force"]);
    assert.deepEqual(kube.calls(), NAMESPACE_GONE("dagster-pr-9"));
    assert.deepEqual(sf.dropCalls, [9]);
    const again = await cli(["retire", "--pr", "9"], d);
    assert.equal(again.code, 0);
    assert.equal(again.stdout, "pr-9 does not exist: nothing to retire");
    assert.deepEqual(fake.calls(), ["stack export pr-9"]);
  });
});
