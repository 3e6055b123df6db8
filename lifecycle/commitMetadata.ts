/**
 * What CI knows about a pull request's head commit beyond its sha and branch, for the Dagster+
 * variables DAGSTER_CLOUD_GIT_{TIMESTAMP,AUTHOR_NAME,AUTHOR_EMAIL,MESSAGE,REPO}: read from the
 * checkout itself (the workflows check out the head commit), so no workflow has to pass it, and
 * the repository's name from the CI's own variables. Anything unknown is left out: the stack then
 * sets the variable empty, as Dagster+ does where it does not know a value.
 */
import { spawnSync } from "child_process";
import { CONFIG_NAMESPACE } from "../config/keys";

export interface CommitMetadata {
  commitTimestamp?: string;
  commitAuthorName?: string;
  commitAuthorEmail?: string;
  commitMessage?: string;
  gitRepository?: string;
}

const FIELDS = ["commitTimestamp", "commitAuthorName", "commitAuthorEmail", "commitMessage"] as const;

/** `git log -1` of `sha` in `dir`, or nothing when git or the commit is not there. */
function gitFields(dir: string, sha: string): Partial<Record<(typeof FIELDS)[number], string>> {
  if (!/^[0-9a-f]{7,40}$/.test(sha)) return {};
  const r = spawnSync("git", ["-C", dir, "log", "-1", "--format=%ct%x00%an%x00%ae%x00%s", sha, "--"], { encoding: "utf8", timeout: 10_000 });
  if (r.status !== 0 || typeof r.stdout !== "string") return {};
  const parts = r.stdout.replace(/\n$/, "").split("\0");
  if (parts.length !== FIELDS.length) return {};
  return Object.fromEntries(FIELDS.map((f, i) => [f, parts[i]]).filter(([, v]) => v !== ""));
}

/** The head commit's metadata: git for the commit, GITHUB_REPOSITORY or CI_PROJECT_PATH for the repository. */
export function readCommitMetadata(dir: string, sha: string, env: Readonly<Record<string, string | undefined>>): CommitMetadata {
  const repository = env.GITHUB_REPOSITORY || env.CI_PROJECT_PATH;
  return { ...gitFields(dir, sha), ...(repository ? { gitRepository: repository } : {}) };
}

/** The stack config keys for it (config/deployment.ts reads them back). */
export function commitConfig(meta: CommitMetadata | undefined): Record<string, { value: string }> {
  const out: Record<string, { value: string }> = {};
  for (const [k, v] of Object.entries(meta ?? {})) if (v !== undefined) out[`${CONFIG_NAMESPACE}:${k}`] = { value: v };
  return out;
}
