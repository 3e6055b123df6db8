/**
 * The image contract, used: before anything starts, the rehearsal's Python environment (the stand-in
 * for every location's image) must import every module the rendered instance names, as each run
 * pod will (README, "Adding a code location").
 */
import { spawnSync } from "child_process";
import { chartInstance, instanceModules } from "./chartInstance";
import { StepPlan } from "./types";

export function checkImageContract(python: string, steps: StepPlan[]): void {
  const modules = [...new Set(steps.flatMap((s) => instanceModules(chartInstance(s.system, s.namespace))))].sort();
  const r = spawnSync(python, ["-c", `import ${modules.join(", ")}`], { encoding: "utf8" });
  if (r.status !== 0) {
    throw new Error(`the environment standing for the locations' images cannot import the instance's modules (${modules.join(", ")}), as every run pod must:\n${r.stderr.trim()}`);
  }
}
