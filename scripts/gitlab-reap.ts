/**
 * npm run reap:gitlab -- [--dry-run]
 *
 * GitLab's reaper: retires the branch stack pr-<IID> of every merge request of this project that
 * is merged or closed (a stop job that never ran or failed). `npm run branch -- reap` asks GitHub
 * which *pull requests* are open; on GitLab it would compare merge-request IIDs with another
 * numbering and remove open review environments. So this asks GitLab, one merge request per
 * stack, and never touches a stack it cannot place: a 404 (no such merge request here), an
 * error, or any state other than merged/closed keeps the stack.
 *
 * Retiring is `npm run branch -- retire --pr <IID>` (lifecycle/retire.ts): the namespace, the
 * Snowflake objects and the state go without running any provider the stack's state names. Never
 * `down`: `pulumi destroy` would run code a merge request wrote into its state, in this job on
 * the default branch.
 *
 * Environment: CI_API_V4_URL and CI_PROJECT_ID (GitLab sets both), GITLAB_REAPER_TOKEN (a project
 * access token with read_api: CI_JOB_TOKEN cannot read merge requests), and what `pulumi stack ls`
 * and `npm run branch -- retire` need (backend, kubectl with gke-gcloud-auth-plugin, Snowflake).
 * Exit 0 done, 1 a lookup or a retire failed.
 */
import { spawnSync } from "child_process";
import * as path from "path";
import { pullRequestOfStack } from "../lifecycle/names";

export type MergeRequestState = "opened" | "closed" | "merged" | "locked" | "unknown";

export interface ReapDecision {
  stack: string;
  iid: number;
  state: MergeRequestState;
  action: "retire" | "keep";
}

/** Pure: which stacks to retire. Only merged or closed merge requests lose their stack. */
export function decideGitlabReap(stacks: string[], states: ReadonlyMap<number, MergeRequestState>): ReapDecision[] {
  const decisions: ReapDecision[] = [];
  for (const stack of stacks) {
    const iid = pullRequestOfStack(stack);
    if (iid === undefined) continue;
    const state = states.get(iid) ?? "unknown";
    decisions.push({ stack, iid, state, action: state === "merged" || state === "closed" ? "retire" : "keep" });
  }
  return decisions;
}

/** `npm run branch -- retire --pr <IID>`: the stack goes without its providers running (never `down`). */
export function retireArgs(iid: number): string[] {
  return ["run", "branch", "--", "retire", "--pr", String(iid)];
}

export interface GitlabApi {
  apiUrl: string;
  projectId: string;
  token: string;
  fetch?: typeof fetch;
}

/** The state of merge request `iid` of this project; "unknown" when GitLab has no such merge request. */
export async function mergeRequestState(api: GitlabApi, iid: number): Promise<MergeRequestState> {
  const url = `${api.apiUrl.replace(/\/+$/, "")}/projects/${encodeURIComponent(api.projectId)}/merge_requests/${iid}`;
  const res = await (api.fetch ?? fetch)(url, { headers: { "PRIVATE-TOKEN": api.token, Accept: "application/json" } });
  if (res.status === 404) return "unknown";
  if (!res.ok) throw new Error(`GitLab GET merge request !${iid}: ${res.status} ${(await res.text()).slice(0, 200)}`);
  const state = ((await res.json()) as { state?: unknown }).state;
  return state === "opened" || state === "closed" || state === "merged" || state === "locked" ? state : "unknown";
}

function listStacks(projectDir: string): string[] {
  const r = spawnSync("pulumi", ["stack", "ls", "--json"], { cwd: projectDir, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`pulumi stack ls failed: ${r.stderr || r.error?.message}`);
  return (JSON.parse(r.stdout) as { name: string }[]).map((s) => s.name);
}

function requiredEnv(env: NodeJS.ProcessEnv): GitlabApi {
  const missing = ["CI_API_V4_URL", "CI_PROJECT_ID", "GITLAB_REAPER_TOKEN"].filter((k) => !env[k]);
  if (missing.length > 0) throw new Error(`${missing.join(", ")} must be set (docs/ci-cd.md, GitLab)`);
  return { apiUrl: env.CI_API_V4_URL as string, projectId: env.CI_PROJECT_ID as string, token: env.GITLAB_REAPER_TOKEN as string };
}

async function main(argv: string[]): Promise<number> {
  const unknown = argv.filter((a) => a !== "--dry-run");
  if (unknown.length > 0) {
    console.error(`unknown argument ${unknown[0]}\nusage: npm run reap:gitlab -- [--dry-run]`);
    return 2;
  }
  const projectDir = path.resolve(__dirname, "..");
  const api = requiredEnv(process.env);
  const stacks = listStacks(projectDir);
  const states = new Map<number, MergeRequestState>();
  for (const iid of stacks.map(pullRequestOfStack).filter((n): n is number => n !== undefined)) states.set(iid, await mergeRequestState(api, iid));
  let failed = 0;
  for (const d of decideGitlabReap(stacks, states)) {
    console.log(`${d.stack}: merge request !${d.iid} is ${d.state}: ${d.action}${d.action === "retire" && argv.includes("--dry-run") ? " (dry run)" : ""}`);
    if (d.action !== "retire" || argv.includes("--dry-run")) continue;
    const r = spawnSync("npm", retireArgs(d.iid), { cwd: projectDir, stdio: "inherit" });
    if (r.status !== 0) failed++;
  }
  return failed > 0 ? 1 : 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: Error) => {
      console.error(`reap:gitlab failed: ${e.message}`);
      process.exit(1);
    },
  );
}
