/** The short report `npm run plan` prints: counts, releases, locations, protected resources. */
import type { Plan } from "./plan";

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** How many items a summary line names before it says how many more there are. */
export const SUMMARY_LIST_MAX = 10;

/** `a, b, c … and 2,990 more`: a line stays short however many items there are. */
export function cutList(items: readonly string[], max = SUMMARY_LIST_MAX): string {
  if (items.length === 0) return "none";
  if (items.length <= max) return items.join(", ");
  return `${items.slice(0, max).join(", ")} … and ${(items.length - max).toLocaleString("en-US")} more`;
}

export function summarize(plan: Plan): string {
  const counts = new Map<string, number>();
  for (const r of plan.resources) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
  const protectedNames = plan.resources.filter((r) => r.options.protect).map((r) => r.name);
  const width = Math.max(...[...counts.keys()].map((k) => k.length), 4);
  const lines = [`Plan for stack ${plan.stack}: ${plan.resources.length} resources`, ""];
  lines.push(`${"TYPE".padEnd(width)}  COUNT`);
  for (const [type, n] of [...counts.entries()].sort(([a], [b]) => byString(a, b))) lines.push(`${type.padEnd(width)}  ${n}`);
  lines.push("", `Helm releases (${Object.keys(plan.values).length}): ${cutList(Object.keys(plan.values).sort())}`);
  lines.push(`Code locations (${plan.locations.length}): ${cutList(plan.locations.map((l) => `${l.name} (${l.image})`))}`);
  lines.push(`Protected: ${cutList(protectedNames)}`);
  if (plan.placeholders.length > 0) lines.push(`Secrets not set, planned with placeholders: ${plan.placeholders.join(", ")}`);
  return lines.join("\n");
}
