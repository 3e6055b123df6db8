/**
 * The core program through the offline plan: what a new location, an image bump and bad input do
 * to the plan, determinism, and the files `npm run plan` writes.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { InputError } from "../locations/problems";
import { Plan, writePlan } from "../offline/plan";
import { PLAN_MARKER } from "../offline/planFiles";
import { OfflineRunError } from "../offline/runtime";
import { KUBERNETES_ONLY, PROJECT_DIR, changed, find, location, plan, reposDir } from "./helpers/plan";

type Values = Record<string, unknown>;
const IMG = "registry.example.com/team";
const base = { "alpha.yaml": location(`${IMG}/alpha:1.0.0`), "beta.yaml": location(`${IMG}/beta:2.0.0`, "port: 4000\n") };

/** The dagster release's values with the two checksum annotations removed. */
function withoutChecksums(p: Plan): Values {
  const v = structuredClone(p.values.dagster) as { dagsterWebserver: Values; dagsterDaemon: Values };
  delete v.dagsterWebserver.annotations;
  delete v.dagsterDaemon.annotations;
  return v;
}

const checksums = (p: Plan) => {
  const v = p.values.dagster as { dagsterWebserver: { annotations: Values }; dagsterDaemon: { annotations: Values } };
  return [v.dagsterWebserver.annotations, v.dagsterDaemon.annotations];
};

