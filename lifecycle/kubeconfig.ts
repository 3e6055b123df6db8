/**
 * The kubeconfig the reaper deletes branch namespaces with: the preview stack's `kubeconfig`
 * output (platform/outputs.ts PREVIEW_OUTPUTS.kubeconfig, render/kubeconfig.ts), never anything a
 * branch wrote. kubectl runs a kubeconfig's `exec` command to get a token, so a kubeconfig is also
 * code: it is accepted only when every user authenticates through `gke-gcloud-auth-plugin` (the
 * plugin setup-gcloud installs on the runner, found on the runner's PATH) with no environment of
 * its own (LD_PRELOAD and the like would run other code inside it), and none uses a legacy
 * `auth-provider` (the gcp one ran its `cmd-path`).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";

export const TRUSTED_EXEC_PLUGIN = "gke-gcloud-auth-plugin";

function asRecord(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function userProblems(entry: unknown, index: number): string[] {
  const name = asRecord(entry)?.name;
  const where = `users[${index}]${typeof name === "string" ? ` (${name})` : ""}`;
  const user = asRecord(asRecord(entry)?.user) ?? {};
  const problems: string[] = [];
  if ("auth-provider" in user) problems.push(`${where} uses an auth-provider; only exec with ${TRUSTED_EXEC_PLUGIN} is accepted`);
  const exec = asRecord(user.exec);
  if (user.exec !== undefined && !exec) problems.push(`${where}: exec is not a mapping`);
  if (exec && exec.command !== TRUSTED_EXEC_PLUGIN) problems.push(`${where}: exec command ${JSON.stringify(exec.command)} is not ${TRUSTED_EXEC_PLUGIN}`);
  if (exec && exec.env !== undefined && exec.env !== null && !(Array.isArray(exec.env) && exec.env.length === 0)) problems.push(`${where}: exec sets environment variables for ${TRUSTED_EXEC_PLUGIN}`);
  return problems;
}

/** Why this kubeconfig must not be handed to kubectl; empty when it may. */
export function kubeconfigProblems(text: string): string[] {
  let doc: Record<string, unknown> | undefined;
  try {
    doc = asRecord(parse(text));
  } catch (e) {
    return [`it is not YAML (${e instanceof Error ? e.message.split("\n")[0] : String(e)})`];
  }
  if (!doc) return ["it is not a kubeconfig mapping"];
  const clusters = doc.clusters;
  const users = doc.users;
  const problems: string[] = [];
  if (!Array.isArray(clusters) || clusters.length === 0) problems.push("it names no cluster");
  if (users !== undefined && users !== null && !Array.isArray(users)) problems.push("users is not a list");
  if (Array.isArray(users)) users.forEach((u, i) => problems.push(...userProblems(u, i)));
  return problems;
}

export interface KubeconfigFile {
  path: string;
  /** Deletes the file and its folder. */
  remove(): void;
}

/** The kubeconfig in a new 0700 folder, as a 0600 file: readable by this user only. */
export function writeKubeconfig(text: string): KubeconfigFile {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "reaper-kube-"));
  const file = path.join(dir, "kubeconfig");
  fs.writeFileSync(file, text, { mode: 0o600, flag: "wx" });
  return { path: file, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
