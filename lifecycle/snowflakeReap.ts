/**
 * The Snowflake half of `reap`: branch objects (clones, users, roles) that LIST_BRANCHES reports,
 * dropped through DROP_BRANCH when their pull request is closed, or unknown to GitHub with no
 * stack left to own them, and always when they carry 0, which no pull request has. The decision
 * is a pure function; the loop around it only asks and acts.
 */
import { errorMessage, briefError, Logger } from "./deps";
import { GitHubClient, PullRequestInfo } from "./github";
import { BranchObject, SnowflakeClient } from "./snowflake";

export type PullRequestState = PullRequestInfo | "missing" | "unknown";

export interface BranchObjectDecision {
  pullRequest: number;
  /** `DATABASE PRODUCTION_CLONE_7`, `ROLE DAGSTER_PR_7`, … */
  objects: string[];
  action: "drop" | "keep";
  reason: string;
}

/** The number no pull request has: CREATE_BRANCH takes it only for the acceptance script's source. */
export const NO_PULL_REQUEST = 0;

function decide(pr: number, state: PullRequestState, hasStack: boolean): Pick<BranchObjectDecision, "action" | "reason"> {
  // Objects of 0 are leftovers (of the acceptance script, or of CI's key under version 1 of the
  // procedures, which took 0 from anyone): no pull request answers for them, whatever GitHub says.
  if (pr === NO_PULL_REQUEST) return { action: "drop", reason: "no pull request is numbered 0 (only the acceptance script's source takes it)" };
  if (typeof state === "object" && state.state === "closed") return { action: "drop", reason: `pull request #${pr} is ${state.merged ? "merged" : "closed"}` };
  if (state === "missing" && !hasStack) return { action: "drop", reason: `GitHub has no pull request #${pr} and no stack pr-${pr} owns them` };
  // A stack that exists answers for its objects: destroying it (reap's own decision) drops them.
  if (state === "missing") return { action: "keep", reason: `GitHub has no pull request #${pr}, but stack pr-${pr} exists and is reaped on its own terms` };
  if (state === "unknown") return { action: "keep", reason: `could not ask GitHub about #${pr}` };
  return { action: "keep", reason: `pull request #${pr} is open` };
}

/** What to do with each pull request's objects, in pull-request order. */
export function decideBranchObjects(objects: readonly BranchObject[], pullRequests: ReadonlyMap<number, PullRequestState>, stacks: ReadonlySet<number>): BranchObjectDecision[] {
  const byPr = new Map<number, string[]>();
  for (const o of objects) byPr.set(o.pullRequest, [...(byPr.get(o.pullRequest) ?? []), `${o.kind} ${o.name}`]);
  return [...byPr.entries()]
    .sort(([a], [b]) => a - b)
    .map(([pr, names]) => ({ pullRequest: pr, objects: names.sort(), ...decide(pr, pullRequests.get(pr) ?? "unknown", stacks.has(pr)) }));
}

export interface SnowflakeReapDeps {
  snowflake: SnowflakeClient;
  github: GitHubClient;
  log: Logger;
}

export interface SnowflakeReapResult {
  decisions: BranchObjectDecision[];
  /** Objects planned to be dropped (all of them in a dry run). */
  toDrop: string[];
  dropped: string[];
  failures: { what: string; error: string }[];
}

async function lookUp(github: GitHubClient, pr: number, log: Logger): Promise<PullRequestState> {
  try {
    return (await github.getPullRequest(pr)) ?? "missing";
  } catch (e) {
    log.warn(`could not ask GitHub about #${pr}: ${errorMessage(e)}`);
    return "unknown";
  }
}

/**
 * Lists, decides, drops. `known` holds what reap already learnt from GitHub about the stacks'
 * pull requests; only the others are asked. `stacks`: pull requests that still have a stack.
 */
export async function reapBranchObjects(
  deps: SnowflakeReapDeps,
  opts: { dryRun: boolean; stacks: ReadonlySet<number>; known: ReadonlyMap<number, PullRequestState> },
): Promise<SnowflakeReapResult> {
  const prefix = opts.dryRun ? "[dry run] " : "";
  const objects = await deps.snowflake.listBranchObjects();
  const states = new Map(opts.known);
  for (const pr of new Set(objects.map((o) => o.pullRequest))) {
    if (pr !== NO_PULL_REQUEST && !states.has(pr)) states.set(pr, await lookUp(deps.github, pr, deps.log));
  }
  const decisions = decideBranchObjects(objects, states, opts.stacks);
  const result: SnowflakeReapResult = { decisions, toDrop: [], dropped: [], failures: [] };
  if (decisions.length === 0) deps.log.info(`${prefix}no Snowflake branch objects`);
  for (const d of decisions) {
    deps.log.info(`${prefix}${d.action} ${d.objects.join(", ")}: ${d.reason}`);
    if (d.action === "keep") continue;
    result.toDrop.push(...d.objects);
    if (opts.dryRun) continue;
    try {
      await deps.snowflake.dropBranch(d.pullRequest);
      result.dropped.push(...d.objects);
    } catch (e) {
      result.failures.push({ what: `drop the Snowflake objects of #${d.pullRequest}`, error: briefError(e) });
      deps.log.warn(`could not drop the Snowflake objects of #${d.pullRequest}: ${briefError(e)}`);
    }
  }
  return result;
}
