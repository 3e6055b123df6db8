/**
 * Plans each `repos/` folder of a rehearsal exactly as `npm run plan` does (the real program under
 * Pulumi's mock runtime) and keeps what the rehearsal runs: the workspace file, the system
 * release's values, each location release's deployment, and the verification Job's environment.
 */
import * as fs from "fs";
import * as path from "path";
import { planStack, Plan } from "../offline/plan";
import { LocationPlan, StepPlan } from "./types";

type Values = Record<string, unknown>;

const HELM_RELEASE = "kubernetes:helm.sh/v3:Release";
const JOB = "kubernetes:batch/v1:Job";

function jobEnv(plan: Plan): Record<string, string> | undefined {
  const job = plan.resources.find((r) => r.type === JOB && r.name === "verify-workspace");
  if (!job) return undefined;
  const container = (job.inputs.spec as { template: { spec: { containers: { env: { name: string; value: string }[] }[] } } }).template.spec.containers[0];
  return Object.fromEntries(container.env.map((e) => [e.name, e.value]));
}

function locationPlans(plan: Plan): LocationPlan[] {
  return plan.resources
    .filter((r) => r.type === HELM_RELEASE && r.inputs.chart === "dagster-user-deployments")
    .map((r) => {
      const values = r.inputs.values as Values;
      const deployment = (values.deployments as Values[])[0];
      return { name: String(deployment.name), release: String(r.inputs.name), deployment, dagsterHome: String(values.dagsterHome) };
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The pinned chart version of the plan's system release (= the dagster package version). */
export function chartVersionOf(plan: Plan): string {
  const system = plan.resources.find((r) => r.type === HELM_RELEASE && r.inputs.chart === "dagster");
  if (!system) throw new Error("the plan has no dagster system release");
  return String(system.inputs.version);
}

export async function planStep(projectDir: string, stack: string, reposDir: string, overrides: string[]): Promise<{ step: StepPlan; chartVersion: string }> {
  const plan = await planStack({ projectDir, stack, overrides, reposDir: path.relative(projectDir, path.resolve(reposDir)) });
  if (plan.workspaceYaml === undefined) throw new Error(`the plan of ${reposDir} has no workspace ConfigMap`);
  const step: StepPlan = {
    reposDir,
    namespace: String(plan.outputs.namespace),
    workspaceYaml: plan.workspaceYaml,
    system: plan.values.dagster,
    locations: locationPlans(plan),
    verifierEnv: jobEnv(plan),
  };
  return { step, chartVersion: chartVersionOf(plan) };
}

/** The pinned Python lock of a chart version, or an error saying how to add one. */
export function lockFileFor(projectDir: string, chartVersion: string): string {
  const file = path.join(projectDir, "requirements", `dagster-${chartVersion}.txt`);
  if (!fs.existsSync(file)) {
    const have = fs.readdirSync(path.join(projectDir, "requirements")).filter((f) => /^dagster-.*\.txt$/.test(f)).join(", ") || "none";
    throw new Error(
      `no pinned Python lock for chartVersion ${chartVersion}: requirements/dagster-${chartVersion}.txt does not exist (have: ${have}). ` +
        `The rehearsal runs exactly the chart's Dagster version; add the lock (see the header of an existing one) or rehearse with a chartVersion that has one.`,
    );
  }
  return file;
}
