/**
 * The deploy steps, in the order `pulumi up` applies them (platform/dagster.ts): the location
 * releases, then the workspace ConfigMap (it depends on them), then the system release (first
 * deploy) or nothing (reload mode), then the verification Job; removed releases go last, as
 * Pulumi deletes after it creates and updates. A failed release stops the step before the
 * workspace changes, as it stops `pulumi up`.
 */
import { Cluster } from "./cluster";
import { stillRunning } from "./supervisor";
import { LocationPlan, StepPlan, StepResult } from "./types";

/** The daemon re-reads the workspace every 60 s (dagster/_daemon/controller.py), then loads each location. */
const DAEMON_RELOAD_SECONDS = 60;

function emptyResult(step: StepPlan): StepResult {
  return {
    reposDir: step.reposDir,
    locations: {},
    webserverPids: [],
    daemonPid: null,
    verifier: { exitCode: null, seconds: 0 },
    codeServerPids: {},
    workspaceChanged: false,
    daemonLoadedSeconds: null,
    problems: [],
  };
}

function daemonBoundMs(step: StepPlan): number {
  return (DAEMON_RELOAD_SECONDS + 30 + 2 * step.locations.length) * 1000;
}

/** Releases that failed: the location is an ERROR with its Python error, and the step stops here. */
function releaseFailures(result: StepResult, failures: Record<string, string>): boolean {
  for (const [name, error] of Object.entries(failures)) {
    result.locations[name] = { status: "ERROR", error };
    result.problems.push(`the release of ${name} failed, so the workspace was not changed (as pulumi up stops there)`);
  }
  return Object.keys(failures).length > 0;
}

async function verifyAndRead(cluster: Cluster, step: StepPlan, result: StepResult): Promise<void> {
  if (step.verifierEnv) {
    cluster.log(`verification Job: verify/verify_workspace.py (${step.locations.length} location(s))`);
    const run = await cluster.runVerifier(step.verifierEnv);
    result.verifier = { exitCode: run.exitCode, seconds: Math.round(run.seconds * 10) / 10 };
    cluster.log(run.output.trimEnd().split("\n").map((l) => `  | ${l}`).join("\n"));
  } else {
    result.verifier = { exitCode: null, seconds: 0, skipped: "workspaceRollout is restart: the stack plans no verification Job" };
  }
  const read = await cluster.statuses(step);
  result.locations = { ...read.locations, ...result.locations };
  result.problems.push(...read.problems);
}

/** Bounded wait for the daemon's own reload; pointless when a location is already known broken. */
async function waitForDaemon(cluster: Cluster, step: StepPlan, result: StepResult, sinceMs: number): Promise<void> {
  const healthy = Object.values(result.locations).every((l) => l.status === "LOADED") && (result.verifier.exitCode ?? 0) === 0;
  if (!healthy) return;
  result.daemonLoadedSeconds = await cluster.waitForDaemon(step.locations.map((l) => l.name), sinceMs, daemonBoundMs(step));
  if (result.daemonLoadedSeconds === null) result.problems.push(`the daemon did not load exactly these locations within ${daemonBoundMs(step) / 1000}s`);
}

function recordPids(cluster: Cluster, result: StepResult): void {
  result.webserverPids = cluster.webservers.map((r) => r.pid);
  result.daemonPid = cluster.daemon?.pid ?? null;
  result.codeServerPids = Object.fromEntries([...cluster.codeServers.entries()].map(([name, s]) => [name, s.running.pid]).sort());
}

/** The first deploy: everything from nothing. */
export async function firstStep(cluster: Cluster, step: StepPlan): Promise<StepResult> {
  const result = emptyResult(step);
  cluster.log(`step 1 (${step.reposDir}): ${step.locations.length} code server(s)`);
  if (releaseFailures(result, await cluster.startCodeServers(step, step.locations))) return result;
  cluster.writeWorkspace(step.workspaceYaml);
  result.workspaceChanged = true;
  const started = Date.now();
  cluster.log("system release: webserver replica(s) and daemon");
  result.problems.push(...(await cluster.startSystem(step)));
  if (result.problems.length > 0) return result;
  await verifyAndRead(cluster, step, result);
  await waitForDaemon(cluster, step, result, started);
  recordPids(cluster, result);
  return result;
}

function diffLocations(cluster: Cluster, next: StepPlan): { added: LocationPlan[]; changed: LocationPlan[]; removed: string[] } {
  const names = new Set(next.locations.map((l) => l.name));
  const added = next.locations.filter((l) => !cluster.codeServers.has(l.name));
  const changed = next.locations.filter((l) => cluster.codeServers.has(l.name) && cluster.codeServers.get(l.name)?.deployment !== JSON.stringify(l.deployment));
  const removed = [...cluster.codeServers.keys()].filter((name) => !names.has(name));
  return { added, changed, removed };
}

/** A later deploy (`--then`): only what changed is touched; webserver and daemon must keep running. */
export async function nextStep(cluster: Cluster, previous: StepPlan, step: StepPlan, index: number): Promise<StepResult> {
  const result = emptyResult(step);
  const before = { webservers: [...cluster.webservers], daemon: cluster.daemon };
  const { added, changed, removed } = diffLocations(cluster, step);
  cluster.log(`step ${index + 1} (${step.reposDir}): added ${names(added)}, changed ${names(changed)}, removed ${removed.join(", ") || "none"}`);
  // A changed release rolls its pod: the old code server stops, a new one starts.
  for (const loc of changed) await cluster.stopCodeServer(loc.name);
  if (releaseFailures(result, await cluster.startCodeServers(step, [...added, ...changed]))) return result;
  result.workspaceChanged = previous.workspaceYaml !== step.workspaceYaml;
  const swapped = Date.now();
  if (result.workspaceChanged) cluster.writeWorkspace(step.workspaceYaml);
  // Changed system values (restart mode's checksum, a new chart) upgrade the system release: Helm
  // rolls the webserver and daemon. Reload mode never gets here for a location change.
  const upgraded = JSON.stringify(previous.system) !== JSON.stringify(step.system);
  if (upgraded) {
    cluster.log("the system release's values changed: restarting the webserver and daemon, as Helm would roll them");
    await cluster.stopSystem();
    result.problems.push(...(await cluster.startSystem(step)));
  }
  await verifyAndRead(cluster, step, result);
  for (const name of removed) await cluster.stopCodeServer(name);
  await waitForDaemon(cluster, step, result, swapped);
  for (const r of upgraded ? [] : [...before.webservers, ...(before.daemon ? [before.daemon] : [])]) {
    if (!stillRunning(r)) result.problems.push(`${r.spec.label} (pid ${r.pid}) did not keep running: it exited or was replaced`);
  }
  recordPids(cluster, result);
  return result;
}

function names(locations: LocationPlan[]): string {
  return locations.map((l) => l.name).join(", ") || "none";
}