describe("offline plan of the core program", function () {
  this.timeout(60000);

  describe("restart mode", () => {
    const overrides = [...KUBERNETES_ONLY, "workspaceRollout=restart"];
    let two: Plan, three: Plan, bumped: Plan;
    before(async () => {
      two = await plan("staging", { repos: reposDir(base), overrides });
      three = await plan("staging", { repos: reposDir({ ...base, "gamma.yaml": location(`${IMG}/gamma:3.0.0`) }), overrides });
      bumped = await plan("staging", { repos: reposDir({ ...base, "alpha.yaml": location(`${IMG}/alpha:1.0.1`) }), overrides });
    });

    it("adding a location adds its release, changes the workspace ConfigMap and only the two checksum annotations", () => {
      const diff = changed(two, three);
      assert.deepEqual(diff.added, ["dagster-platform:index:UserCodeLocation gamma", "kubernetes:helm.sh/v3:Release code-gamma"]);
      assert.deepEqual(diff.removed, []);
      assert.deepEqual(diff.modified, ["kubernetes:core/v1:ConfigMap workspace", "kubernetes:helm.sh/v3:Release dagster"]);
      assert.deepEqual(withoutChecksums(three), withoutChecksums(two), "nothing but the annotations changes in the system values");
      const [web, daemon] = checksums(three);
      assert.notDeepEqual(web, checksums(two)[0]);
      assert.deepEqual(web, daemon);
      assert.match(String(web["dagster-platform/workspace-checksum"]), /^[0-9a-f]{64}$/);
      assert.match(String(find(three, "kubernetes:core/v1:ConfigMap", "workspace").inputs.data && (find(three, "kubernetes:core/v1:ConfigMap", "workspace").inputs.data as Values)["workspace.yaml"]), /host: gamma/);
    });

    it("bumping one image changes that one release and nothing else", () => {
      assert.deepEqual(changed(two, bumped), { added: [], removed: [], modified: ["kubernetes:helm.sh/v3:Release code-alpha"] });
    });

    it("webserver and daemon restart only after the new code servers are up", () => {
      const deps = find(three, "kubernetes:helm.sh/v3:Release", "dagster").options.dependsOn;
      for (const d of ["code-alpha", "code-beta", "code-gamma", "workspace"]) assert.ok(deps.includes(d), `${d} in ${deps.join(", ")}`);
      assert.ok(!find(three, "kubernetes:helm.sh/v3:Release", "code-gamma").options.dependsOn.includes("dagster"));
    });
  });

  describe("reload mode (default)", () => {
    let two: Plan, three: Plan, one: Plan, bumped: Plan;
    before(async () => {
      two = await plan("staging", { repos: reposDir(base), overrides: KUBERNETES_ONLY });
      three = await plan("staging", { repos: reposDir({ ...base, "gamma.yaml": location(`${IMG}/gamma:3.0.0`) }), overrides: KUBERNETES_ONLY });
      one = await plan("staging", { repos: reposDir({ "alpha.yaml": base["alpha.yaml"] }), overrides: KUBERNETES_ONLY });
      bumped = await plan("staging", { repos: reposDir({ ...base, "beta.yaml": location(`${IMG}/beta:2.0.1`, "port: 4000\n") }), overrides: KUBERNETES_ONLY });
    });

    const verifyJob = (p: Plan) => find(p, "kubernetes:batch/v1:Job", "verify-workspace");
    const jobName = (p: Plan) => String((verifyJob(p).inputs.metadata as Values).name);
    const expected = (p: Plan) => ((verifyJob(p).inputs.spec as { template: { spec: { containers: { env: { name: string; value: string }[] }[] } } }).template.spec.containers[0].env.find((e) => e.name === "EXPECTED_LOCATIONS") as { value: string }).value;

    it("adding a location leaves the system release untouched and plans a new verification Job", () => {
      const diff = changed(two, three);
      assert.deepEqual(diff.added, ["dagster-platform:index:UserCodeLocation gamma", "kubernetes:helm.sh/v3:Release code-gamma"]);
      assert.ok(!diff.modified.includes("kubernetes:helm.sh/v3:Release dagster"), "the system release is untouched");
      assert.deepEqual(diff.modified, ["kubernetes:batch/v1:Job verify-workspace", "kubernetes:core/v1:ConfigMap verify-workspace-script", "kubernetes:core/v1:ConfigMap workspace"]);
      assert.notEqual(jobName(three), jobName(two), "a new Job per workspace version");
      assert.equal(expected(three), "alpha,beta,gamma");
    });

    it("removing a location leaves the system release untouched and verifies it is gone", () => {
      const diff = changed(two, one);
      assert.deepEqual(diff.removed, ["dagster-platform:index:UserCodeLocation beta", "kubernetes:helm.sh/v3:Release code-beta"]);
      assert.ok(!diff.modified.includes("kubernetes:helm.sh/v3:Release dagster"));
      assert.equal(expected(one), "alpha");
    });

    it("the verification Job calls reloadWorkspace, after the ConfigMap and every release", () => {
      const script = (find(three, "kubernetes:core/v1:ConfigMap", "verify-workspace-script").inputs.data as Values)["verify_workspace.py"];
      assert.match(String(script), /reloadWorkspace/);
      const deps = verifyJob(three).options.dependsOn;
      for (const d of ["workspace", "dagster", "code-alpha", "code-beta", "code-gamma"]) assert.ok(deps.includes(d), `the Job depends on ${d}: ${deps.join(", ")}`);
      const spec = verifyJob(three).inputs.spec as Values;
      assert.equal(spec.ttlSecondsAfterFinished, 3600);
      assert.equal(spec.backoffLimit, 0);
    });

    it("bumping one image changes that one release and nothing else", () => {
      assert.deepEqual(changed(two, bumped), { added: [], removed: [], modified: ["kubernetes:helm.sh/v3:Release code-beta"] });
    });

    it("a location enters the workspace ConfigMap only after its release succeeded", () => {
      const deps = find(three, "kubernetes:core/v1:ConfigMap", "workspace").options.dependsOn;
      for (const d of ["code-alpha", "code-beta", "code-gamma"]) assert.ok(deps.includes(d), `the workspace waits for ${d}: ${deps.join(", ")}`);
    });

    it("the Job mounts the workspace ConfigMap, waits for this workspace's content, and its timeout grows with locations x replicas", () => {
      const pod = (verifyJob(three).inputs.spec as { template: { spec: Values } }).template.spec as {
        containers: { env: { name: string; value: string }[]; volumeMounts: { name: string; mountPath: string }[] }[];
        volumes: { name: string; configMap: { name: string } }[];
      };
      const env = Object.fromEntries(pod.containers[0].env.map((e) => [e.name, e.value]));
      const workspaceCm = find(three, "kubernetes:core/v1:ConfigMap", "workspace").inputs as { metadata: { name: string }; data: Values };
      const volume = pod.volumes.find((v) => v.configMap.name === workspaceCm.metadata.name);
      assert.ok(volume, "the workspace ConfigMap is a volume of the Job");
      const mount = pod.containers[0].volumeMounts.find((m) => m.name === volume.name);
      assert.equal(`${mount?.mountPath}/workspace.yaml`, env.WORKSPACE_FILE);
      assert.equal(env.EXPECTED_WORKSPACE_SHA256, createHash("sha256").update(String(workspaceCm.data["workspace.yaml"])).digest("hex"));
      const replicas = Number(env.DAGSTER_WEBSERVER_REPLICAS);
      assert.equal(Number(env.VERIFY_TIMEOUT_SECONDS), 600 + 10 * 3 * replicas);
      assert.equal(env.VERIFY_RELOAD_SECONDS_PER_LOCATION, "10");
      assert.equal((verifyJob(three).inputs.spec as Values).activeDeadlineSeconds, 600 + 10 * 3 * replicas + 120);
    });

    it("the system values carry no checksum annotation", () => {
      assert.deepEqual(checksums(three), [{}, {}]);
    });
  });

  describe("determinism", () => {
    it("two plans of the same input write byte-identical files", async () => {
      const dirs = [fs.mkdtempSync(path.join(os.tmpdir(), "plan-a-")), fs.mkdtempSync(path.join(os.tmpdir(), "plan-b-"))];
      writePlan(await plan("prod"), dirs[0]);
      writePlan(await plan("prod"), dirs[1]);
      const files = (d: string) => fs.readdirSync(d, { recursive: true }).map(String).sort();
      assert.deepEqual(files(dirs[0]), files(dirs[1]));
      for (const f of files(dirs[0])) {
        if (fs.statSync(path.join(dirs[0], f)).isDirectory()) continue;
        assert.ok(fs.readFileSync(path.join(dirs[0], f)).equals(fs.readFileSync(path.join(dirs[1], f))), `${f} differs`);
      }
    });
  });

  describe("bad input", () => {
    it("registers not a single resource, and reports every problem of every file and of the config", async () => {
      const repos = reposDir({ "good.yaml": location(`${IMG}/good:1`), "bad.yaml": "module: m\nport: 99999\n", "Worse.yaml": "" });
      await assert.rejects(plan("staging", { repos, overrides: [...KUBERNETES_ONLY, "workspaceRolout=reload"] }), (e: unknown) => {
        assert.ok(e instanceof OfflineRunError);
        assert.deepEqual(e.registered.map((r) => r.type), [], "nothing was registered");
        assert.ok(e.cause instanceof InputError);
        const text = e.cause.message;
        assert.match(text, /bad\.yaml: image: is missing/);
        assert.match(text, /bad\.yaml: port: 99999 is not a TCP port/);
        assert.match(text, /Worse\.yaml: \(file name\): the location name "Worse"/);
        assert.match(text, /Worse\.yaml: the file is empty/);
        assert.match(text, /unknown config key "workspaceRolout" \(did you mean "workspaceRollout"\?\)/);
        assert.match(text, /nothing was planned/);
        return true;
      });
    });

    it("npm run plan exits non-zero, prints the problems and leaves no resources.json in its own folder", () => {
      const out = fs.mkdtempSync(path.join(os.tmpdir(), "plan-bad-"));
      fs.writeFileSync(path.join(out, PLAN_MARKER), "an earlier plan\n");
      fs.writeFileSync(path.join(out, "resources.json"), "[] stale from an earlier run\n");
      const repos = reposDir({ "etl.yaml": "image: registry.example.com/etl:latest\nmodule: etl\n" });
      const r = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "scripts/plan.ts", "--stack", "prod", "--out", out, "--repos", repos], { cwd: PROJECT_DIR, encoding: "utf8" });
      assert.equal(r.status, 1, r.stdout + r.stderr);
      assert.match(r.stderr, /etl\.yaml: image: "registry\.example\.com\/etl:latest" is not pinned/);
      assert.ok(!fs.existsSync(path.join(out, "resources.json")), "no resources.json is left behind");
    });
  });
});
