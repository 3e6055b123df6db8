/**
 * The life of a branch deployment: `up` on open/push/reopen, `down` on close, `reap` on a
 * schedule for whatever the events missed. `down` and `reap` retire stacks and never destroy them
 * (lifecycle/retire.ts). Every command can be re-run: each one converges on
 * its end state from wherever a previous, interrupted run left the stack.
 */
import * as path from "path";
import { ConfigMap, Stack, StackSummary } from "@pulumi/pulumi/automation";
import { CONFIG_NAMESPACE } from "../config/keys";
import { briefError, errorMessage, LifecycleDeps, plainOutputs } from "./deps";
import { retryOnLock } from "./locks";
import { CommitMetadata, commitConfig } from "./commitMetadata";
import { branchStackName, pullRequestOfStack } from "./names";
import { missingBranchObjects, StateResource } from "./snowflakeDrift";
import { GitHubClient } from "./github";
import { retireBranch, RetireRefusedError, RetireResult, Retirer } from "./retire";
import { RetireSettings } from "./retireSettings";
import { PullRequestState, reapBranchObjects } from "./snowflakeReap";

export interface UpArgs {
  pr: number;
  sha: string;
  branch: string;
  /** Locations to run; undefined: all of them. */
  locations?: string[];
  /** When the pull request was opened (ISO 8601): the clone's time with snowflakeCloneFreshness pull-request-opened. */
  openedAt?: string;
  /** The head commit's author, time, subject and repository, where CI knows them (Dagster+ variables). */
  commit?: CommitMetadata;
}

/**
 * The config a branch stack gets from CI; everything else comes from Pulumi.yaml's defaults.
 * The location list is normalised so the same selection is always the same value.
 */
export function branchConfig(args: UpArgs): ConfigMap {
  const locations = [...new Set(args.locations ?? [])].sort();
  return {
    [`${CONFIG_NAMESPACE}:commitSha`]: { value: args.sha },
    [`${CONFIG_NAMESPACE}:branch`]: { value: args.branch },
    [`${CONFIG_NAMESPACE}:branchLocations`]: { value: locations.length > 0 ? locations.join(",") : "all" },
    ...(args.openedAt ? { [`${CONFIG_NAMESPACE}:pullRequestOpenedAt`]: { value: args.openedAt } } : {}),
    ...commitConfig(args.commit),
  };
}

/**
 * URNs of branch Snowflake Executes whose objects the last refresh no longer found: `up` replaces
 * them, so a clone dropped by hand comes back (lifecycle/snowflakeDrift.ts says why it takes this).
 */
async function snowflakeDriftReplacements(stack: Stack, deps: LifecycleDeps): Promise<string[]> {
  const state = (await stack.exportStack()) as { deployment?: { resources?: StateResource[] } };
  const drifted = missingBranchObjects(state.deployment?.resources ?? []);
  for (const d of drifted) deps.log.info(`${d.missing.join(", ")} no longer exist: re-creating them (${d.urn})`);
  return drifted.map((d) => d.urn);
}

export type UpResult =
  | { stack: string; status: "deployed"; outputs: Record<string, unknown> }
  | { stack: string; status: "skipped"; reason: string };

export async function branchUp(deps: LifecycleDeps, args: UpArgs): Promise<UpResult> {
  const name = branchStackName(args.pr);
  // A deploy queued behind the close would otherwise resurrect the environment `down` just
  // removed, and nothing but the reaper would ever remove it again.
  if (deps.github) {
    try {
      const pr = await deps.github.getPullRequest(args.pr);
      if (pr?.state === "closed") {
        const reason = `pull request #${args.pr} is ${pr.merged ? "merged" : "closed"}: not deploying ${name}`;
        deps.log.info(reason);
        return { stack: name, status: "skipped", reason };
      }
    } catch (e) {
      deps.log.warn(`could not ask GitHub whether #${args.pr} is still open (${errorMessage(e)}); deploying anyway`);
    }
  }

  const ws = await deps.workspace();
  const stack = await Stack.createOrSelect(name, ws);
  await stack.setAllConfig(branchConfig(args));
  deps.log.info(`deploying ${name} at ${args.sha} (${args.branch}), locations: ${branchConfig(args)[`${CONFIG_NAMESPACE}:branchLocations`].value}`);
  // Refresh first: a stack a cancelled run left half-created, or one whose resources were
  // deleted by hand, is reconciled with reality before being converged.
  const result = await retryOnLock(
    name,
    "deploying",
    async () => {
      await stack.refresh({ message: `refresh before PR #${args.pr}`, onOutput: deps.output, onError: deps.errorOutput });
      return stack.up({
        replace: await snowflakeDriftReplacements(stack, deps),
        message: `PR #${args.pr} at ${args.sha.slice(0, 12)}`,
        // The branch guardrails (no grant on production, no protected resource…) run on every deploy.
        policyPacks: [path.join(ws.workDir, "policy")],
        onOutput: deps.output,
        onError: deps.errorOutput,
      });
    },
    { wait: deps.lockWait, sleep: deps.sleep, log: (m) => deps.log.info(m) },
  );
  return { stack: name, status: "deployed", outputs: plainOutputs(result.outputs) };
}

