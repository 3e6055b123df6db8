/**
 * What the rehearsal plans before it starts anything (a `RehearsalSpec`, written to disk and read
 * by the process inside the private namespaces) and what it reports (`RehearsalReport`, the
 * `--json` file).
 */

type Values = Record<string, unknown>;

/** One code location as its `dagster-user-deployments` release deploys it. */
export interface LocationPlan {
  name: string;
  release: string;
  /** `deployments[0]` of the release's values, exactly as passed to Helm. */
  deployment: Values;
  /** The chart's `dagsterHome` / shared-env inputs the pod gets. */
  dagsterHome: string;
}

/** One `repos/` folder, planned. */
export interface StepPlan {
  reposDir: string;
  namespace: string;
  workspaceYaml: string;
  /** The `dagster` release's values. */
  system: Values;
  locations: LocationPlan[];
  /** The verification Job's container env, or undefined when the stack restarts instead (restart mode). */
  verifierEnv?: Record<string, string>;
}

export interface RehearsalSpec {
  stack: string;
  chartVersion: string;
  projectDir: string;
  /** `<code>/<location name>/` holds each location's Python code. */
  codeDir: string;
  /** The project-managed virtual environment (bin/ has dagster, dagster-webserver, …). */
  venvDir: string;
  /** Where everything the run writes goes (logs, workspace volume, instance, results). */
  runDir: string;
  steps: StepPlan[];
}

export type LocationState = "LOADED" | "ERROR";

export interface LocationResult {
  status: LocationState;
  error: string | null;
}

export interface StepResult {
  reposDir: string;
  locations: Record<string, LocationResult>;
  webserverPids: number[];
  daemonPid: number | null;
  verifier: { exitCode: number | null; seconds: number; skipped?: string };
  /** Per location, the pid of its code server process (a changed location gets a new one). */
  codeServerPids: Record<string, number>;
  workspaceChanged: boolean;
  /** Seconds from the workspace swap until the daemon had loaded exactly the new locations. */
  daemonLoadedSeconds: number | null;
  /** What went wrong in this step beyond a location's own error (empty when all is well). */
  problems: string[];
}

export interface RehearsalReport {
  stack: string;
  chartVersion: string;
  steps: StepResult[];
  /** Peak resident memory of every process of the rehearsal together, in MB. */
  peakMemoryMb: number;
  /** Peak resident memory of one webserver replica, and of the daemon, in MB. */
  peakWebserverMb: number;
  peakDaemonMb: number;
  /** What the rehearsal changes from the rendered values, and why (printed once). */
  substitutions: string[];
}
