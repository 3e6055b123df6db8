import { createHash } from "crypto";
import { userCodeObjectNames } from "../chart/names";
import { CodeLocation } from "../locations/types";

/** One `grpc_server` entry of workspace.yaml. */
export interface WorkspaceEntry {
  locationName: string;
  host: string;
  port: number;
}

/** The entries for a set of locations: host is the Service the location's release creates. */
export function workspaceEntries(locations: readonly Pick<CodeLocation, "name" | "port">[]): WorkspaceEntry[] {
  return locations
    .map((l) => ({ locationName: l.name, host: userCodeObjectNames(l.name).service, port: l.port }))
    .sort((a, b) => (a.locationName < b.locationName ? -1 : a.locationName > b.locationName ? 1 : 0));
}

/**
 * workspace.yaml in the shape the chart's configmap-workspace.yaml renders. Written by hand, not
 * by a YAML library, so the bytes depend on nothing but the entries: names are DNS labels and
 * ports integers, so nothing needs quoting.
 */
export function renderWorkspaceYaml(entries: readonly WorkspaceEntry[]): string {
  const sorted = [...entries].sort((a, b) => (a.locationName < b.locationName ? -1 : a.locationName > b.locationName ? 1 : 0));
  if (sorted.length === 0) return "load_from: []\n";
  const lines = ["load_from:"];
  for (const e of sorted) {
    lines.push("  - grpc_server:", `      host: ${e.host}`, `      port: ${e.port}`, `      location_name: ${e.locationName}`);
  }
  return lines.join("\n") + "\n";
}

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
