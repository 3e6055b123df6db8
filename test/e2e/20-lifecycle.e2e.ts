/**
 * The branch lifecycle against the real Pulumi CLI (built at the version CI pins), through the
 * real `npm run branch`, with a file:// backend and a cloud-type secrets provider (awskms:// on a
 * local KMS): the set-up where a push from a fresh checkout used to fail. Scenarios run in order,
 * each starting from what the previous one left, as a pull request's events do; every command
 * sequence lifecycle/README.md lists is checked here against what the lifecycle actually ran.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { ensurePulumiCli, PULUMI_CLI_VERSION } from "../../tools/pulumiCli";
import { LifecycleWorld, RunResult, waitFor } from "./lifecycle-harness";

const SHA1 = "1111111111111111111111111111111111111111";
const SHA2 = "2222222222222222222222222222222222222222";
const SHA3 = "3333333333333333333333333333333333333333";
// gitRepository: the lifecycle passes GITHUB_REPOSITORY on (lifecycle/commitMetadata.ts); the
// fixture shas are not commits of the checkout, so no author, time or message.
const CONFIG = "dagster-platform:commitSha,dagster-platform:branch,dagster-platform:branchLocations,dagster-platform:gitRepository";

/**
 * lifecycle/README.md's command sequences, as the harness abbreviates them: `up` refreshes, reads
 * the refreshed state (for branch Snowflake objects gone missing, lifecycle/snowflakeDrift.ts),
 * then updates.
 */
const UP_EXISTING = (s: string) => [
  `stack select ${s}`,
  `config set-all ${s} ${CONFIG}`,
  `refresh ${s}`,
  `stack history ${s} --show-secrets`,
  `stack export ${s} --show-secrets`,
  `up ${s}`,
  `stack output ${s}`,
  `stack output ${s} --show-secrets`,
  `stack history ${s} --show-secrets`,
];
const UP_NEW = (s: string, provider: string) => [`stack select ${s}`, `stack init ${s} --secrets-provider ${provider}`, ...UP_EXISTING(s).slice(1)];
/**
 * `down`'s and the reaper's retire (lifecycle/retire.ts): read the state, delete the namespace
 * (kubectl), read it again and remove it without running a provider; the first one of a run also
 * reads the preview stack's kubeconfig.
 */
const RETIRE = (s: string) => [`stack export ${s}`, `stack export ${s}`, `stack rm ${s} --force`];
const RETIRE_FIRST = (s: string) => [`stack export ${s}`, "stack output organization/dagster-platform/preview --show-secrets", ...RETIRE(s).slice(1)];
const NAMESPACE_GONE = (ns: string) => [`delete namespace ${ns} --ignore-not-found --wait=true --timeout=900s`, `get namespace ${ns} --ignore-not-found --output=name`];

