/** The rehearsal's verdict and the summary it prints. Pure. */
import { RehearsalReport, StepResult } from "./types";

/** Every reason the rehearsal failed, each naming the step and, for a location, its error. */
export function failures(report: RehearsalReport, plannedSteps: number): string[] {
  const out: string[] = [];
  report.steps.forEach((step, i) => {
    const at = `step ${i + 1} (${step.reposDir})`;
    for (const [name, l] of Object.entries(step.locations)) if (l.status !== "LOADED") out.push(`${at}: ${name}: ${l.error ?? "not loaded"}`);
    if (step.verifier.exitCode !== null && step.verifier.exitCode !== 0) out.push(`${at}: the verifier exited ${step.verifier.exitCode}`);
    for (const p of step.problems) out.push(`${at}: ${p}`);
  });
  if (report.steps.length < plannedSteps) out.push(`only ${report.steps.length} of ${plannedSteps} step(s) ran: the rehearsal stops at the first failing step`);
  return out;
}

function stepLines(step: StepResult, i: number): string[] {
  const lines = [`step ${i + 1}: ${step.reposDir}${step.workspaceChanged ? "" : " (workspace unchanged)"}`];
  for (const [name, l] of Object.entries(step.locations).sort(([a], [b]) => (a < b ? -1 : 1))) {
    lines.push(`  ${l.status.padEnd(6)} ${name}${l.error ? `: ${l.error.split("\n")[0]}` : ""}`);
  }
  const verifier = step.verifier.skipped ? `skipped (${step.verifier.skipped})` : `exit ${step.verifier.exitCode} in ${step.verifier.seconds}s`;
  lines.push(`  verifier: ${verifier}`);
  lines.push(`  webserver pids: ${step.webserverPids.join(", ") || "-"}; daemon pid: ${step.daemonPid ?? "-"}; daemon loaded the workspace ${step.daemonLoadedSeconds === null ? "-" : `after ${step.daemonLoadedSeconds.toFixed(1)}s`}`);
  return lines;
}

export function summary(report: RehearsalReport, plannedSteps: number): string {
  const lines = [`Rehearsal of stack ${report.stack} with Dagster ${report.chartVersion}`];
  report.steps.forEach((s, i) => lines.push(...stepLines(s, i)));
  lines.push(`peak memory of the whole rehearsal: ${report.peakMemoryMb} MB (one webserver replica ${report.peakWebserverMb} MB, daemon ${report.peakDaemonMb} MB)`);
  const problems = failures(report, plannedSteps);
  if (problems.length === 0) lines.push("PASSED: every location of every step loaded, the verifier agreed, webserver and daemon kept running");
  else lines.push(`FAILED:\n${problems.map((p) => `  - ${p.replace(/\n/g, "\n    ")}`).join("\n")}`);
  return lines.join("\n");
}
