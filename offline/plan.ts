import * as fs from "fs";
import * as path from "path";
import { stringify } from "yaml";
import { CONFIG_NAMESPACE } from "../config/keys";
import { classifyStack, PLATFORM_ENV_KEYS } from "../render/deployment";
import { ComputedContext } from "./computed";
import { enableOfflinePlan, plannedPlaceholders } from "./mode";
import { ResourceOptionsRecord } from "./record";
import { runOffline } from "./runtime";
import { assembleStackConfig } from "./stackConfig";

/** One entry of resources.json. */
export interface PlanEntry {
  type: string;
  name: string;
  parent: string | null;
  inputs: Record<string, unknown>;
  options: ResourceOptionsRecord;
}

/** A code location as the plan deploys it: what change tracking compares. */
export interface PlannedLocation {
  name: string;
  release: string;
  image: string;
  target: string[];
  port: number;
  /** The file's own env: platform-set variables (DAGSTER_CLOUD_*, SNOWFLAKE_DATABASE) are left out. */
  env: Record<string, string>;
  secrets: string[];
}

export interface Plan {
  stack: string;
  resources: PlanEntry[];
  outputs: Record<string, unknown>;
  /** What a StackReference to this stack would read (secrets in clear): never written to disk. */
  rawOutputs: Record<string, unknown>;
  workspaceYaml?: string;
  /** Helm values by release name, exactly as passed to Helm. */
  values: Record<string, Record<string, unknown>>;
  locations: PlannedLocation[];
  /** Secret config keys planned with placeholders because they are not set. */
  placeholders: string[];
  /** Provider lookups the program made (it makes none: it never reads live state). */
  invokes: string[];
  /** Existing resources the program read (`Resource.get`, StackReference), as `type name`. */
  reads: string[];
}

export interface PlanOptions {
  projectDir: string;
  stack: string;
  /** `key=value`, as for `pulumi config set`. */
  overrides?: string[];
  /** Overrides the `reposDir` config key. */
  reposDir?: string;
}

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Evaluates the real program (index.ts) offline for a stack and returns what it would deploy. */
export async function planStack(opts: PlanOptions): Promise<Plan> {
  enableOfflinePlan();
  const overrides = [...(opts.overrides ?? []), ...(opts.reposDir ? [`reposDir=${opts.reposDir}`] : [])];
  const assembled = assembleStackConfig(opts.projectDir, opts.stack, overrides);
  const stackOutputs: Record<string, Record<string, unknown>> = {};

  // A branch stack reads the preview stack through a StackReference: answer it with what the
  // preview stack's plan outputs.
  if (classifyStack(opts.stack).kind === "branch") {
    const ref = assembled.values[`${CONFIG_NAMESPACE}:previewStack`];
    if (ref) {
      const previewStack = ref.split("/").pop() as string;
      const previewPlan = await planStack({ projectDir: opts.projectDir, stack: previewStack, reposDir: opts.reposDir });
      stackOutputs[ref] = previewPlan.rawOutputs;
      enableOfflinePlan();
    }
  }

  const computed: ComputedContext = {
    project: assembled.values["gcp:project"] ?? "offline-project",
    region: assembled.values["gcp:region"] ?? "offline-region",
    stackOutputs,
  };
  const indexPath = require.resolve(path.join(opts.projectDir, "index.ts"));
  const run = await runOffline({
    project: assembled.project,
    stack: opts.stack,
    config: assembled.values,
    secretKeys: assembled.secretKeys,
    computed,
    program: () => {
      delete require.cache[indexPath];
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return require(indexPath);
    },
  });

  const nameByUrn = new Map(run.resources.map((r) => [r.urn, r.name]));
  const resources: PlanEntry[] = run.resources
    .map((r) => ({ entry: { type: r.type, name: r.name, parent: nameByUrn.get(r.parentUrn) ?? null, inputs: r.inputs, options: r.options }, urn: r.urn }))
    .sort((a, b) => byString(a.entry.type, b.entry.type) || byString(a.entry.name, b.entry.name) || byString(a.urn, b.urn))
    .map((x) => x.entry);

  const values: Record<string, Record<string, unknown>> = {};
  const locations: PlannedLocation[] = [];
  let workspaceYaml: string | undefined;
  for (const r of resources) {
    if (r.type === "kubernetes:helm.sh/v3:Release") {
      const releaseName = String(r.inputs.name);
      const v = (r.inputs.values ?? {}) as Record<string, unknown>;
      values[releaseName] = v;
      if (r.inputs.chart === "dagster-user-deployments") locations.push(...summarizeLocations(releaseName, v));
    }
    const data = (r.inputs.data ?? {}) as Record<string, unknown>;
    if (r.type === "kubernetes:core/v1:ConfigMap" && typeof data["workspace.yaml"] === "string") workspaceYaml = data["workspace.yaml"];
  }
  return {
    stack: opts.stack,
    resources,
    outputs: run.outputs,
    rawOutputs: run.rawOutputs,
    workspaceYaml,
    values,
    locations: locations.sort((a, b) => byString(a.name, b.name)),
    placeholders: [...new Set([...plannedPlaceholders(), ...assembled.encrypted.map((k) => k.split(":")[1])])].sort(),
    invokes: run.invokes,
    reads: run.resources.filter((r) => r.read).map((r) => `${r.type} ${r.name}`).sort(),
  };
}

