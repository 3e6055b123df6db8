/**
 * The reusable code-location workflow (.github/workflows/code-location.yml), its caller example,
 * and the platform's side of the contract (branch.yml's guard on code-location/* pull requests).
 * Step scripts run for real with bash; the tools they call (docker, gh) are bash functions that
 * answer the way the documented tools do (each cited below). The yq bump and the image-contract
 * check run against the real yq and real Python packages in test/e2e/31-code-location.e2e.ts.
 */
import { strict as assert } from "assert";
import { parse } from "yaml";
import { LOCATION_NAME_MAX } from "../chart/names";
import { isPinned, parseImage } from "../locations/image";
import { runStep } from "./helpers/ci/runStep";
import { byFile as findWorkflow, findJob, loadWorkflows, Step, Workflow } from "./helpers/ci/workflows";
import { asDict, str } from "./helpers/ci/yaml";

const SHA = "0123456789abcdef0123456789abcdef01234567";
const DIGEST = `sha256:${"c".repeat(64)}`;

describe("code-location.yml (reusable)", () => {
  const workflows = loadWorkflows();
  const byFile = (name: string): Workflow => findWorkflow(workflows, name);
  const reusable = () => byFile(".github/workflows/code-location.yml");
  const ship = () => findJob(reusable(), "ship");
  const call = () => asDict(asDict(reusable().doc.on).workflow_call);
  const step = (pred: (s: Step) => boolean, what: string): Step => {
    const s = ship().steps.find(pred);
    assert.ok(s, `no step ${what}`);
    return s;
  };
  const byId = (id: string) => step((s) => s.id === id, id);
  const byName = (name: string) => step((s) => s.name === name, name);
  const indexOf = (s: Step) => ship().steps.indexOf(s);

  it("is a workflow_call with the inputs and the one secret a code-location repository passes", () => {
    const inputs = asDict(call().inputs);
    for (const k of ["location", "target", "registry", "platform-repository", "workload-identity-provider", "service-account", "refresh-workload-identity-provider", "refresh-service-account", "platform-app-client-id", "instance-defs-state"]) {
      assert.ok(k in inputs, `input ${k}`);
    }
    assert.deepEqual(Object.keys(asDict(call().secrets)), ["platform-app-private-key"]);
  });

  it("the caller example passes exactly the inputs and secrets the workflow declares, and grants what it needs", () => {
    const caller = byFile("docs/examples/code-location-caller.yml");
    const jobs = caller.jobs.filter((j) => /\/\.github\/workflows\/code-location\.yml@/.test(j.uses ?? ""));
    assert.equal(jobs.length, 1);
    const job = jobs[0];
    const [inputs, secrets] = [asDict(call().inputs), asDict(call().secrets)];
    const [given, givenSecrets] = [asDict(job.raw.with), asDict(job.raw.secrets)];
    for (const k of Object.keys(given)) assert.ok(k in inputs, `the example passes unknown input ${k}`);
    for (const [k, spec] of Object.entries(inputs)) if (asDict(spec).required === true) assert.ok(k in given, `the example omits required input ${k}`);
    for (const k of Object.keys(givenSecrets)) assert.ok(k in secrets, `the example passes unknown secret ${k}`);
    for (const [k, spec] of Object.entries(secrets)) if (asDict(spec).required === true) assert.ok(k in givenSecrets, `the example omits required secret ${k}`);
    assert.deepEqual(asDict(job.raw.permissions), { contents: "read", "id-token": "write" });
    // Its example is state-backed, so it passes the refresh identity too.
    assert.equal(given["state-backed"], true);
    assert.ok(str(given["refresh-service-account"]) !== "");
  });

  it("validates location names with the platform's limit", () => {
    assert.equal(Number(ship().env.LOCATION_NAME_MAX), LOCATION_NAME_MAX);
  });

  it("refuses a state-backed run without the refresh identity, before anything is built", () => {
    const check = byName("Check the inputs");
    const env = { LOCATION: "marketing-etl", LOCATION_NAME_MAX: "48", TARGET_KIND: "module", TARGET: "m.defs", REGISTRY: "europe-west4-docker.pkg.dev/p/dagster", PLATFORM_REPOSITORY: "acme/dagster-platform", STATE_BACKED: "true", DEFS_STATE_BUCKET: "b" };
    const refused = runStep(check, { ...env, REFRESH_PROVIDER: "", REFRESH_SERVICE_ACCOUNT: "" });
    assert.equal(refused.status, 1);
    assert.match(refused.stdout, /::error::state-backed is true: set refresh-workload-identity-provider and refresh-service-account/);
    assert.equal(runStep(check, { ...env, REFRESH_PROVIDER: "projects/1/locations/global/workloadIdentityPools/p/providers/g", REFRESH_SERVICE_ACCOUNT: "sa@p.iam.gserviceaccount.com" }).status, 0);
    assert.equal(runStep(check, { ...env, STATE_BACKED: "false", REFRESH_PROVIDER: "", REFRESH_SERVICE_ACCOUNT: "" }).status, 0, "not needed when not state-backed");
  });

  it("refreshes defs state as its own identity into a throwaway instance with no defs_state_storage, then builds as the pusher", () => {
    const write = step((s) => /dagster\.yaml/.test(s.run ?? "") && /<<EOF/.test(s.run ?? ""), "writing dagster.yaml");
    const heredoc = /<<EOF\n([\s\S]*?)\nEOF/.exec(write.run ?? "");
    assert.ok(heredoc);
    // Versioned state's latest-version pointer lives in the instance's run storage (Dagster 1.13.19,
    // test/e2e/11-rehearse-runs.e2e.ts): written from CI it would never reach the deployment, so the
    // refresh must not name the platform's storage at all.
    const generated = asDict(parse(heredoc[1].replace(/^ {10}/gm, "")));
    assert.equal(generated.defs_state_storage, undefined);
    assert.doesNotMatch(write.run ?? "", /gs:\/\/|DEFS_STATE_BUCKET/);
    const refreshAuth = byId("refresh-auth");
    assert.equal(str(refreshAuth.with.service_account), "${{ inputs.refresh-service-account }}");
    assert.equal(str(refreshAuth.with.workload_identity_provider), "${{ inputs.refresh-workload-identity-provider }}");
    const refresh = step((s) => /uv run dg utils refresh-defs-state/.test(s.run ?? ""), "refresh");
    const pusher = byId("auth");
    assert.equal(str(pusher.with.service_account), "${{ inputs.service-account }}");
    const build = byId("build");
    for (const s of [refreshAuth, refresh]) assert.equal(s.if, "inputs.state-backed");
    assert.ok(indexOf(refreshAuth) < indexOf(refresh) && indexOf(refresh) < indexOf(pusher) && indexOf(pusher) < indexOf(build), "refresher, refresh, pusher, build");
  });

  it("tags a stateless build by its commit and a state-backed one by its run, both references the platform accepts as pinned", () => {
    const tag = byId("tag");
    const env = { GIT_SHA: SHA, GITHUB_RUN_ID: "123456", GITHUB_RUN_ATTEMPT: "2" };
    const stateless = runStep(tag, { ...env, STATE_BACKED: "false" }).outputs.tag;
    const stateful = runStep(tag, { ...env, STATE_BACKED: "true" }).outputs.tag;
    assert.equal(stateless, SHA);
    assert.equal(stateful, `${SHA}-123456-2`);
    const image = runStep(byId("image"), { REGISTRY: "europe-west4-docker.pkg.dev/acme-data-prod/dagster", LOCATION: "marketing-etl", TAG: stateful, DIGEST }).outputs.image;
    assert.equal(image, `europe-west4-docker.pkg.dev/acme-data-prod/dagster/marketing-etl:${stateful}@${DIGEST}`);
    const parsed = parseImage(image);
    assert.ok(parsed.ok && isPinned(parsed.image));
    assert.equal(runStep(byId("image"), { REGISTRY: "r/x", LOCATION: "l", TAG: SHA, DIGEST: "" }).status, 1, "no digest, no image");
  });

  // `docker buildx imagetools inspect --format '{{json .Manifest.Digest}}'` prints the digest as a
  // JSON string (docs.docker.com, buildx imagetools inspect; the plain template can print the
  // whole inspection instead, hence json); a missing tag fails with "<ref>: not found".
  const docker = (answer: string, code: number) => `docker() { printf '%s\\n' ${JSON.stringify(answer)}; return ${code}; }`;

  it("reuses an image its tag already holds instead of pushing again (tags are immutable), and pushes otherwise", () => {
    const existing = byId("existing");
    const env = { REGISTRY: "europe-west4-docker.pkg.dev/p/dagster", LOCATION: "etl", TAG: SHA };
    const found = runStep(existing, env, { stubs: docker(`"${DIGEST}"`, 0) });
    assert.equal(found.status, 0, found.stderr);
    assert.equal(found.outputs.digest, DIGEST);
    const missing = runStep(existing, env, { stubs: docker(`ERROR: europe-west4-docker.pkg.dev/p/dagster/etl:${SHA}: not found`, 1) });
    assert.equal(missing.status, 0, missing.stderr);
    assert.equal(missing.outputs.digest, "");
    const denied = runStep(existing, env, { stubs: docker("ERROR: failed to authorize: 403 Forbidden", 1) });
    assert.equal(denied.status, 1, "an error that is not 'not found' must not be read as 'push it'");
    assert.equal(byId("build").if, "steps.existing.outputs.digest == ''");
    assert.equal(str(byId("image").env.DIGEST), "${{ steps.existing.outputs.digest || steps.build.outputs.digest }}");
  });

  it("checks the image contract (the modules run pods need) before it opens the platform pull request", () => {
    const contract = byName("The image honours the platform's image contract");
    const record = (code: number) => `docker() { printf '%s\\n' "$@" > "$HOME/argv"; cat "$HOME/argv"; return ${code}; }`;
    const ok = runStep(contract, { IMAGE: "r/x:t@sha256:1", NEEDS_GCSFS: "true" }, { stubs: record(0) });
    assert.equal(ok.status, 0);
    assert.match(ok.stdout, /--entrypoint\npython\nr\/x:t@sha256:1\n-c\nimport dagster_postgres, dagster_k8s, dagster_gcp, gcsfs\n/);
    const noGcsfs = runStep(contract, { IMAGE: "i", NEEDS_GCSFS: "false" }, { stubs: record(0) });
    assert.match(noGcsfs.stdout, /import dagster_postgres, dagster_k8s, dagster_gcp\n/);
    const bad = runStep(contract, { IMAGE: "i", NEEDS_GCSFS: "true" }, { stubs: record(1) });
    assert.equal(bad.status, 1);
    assert.match(bad.stdout, /::error::i cannot import dagster_postgres, dagster_k8s, dagster_gcp, gcsfs/);
    assert.ok(indexOf(contract) < indexOf(byId("pr")) && indexOf(contract) > indexOf(byId("image")));
  });

  it("opens the platform pull request with a per-run App token for the platform repository only: no stored token, no workflows permission", () => {
    const token = byId("app-token");
    assert.match(token.uses ?? "", /^actions\/create-github-app-token@[0-9a-f]{40}$/);
    assert.equal(str(token.with["client-id"]), "${{ inputs.platform-app-client-id }}");
    assert.equal(str(token.with["private-key"]), "${{ secrets.platform-app-private-key }}");
    assert.equal(str(token.with.repositories), "${{ steps.platform.outputs.name }}");
    const permissions = Object.entries(token.with).filter(([k]) => k.startsWith("permission-"));
    assert.deepEqual(Object.fromEntries(permissions), { "permission-contents": "write", "permission-pull-requests": "write" });
    const split = runStep(byId("platform"), { PLATFORM_REPOSITORY: "acme/dagster-platform" }).outputs;
    assert.deepEqual(split, { owner: "acme", name: "dagster-platform" });
    for (const s of [byName("Check out the platform repository"), byId("pr")]) assert.equal(str(s.with.token), "${{ steps.app-token.outputs.token }}");
    assert.deepEqual([...reusable().text.matchAll(/secrets\.([A-Za-z0-9_-]+)/g)].map((m) => m[1]), ["platform-app-private-key"], "no other secret");
    assert.equal(str(byId("pr").with.branch), "code-location/${{ inputs.location }}");
  });
});

