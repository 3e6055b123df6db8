/**
 * The processes the Dagster charts start from the rendered values, written out from the charts'
 * templates (dagster-io/dagster, helm/dagster):
 * - code server: charts/dagster-user-deployments/templates/deployment-user.yaml @36f72b1 (args,
 *   env, envFrom order) and templates/helpers/_helpers.tpl (`sharedEnv`);
 * - webserver: templates/helpers/_deployment-webserver.tpl @068394f and _helpers.tpl
 *   (`dagster.webserver.dagsterWebserverCommand`);
 * - daemon: templates/deployment-daemon.yaml (`dagster-daemon run -w …`).
 * Pure: the rehearsal's own paths and addresses come in, and every change from what a pod would
 * run is one of SUBSTITUTIONS.
 */
import { chartFullname, USER_CODE_CHART } from "../chart/names";
import { SNOWFLAKE_ENV_KEYS, SNOWFLAKE_SECRET_NAME } from "../render/snowflake";
import { LocationPlan } from "./types";

type Values = Record<string, unknown>;

export interface ProcessSpec {
  label: string;
  /** A console script of the virtual environment, then its arguments. */
  argv: string[];
  env: Record<string, string>;
  cwd: string;
}

/** Secret values are never read: a Secret-sourced variable gets this. */
export const SECRET_PLACEHOLDER = "rehearsal-placeholder";

/** Keys of the Secrets the platform itself creates: the only ones whose keys are known offline. */
const KNOWN_SECRET_KEYS: Record<string, readonly string[]> = { [SNOWFLAKE_SECRET_NAME]: SNOWFLAKE_ENV_KEYS };

export const SUBSTITUTIONS = [
  "`-h 0.0.0.0` becomes the process's own loopback address (in a pod, 0.0.0.0 is the pod's own network namespace); names resolve through the namespace's own /etc/hosts",
  "`/dagster-workspace/` (the ConfigMap volume) is a folder of the rehearsal, updated like the kubelet updates the volume (an atomic `..data` symlink swap)",
  "a location's image is the project's Python environment plus `<code>/<location>/` (its working directory and PYTHONPATH); `--working-directory` points there",
  "Secret-sourced variables get a placeholder; Secrets and ConfigMaps other than the platform's add nothing (their keys are not known offline)",
  "the instance's run launcher is the default (no Kubernetes to launch run pods into) and compute logs are local (no GCS); the run pod spec is checked separately, with dagster-k8s",
  "a `gs://` defs-state base path becomes a local folder, with the same storage class",
  "code servers get an empty DAGSTER_HOME, as in their pods (the charts mount no instance into them)",
];

export interface CodeServerContext {
  address: string;
  namespace: string;
  codeDir: string;
  /** An empty folder standing for the pod's DAGSTER_HOME. */
  home: string;
}

/** `dagster api grpc` or `dagster code-server start`, with the pod's environment. */
export function codeServerProcess(loc: LocationPlan, ctx: CodeServerContext): ProcessSpec {
  const d = loc.deployment;
  if ((d.includeConfigInLaunchedRuns as { enabled?: boolean } | undefined)?.enabled !== false) {
    throw new Error(`${loc.release}: the rehearsal expects the platform's own container context (includeConfigInLaunchedRuns.enabled false)`);
  }
  const grpcArgs = d.dagsterApiGrpcArgs as string[] | undefined;
  const command = grpcArgs ? ["dagster", "api", "grpc"] : ["dagster", "code-server", "start"];
  const targetArgs = (grpcArgs ?? (d.codeServerArgs as string[])).map((arg, i, all) => (all[i - 1] === "--working-directory" ? ctx.codeDir : arg));
  return {
    label: `code server ${loc.name}`,
    argv: [...command, "-h", ctx.address, "-p", String(d.port), ...targetArgs],
    env: { ...codeServerEnvFrom(loc, ctx), ...codeServerEnv(loc) },
    cwd: ctx.codeDir,
  };
}

/** `envFrom` in the chart's order (a later source wins): shared env, user env, Secrets. */
function codeServerEnvFrom(loc: LocationPlan, ctx: CodeServerContext): Record<string, string> {
  const fullname = chartFullname(loc.release, USER_CODE_CHART);
  const shared = {
    DAGSTER_HOME: ctx.home,
    DAGSTER_K8S_PIPELINE_RUN_NAMESPACE: ctx.namespace,
    DAGSTER_K8S_PIPELINE_RUN_ENV_CONFIGMAP: `${fullname}-pipeline-env`,
  };
  const userEnv = (loc.deployment.env ?? {}) as Record<string, string>;
  const secrets: Record<string, string> = {};
  for (const ref of (loc.deployment.envSecrets ?? []) as { name: string }[]) {
    // The platform's Secret holds the same values its env names (SNOWFLAKE_DATABASE): keep those.
    for (const key of KNOWN_SECRET_KEYS[ref.name] ?? []) secrets[key] = userEnv[key] ?? SECRET_PLACEHOLDER;
  }
  return { ...shared, ...userEnv, ...secrets, PYTHONPATH: ctx.codeDir };
}

/** The container's own `env`, which wins over every `envFrom`. */
function codeServerEnv(loc: LocationPlan): Record<string, string> {
  const image = loc.deployment.image as { repository: string; tag: string };
  return { DAGSTER_CURRENT_IMAGE: `${image.repository}:${image.tag}`, DAGSTER_PG_PASSWORD: SECRET_PLACEHOLDER };
}

export interface SystemContext {
  address: string;
  workspaceFile: string;
  /** DAGSTER_HOME holding the instance's dagster.yaml. */
  home: string;
}

function systemEnv(ctx: SystemContext): Record<string, string> {
  return { DAGSTER_HOME: ctx.home, DAGSTER_PG_PASSWORD: SECRET_PLACEHOLDER };
}

/** One webserver replica: `dagster.webserver.dagsterWebserverCommand`. */
export function webserverProcess(system: Values, replica: number, ctx: SystemContext): ProcessSpec {
  const web = (system.dagsterWebserver ?? {}) as Values;
  const port = Number((web.service as Values | undefined)?.port ?? 80);
  const flags: string[] = [];
  const optional: [string, string][] = [["dbStatementTimeout", "--db-statement-timeout"], ["dbPoolRecycle", "--db-pool-recycle"], ["pathPrefix", "--path-prefix"], ["logLevel", "--log-level"]];
  for (const [key, flag] of optional) if (web[key] !== undefined && web[key] !== null && web[key] !== "") flags.push(flag, String(web[key]));
  return {
    label: `webserver ${replica}`,
    argv: ["dagster-webserver", "-h", ctx.address, "-p", String(port), "-w", ctx.workspaceFile, ...flags],
    env: systemEnv(ctx),
    cwd: ctx.home,
  };
}

export function webserverPort(system: Values): number {
  return Number((((system.dagsterWebserver ?? {}) as Values).service as Values | undefined)?.port ?? 80);
}

export function webserverReplicas(system: Values): number {
  return Number(((system.dagsterWebserver ?? {}) as Values).replicaCount ?? 1);
}

/** The daemon: `dagster-daemon run -w /dagster-workspace/workspace.yaml`. */
export function daemonProcess(ctx: SystemContext): ProcessSpec {
  return { label: "daemon", argv: ["dagster-daemon", "run", "-w", ctx.workspaceFile], env: systemEnv(ctx), cwd: ctx.home };
}