function summarizeLocations(release: string, v: Record<string, unknown>): PlannedLocation[] {
  const deployments = (v.deployments ?? []) as Record<string, unknown>[];
  return deployments.map((d) => {
    const image = d.image as { repository: string; tag: string };
    const env = (d.env ?? {}) as Record<string, string>;
    const platform = new Set<string>(PLATFORM_ENV_KEYS);
    return {
      name: String(d.name),
      release,
      image: `${image.repository}:${image.tag}`,
      target: (d.dagsterApiGrpcArgs ?? d.codeServerArgs ?? []) as string[],
      port: Number(d.port),
      env: Object.fromEntries(Object.entries(env).filter(([k]) => !platform.has(k))),
      secrets: ((d.envSecrets ?? []) as { name: string }[]).map((s) => s.name),
    };
  });
}

const PLAN_FILES = ["resources.json", "outputs.json", "locations.json", "workspace.yaml"];

/** Removes the files of an earlier plan, so a failed plan never leaves a stale one behind. */
export function clearPlan(outDir: string): void {
  for (const f of PLAN_FILES) fs.rmSync(path.join(outDir, f), { force: true });
  fs.rmSync(path.join(outDir, "values"), { recursive: true, force: true });
}

export function writePlan(plan: Plan, outDir: string): void {
  clearPlan(outDir);
  fs.mkdirSync(path.join(outDir, "values"), { recursive: true });
  const json = (v: unknown) => JSON.stringify(v, null, 2) + "\n";
  fs.writeFileSync(path.join(outDir, "resources.json"), json(plan.resources));
  fs.writeFileSync(path.join(outDir, "outputs.json"), json(plan.outputs));
  fs.writeFileSync(path.join(outDir, "locations.json"), json(plan.locations));
  if (plan.workspaceYaml !== undefined) fs.writeFileSync(path.join(outDir, "workspace.yaml"), plan.workspaceYaml);
  for (const name of Object.keys(plan.values).sort()) {
    fs.writeFileSync(path.join(outDir, "values", `${name}.yaml`), stringify(plan.values[name], { lineWidth: 0 }));
  }
}

/** The short table `npm run plan` prints. */
export function summarize(plan: Plan): string {
  const counts = new Map<string, number>();
  for (const r of plan.resources) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
  const protectedNames = plan.resources.filter((r) => r.options.protect).map((r) => `${r.name}`);
  const width = Math.max(...[...counts.keys()].map((k) => k.length), 4);
  const lines = [`Plan for stack ${plan.stack}: ${plan.resources.length} resources`, ""];
  lines.push(`${"TYPE".padEnd(width)}  COUNT`);
  for (const [type, n] of [...counts.entries()].sort(([a], [b]) => byString(a, b))) lines.push(`${type.padEnd(width)}  ${n}`);
  lines.push("", `Helm releases: ${Object.keys(plan.values).sort().join(", ") || "none"}`);
  lines.push(`Code locations: ${plan.locations.map((l) => `${l.name} (${l.image})`).join(", ") || "none"}`);
  lines.push(`Protected: ${protectedNames.join(", ") || "none"}`);
  if (plan.placeholders.length > 0) lines.push(`Secrets not set, planned with placeholders: ${plan.placeholders.join(", ")}`);
  return lines.join("\n");
}
