/**
 * Disaster-recovery drill: build the whole platform from empty state in a scratch stack, prove the
 * workspace loads, time every phase, and tear it down again. It answers "if we lost everything,
 * how long until Dagster serves again, and does it?" with a measurement instead of a guess.
 *
 * The scratch stack runs on an existing cluster with an external PostgreSQL and nothing in GCP or
 * Snowflake, so a drill can never touch prod's database, buckets, registry or warehouse.
 */
import { ConfigMap, Stack, StackAlreadyExistsError, Workspace } from "@pulumi/pulumi/automation";
import { CONFIG_NAMESPACE } from "../config/keys";
import { classifyStack } from "../render/deployment";
import { briefError, Logger, plainOutputs } from "./deps";

export interface DrillSettings {
  stack: string;
  keep: boolean;
  postgres: { host: string; port?: number; user?: string; database?: string; password: string };
  /** Kubeconfig file contents; undefined: the ambient kubeconfig. */
  kubeconfig?: string;
  kubeContext?: string;
  namespace: string;
}

export interface DrillDeps {
  workspace: () => Promise<Workspace>;
  log: Logger;
  /** Wall clock for the timings. */
  now: () => Date;
  output?: (chunk: string) => void;
  errorOutput?: (chunk: string) => void;
}

export const DRILL_NAMESPACE = "dagster-drill";

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

export function defaultDrillStack(now: Date): string {
  return `drill-${now.getUTCFullYear()}${pad(now.getUTCMonth() + 1)}${pad(now.getUTCDate())}-${pad(now.getUTCHours())}${pad(now.getUTCMinutes())}${pad(now.getUTCSeconds())}`;
}

/** The drill destroys its stack: it must be neither prod nor a branch deployment. */
export function checkDrillStack(name: string): void {
  if (!/^[A-Za-z0-9][-A-Za-z0-9_.]{0,99}$/.test(name)) throw new Error(`"${name}" is not a stack name`);
  if (name === "prod") throw new Error("the drill never runs on prod: it destroys its stack at the end");
  const kind = classifyStack(name).kind;
  if (kind === "preview") throw new Error("the drill never runs on the preview stack: it destroys its stack at the end");
  if (kind !== "other") throw new Error(`"${name}" is a branch-deployment name (pr-…) or reserved: pick another, e.g. drill-<timestamp>`);
}

export function drillConfig(s: DrillSettings): ConfigMap {
  const k = (key: string) => `${CONFIG_NAMESPACE}:${key}`;
  const config: ConfigMap = {
    // A drill stack is a production-like deployment of its own (the program refuses unknown names).
    [k("environment")]: { value: "production" },
    [k("clusterMode")]: { value: "existing" },
    [k("cloudSql")]: { value: "false" },
    [k("buckets")]: { value: "false" },
    [k("registry")]: { value: "false" },
    [k("snowflake")]: { value: "false" },
    [k("namespace")]: { value: s.namespace },
    // The verification Job only exists in reload mode, and it is what the drill measures.
    [k("workspaceRollout")]: { value: "reload" },
    [k("postgresHost")]: { value: s.postgres.host },
    [k("postgresPassword")]: { value: s.postgres.password, secret: true },
  };
  if (s.postgres.port !== undefined) config[k("postgresPort")] = { value: String(s.postgres.port) };
  if (s.postgres.user) config[k("postgresUser")] = { value: s.postgres.user };
  if (s.postgres.database) config[k("postgresDatabase")] = { value: s.postgres.database };
  if (s.kubeconfig) config[k("kubeconfig")] = { value: s.kubeconfig, secret: true };
  // Without a kubeconfig the drill deploys into the operator's current context, which must be said.
  else config[k("ambientKubeconfig")] = { value: "true" };
  if (s.kubeContext) config[k("kubeContext")] = { value: s.kubeContext };
  return config;
}

export interface Verification {
  job?: string;
  status: "passed" | "failed" | "not found" | "unfinished";
  seconds?: number;
}

interface JobState {
  metadata?: { name?: string };
  status?: {
    startTime?: string;
    completionTime?: string;
    succeeded?: number;
    failed?: number;
    conditions?: { type?: string; status?: string; lastTransitionTime?: string }[];
  };
}

/**
 * The verification Job as the stack's state recorded it. Pulumi waits for Jobs, so a successful
 * `up` implies the Job completed; reading its status confirms that, and gives how long it ran.
 */
