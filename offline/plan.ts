import * as path from "path";
import { PLATFORM_ENV_KEYS } from "../render/deployment";
import { ComputedContext } from "./computed";
import { enableOfflinePlan, plannedPlaceholders } from "./mode";
import { ResourceOptionsRecord } from "./record";
import { runOffline } from "./runtime";
import { PlanReferenced, referencedOutputs, referencedStack, stackNameOf } from "./reference";
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
  /** `key=value`, as for `pulumi config set`: stored in plain text. */
  overrides?: string[];
  /** `key=value`, as for `pulumi config set --secret`. */
  secrets?: string[];
  /** Overrides the `reposDir` config key. */
  reposDir?: string;
  /**
   * Secret inputs in clear in `resources` (tests that show a plan to the policy rules, as the
   * engine shows analyzers a stack). `npm run plan` never sets it: its files hold only marks.
   */
  revealSecrets?: boolean;
}

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Evaluates the real program (index.ts) offline for a stack and returns what it would deploy. */
export async function planStack(opts: PlanOptions): Promise<Plan> {
  enableOfflinePlan();
  const overrides = [...(opts.overrides ?? []), ...(opts.reposDir ? [`reposDir=${opts.reposDir}`] : [])];
  const assembled = assembleStackConfig(opts.projectDir, opts.stack, overrides, opts.secrets ?? []);

  // A branch reads the preview stack through a StackReference: plan that one first (the runtime is
  // one per process), and answer the reference with its outputs when the program asks.
  const reference = referencedStack(opts.stack, assembled.values);
  const outputs = reference ? await referencedOutputs(planReferenced, opts.projectDir, stackNameOf(reference.reference), opts.reposDir) : undefined;
  enableOfflinePlan();
  const computed: ComputedContext = {
    project: assembled.values["gcp:project"] ?? "offline-project",
    region: assembled.values["gcp:region"] ?? "offline-region",
    stackOutputs: (ref) => {
      if (!outputs || ref !== reference?.reference) return Promise.reject(new Error(`the offline plan has no outputs for the stack reference ${ref}`));
      return Promise.resolve(outputs);
    },
  };
  const indexPath = require.resolve(path.join(opts.projectDir, "index.ts"));
  const run = await runOffline({
    project: assembled.project,
    stack: opts.stack,
    config: assembled.values,
    secretKeys: assembled.secretKeys,
    computed,
    revealSecrets: opts.revealSecrets,
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

/** How a branch's plan plans the stack it references: as any other stack, with the same repos/. */
export const planReferenced: PlanReferenced = (projectDir, stack, reposDir) => planStack({ projectDir, stack, reposDir });

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

export { clearPlan, writePlan } from "./planFiles";
export { summarize } from "./summary";
