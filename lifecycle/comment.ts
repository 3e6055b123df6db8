/**
 * The one pull-request comment a branch deployment keeps up to date: state, preview, clone and
 * what the PR changes compared with prod. Rendering is a pure function of its input; the comment
 * is found again by a hidden marker and edited in place, so a PR never collects a comment per push.
 */
import { GitHubClient } from "./github";
import { FieldChange, LocationChange, PlanComparison, ReleaseChange, ResourceComparison, TypeCount, ValueChange } from "./planDiff";

export const COMMENT_MARKER = "<!-- dagster-platform:branch-deployment -->";

export type DeployState = "deploying" | "ready" | "failed";
export const DEPLOY_STATES: readonly DeployState[] = ["deploying", "ready", "failed"];

export interface CommentInput {
  pr: number;
  stack: string;
  state: DeployState;
  failedStep?: string;
  /** The commit being deployed, when the caller knows it. */
  sha?: string;
  /** The stack's non-secret outputs; undefined when the stack has none yet. */
  outputs?: Record<string, unknown>;
  /** The plan comparison, or why there is none. */
  changes?: PlanComparison | { unavailable: string };
  runUrl?: string;
  updatedAt: Date;
}

/** GitHub refuses comments over 65536 characters. */
const MAX_BODY = 60000;
const MAX_VALUE = 72;
const MAX_NAMES = 6;