describe("branch.yml: a code-location/* pull request deploys only a change to repos/", () => {
  const deploy = () => findJob(loadWorkflows().find((w) => w.file === ".github/workflows/branch.yml") as Workflow, "deploy");
  const guard = () => deploy().steps[0];
  // `gh api --paginate …/pulls/N/files --jq '.[] | .filename, (.previous_filename // empty)'`
  // prints one path a line, renames' old paths too (docs.github.com, "List pull requests files").
  const gh = (files: string[]) => `gh() { printf '%s\\n' ${files.map((f) => JSON.stringify(f)).join(" ")}; }`;

  it("runs first, before any of the pull request's code, for code-location/* branches", () => {
    assert.equal(guard().if, "startsWith(github.event.pull_request.head.ref, 'code-location/')");
    assert.match(guard().run ?? "", /pulls\/\$\{PR_NUMBER\}\/files/);
  });

  it("passes a bump of repos/ and refuses anything else, renames included", () => {
    const env = { PR_NUMBER: "7", GITHUB_REPOSITORY: "acme/dagster-platform" };
    assert.equal(runStep(guard(), env, { stubs: gh(["repos/marketing-etl.yaml"]) }).status, 0);
    const code = runStep(guard(), env, { stubs: gh(["repos/marketing-etl.yaml", "index.ts"]) });
    assert.equal(code.status, 1);
    assert.match(code.stdout, /::error::a code-location\/\* pull request may change only repos\/; it also changes: index\.ts/);
    const renamed = runStep(guard(), env, { stubs: gh(["repos/x.yaml", ".github/workflows/branch.yml"]) });
    assert.equal(renamed.status, 1);
  });
});