function ok(r: RunResult, what: string): void {
  assert.equal(r.code, 0, `${what} exited ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
}

function stackFile(checkout: string, stack: string): string {
  const f = path.join(checkout, `Pulumi.${stack}.yaml`);
  return fs.existsSync(f) ? fs.readFileSync(f, "utf8") : "";
}

describe("lifecycle: npm run branch against the real Pulumi CLI", function () {
  this.timeout(30 * 60_000);
  const world = new LifecycleWorld();
  let first: string;

  before(async function () {
    await world.start((line) => console.log(`      ${line}`));
    console.log(`      pulumi version: ${world.cli.version} (${world.cli.built ? `built in ${world.cli.buildSeconds?.toFixed(0)} s` : "cached build"}) at ${world.cli.pulumi}`);
    assert.equal(world.cli.version, `v${PULUMI_CLI_VERSION}`);
    assert.equal(ensurePulumiCli().built, false, "a second call reuses the cached build");
    // The preview stack: its kubeconfig output is how `down` and the reaper reach the cluster.
    const checkout = world.checkout("checkout-preview");
    ok(await world.pulumi(["stack", "init", "preview", "--secrets-provider", world.kms.secretsProvider], checkout), "stack init preview");
    ok(await world.pulumi(["up", "--stack", "preview", "--yes", "--skip-preview"], checkout), "up preview");
  });
  after(() => world.stop());

  it("open: creates pr-11 with the job's secrets provider, deploys it, runs the policy pack", async () => {
    first = world.checkout("checkout-open");
    const r = await world.branch(["up", "--pr", "11", "--sha", SHA1, "--branch", "feature/x"], first);
    ok(r, "up");
    assert.deepEqual(world.calls(), UP_NEW("pr-11", world.kms.secretsProvider));
    assert.match(r.stdout, /pr-11 is up: fixture deployment pr-11\/release at 1111111/);
    assert.match(r.stdout, /lifecycle-test-policy@v0\.0\.1/, "the policy pack ran");
    assert.match(stackFile(first, "pr-11"), /secretsprovider: awskms:\/\/alias\/pulumi-state/);
    assert.match(stackFile(first, "pr-11"), /encryptedkey: /);
    assert.deepEqual(Object.keys(world.resources()), ["pr-11.namespace", "pr-11.release"]);
    const state = JSON.parse(fs.readFileSync(path.join(world.backendDir, ".pulumi", "stacks", "dagster-platform", "pr-11.json"), "utf8"));
    assert.equal(state.checkpoint.latest.secrets_providers.type, "cloud", "the state records the KMS provider");
    const outputs = state.checkpoint.latest.resources.map((res: { outputs?: Record<string, unknown> }) => res.outputs ?? {});
    assert.ok(outputs.some((o: Record<string, { ciphertext?: string }>) => o.kubeconfig?.ciphertext), "the secret output is encrypted with it");
  });

  it("the CLI alone, in a fresh checkout, uses the passphrase provider unless told to take the state's", async () => {
    const fresh = world.checkout("checkout-cli");
    // Plain config needs no secrets provider, so this works in a fresh checkout either way.
    ok(await world.pulumi(["config", "set-all", "--stack", "pr-11", "--plaintext", `dagster-platform:commitSha=${SHA1}`, "--plaintext", "dagster-platform:branch=feature/x"], fresh), "config set-all");
    const without = await world.pulumi(["preview", "--stack", "pr-11"], fresh);
    assert.notEqual(without.code, 0);
    assert.match(without.stderr + without.stdout, /passphrase must be set with PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE/);
    ok(await world.pulumi(["preview", "--stack", "pr-11"], fresh, { PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER: "true" }), "preview with the fallback");
    world.calls();
  });

  it("push from a fresh checkout (no Pulumi.pr-11.yaml): deploys with the provider from the state", async () => {
    const fresh = world.checkout("checkout-push");
    const r = await world.branch(["up", "--pr", "11", "--sha", SHA2, "--branch", "feature/x", "--locations", "ingest"], fresh);
    ok(r, "up from a fresh checkout");
    assert.deepEqual(world.calls(), UP_EXISTING("pr-11"));
    assert.equal(world.resources()["pr-11.release"].commitSha, SHA2);
    assert.equal(world.resources()["pr-11.release"].locations, "ingest");
    assert.match(stackFile(fresh, "pr-11"), /secretsprovider: awskms:\/\/alias\/pulumi-state/, "the CLI wrote the state's provider back into the stack file");
  });

  it("a push whose deploy fails exits 1 with the cloud's error and keeps the stack; the next push converges", async () => {
    const failing = await world.branch(["up", "--pr", "11", "--sha", SHA3, "--branch", "feature/x"], first, { LIFECYCLE_FAIL_WRITES: "1" });
    assert.equal(failing.code, 1, failing.stdout + failing.stderr);
    assert.match(failing.stderr, /up failed: .*the cloud refused to write pr-11/);
    assert.deepEqual(world.stacks(), ["pr-11", "preview"]);
    assert.equal(world.resources()["pr-11.release"].commitSha, SHA2, "the failed deploy changed nothing");
    world.calls();
    // From the first checkout, whose stack file still holds the first push's config.
    ok(await world.branch(["up", "--pr", "11", "--sha", SHA3, "--branch", "feature/x"], first), "next push");
    assert.equal(world.resources()["pr-11.release"].commitSha, SHA3);
    assert.equal(world.resources()["pr-11.release"].locations, "all");
    world.calls();
  });

  it("close: retires the stack (namespace deleted, state removed); close twice: nothing to do, exit 0", async () => {
    ok(await world.branch(["down", "--pr", "11"], world.checkout("checkout-close")), "down");
    assert.deepEqual(world.calls(), RETIRE_FIRST("pr-11"));
    assert.deepEqual(world.kubectlCalls().map((c) => c.command), NAMESPACE_GONE("dagster-pr-11"));
    assert.deepEqual(world.resources(), {});
    assert.deepEqual(world.stacks(), ["preview"]);
    const again = await world.branch(["down", "--pr", "11"], world.checkout("checkout-close-again"));
    ok(again, "second down");
    assert.match(again.stdout, /pr-11 does not exist: nothing to retire/);
    assert.deepEqual(world.calls(), ["stack export pr-11"]);
  });

  it("reopen: a fresh checkout creates the stack anew; a push during its deploy waits for it", async () => {
    const reopened = world.checkout("checkout-reopen");
    const deploying = world.startBranch(["up", "--pr", "11", "--sha", SHA1, "--branch", "feature/x"], reopened, { LIFECYCLE_CREATE_DELAY_MS: "15000" });
    await waitFor("pr-11's update to take the stack lock", () => world.locks("pr-11").length > 0, 120_000);
    const pushed = await world.branch(["up", "--pr", "11", "--sha", SHA2, "--branch", "feature/x"], world.checkout("checkout-push-2"));
    ok(await deploying.done, "up after reopen");
    ok(pushed, "push during that up");
    assert.match(pushed.stdout, /pr-11 is locked by another pulumi process; deploying again in 5s/);
    assert.equal(world.resources()["pr-11.release"].commitSha, SHA2, "the later push wins");
    assert.match(stackFile(reopened, "pr-11"), /secretsprovider: awskms:/);
    ok(await world.branch(["down", "--pr", "11"], reopened), "down after reopen");
    world.calls();
  });

  it("close during a running up: down waits out the real lock, then starts over and retires what up created", async () => {
    const deploying = world.startBranch(["up", "--pr", "12", "--sha", SHA1, "--branch", "slow"], world.checkout("checkout-slow-up"), { LIFECYCLE_CREATE_DELAY_MS: "15000" });
    await waitFor("pr-12's update to take the stack lock", () => world.locks("pr-12").length > 0, 120_000);
    const closing = await world.branch(["down", "--pr", "12", "--lock-timeout", "300"], world.checkout("checkout-close-slow"));
    ok(await deploying.done, "the running up");
    ok(closing, "down during up");
    assert.match(closing.stdout, /pr-12 is locked by another pulumi process; removing again in 5s/);
    assert.match(closing.stdout, /pr-12 was deployed while it was being retired: starting over/);
    assert.match(closing.stdout, /pr-12 retired/);
    assert.deepEqual(world.resources(), {}, "what the running up created went with the namespace");
    assert.deepEqual(world.stacks(), ["preview"]);
    world.calls();
  });

  it("a lock a killed job left behind: down gives up with how to clear it; after pulumi cancel it succeeds", async () => {
    const checkout = world.checkout("checkout-killed");
    const deploying = world.startBranch(["up", "--pr", "13", "--sha", SHA1, "--branch", "killed"], checkout, { LIFECYCLE_CREATE_DELAY_MS: "60000" }, { detached: true });
    await waitFor("pr-13's update to take the stack lock", () => world.locks("pr-13").length > 0, 120_000);
    // The whole job, CLI included, dies at once, as when a runner is cancelled hard.
    process.kill(-(deploying.child.pid as number), "SIGKILL");
    await deploying.done;
    assert.equal(world.locks("pr-13").length, 1, "the lock outlives the job");

    const stuck = await world.branch(["down", "--pr", "13", "--lock-timeout", "6"], checkout);
    assert.equal(stuck.code, 1);
    assert.match(stuck.stderr, /Stack pr-13 is still locked after waiting 6s/);
    assert.match(stuck.stderr, new RegExp(`file://${world.backendDir}/\\.pulumi/locks/organization/dagster-platform/pr-13/[0-9a-f-]+\\.json`), "names the lock file");
    ok(await world.pulumi(["cancel", "--stack", "pr-13", "--yes"], checkout), "pulumi cancel");
    ok(await world.branch(["down", "--pr", "13"], checkout), "down after cancel");
    assert.deepEqual(world.stacks(), ["preview"]);
    assert.deepEqual(world.resources(), {});
    world.calls();
  });

  it("a payload in the state: `pulumi destroy` runs its code, `down` does not", async () => {
    const checkout = world.checkout("checkout-payload");
    const marker = (pr: string) => path.join(world.root, `marker-${pr}`);
    for (const pr of ["25", "26"]) ok(await world.branch(["up", "--pr", pr, "--sha", SHA1, "--branch", "payload"], checkout, { LIFECYCLE_ATTACK_MARKER: marker(pr) }), `up pr-${pr} with a payload`);
    assert.equal(fs.existsSync(marker("25")) || fs.existsSync(marker("26")), false);
    // Neither command below is given the marker's path: it, and the code, come from the state.
    ok(await world.pulumi(["destroy", "--stack", "pr-25", "--yes", "--skip-preview"], checkout), "pulumi destroy pr-25");
    assert.match(fs.readFileSync(marker("25"), "utf8"), /the state's code ran in process \d+/, "destroy ran the payload");
    ok(await world.pulumi(["stack", "rm", "pr-25", "--yes"], checkout), "stack rm pr-25");
    world.calls();
    ok(await world.branch(["down", "--pr", "26"], world.checkout("checkout-payload-close")), "down pr-26");
    assert.equal(fs.existsSync(marker("26")), false, "down ran nothing from the state");
    assert.deepEqual(world.calls(), RETIRE_FIRST("pr-26"));
    assert.deepEqual(world.kubectlCalls().slice(-2).map((c) => c.command), NAMESPACE_GONE("dagster-pr-26"));
    assert.deepEqual(world.stacks(), ["preview"]);
    assert.deepEqual(world.resources(), {});
  });

  it("reap: retires stacks of closed and stale pull requests without running their providers; keeps open, unknown and foreign ones", async () => {
    const checkout = world.checkout("checkout-reap");
    // pr-21 carries the payload: its delete would write marker-21 if anything ran it.
    const marker = path.join(world.root, "marker-21");
    ok(await world.branch(["up", "--pr", "21", "--sha", SHA1, "--branch", "b21"], checkout, { LIFECYCLE_ATTACK_MARKER: marker }), "up pr-21");
    for (const pr of ["22", "23"]) ok(await world.branch(["up", "--pr", pr, "--sha", SHA1, "--branch", `b${pr}`], checkout), `up pr-${pr}`);
    // Stacks the reaper must never touch, and a branch stack GitHub does not know.
    for (const stack of ["prod", "pr-x", "pr-24"]) ok(await world.pulumi(["stack", "init", stack, "--secrets-provider", world.kms.secretsProvider], checkout), `stack init ${stack}`);
    world.github.pulls.set(21, { state: "closed", merged: true });
    world.github.pulls.set(22, { state: "open", merged: false });
    world.github.pulls.set(23, { state: "open", merged: false });
    await ageStack(world, checkout, "pr-23", 10);
    world.calls();

    const reaper = world.checkout("checkout-reaper");
    const kubectlBefore = world.kubectlCalls().length;
    const dry = await world.branch(["reap", "--dry-run", "--production-database", "PRODUCTION"], reaper);
    ok(dry, "reap --dry-run");
    assert.match(dry.stdout, /dry run: would retire 2 stack\(s\); nothing was changed/);
    assert.match(dry.stdout, /\[dry run\] pr-21 can be retired: 3 resource\(s\) in its namespace, 0 Snowflake CALL\(s\)/);
    assert.deepEqual(world.calls(), ["stack ls", "stack export pr-21", "stack export pr-23"]);
    assert.equal(world.kubectlCalls().length, kubectlBefore, "the dry run ran no kubectl");

    const r = await world.branch(["reap", "--max-age-days", "7", "--production-database", "PRODUCTION"], reaper);
    ok(r, "reap");
    assert.deepEqual(world.calls(), ["stack ls", ...RETIRE_FIRST("pr-21"), ...RETIRE("pr-23")]);
    assert.equal(fs.existsSync(marker), false, "nothing from pr-21's state ran");
    const kubectl = world.kubectlCalls().slice(kubectlBefore);
    assert.deepEqual(kubectl.map((c) => c.command), [...NAMESPACE_GONE("dagster-pr-21"), ...NAMESPACE_GONE("dagster-pr-23")]);
    assert.ok(kubectl.every((c) => c.kubeconfig?.mode === "600" && c.kubeconfig.execCommands?.join() === "gke-gcloud-auth-plugin"), "the preview stack's kubeconfig, in a 0600 file");
    assert.equal(fs.existsSync(kubectl[0].kubeconfig?.path ?? ""), false, "and removed afterwards");
    assert.match(r.stdout, /retire pr-21: pull request #21 is merged/);
    assert.match(r.stdout, /retire pr-23: stale: last updated 10\.\d days ago/);
    assert.match(r.stdout, /keep pr-22: pull request #22 is open/);
    assert.match(r.stdout, /keep pr-24: GitHub has no pull request #24/);
    assert.match(r.stdout, /reaped 2 stack\(s\); kept 2/);
    assert.deepEqual(world.stacks(), ["pr-22", "pr-24", "pr-x", "preview", "prod"]);
    assert.deepEqual(Object.keys(world.resources()), ["pr-22.namespace", "pr-22.release"], "the namespaces' objects went with them");
  });
});

/**
 * Makes a stack look last updated `days` ago: a self-managed backend's last-update time is the
 * checkpoint's manifest time (pkg/backend/diy/stack.go, LastUpdate), so the state is exported,
 * that time moved back, and imported again, with the CLI's own commands.
 */
async function ageStack(world: LifecycleWorld, checkout: string, stack: string, days: number): Promise<void> {
  const file = path.join(world.root, `${stack}.export.json`);
  ok(await world.pulumi(["stack", "export", "--stack", stack, "--file", file], checkout), "stack export");
  const state = JSON.parse(fs.readFileSync(file, "utf8"));
  state.deployment.manifest.time = new Date(Date.now() - days * 86_400_000).toISOString();
  fs.writeFileSync(file, JSON.stringify(state));
  ok(await world.pulumi(["stack", "import", "--stack", stack, "--file", file], checkout), "stack import");
}
