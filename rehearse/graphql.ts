/**
 * Reads a webserver's workspace (the read-only `workspaceOrError` query, the verifier's own) for
 * the rehearsal's report: each location LOADED, or ERROR with its Python error and causes.
 */
import { LocationResult } from "./types";

const QUERY = `query RehearsalWorkspace { workspaceOrError { __typename
  ... on Workspace { locationEntries { name loadStatus locationOrLoadError { __typename ... on PythonError { message errorChain { error { message } } } } } }
  ... on PythonError { message } } }`;

interface Entry {
  name: string;
  loadStatus: string;
  locationOrLoadError: { __typename: string; message?: string; errorChain?: { error: { message: string } }[] } | null;
}

function errorText(e: NonNullable<Entry["locationOrLoadError"]>): string {
  return [e.message?.trim() ?? "(no message)", ...(e.errorChain ?? []).map((c) => `caused by: ${c.error.message.trim()}`)].join("\n");
}

/** Every location the webserver at `url` serves, or a string saying why it could not tell. */
export async function readWorkspace(url: string): Promise<Record<string, LocationResult> | string> {
  try {
    const response = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ query: QUERY }), signal: AbortSignal.timeout(30_000) });
    const body = (await response.json()) as { data?: { workspaceOrError?: { __typename: string; message?: string; locationEntries?: Entry[] } } };
    const result = body.data?.workspaceOrError;
    if (result?.__typename !== "Workspace" || !result.locationEntries) return `workspaceOrError: ${result?.message ?? JSON.stringify(body).slice(0, 300)}`;
    const out: Record<string, LocationResult> = {};
    for (const e of result.locationEntries) {
      const loaded = e.loadStatus === "LOADED" && e.locationOrLoadError?.__typename === "RepositoryLocation";
      out[e.name] = loaded ? { status: "LOADED", error: null } : { status: "ERROR", error: e.locationOrLoadError ? errorText(e.locationOrLoadError) : `loadStatus ${e.loadStatus}` };
    }
    return out;
  } catch (e) {
    return `cannot read the workspace from ${url}: ${(e as Error).message}`;
  }
}

export async function webserverUp(url: string): Promise<boolean> {
  try {
    const response = await fetch(url.replace(/\/graphql$/, "/server_info"), { signal: AbortSignal.timeout(5_000) });
    return response.ok;
  } catch {
    return false;
  }
}
