/**
 * The files `npm run plan --out <dir>` writes. The plan only ever writes, replaces or deletes its
 * own paths (the marker, resources.json, outputs.json, locations.json, workspace.yaml and
 * values/*.yaml); anything else in the folder is left alone. Those paths are the plan's when the
 * folder holds its marker, or an earlier plan written before the marker existed (recognised by
 * its resources.json), or none of them at all. A folder where one of them holds something else
 * (someone's own values/ or workspace.yaml) is refused before anything is written or deleted.
 */
import * as fs from "fs";
import * as path from "path";
import { stringify } from "yaml";
import type { Plan } from "./plan";

export const PLAN_MARKER = ".dagster-platform-plan";
const PLAN_FILES = ["resources.json", "outputs.json", "locations.json", "workspace.yaml"];
const MARKER_TEXT = "This folder holds an offline plan (npm run plan). Its files are rewritten by the next plan.\n";

/** Thrown when `--out` names a folder the plan does not own: nothing was written or deleted. */
export class OutDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OutDirError";
  }
}

/** Whether the plan may write into `outDir` (see above); throws OutDirError when not. */
export function checkOutDir(outDir: string): void {
  if (!fs.existsSync(outDir)) return;
  const st = fs.lstatSync(outDir);
  if (!st.isDirectory()) throw new OutDirError(`--out ${outDir} is not a folder; name a new or empty folder`);
  const taken = fs.readdirSync(outDir).filter((e) => e === "values" || e === PLAN_MARKER || PLAN_FILES.includes(e));
  if (taken.length > 0 && !holdsPlan(outDir)) {
    throw new OutDirError(
      `--out ${outDir} holds ${taken.sort().join(", ")}, which npm run plan did not write (no ${PLAN_MARKER} in it); ` +
        "nothing was written or deleted. Name a new or empty folder, or move them",
    );
  }
  const foreign = taken.length > 0 ? foreignEntry(outDir) : undefined;
  if (foreign) {
    throw new OutDirError(`--out ${outDir}: ${foreign} is not what npm run plan writes there (a link, or the wrong kind of file); nothing was written or deleted. Remove it, or name a new or empty folder`);
  }
}

/**
 * The first of the plan's own paths that is not what the plan writes: a link (writing would go
 * through it, wherever it points) or a folder where a file belongs, or the reverse.
 */
function foreignEntry(outDir: string): string | undefined {
  const kind = (p: string) => (fs.existsSync(p) || isLink(p) ? fs.lstatSync(p) : undefined);
  for (const f of [PLAN_MARKER, ...PLAN_FILES]) {
    const st = kind(path.join(outDir, f));
    if (st && !st.isFile()) return f;
  }
  const values = kind(path.join(outDir, "values"));
  if (!values) return undefined;
  if (!values.isDirectory()) return "values";
  for (const f of fs.readdirSync(path.join(outDir, "values"))) {
    if (f.endsWith(".yaml") && !fs.lstatSync(path.join(outDir, "values", f)).isFile()) return `values/${f}`;
  }
  return undefined;
}

function isLink(p: string): boolean {
  try {
    return fs.lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

/**
 * Whether the folder holds a plan: its marker, or a resources.json of plan entries (a plan
 * written before the marker existed; no other file has that shape).
 */
function holdsPlan(outDir: string): boolean {
  if (fs.existsSync(path.join(outDir, PLAN_MARKER))) return true;
  const resources = path.join(outDir, "resources.json");
  if (!fs.existsSync(resources) || !fs.lstatSync(resources).isFile()) return false;
  try {
    const entries: unknown = JSON.parse(fs.readFileSync(resources, "utf8"));
    const isEntry = (e: unknown) => e !== null && typeof e === "object" && ["type", "name", "parent", "inputs", "options"].every((k) => k in (e as object));
    return Array.isArray(entries) && entries.length > 0 && entries.every(isEntry);
  } catch {
    return false;
  }
}

/** Removes the files of an earlier plan from a folder the plan owns, so a failed plan leaves no stale one. */
export function clearPlan(outDir: string): void {
  if (!fs.existsSync(outDir) || !holdsPlan(outDir)) return;
  for (const f of PLAN_FILES) fs.rmSync(path.join(outDir, f), { force: true });
  const values = path.join(outDir, "values");
  if (!fs.existsSync(values) || !fs.lstatSync(values).isDirectory()) return;
  for (const f of fs.readdirSync(values)) {
    const p = path.join(values, f);
    if (f.endsWith(".yaml") && fs.lstatSync(p).isFile()) fs.rmSync(p);
  }
  if (fs.readdirSync(values).length === 0) fs.rmdirSync(values);
}

/** Writes the plan into `outDir` (see checkOutDir), replacing an earlier plan there. */
export function writePlan(plan: Plan, outDir: string): void {
  checkOutDir(outDir);
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, PLAN_MARKER), MARKER_TEXT);
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
