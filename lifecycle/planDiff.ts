/**
 * What a pull request changes, from two offline plans (`npm run plan`): prod on the base commit
 * and pr-<N> on the head commit. The two are different deployments, so a raw diff would be mostly
 * noise (namespaces, bucket names, the branch's own database and clone). Three views separate
 * what the PR changes from what every branch differs by:
 *
 *  - code locations, field by field (locations.json already leaves out platform variables);
 *  - Helm releases by name; code-location release values without the values the platform sets
 *    per deployment (DEPLOYMENT_SPECIFIC below);
 *  - resources matched by type and logical name: those of code locations (what the PR adds or
 *    removes) apart from the rest (what every branch differs by, shown folded as context).
 */
import * as fs from "fs";
import * as path from "path";
import { USER_CODE_CHART } from "../chart/names";
import { PlanEntry, PlannedLocation } from "../offline/plan";
import { PLATFORM_ENV_KEYS } from "../render/deployment";

export interface PlanDir {
  locations: PlannedLocation[];
  resources: PlanEntry[];
}

function readJson(dir: string, file: string): unknown {
  const p = path.join(dir, file);
  if (!fs.existsSync(p)) throw new Error(`${p} does not exist: is ${dir} a directory written by npm run plan?`);
  try {
    return JSON.parse(fs.readFileSync(p, "utf8"));
  } catch (e) {
    throw new Error(`${p} is not JSON: ${(e as Error).message}`);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export function readPlanDir(dir: string): PlanDir {
  const locations = readJson(dir, "locations.json");
  const resources = readJson(dir, "resources.json");
  if (!Array.isArray(locations) || !locations.every((l) => isObject(l) && typeof l.name === "string" && typeof l.image === "string")) {
    throw new Error(`${path.join(dir, "locations.json")} is not a list of planned code locations`);
  }
  if (!Array.isArray(resources) || !resources.every((r) => isObject(r) && typeof r.type === "string" && typeof r.name === "string")) {
    throw new Error(`${path.join(dir, "resources.json")} is not a list of planned resources`);
  }
  return { locations: locations as PlannedLocation[], resources: resources as PlanEntry[] };
}

// ---------------------------------------------------------------------------------------------
// Code locations

export interface FieldChange {
  field: "image" | "target" | "port" | "env" | "secrets";
  /** The variable or Secret, for env and secrets. */
  key?: string;
  before?: string;
  after?: string;
}

export interface LocationChange {
  name: string;
  kind: "added" | "changed" | "removed" | "unchanged";
  base?: PlannedLocation;
  head?: PlannedLocation;
  changes: FieldChange[];
}

function compareLocation(a: PlannedLocation, b: PlannedLocation): FieldChange[] {
  const changes: FieldChange[] = [];
  if (a.image !== b.image) changes.push({ field: "image", before: a.image, after: b.image });
  if (a.target.join(" ") !== b.target.join(" ")) changes.push({ field: "target", before: a.target.join(" "), after: b.target.join(" ") });
  if (a.port !== b.port) changes.push({ field: "port", before: String(a.port), after: String(b.port) });
  for (const key of [...new Set([...Object.keys(a.env), ...Object.keys(b.env)])].sort()) {
    if (a.env[key] !== b.env[key]) changes.push({ field: "env", key, before: a.env[key], after: b.env[key] });
  }
  for (const key of [...new Set([...a.secrets, ...b.secrets])].sort()) {
    const before = a.secrets.includes(key);
    const after = b.secrets.includes(key);
    if (before !== after) changes.push({ field: "secrets", key, before: before ? key : undefined, after: after ? key : undefined });
  }
  return changes;
}

export function compareLocations(base: PlannedLocation[], head: PlannedLocation[]): LocationChange[] {
  const a = new Map(base.map((l) => [l.name, l]));
  const b = new Map(head.map((l) => [l.name, l]));
  return [...new Set([...a.keys(), ...b.keys()])].sort().map((name): LocationChange => {
    const before = a.get(name);
    const after = b.get(name);
    if (!before) return { name, kind: "added", head: after, changes: [] };
    if (!after) return { name, kind: "removed", base: before, changes: [] };
    const changes = compareLocation(before, after);
    return { name, kind: changes.length > 0 ? "changed" : "unchanged", base: before, head: after, changes };
  });
}

// ---------------------------------------------------------------------------------------------
// Helm releases

export interface ValueChange {
  path: string;
  before?: unknown;
  after?: unknown;
}

export interface ReleaseChange {
  release: string;
  chart: string;
  kind: "install" | "uninstall" | "upgrade" | "same";
  versionBefore?: string;
  versionAfter?: string;
  /** Changed values (code-location releases; deployment-specific values left out). */
  values: ValueChange[];
}

const RELEASE_TYPE = "kubernetes:helm.sh/v3:Release";

/**
 * Values the platform derives from the deployment rather than from the location's file: every
 * branch differs from prod in them, so they say nothing about the pull request.
 *  - DAGSTER_CLOUD_* variables and SNOWFLAKE_DATABASE (render/deployment.ts PLATFORM_ENV_KEYS);
 *  - `optional` on the location's own Secrets (branches start without prod's Secrets);
 *  - the ServiceAccount's Workload Identity annotation (each deployment has its own identity).
 */
const PLATFORM_ENV = new Set<string>(PLATFORM_ENV_KEYS);
function deploymentSpecific(p: string[]): boolean {
  const last = p[p.length - 1];
  if (p.includes("env") && p[p.length - 2] === "env" && (PLATFORM_ENV.has(last) || last.startsWith("DAGSTER_CLOUD_"))) return true;
  if (p.includes("envSecrets") && last === "optional") return true;
  if (p[0] === "serviceAccount" && p[1] === "annotations") return true;
  return false;
}

/** Lists of named objects (deployments, envSecrets) are matched by name; other lists are leaves. */
function namedList(v: unknown): v is { name: string }[] {
  return Array.isArray(v) && v.length > 0 && v.every((x) => isObject(x) && typeof x.name === "string");
}

/** Leaf-level differences between two values trees, with paths as segment lists. */
export function diffValues(a: unknown, b: unknown, at: string[] = []): { path: string[]; before?: unknown; after?: unknown }[] {
  if (isObject(a) && isObject(b)) {
    return [...new Set([...Object.keys(a), ...Object.keys(b)])].sort().flatMap((k) => diffValues(a[k], b[k], [...at, k]));
  }
  if (namedList(a) && namedList(b)) {
    const ma = new Map(a.map((x) => [x.name, x]));
    const mb = new Map(b.map((x) => [x.name, x]));
    return [...new Set([...ma.keys(), ...mb.keys()])].sort().flatMap((n) => diffValues(ma.get(n), mb.get(n), [...at, `[${n}]`]));
  }
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  return [{ path: at, before: a, after: b }];
}

/** `deployments.[etl].env.LOG_LEVEL` -> `env.LOG_LEVEL`: a location release has one deployment. */
function formatValuePath(p: string[]): string {
  const rest = p[0] === "deployments" && p.length > 1 && p[1].startsWith("[") ? p.slice(2) : p;
  return rest.map((s, i) => (s.startsWith("[") || i === 0 ? s : `.${s}`)).join("");
}

export function compareReleases(base: PlanEntry[], head: PlanEntry[]): ReleaseChange[] {
  const releases = (rs: PlanEntry[]) => new Map(rs.filter((r) => r.type === RELEASE_TYPE).map((r) => [String(r.inputs.name ?? r.name), r]));
  const a = releases(base);
  const b = releases(head);
  return [...new Set([...a.keys(), ...b.keys()])].sort().map((release): ReleaseChange => {
    const before = a.get(release);
    const after = b.get(release);
    const chart = String((after ?? before)?.inputs.chart ?? "");
    const versionBefore = before ? String(before.inputs.version ?? "") : undefined;
    const versionAfter = after ? String(after.inputs.version ?? "") : undefined;
    if (!before) return { release, chart, kind: "install", versionAfter, values: [] };
    if (!after) return { release, chart, kind: "uninstall", versionBefore, values: [] };
    // The system release's values are the deployment's shape (database, buckets, sizes): only
    // its chart version says something about the pull request.
    const values =
      chart === USER_CODE_CHART
        ? diffValues(before.inputs.values, after.inputs.values)
            .filter((d) => !deploymentSpecific(d.path))
            .map((d) => ({ path: formatValuePath(d.path), before: d.before, after: d.after }))
        : [];
    const changed = values.length > 0 || versionBefore !== versionAfter || String(before.inputs.chart) !== chart;
    return { release, chart, kind: changed ? "upgrade" : "same", versionBefore, versionAfter, values };
  });
}

// ---------------------------------------------------------------------------------------------
// Resources by type

export interface TypeCount {
  type: string;
  base: number;
  head: number;
  /** Logical names only in the head plan / only in the base plan. */
  added: string[];
  removed: string[];
}

export interface ResourceComparison {
  totals: { base: number; head: number };
  /** Resources of code locations added or removed: what the pull request adds or removes. */
  locations: TypeCount[];
  /** Every other difference: the shape of a branch against prod, the same on every PR. */
  shape: TypeCount[];
}

/**
 * The resources a code location brings: its component (named after it) and what the component
 * parents (its release). Exact names only, so location `a` never claims `a-b`'s.
 */
export function locationOf(r: PlanEntry, locations: readonly string[]): string | undefined {
  return locations.find((l) => r.name === l || r.parent === l);
}

export function compareResources(base: PlanEntry[], head: PlanEntry[], locations: readonly string[]): ResourceComparison {
  const key = (r: PlanEntry) => `${r.type}\u0000${r.name}`;
  const inBase = new Set(base.map(key));
  const inHead = new Set(head.map(key));
  const rows = new Map<string, { loc: TypeCount; shape: TypeCount }>();
  const row = (type: string) => {
    let r = rows.get(type);
    if (!r) {
      r = { loc: { type, base: 0, head: 0, added: [], removed: [] }, shape: { type, base: 0, head: 0, added: [], removed: [] } };
      rows.set(type, r);
    }
    return r;
  };
  for (const r of base) {
    const t = row(r.type);
    const bucket = locationOf(r, locations) ? t.loc : t.shape;
    bucket.base++;
    if (!inHead.has(key(r))) bucket.removed.push(r.name);
  }
  for (const r of head) {
    const t = row(r.type);
    const bucket = locationOf(r, locations) ? t.loc : t.shape;
    bucket.head++;
    if (!inBase.has(key(r))) bucket.added.push(r.name);
  }
  const changed = (t: TypeCount) => t.added.length > 0 || t.removed.length > 0 || t.base !== t.head;
  const sorted = [...rows.keys()].sort();
  const tidy = (t: TypeCount): TypeCount => ({ ...t, added: [...t.added].sort(), removed: [...t.removed].sort() });
  return {
    totals: { base: base.length, head: head.length },
    locations: sorted.map((k) => tidy((rows.get(k) as { loc: TypeCount }).loc)).filter(changed),
    shape: sorted.map((k) => tidy((rows.get(k) as { shape: TypeCount }).shape)).filter(changed),
  };
}

export interface PlanComparison {
  locations: LocationChange[];
  releases: ReleaseChange[];
  resources: ResourceComparison;
}

export function comparePlans(base: PlanDir, head: PlanDir): PlanComparison {
  const names = [...new Set([...base.locations, ...head.locations].map((l) => l.name))];
  return {
    locations: compareLocations(base.locations, head.locations),
    releases: compareReleases(base.resources, head.resources),
    resources: compareResources(base.resources, head.resources, names),
  };
}