export function verificationFromState(deployment: unknown, jobName?: string): Verification {
  const resources = ((deployment as { resources?: { urn?: string; type?: string; outputs?: JobState }[] } | undefined)?.resources ?? []).filter(
    (r) => r.type === "kubernetes:batch/v1:Job",
  );
  const job =
    resources.find((r) => jobName !== undefined && r.outputs?.metadata?.name === jobName) ??
    resources.find((r) => (r.urn ?? "").endsWith("kubernetes:batch/v1:Job::verify-workspace"));
  if (!job) return { job: jobName, status: "not found" };
  const name = job.outputs?.metadata?.name ?? jobName;
  const st = job.outputs?.status ?? {};
  const condition = (type: string) => (st.conditions ?? []).find((c) => c.type === type && c.status === "True");
  const span = (end?: string) => {
    const a = Date.parse(st.startTime ?? "");
    const b = Date.parse(end ?? "");
    return Number.isNaN(a) || Number.isNaN(b) ? undefined : (b - a) / 1000;
  };
  if ((st.succeeded ?? 0) > 0 || condition("Complete")) return { job: name, status: "passed", seconds: span(st.completionTime ?? condition("Complete")?.lastTransitionTime) };
  if ((st.failed ?? 0) > 0 || condition("Failed")) return { job: name, status: "failed", seconds: span(condition("Failed")?.lastTransitionTime) };
  return { job: name, status: "unfinished" };
}

export interface Phase {
  phase: "create" | "up" | "verification" | "destroy";
  seconds?: number;
  ok: boolean;
  detail?: string;
}

export interface DrillReport {
  stack: string;
  phases: Phase[];
  verification?: Verification;
  kept: boolean;
  ok: boolean;
}

export async function runDrill(deps: DrillDeps, s: DrillSettings): Promise<DrillReport> {
  checkDrillStack(s.stack);
  const ws = await deps.workspace();
  const phases: Phase[] = [];
  const since = (t: Date) => (deps.now().getTime() - t.getTime()) / 1000;
  const report: DrillReport = { stack: s.stack, phases, kept: s.keep, ok: false };

  let t = deps.now();
  let stack: Stack;
  try {
    stack = await Stack.create(s.stack, ws);
  } catch (e) {
    if (e instanceof StackAlreadyExistsError) throw new Error(`stack ${s.stack} already exists: a drill starts from empty state. Pick another --stack, or remove it first (pulumi stack rm ${s.stack})`);
    throw e;
  }
  deps.log.info(`drill: created ${s.stack}`);

  // From here on the stack exists: whatever fails, it is torn down unless --keep.
  let upOk = false;
  try {
    await stack.setAllConfig(drillConfig(s));
    phases.push({ phase: "create", seconds: since(t), ok: true });

    t = deps.now();
    let jobName: string | undefined;
    try {
      const result = await stack.up({ message: "disaster-recovery drill", onOutput: deps.output, onError: deps.errorOutput });
      jobName = plainOutputs(result.outputs).verificationJob as string | undefined;
      upOk = true;
      phases.push({ phase: "up", seconds: since(t), ok: true });
    } catch (e) {
      phases.push({ phase: "up", seconds: since(t), ok: false, detail: briefError(e) });
    }

    // Also after a failed up: the Job's status says whether it was the workspace that failed.
    try {
      const v = verificationFromState((await stack.exportStack()).deployment, jobName);
      report.verification = v;
      const passed = v.status === "passed";
      phases.push({
        phase: "verification",
        seconds: v.seconds,
        ok: passed && upOk,
        detail: `${v.job ?? "verification Job"}: ${v.status}${passed ? " (ran inside up: Pulumi waits for the Job)" : ""}`,
      });
    } catch (e) {
      phases.push({ phase: "verification", ok: false, detail: `could not read the stack's state: ${briefError(e)}` });
    }
  } catch (e) {
    phases.push({ phase: "create", seconds: since(t), ok: false, detail: briefError(e) });
  } finally {
    if (s.keep) {
      deps.log.info(`drill: --keep: ${s.stack} is left deployed; remove it with: pulumi destroy --stack ${s.stack} --remove`);
    } else {
      t = deps.now();
      try {
        await stack.destroy({ remove: true, message: "disaster-recovery drill: teardown", onOutput: deps.output, onError: deps.errorOutput });
        phases.push({ phase: "destroy", seconds: since(t), ok: true, detail: "stack removed" });
      } catch (e) {
        phases.push({ phase: "destroy", seconds: since(t), ok: false, detail: `${briefError(e)}; clean up with: pulumi destroy --stack ${s.stack} --remove` });
      }
    }
  }
  report.ok = upOk && phases.every((p) => p.ok);
  return report;
}

export function formatDrillReport(r: DrillReport): string {
  const rows = r.phases.map((p) => [p.phase, p.seconds === undefined ? "-" : `${p.seconds.toFixed(1)}s`, p.ok ? "ok" : "FAILED", p.detail ?? ""]);
  const wall = r.phases.filter((p) => p.phase !== "verification").reduce((n, p) => n + (p.seconds ?? 0), 0);
  rows.push(["total", `${wall.toFixed(1)}s`, "", "verification runs inside up, so it is not added again"]);
  const w = [0, 1, 2].map((i) => Math.max(...rows.map((row) => row[i].length), ["phase", "duration", "result"][i].length));
  const line = (row: string[]) => `${row[0].padEnd(w[0])}  ${row[1].padStart(w[1])}  ${row[2].padEnd(w[2])}  ${row[3]}`.trimEnd();
  return [`DR drill ${r.stack}: ${r.ok ? "PASSED" : "FAILED"}${r.kept ? " (stack kept)" : ""}`, line(["phase", "duration", "result", ""]), ...rows.map(line)].join("\n");
}