function truncate(s: string, max = MAX_VALUE): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/** An inline code span safe inside a table cell, whatever the text holds. */
export function code(text: string, max = MAX_VALUE): string {
  const s = truncate(text.replace(/\r?\n/g, " "), max).replace(/\|/g, "\\|");
  const longest = Math.max(0, ...(s.match(/`+/g) ?? []).map((r) => r.length));
  const fence = "`".repeat(longest + 1);
  const pad = s.startsWith("`") || s.endsWith("`") ? " " : "";
  return `${fence}${pad}${s}${pad}${fence}`;
}

/** Plain text for a table cell: no pipes, no line breaks, no HTML. */
function cell(text: string): string {
  return text.replace(/\r?\n/g, " ").replace(/\|/g, "\\|").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function shortSha(sha: string): string {
  return /^[0-9a-f]{7,40}$/.test(sha) ? sha.slice(0, 7) : sha;
}

/** Splits an image reference into repository and tag/digest, for "repo: a → b" rendering. */
export function splitImage(image: string): { repository: string; ref: string } {
  const at = image.indexOf("@");
  if (at >= 0) return { repository: image.slice(0, at), ref: image.slice(at + 1) };
  const colon = image.lastIndexOf(":");
  return colon > image.lastIndexOf("/") ? { repository: image.slice(0, colon), ref: image.slice(colon + 1) } : { repository: image, ref: "latest" };
}

function shortRef(ref: string): string {
  return ref.startsWith("sha256:") ? `sha256:${ref.slice(7, 19)}` : ref;
}

function describeImageChange(before: string, after: string): string {
  const a = splitImage(before);
  const b = splitImage(after);
  if (a.repository === b.repository) return `image ${code(shortRef(a.ref))} → ${code(shortRef(b.ref))}`;
  return `image ${code(before)} → ${code(after)}`;
}

function describeField(c: FieldChange): string {
  switch (c.field) {
    case "image":
      return describeImageChange(c.before ?? "", c.after ?? "");
    case "target":
      return `target ${code(c.before ?? "")} → ${code(c.after ?? "")}`;
    case "port":
      return `port ${c.before} → ${c.after}`;
    case "env":
      if (c.before === undefined) return `env ${code(c.key ?? "")} added (${code(c.after ?? "")})`;
      if (c.after === undefined) return `env ${code(c.key ?? "")} removed`;
      return `env ${code(c.key ?? "")} ${code(c.before)} → ${code(c.after)}`;
    case "secrets":
      return `Secret ${code(c.key ?? "")} ${c.after === undefined ? "no longer loaded" : "loaded"}`;
  }
}

const LOCATION_MARK: Record<LocationChange["kind"], string> = { added: "➕ added", changed: "✏️ changed", removed: "➖ removed", unchanged: "unchanged" };

function locationDetails(l: LocationChange): string {
  if (l.kind === "added" && l.head) {
    const env = Object.keys(l.head.env);
    return [`image ${code(l.head.image)}`, `target ${code(l.head.target.join(" "))}`, env.length ? `env ${env.map((k) => code(k)).join(", ")}` : ""].filter(Boolean).join("; ");
  }
  if (l.kind === "removed" && l.base) return `was image ${code(l.base.image)}`;
  return l.changes.map(describeField).join("; ");
}

function renderLocations(locations: LocationChange[]): string[] {
  const changed = locations.filter((l) => l.kind !== "unchanged");
  const unchanged = locations.filter((l) => l.kind === "unchanged");
  const lines: string[] = [];
  if (changed.length === 0) {
    lines.push("No code location is added, changed or removed.");
  } else {
    lines.push("| Code location | Change | Details |", "|---|---|---|");
    for (const l of changed) lines.push(`| ${code(l.name)} | ${LOCATION_MARK[l.kind]} | ${locationDetails(l)} |`);
  }
  if (unchanged.length > 0) lines.push("", `Unchanged: ${unchanged.map((l) => code(l.name)).join(", ")}.`);
  return lines;
}

function valueText(v: unknown): string {
  if (v === undefined) return "(unset)";
  return typeof v === "string" ? v : JSON.stringify(v);
}

function describeValue(v: ValueChange): string {
  if (v.before === undefined) return `${code(v.path)} set to ${code(valueText(v.after), 40)}`;
  if (v.after === undefined) return `${code(v.path)} removed`;
  return `${code(v.path)} ${code(valueText(v.before), 40)} → ${code(valueText(v.after), 40)}`;
}

function releaseAction(r: ReleaseChange): string {
  switch (r.kind) {
    case "install":
      return "install";
    case "uninstall":
      return "uninstall";
    case "same":
      return "no change";
    case "upgrade": {
      const parts: string[] = [];
      if (r.versionBefore !== r.versionAfter) parts.push(`chart ${code(r.versionBefore ?? "")} → ${code(r.versionAfter ?? "")}`);
      parts.push(...r.values.slice(0, MAX_NAMES).map(describeValue));
      if (r.values.length > MAX_NAMES) parts.push(`and ${r.values.length - MAX_NAMES} more values`);
      return `upgrade: ${parts.join("; ")}`;
    }
  }
}

function renderReleases(releases: ReleaseChange[]): string[] {
  const moving = releases.filter((r) => r.kind !== "same");
  const same = releases.filter((r) => r.kind === "same");
  const lines = ["**Helm releases**", ""];
  if (moving.length === 0) lines.push("No release would be installed, upgraded or uninstalled.");
  else {
    lines.push("| Release | Chart | Helm would |", "|---|---|---|");
    for (const r of moving) lines.push(`| ${code(r.release)} | ${cell(`${r.chart} ${r.versionAfter ?? r.versionBefore ?? ""}`.trim())} | ${releaseAction(r)} |`);
  }
  if (same.length > 0) lines.push("", `Same as prod apart from deployment settings: ${same.map((r) => code(r.release)).join(", ")}.`);
  return lines;
}

function names(list: string[]): string {
  if (list.length === 0) return "";
  const shown = list.slice(0, MAX_NAMES).map((n) => code(n, 48));
  return list.length > MAX_NAMES ? `${shown.join(", ")} and ${list.length - MAX_NAMES} more` : shown.join(", ");
}

function renderLocationResources(types: TypeCount[]): string[] {
  const added = types.reduce((n, t) => n + t.added.length, 0);
  const removed = types.reduce((n, t) => n + t.removed.length, 0);
  const lines = [`**Resources this PR adds or removes** (those of code locations: ${added} added, ${removed} removed)`, ""];
  if (types.length === 0) return [...lines, "None."];
  lines.push("| Type | added | removed |", "|---|---|---|");
  const side = (list: string[]) => (list.length === 0 ? "" : `${list.length}: ${names(list)}`);
  for (const t of types) lines.push(`| ${code(t.type, 80)} | ${side(t.added)} | ${side(t.removed)} |`);
  return lines;
}

function renderShape(r: ResourceComparison, stack: string): string[] {
  const prodOnly = r.shape.reduce((n, t) => n + t.removed.length, 0);
  const branchOnly = r.shape.reduce((n, t) => n + t.added.length, 0);
  const lines = [
    `<details><summary>All resources: prod ${r.totals.base}, ${stack} ${r.totals.head}. Differences every branch has: ${prodOnly} only in prod, ${branchOnly} only in ${stack}</summary>`,
    "",
    `A branch runs in the preview environment's cluster (so prod's cluster, network, Cloud SQL and registry exist only in prod) and adds its own PostgreSQL, namespace guardrails, Snowflake clone, role and user. These differences come from being a branch, not from this PR.`,
    "",
  ];
  if (r.shape.length === 0) lines.push("None.");
  else {
    lines.push(`| Type | prod | ${stack} | only in ${stack} | only in prod |`, "|---|---:|---:|---|---|");
    for (const t of r.shape) lines.push(`| ${code(t.type, 80)} | ${t.base} | ${t.head} | ${names(t.added)} | ${names(t.removed)} |`);
  }
  lines.push("", "</details>");
  return lines;
}

function renderChanges(input: CommentInput): string[] {
  const c = input.changes;
  const lines = ["### Changes compared with prod", ""];
  if (!c) return [...lines, "No plans were given for this run, so there is no change summary."];
  if ("unavailable" in c) return [...lines, `Change summary unavailable: ${cell(c.unavailable)}`];
  const count = (k: LocationChange["kind"]) => c.locations.filter((l) => l.kind === k).length;
  lines.push(
    `Planned offline: prod on the base commit against ${code(input.stack)} on the head commit. Code locations: ${count("added")} added, ${count("changed")} changed, ${count("removed")} removed, ${count("unchanged")} unchanged.`,
    "",
    ...renderLocations(c.locations),
    "",
    ...renderReleases(c.releases),
    "",
    "Release values the platform sets per deployment (DAGSTER_CLOUD_* variables, the Workload Identity annotation, branch-optional Secrets) are left out: what remains is what this PR changes.",
    "",
    ...renderLocationResources(c.resources.locations),
    "",
    ...renderShape(c.resources, input.stack),
  );
  return lines;
}

function stateLine(input: CommentInput): string {
  const sha = input.sha ?? (typeof input.outputs?.commitSha === "string" ? input.outputs.commitSha : undefined);
  const at = `${input.updatedAt.toISOString().slice(0, 16).replace("T", " ")} UTC`;
  const run = input.runUrl ? ` · [CI run](${input.runUrl})` : "";
  const commit = sha ? ` ${code(shortSha(sha))}` : "";
  switch (input.state) {
    case "deploying":
      return `**State:** ⏳ Deploying${commit}… · ${at}${run}`;
    case "ready":
      return `**State:** ✅ Ready${commit} · ${at}${run}`;
    case "failed":
      return `**State:** ❌ Failed${input.failedStep ? ` at step ${code(input.failedStep)}` : ""}${commit} · ${at}${run}`;
  }
}

function previewCell(outputs: Record<string, unknown>): string | undefined {
  const url = typeof outputs.webserverUrl === "string" ? outputs.webserverUrl : undefined;
  const access = typeof outputs.webserverAccess === "string" ? outputs.webserverAccess : undefined;
  if (!url && !access) return undefined;
  const parts: string[] = [];
  if (url && !/^https?:\/\/localhost[:/]/.test(url)) parts.push(`[${cell(url)}](${encodeURI(url)})`);
  if (access) {
    // A port-forward is a command to copy: show it as one.
    const m = /^(kubectl .+?), then (.+)$/.exec(access);
    parts.push(m ? `${code(m[1], 200)}, then ${cell(m[2])}` : cell(access));
  }
  return parts.join(" · ");
}

export function renderComment(input: CommentInput): string {
  const o = input.outputs;
  const lines = [COMMENT_MARKER, `## Branch deployment ${code(input.stack)}`, "", stateLine(input), ""];
  if (input.state === "deploying" && o) lines.push("The preview below is the previous deploy until this one finishes.", "");
  if (input.state === "failed" && o) lines.push("The preview below, if it answers, is the last successful deploy.", "");

  const rows: [string, string][] = [];
  const preview = o ? previewCell(o) : undefined;
  rows.push(["Preview", preview ?? (input.state === "failed" ? "not available" : "available when the deploy finishes")]);
  if (o && typeof o.cloneDatabase === "string") rows.push(["Snowflake clone", code(o.cloneDatabase)]);
  if (o && typeof o.namespace === "string") rows.push(["Namespace", code(o.namespace)]);
  if (o && typeof o.postgresHost === "string") rows.push(["Run storage (its own PostgreSQL)", code(o.postgresHost)]);
  lines.push("| | |", "|---|---|", ...rows.map(([k, v]) => `| ${k} | ${v} |`), "");

  lines.push(...renderChanges(input));
  lines.push("", `<sub>Updated in place by \`npm run branch -- comment\` on every push; closing the PR destroys ${code(input.stack)} and its clone.</sub>`);
  let body = lines.join("\n");
  if (body.length > MAX_BODY) {
    const cut = body.indexOf("<details>");
    body = `${cut > 0 ? body.slice(0, cut) : body.slice(0, MAX_BODY)}\n\n(The resource table was too long for a comment; run \`npm run plan\` to see it.)`;
  }
  return body;
}

/** The deployment's comment, found by its marker at the start of the body. */
export function findDeploymentComment<T extends { body: string }>(comments: T[]): T | undefined {
  return comments.find((c) => c.body.trimStart().startsWith(COMMENT_MARKER));
}

export async function upsertComment(github: GitHubClient, pr: number, body: string): Promise<{ id: number; action: "created" | "updated" | "unchanged" }> {
  const existing = findDeploymentComment(await github.listComments(pr));
  if (!existing) return { id: (await github.createComment(pr, body)).id, action: "created" };
  if (existing.body === body) return { id: existing.id, action: "unchanged" };
  await github.updateComment(existing.id, body);
  return { id: existing.id, action: "updated" };
}
