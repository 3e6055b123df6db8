/**
 * What the rendered values do in the real 1.13.19 packages beyond loading code: the run pod spec
 * dagster-k8s builds for a run of a real code server (started with the rendered environment), and
 * the defs-state storage the rendered `additionalInstanceConfig` loads.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { chartInstance, chartK8sRunLauncher } from "../../rehearse/chartInstance";
import { codeServerProcess } from "../../rehearse/chartProcesses";
import { planStep } from "../../rehearse/planSteps";
import { portOpen, sleep, start, stop } from "../../rehearse/supervisor";
import { LocationPlan } from "../../rehearse/types";
import { freePort, startPostgres } from "../../tools/postgres";
import { PythonEnv } from "../../tools/python";
import { PROJECT_DIR, dagsterVenv, definitions, folder } from "./helpers/rehearse";

type Values = Record<string, unknown>;

function python(venv: PythonEnv, script: string, input: unknown): Values {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "e2e-py-")), "input.json");
  fs.writeFileSync(file, JSON.stringify(input));
  const r = spawnSync(venv.python, [path.join(PROJECT_DIR, "test", "e2e", "py", script), file], { encoding: "utf8", env: { PATH: `${venv.bin}:/usr/bin:/bin`, HOME: os.tmpdir(), DAGSTER_HOME: fs.mkdtempSync(path.join(os.tmpdir(), "home-")) } });
  assert.equal(r.status, 0, `${script} failed:\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop() as string) as Values;
}

/** Starts the location's code server exactly as its pod would (on a free local port), runs `fn`, stops it. */
async function withCodeServer<T>(venv: PythonEnv, loc: LocationPlan, namespace: string, codeDir: string, fn: (port: number) => T): Promise<T> {
  const port = await freePort();
  const spec = codeServerProcess({ ...loc, deployment: { ...loc.deployment, port } }, { address: "127.0.0.1", namespace, codeDir: path.join(codeDir, loc.name), home: fs.mkdtempSync(path.join(os.tmpdir(), "code-home-")) });
  const running = start(spec, venv.bin, fs.mkdtempSync(path.join(os.tmpdir(), "code-log-")));
  try {
    const until = Date.now() + 120_000;
    while (!(await portOpen("127.0.0.1", port))) {
      assert.ok(running.exitCode === undefined && Date.now() < until, `${loc.name}'s code server did not start: ${fs.readFileSync(running.logFile, "utf8")}`);
      await sleep(250);
    }
    return fn(port);
  } finally {
    await stop(running);
  }
}

describe("runs and the instance, with the real 1.13.19 packages", function () {
  this.timeout(10 * 60_000);
  let venv: PythonEnv;
  before(() => {
    venv = dagsterVenv();
  });

  it("a run gets its location's runResources, else the platform's runs profile, never the code server's size: the Job dagster-k8s builds", async () => {
    const server = "resources: {requests: {cpu: 250m, memory: 512Mi}, limits: {memory: 1Gi}}\n";
    const repos = folder("repos-", {
      "heavy.yaml": `image: registry.example.com/heavy:1.0.0\npackage: heavy\nsecrets: [heavy-tokens]\n${server}runResources: {requests: {cpu: "2", memory: 4Gi}, limits: {memory: 8Gi}}\n`,
      "light.yaml": `image: registry.example.com/light:1.0.0\npackage: light\ncodeServer: true\n${server}`,
    });
    const code = folder("code-", { "heavy/heavy/__init__.py": definitions(), "light/light/__init__.py": definitions() });
    const { step } = await planStep(PROJECT_DIR, "prod", repos, []);
    const runLauncher = chartK8sRunLauncher(step.system, step.namespace);
    const pods: Record<string, { namespace: string; pod: Values; container: Values }> = {};
    for (const loc of step.locations) {
      pods[loc.name] = await withCodeServer(venv, loc, step.namespace, code, (port) =>
        python(venv, "run_pod_spec.py", { runLauncher, host: "127.0.0.1", port, location: loc.name, job: "nightly" }) as { namespace: string; pod: Values; container: Values },
      );
    }
    // dagster-k8s deep-merges the location's resources over the run launcher's (runs profile: 500m / 1Gi requests).
    assert.deepEqual(pods.heavy.container.resources, { requests: { cpu: "2", memory: "4Gi" }, limits: { memory: "8Gi" } });
    assert.deepEqual(pods.light.container.resources, { requests: { cpu: "500m", memory: "1Gi" } }, "no runResources: the platform's runs profile, not the code server's 1Gi limit");
    const envFrom = (pods.heavy.container.envFrom as { configMapRef?: { name: string }; secretRef?: { name: string } }[]).map((e) => e.configMapRef?.name ?? e.secretRef?.name);
    for (const name of ["code-heavy-dagster-user-deployments-heavy-user-env", "dagster-snowflake", "heavy-tokens"]) assert.ok(envFrom.includes(name), `${name} in ${envFrom.join(", ")}`);
    assert.equal(pods.heavy.pod.serviceAccountName, "dagster-user-code");
    assert.equal(pods.heavy.namespace, "dagster");
    assert.equal(pods.light.pod.serviceAccountName, "dagster-user-code", "a codeServer location serves its context through DAGSTER_CONTAINER_CONTEXT");
  });

  it("the rendered defs_state_storage loads the real UPathDefsStateStorage; a versioned state's latest-version pointer lives in the instance's run storage", async () => {
    const pg = await startPostgres();
    try {
      const { step } = await planStep(PROJECT_DIR, "prod", "repos", []);
      const rendered = chartInstance(step.system, step.namespace);
      const postgres = { postgres_db: { username: pg.user, password: "", hostname: pg.host, db_name: "postgres", port: pg.port, params: {}, scheme: "postgresql+psycopg2" } };
      const storages = Object.fromEntries(["run_storage", "event_log_storage", "schedule_storage"].map((k) => [k, { ...(rendered[k] as Values), config: postgres }]));
      const localBase = fs.mkdtempSync(path.join(os.tmpdir(), "defs-state-"));
      const out = python(venv, "defs_state.py", { instance: { ...storages, defs_state_storage: rendered.defs_state_storage }, localBase });
      assert.equal(out.class, "dagster._core.storage.defs_state.blob_storage_state_storage.UPathDefsStateStorage");
      assert.equal(out.basePath, "gs://acme-data-prod-dagster-defs-state/dagster/defs-state");
      assert.deepEqual(out.stateFiles, ["dbt_project/v1"], "the state itself goes under base_path/<key>/<version>");
      assert.equal(out.latestVersion, "v1");
      assert.equal(out.pointerInRunStorage, true, "the latest-version pointer is a run-storage cursor");
      assert.equal(out.seenWithAnotherRunStorage, null, "an instance with another run storage (a CI job's SQLite) never sees it");
    } finally {
      pg.stop();
    }
  });
});
