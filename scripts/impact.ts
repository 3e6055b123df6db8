/**
 * What a pull request does to prod, from two offline plans of the same stack (`npm run plan --
 * --stack prod` at the base commit and at the head commit). This is what a pull request shows
 * instead of a real `pulumi preview --stack prod`: it needs no credentials, so no job a pull
 * request triggers holds prod's. The real preview runs after the merge, inside the protected
 * `production` environment, before `up`.
 *
 * Resources are matched by type and logical name (a Pulumi URN without the stack, which is the
 * same on both sides): only in head = created, only in base = deleted, different inputs or
 * resource options = updated. The plan cannot tell an update from a replacement (that is the
 * provider's call), so option changes that decide what a replacement does are named.
 */
import { PlanEntry } from "../offline/plan";
import { code } from "../lifecycle/comment";
import { compareLocations, diffValues, LocationChange, PlanDir } from "../lifecycle/planDiff";

export const IMPACT_MARKER = "<!-- dagster-platform:prod-impact -->";

/** GitHub refuses comments over 65536 characters. */
const MAX_BODY = 60000;
const MAX_PATHS = 8;

export interface ValueChange {
  path: string;
  before?: unknown;
  after?: unknown;
}

export interface ResourceChange {
  type: string;
  name: string;
  kind: "create" | "delete" | "update";
  inputs: ValueChange[];
  /** Resource options that differ (protect, deleteBeforeReplace, ...). */
  options: ValueChange[];
  /** Deleting it, or switching `protect` off: what a reviewer must not miss. */
  dangerous: boolean;
}

export interface ProdImpact {
  totals: { base: number; head: number };
  resources: ResourceChange[];
  locations: LocationChange[];
}

const key = (r: PlanEntry) => `${r.type}\u0000${r.name}`;
const flatPath = (p: string[]) => p.join(".");

function changesOf(a: unknown, b: unknown): ValueChange[] {
  return diffValues(a, b).map((d) => ({ path: flatPath(d.path), before: d.before, after: d.after }));
}

function compareResource(before: PlanEntry, after: PlanEntry): ResourceChange | undefined {
  const inputs = changesOf(before.inputs, after.inputs);
  const options = changesOf(before.options, after.options);
  if (inputs.length === 0 && options.length === 0) return undefined;
  const unprotects = before.options.protect === true && after.options.protect !== true;
  return { type: after.type, name: after.name, kind: "update", inputs, options, dangerous: unprotects };
}

export function compareProdPlans(base: PlanDir, head: PlanDir): ProdImpact {
  const inBase = new Map(base.resources.map((r) => [key(r), r]));
  const inHead = new Map(head.resources.map((r) => [key(r), r]));
  const resources: ResourceChange[] = [];
  for (const [k, after] of inHead) {
    const before = inBase.get(k);
    if (!before) resources.push({ type: after.type, name: after.name, kind: "create", inputs: [], options: [], dangerous: false });
    else {
      const change = compareResource(before, after);
      if (change) resources.push(change);
    }
  }
  for (const [k, before] of inBase) {
    if (!inHead.has(k)) resources.push({ type: before.type, name: before.name, kind: "delete", inputs: [], options: [], dangerous: true });
  }
  const order = { delete: 0, update: 1, create: 2 };
  resources.sort((a, b) => order[a.kind] - order[b.kind] || a.type.localeCompare(b.type) || a.name.localeCompare(b.name));
  return {
    totals: { base: base.resources.length, head: head.resources.length },
    resources,
    locations: compareLocations(base.locations, head.locations).filter((l) => l.kind !== "unchanged"),
  };
}

function valueText(v: unknown): string {
  return v === undefined ? "(none)" : typeof v === "string" ? v : JSON.stringify(v);
}

function changeLines(changes: ValueChange[], label: string): string[] {
  const shown = changes.slice(0, MAX_PATHS).map((c) => `  - ${label}${code(c.path)}: ${code(valueText(c.before))} → ${code(valueText(c.after))}`);
  if (changes.length > MAX_PATHS) shown.push(`  - … and ${changes.length - MAX_PATHS} more`);
  return shown;
}

const SYMBOL = { create: "+", delete: "-", update: "~" };

function resourceLines(r: ResourceChange): string[] {
  const warn = r.dangerous ? (r.kind === "delete" ? " ⚠️ deleted" : " ⚠️ `protect` switched off") : "";
  return [`- \`${SYMBOL[r.kind]}\` ${code(r.type, 120)} ${code(r.name, 120)}${warn}`, ...changeLines(r.options, "option "), ...changeLines(r.inputs, "")];
}

function locationLine(l: LocationChange): string {
  const what = l.kind === "changed" ? `: ${l.changes.map((c) => (c.key ? `${c.field} ${code(c.key)}` : c.field)).join(", ")}` : "";
  return `- ${code(l.name)} ${l.kind}${what}`;
}

/** The comment (or job summary) body: a marker line first, so the comment is found and edited. */
export function renderImpact(impact: ProdImpact, stack = "prod"): string {
  const count = (k: ResourceChange["kind"]) => impact.resources.filter((r) => r.kind === k).length;
  const lines = [IMPACT_MARKER, `## What this pull request does to ${code(stack)} (offline plan)`, ""];
  if (impact.resources.length === 0) {
    lines.push(`No change: both commits plan the same ${impact.totals.head} resources.`);
  } else {
    lines.push(`${count("create")} to create, ${count("update")} to update, ${count("delete")} to delete (${impact.totals.base} → ${impact.totals.head} resources).`);
    const dangerous = impact.resources.filter((r) => r.dangerous).length;
    if (dangerous > 0) lines.push("", `**${dangerous} deletion(s) or unprotection(s) below: review them before merging.**`);
  }
  if (impact.locations.length > 0) lines.push("", "### Code locations", "", ...impact.locations.map(locationLine));
  if (impact.resources.length > 0) lines.push("", "### Resources", "", ...impact.resources.flatMap(resourceLines));
  lines.push(
    "",
    "<sub>Computed from `npm run plan` at the base and head commits, without credentials. After the merge, the `production` environment runs the real `pulumi preview --stack prod` before `pulumi up`.</sub>",
  );
  const body = lines.join("\n");
  return body.length <= MAX_BODY ? body : `${body.slice(0, MAX_BODY)}\n\n(Too long for a comment: the job's artifact has both plans.)`;
}
