/**
 * The rehearsal's own rules, offline (npm run test:e2e runs it with real Dagster): what it reads
 * from the plan, the processes and instance it derives from the values, names and addresses, the
 * ConfigMap volume's atomic update, the verdict, and the image contract derived from the instance.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { HOST_CONF, planAddresses } from "../rehearse/addresses";
import { parseArgs } from "../rehearse/args";
import { chartInstance, instanceModules, rehearsalInstance } from "../rehearse/chartInstance";
import { SECRET_PLACEHOLDER, codeServerProcess, webserverProcess } from "../rehearse/chartProcesses";
import { ConfigMapVolume } from "../rehearse/kubeletVolume";
import { lockFileFor, planStep } from "../rehearse/planSteps";
import { failures } from "../rehearse/report";
import { lastPythonError } from "../rehearse/supervisor";
import { LocationPlan, RehearsalReport, StepPlan } from "../rehearse/types";
import { PROJECT_DIR } from "./helpers/plan";

type Values = Record<string, unknown>;

describe("rehearsal (offline parts)", function () {
  this.timeout(60_000);
  let step: StepPlan;
  before(async () => {
    step = (await planStep(PROJECT_DIR, "prod", path.join(PROJECT_DIR, "repos"), [])).step;
  });
  const loc = (name: string): LocationPlan => step.locations.find((l) => l.name === name) as LocationPlan;
  const ctx = { address: "127.1.0.2", namespace: "dagster", codeDir: "/code/marketing-etl", home: "/run/home" };

  it("reads what it runs from the plan: the workspace, each release's deployment, the Job's environment", () => {
    assert.deepEqual(step.locations.map((l) => [l.name, l.release]), [["finance-reporting", "code-finance-reporting"], ["marketing-etl", "code-marketing-etl"]]);
    assert.match(step.workspaceYaml, /host: marketing-etl/);
    assert.equal(step.verifierEnv?.EXPECTED_LOCATIONS, "finance-reporting,marketing-etl");
    assert.equal(step.namespace, "dagster");
  });

  it("starts a code server with the chart's command and the pod's environment, on its own address", () => {
    const p = codeServerProcess(loc("marketing-etl"), ctx);
    assert.deepEqual(p.argv, ["dagster", "api", "grpc", "-h", "127.1.0.2", "-p", "3030", "--module-name", "marketing_etl.definitions"]);
    assert.equal(p.env.DAGSTER_CURRENT_IMAGE, "europe-west4-docker.pkg.dev/acme-data-prod/dagster/marketing-etl:1.4.2");
    assert.equal(p.env.DAGSTER_PG_PASSWORD, SECRET_PLACEHOLDER);
    assert.equal(p.env.SNOWFLAKE_PRIVATE_KEY, SECRET_PLACEHOLDER, "the platform's Secret's keys get placeholders");
    assert.equal(p.env.SNOWFLAKE_DATABASE, "PRODUCTION", "a value the env also names keeps it");
    assert.equal(p.env.ATTRIBUTION_WINDOW_DAYS, "30");
    assert.equal(p.env.DAGSTER_K8S_PIPELINE_RUN_NAMESPACE, "dagster");
    assert.equal(p.env.DAGSTER_HOME, "/run/home");
    assert.match(p.env.DAGSTER_CLI_API_GRPC_CONTAINER_CONTEXT, /"namespace":"dagster"/);
    const finance = codeServerProcess(loc("finance-reporting"), ctx);
    assert.deepEqual(finance.argv.slice(0, 3), ["dagster", "code-server", "start"]);
    const withDir = { ...loc("marketing-etl"), deployment: { ...loc("marketing-etl").deployment, dagsterApiGrpcArgs: ["--module-name", "m", "--working-directory", "/opt/dagster/app"] } };
    assert.deepEqual(codeServerProcess(withDir, ctx).argv.slice(-2), ["--working-directory", "/code/marketing-etl"]);
    const chartContext = { ...loc("marketing-etl"), deployment: { ...loc("marketing-etl").deployment, includeConfigInLaunchedRuns: { enabled: true } } };
    assert.throws(() => codeServerProcess(chartContext, ctx), /platform's own container context/);
  });

  it("starts the webserver with the chart's command on the Service port", () => {
    const p = webserverProcess(step.system, 1, { address: "127.0.1.1", workspaceFile: "/run/dagster-workspace/workspace.yaml", home: "/run/home" });
    assert.deepEqual(p.argv, ["dagster-webserver", "-h", "127.0.1.1", "-p", "80", "-w", "/run/dagster-workspace/workspace.yaml"]);
  });

  it("renders the chart's instance: PostgreSQL storages with the psycopg2 driver, the K8sRunLauncher with the runs profile, the values' defs state", () => {
    const instance = chartInstance(step.system, "dagster");
    const run = instance.run_storage as { module: string; class: string; config: { postgres_db: Values } };
    assert.deepEqual([run.module, run.class], ["dagster_postgres", "PostgresRunStorage"]);
    assert.deepEqual(run.config.postgres_db, { username: "dagster", password: { env: "DAGSTER_PG_PASSWORD" }, hostname: "192.0.2.10", db_name: "dagster", port: 5432, params: { sslmode: "require" }, scheme: "postgresql+psycopg2" });
    const launcher = (instance.run_launcher as { config: Values }).config;
    assert.deepEqual(launcher.resources, { requests: { cpu: "500m", memory: "1Gi" } });
    assert.deepEqual(launcher.run_k8s_config, { job_spec_config: { ttlSecondsAfterFinished: 86400 } });
    assert.equal(launcher.job_namespace, "dagster");
    assert.equal((instance.defs_state_storage as { class: string }).class, "UPathDefsStateStorage");
  });

  it("the image contract is what the rendered instance imports", () => {
    assert.deepEqual(instanceModules(chartInstance(step.system, "dagster")), ["dagster_gcp.gcs.compute_log_manager", "dagster_k8s", "dagster_postgres", "gcsfs"]);
  });

  it("substitutes only the run launcher, compute logs and the defs-state path in the rehearsal's instance", () => {
    const chart = chartInstance(step.system, "dagster");
    const local = rehearsalInstance(step.system, "dagster", { computeLogs: "/run/logs", defsState: "/run/defs" });
    assert.equal((local.run_launcher as { class: string }).class, "DefaultRunLauncher");
    assert.deepEqual((local.defs_state_storage as { config: Values }).config, { base_path: "/run/defs" });
    assert.equal((local.defs_state_storage as { class: string }).class, (chart.defs_state_storage as { class: string }).class);
    assert.deepEqual(local.run_storage, chart.run_storage);
  });

  it("gives every location its own address and resolves the peers name to every webserver replica", () => {
    const a = planAddresses([step], "192.0.2.10");
    assert.equal(new Set(Object.values(a.locations)).size, 2);
    assert.deepEqual(a.webservers, ["127.0.1.1", "127.0.1.2"]);
    assert.deepEqual(a.extraLoopback, ["192.0.2.10"]);
    const peers = a.hosts.split("\n").filter((l) => l.includes("dagster-webserver-pods.dagster.svc.cluster.local"));
    assert.deepEqual(peers.map((l) => l.split(" ")[0]), ["127.0.1.1", "127.0.1.2"]);
    assert.match(a.hosts, new RegExp(`^${a.locations["marketing-etl"].replace(/\./g, "\\.")} marketing-etl marketing-etl\\.dagster\\.svc\\.cluster\\.local$`, "m"));
    assert.equal(HOST_CONF, "multi on\n");
    const named = planAddresses([step], "postgres.internal");
    assert.deepEqual(named.extraLoopback, []);
    assert.match(named.hosts, /^127\.0\.2\.1 postgres\.internal$/m);
  });

  it("updates the workspace volume like the kubelet: a new timestamped folder behind an atomic ..data swap", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "volume-"));
    const volume = new ConfigMapVolume(dir);
    volume.write({ "workspace.yaml": "a\n" });
    const first = fs.readlinkSync(path.join(dir, "..data"));
    volume.write({ "workspace.yaml": "b\n" });
    const second = fs.readlinkSync(path.join(dir, "..data"));
    assert.notEqual(first, second);
    assert.equal(fs.readFileSync(volume.file("workspace.yaml"), "utf8"), "b\n");
    assert.equal(fs.readlinkSync(path.join(dir, "workspace.yaml")), "..data/workspace.yaml");
    assert.ok(!fs.existsSync(path.join(dir, first)), "the old version is removed");
  });

  it("names the user code's exception first, from a chained traceback", () => {
    const log = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "log-")), "x.log");
    fs.writeFileSync(
      log,
      [
        "2026 INFO starting",
        "Traceback (most recent call last):",
        '  File "/code/etl/__init__.py", line 1, in <module>',
        "RuntimeError: credentials are not configured",
        "",
        "The above exception was the direct cause of the following exception:",
        "",
        "Traceback (most recent call last):",
        '  File "dagster/_grpc/server.py", line 267, in __init__',
        "dagster._core.errors.DagsterUserCodeLoadError: Error occurred during the loading of Dagster definitions in",
      ].join("\n"),
    );
    const text = lastPythonError(log);
    assert.equal(text.split("\n")[0], "RuntimeError: credentials are not configured (raised as dagster._core.errors.DagsterUserCodeLoadError: Error occurred during the loading of Dagster definitions in)");
    assert.match(text, /\/code\/etl\/__init__\.py/);
  });

  it("fails the rehearsal for a failing location, a failed verifier, a problem, or a step that never ran", () => {
    const base = { reposDir: "r", webserverPids: [1], daemonPid: 2, codeServerPids: {}, workspaceChanged: true, daemonLoadedSeconds: 1, problems: [] as string[] };
    const ok = { ...base, locations: { a: { status: "LOADED" as const, error: null } }, verifier: { exitCode: 0, seconds: 1 } };
    const report = (steps: RehearsalReport["steps"]): RehearsalReport => ({ stack: "prod", chartVersion: "1.13.19", steps, peakMemoryMb: 1, peakWebserverMb: 1, peakDaemonMb: 1, substitutions: [] });
    assert.deepEqual(failures(report([ok]), 1), []);
    assert.match(failures(report([{ ...ok, locations: { a: { status: "ERROR", error: "RuntimeError: x" } } }]), 1)[0], /step 1 \(r\): a: RuntimeError: x/);
    assert.match(failures(report([{ ...ok, verifier: { exitCode: 1, seconds: 1 } }]), 1)[0], /verifier exited 1/);
    assert.match(failures(report([{ ...ok, problems: ["webserver 1 (pid 1) did not keep running"] }]), 1)[0], /did not keep running/);
    assert.match(failures(report([ok]), 2)[0], /only 1 of 2 step\(s\) ran/);
  });

  it("refuses a chartVersion without a pinned lock; parses its arguments", () => {
    assert.equal(lockFileFor(PROJECT_DIR, "1.13.19"), path.join(PROJECT_DIR, "requirements", "dagster-1.13.19.txt"));
    assert.throws(() => lockFileFor(PROJECT_DIR, "1.13.18"), /no pinned Python lock for chartVersion 1\.13\.18: requirements\/dagster-1\.13\.18\.txt does not exist \(have: dagster-1\.13\.19\.txt\)/);
    assert.deepEqual(parseArgs(["--repos", "r", "--code", "c", "--then", "n1", "--then", "n2", "--config", "a=b"]), { overrides: ["a=b"], then: ["n1", "n2"], keep: false, stack: "prod", repos: "r", code: "c" });
    assert.throws(() => parseArgs(["--repos", "r"]), /--repos and --code are required/);
    assert.throws(() => parseArgs(["--repos", "r", "--code", "c", "--bogus", "x"]), /unknown argument --bogus/);
  });
});