/**
 * The pull request's close: its stack is retired like the reaper retires it (lifecycle/retire.ts),
 * not destroyed. Destroying runs code kept in the state, and the state of pr-<N> may have been
 * written by any pull request's job (the branch deployer writes every pr-* state), while GitHub
 * runs a merged pull request's closed event with github.ref set to the base branch (main's caches);
 * lifecycle/README.md, "Closing and reaping retire, never destroy", has the whole argument.
 */
export function branchDown(deps: LifecycleDeps, pr: number, settingsFor: (stack: string) => RetireSettings): Promise<RetireResult> {
  return retireBranch(deps, pr, settingsFor, `pull request #${pr} closed`);
}

// ---------------------------------------------------------------------------------------------
// reap

export interface ReapCandidate {
  /** As listed by the backend (may be org-qualified). */
  stack: string;
  pr: number;
  lastUpdate?: string;
  updateInProgress?: boolean;
  /** "missing": GitHub has no such PR; "unknown": GitHub could not be asked. */
  pullRequest: PullRequestState;
}

export interface ReapDecision {
  stack: string;
  pr: number;
  action: "retire" | "keep";
  reason: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;

function ageDays(lastUpdate: string | undefined, now: Date): number | undefined {
  if (!lastUpdate) return undefined;
  const t = Date.parse(lastUpdate);
  return Number.isNaN(t) ? undefined : (now.getTime() - t) / DAY_MS;
}

/** Which branch stacks to retire (lifecycle/retire.ts), and why. Pure: the whole policy in one place. */
export function decideReap(candidates: ReapCandidate[], now: Date, maxAgeDays: number): ReapDecision[] {
  return candidates.map((c): ReapDecision => {
    const base = { stack: c.stack, pr: c.pr };
    const age = ageDays(c.lastUpdate, now);
    const ageText = age === undefined ? "never updated" : `last updated ${age.toFixed(1)} days ago`;
    // Never race a running update: the next run will find the stack idle. Only Pulumi Cloud
    // reports one; a self-managed backend (gs://) never does (pkg/cmd/pulumi/stack/stack_list.go
    // prints updateInProgress only when the backend SupportsProgress), and there the retire's
    // check that the state did not change before `stack rm` (lifecycle/retire.ts) keeps the
    // reaper from removing a stack a running update is writing.
    if (c.updateInProgress) return { ...base, action: "keep", reason: "an update is in progress" };
    if (typeof c.pullRequest === "object" && c.pullRequest.state === "closed") {
      return { ...base, action: "retire", reason: `pull request #${c.pr} is ${c.pullRequest.merged ? "merged" : "closed"}` };
    }
    if (age !== undefined && age > maxAgeDays) return { ...base, action: "retire", reason: `stale: ${ageText} (limit ${maxAgeDays})` };
    // A PR GitHub does not know is most likely a misconfigured GITHUB_REPOSITORY: staleness
    // alone still applies (above), but nothing fresh is removed on a guess.
    if (c.pullRequest === "missing") return { ...base, action: "keep", reason: `GitHub has no pull request #${c.pr} in this repository; ${ageText}` };
    if (c.pullRequest === "unknown") return { ...base, action: "keep", reason: `could not ask GitHub about #${c.pr}; ${ageText}` };
    return { ...base, action: "keep", reason: `pull request #${c.pr} is open; ${ageText}` };
  });
}

export interface ReapOptions {
  maxAgeDays: number;
  dropOrphans: boolean;
  dryRun: boolean;
  /** What retiring each listed stack needs (lifecycle/retireSettings.ts, from this checkout). */
  settingsFor: (stack: string) => RetireSettings;
}

export interface ReapReport {
  decisions: ReapDecision[];
  retired: string[];
  /** Snowflake branch objects of closed or unknown pull requests (`DATABASE PRODUCTION_CLONE_7`, …). */
  orphans: string[];
  dropped: string[];
  failures: { what: string; error: string }[];
}

function branchStacks(listed: StackSummary[]): { summary: StackSummary; pr: number }[] {
  return listed.flatMap((s) => {
    const pr = pullRequestOfStack(s.name);
    return pr === undefined ? [] : [{ summary: s, pr }];
  });
}

async function candidatesOf(deps: LifecycleDeps, github: GitHubClient, listed: { summary: StackSummary; pr: number }[]): Promise<ReapCandidate[]> {
  const candidates: ReapCandidate[] = [];
  for (const { summary, pr } of listed) {
    let pullRequest: ReapCandidate["pullRequest"];
    try {
      pullRequest = (await github.getPullRequest(pr)) ?? "missing";
    } catch (e) {
      deps.log.warn(`could not ask GitHub about #${pr}: ${errorMessage(e)}`);
      pullRequest = "unknown";
    }
    candidates.push({ stack: summary.name, pr, lastUpdate: summary.lastUpdate, updateInProgress: summary.updateInProgress, pullRequest });
  }
  return candidates;
}

/** Retires what the decisions say (a dry run only inspects the states); failures are reported, never thrown. */
async function retireDecided(deps: LifecycleDeps, opts: ReapOptions, decisions: ReapDecision[], report: ReapReport): Promise<void> {
  const retirer = new Retirer(deps, opts.settingsFor);
  try {
    for (const d of decisions.filter((x) => x.action === "retire")) {
      try {
        if (opts.dryRun) {
          const seen = await retirer.inspect(d.stack, d.pr);
          deps.log.info(`[dry run] ${d.stack} ${seen ? `can be retired: ${seen.inventory.namespaced} resource(s) in its namespace, ${seen.inventory.snowflake} Snowflake CALL(s)` : "no longer exists"}`);
          continue;
        }
        if ((await retirer.retire(d.stack, d.pr, `reaped: ${d.reason}`)).status === "retired") report.retired.push(d.stack);
      } catch (e) {
        const error = e instanceof RetireRefusedError ? e.message : briefError(e);
        report.failures.push({ what: `retire ${d.stack}`, error });
        deps.log.warn(`could not retire ${d.stack}: ${error}`);
      }
    }
  } finally {
    retirer.close();
  }
}

export async function reap(deps: LifecycleDeps, opts: ReapOptions): Promise<ReapReport> {
  if (!deps.github) throw new Error("reap needs GitHub to tell closed pull requests from open ones");
  const github = deps.github;
  // Before anything changes: a reap that cannot finish its job should not start it.
  if (opts.dropOrphans && !deps.snowflake) throw new Error("--drop-orphans needs Snowflake access");
  const sf = opts.dropOrphans && deps.snowflake ? deps.snowflake() : undefined;
  const prefix = opts.dryRun ? "[dry run] " : "";
  const ws = await deps.workspace();
  const candidates = await candidatesOf(deps, github, branchStacks(await ws.listStacks()));

  const decisions = decideReap(candidates, deps.now(), opts.maxAgeDays);
  const report: ReapReport = { decisions, retired: [], orphans: [], dropped: [], failures: [] };
  for (const d of decisions) deps.log.info(`${prefix}${d.action} ${d.stack}: ${d.reason}`);
  await retireDecided(deps, opts, decisions, report);

  if (sf) {
    // Stacks are listed again after the retires: a PR opened while this ran has its stack by the
    // time its clone exists, and a stack that failed to retire still answers for its objects.
    const stacks = opts.dryRun
      ? new Set(decisions.filter((d) => d.action === "keep").map((d) => d.pr))
      : new Set(branchStacks(await ws.listStacks()).map((s) => s.pr));
    const known = new Map<number, PullRequestState>(candidates.map((c) => [c.pr, c.pullRequest]));
    const objects = await reapBranchObjects({ snowflake: sf, github, log: deps.log }, { dryRun: opts.dryRun, stacks, known });
    report.orphans = objects.toDrop;
    report.dropped = objects.dropped;
    report.failures.push(...objects.failures);
  }
  return report;
}
