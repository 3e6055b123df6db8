/** Offline plans for tests: the real program under the mock runtime, with fixture repos/ folders. */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Plan, PlanEntry, planStack } from "../../offline/plan";

export const PROJECT_DIR = path.resolve(__dirname, "..", "..");
export const SHA_A = "0123456789abcdef0123456789abcdef01234567";
export const SHA_B = "89abcdef0123456789abcdef0123456789abcdef";

/** A scratch repos/ folder holding the given files (name -> YAML text). */
export function reposDir(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "repos-"));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

export function location(image: string, extra = ""): string {
  return `image: ${image}\nmodule: etl.definitions\n${extra}`;
}

/**
 * The overrides that make a plan need nothing but Kubernetes (what the core program runs on), for
 * a production-like stack of any name. The kubeconfig and the PostgreSQL password are secrets the
 * offline plan fills with placeholders.
 */
export const KUBERNETES_ONLY = [
  "environment=production",
  "clusterMode=existing",
  "cloudSql=false",
  "postgresHost=postgres.example.internal",
  "buckets=false",
  "registry=false",
  "snowflake=false",
];

export async function plan(stack: string, opts: { repos?: string; overrides?: string[]; secrets?: string[]; revealSecrets?: boolean } = {}): Promise<Plan> {
  return planStack({ projectDir: PROJECT_DIR, stack, reposDir: opts.repos, overrides: opts.overrides ?? [], secrets: opts.secrets ?? [], revealSecrets: opts.revealSecrets });
}

export function find(p: Plan, type: string, name: string): PlanEntry {
  const found = p.resources.find((r) => r.type === type && r.name === name);
  if (!found) throw new Error(`no ${type} named ${name} in the plan (have: ${p.resources.filter((r) => r.type === type).map((r) => r.name).join(", ")})`);
  return found;
}

export function ofType(p: Plan, type: string): PlanEntry[] {
  return p.resources.filter((r) => r.type === type);
}

/**
 * What `pulumi up` would touch going from plan a to plan b, as `type name` strings: resources
 * added, removed, or with different inputs or options. A different `dependsOn` alone is only an
 * ordering, not a change the engine applies, so it is left out.
 */
export function changed(a: Plan, b: Plan): { added: string[]; removed: string[]; modified: string[] } {
  const key = (r: PlanEntry) => `${r.type} ${r.name}`;
  const state = (r: PlanEntry) => JSON.stringify({ i: r.inputs, o: { ...r.options, dependsOn: undefined } });
  const ma = new Map(a.resources.map((r) => [key(r), state(r)]));
  const mb = new Map(b.resources.map((r) => [key(r), state(r)]));
  return {
    added: [...mb.keys()].filter((k) => !ma.has(k)).sort(),
    removed: [...ma.keys()].filter((k) => !mb.has(k)).sort(),
    modified: [...mb.keys()].filter((k) => ma.has(k) && ma.get(k) !== mb.get(k)).sort(),
  };
}

/** Every string in a value, for "does anything name X" checks. */
export function strings(v: unknown): string[] {
  if (typeof v === "string") return [v];
  if (Array.isArray(v)) return v.flatMap(strings);
  if (v && typeof v === "object") return Object.values(v).flatMap(strings);
  return [];
}
