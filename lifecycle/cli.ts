/**
 * `npm run branch`: the parsed command run against injected dependencies, with exit codes CI can
 * act on (0 done, 1 failed, 2 usage). scripts/branch.ts only builds the real dependencies.
 */
import { StackNotFoundError } from "@pulumi/pulumi/automation";
import { CONFIG_KEYS, CONFIG_NAMESPACE } from "../config/keys";
import { assembleStackConfig } from "../offline/stackConfig";
import { BRANCH_USAGE, BranchCommand, parseBranchArgs, UsageError } from "./args";
import { branchDown, branchUp, reap } from "./branch";
import { readCommitMetadata } from "./commitMetadata";
import { resolveProjectDir } from "./deps";
import { renderComment, upsertComment } from "./comment";
import { briefError, errorMessage, LifecycleDeps, plainOutputs } from "./deps";
import { StackLockedError } from "./locks";
import { branchStackName } from "./names";
import { retireBranch, RetireRefusedError } from "./retire";
import { RetireSettings, retireSettingsFor } from "./retireSettings";
import { comparePlans, PlanComparison, readPlanDir } from "./planDiff";

/** The production database branch clones are made from: prod's config over Pulumi.yaml's defaults. */
export function productionDatabaseOf(projectDir: string): string {
  const values = assembleStackConfig(projectDir, "prod", []).values;
  return values[`${CONFIG_NAMESPACE}:snowflakeProductionDatabase`] ?? CONFIG_KEYS.snowflakeProductionDatabase.default;
}

/** A link to the workflow run, from the variables GitHub Actions sets. */
export function runUrlFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  const { GITHUB_SERVER_URL, GITHUB_REPOSITORY, GITHUB_RUN_ID } = env;
  return GITHUB_SERVER_URL && GITHUB_REPOSITORY && GITHUB_RUN_ID ? `${GITHUB_SERVER_URL}/${GITHUB_REPOSITORY}/actions/runs/${GITHUB_RUN_ID}` : undefined;
}

export interface CommentRunArgs {
  pr: number;
  state: "deploying" | "ready" | "failed";
  failedStep?: string;
  basePlan?: string;
  headPlan?: string;
  sha?: string;
  runUrl?: string;
}

async function stackOutputs(deps: LifecycleDeps, stack: string): Promise<Record<string, unknown> | undefined> {
  try {
    const outputs = plainOutputs(await (await deps.workspace()).stackOutputs(stack));
    return Object.keys(outputs).length > 0 ? outputs : undefined;
  } catch (e) {
    if (!(e instanceof StackNotFoundError)) deps.log.warn(`could not read ${stack}'s outputs (${briefError(e)}); the comment goes without them`);
    return undefined;
  }
}

/** Writes the deployment comment. The state is the point: missing outputs or plans only thin it out. */
export async function postComment(deps: LifecycleDeps, args: CommentRunArgs): Promise<{ id: number; action: string; body: string }> {
  if (!deps.github) throw new Error("comment needs GitHub");
  const stack = branchStackName(args.pr);
  let changes: PlanComparison | { unavailable: string } | undefined;
  if (args.basePlan && args.headPlan) {
    try {
      changes = comparePlans(readPlanDir(args.basePlan), readPlanDir(args.headPlan));
    } catch (e) {
      deps.log.warn(`no change summary: ${errorMessage(e)}`);
      changes = { unavailable: errorMessage(e) };
    }
  }
  const body = renderComment({
    pr: args.pr,
    stack,
    state: args.state,
    failedStep: args.failedStep,
    sha: args.sha,
    outputs: await stackOutputs(deps, stack),
    changes,
    runUrl: args.runUrl,
    updatedAt: deps.now(),
  });
  const result = await upsertComment(deps.github, args.pr, body);
  deps.log.info(`${result.action} the deployment comment on #${args.pr} (${result.id})`);
  return { ...result, body };
}

export interface CliContext {
  projectDir: string;
  env: NodeJS.ProcessEnv;
  /** Builds the dependencies a command needs; it may throw (missing credentials) and that is exit 1. */
  deps: (command: BranchCommand) => LifecycleDeps;
  stdout: (line: string) => void;
  stderr: (line: string) => void;
}

export async function runBranchCli(argv: string[], ctx: CliContext): Promise<number> {
  let cmd: BranchCommand;
  try {
    cmd = parseBranchArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      ctx.stderr(e.message);
      return 2;
    }
    throw e;
  }
  if (cmd.command === "help") {
    ctx.stdout(BRANCH_USAGE);
    return 0;
  }
  try {
    const deps = ctx.deps(cmd);
    switch (cmd.command) {
      case "up": {
        const r = await branchUp(deps, { ...cmd, commit: readCommitMetadata(resolveProjectDir(ctx.env, ctx.projectDir), cmd.sha, ctx.env) });
        if (r.status === "deployed") {
          ctx.stdout(`${r.stack} is up: ${String(r.outputs.webserverAccess ?? r.outputs.webserverUrl ?? "")}`);
          if (r.outputs.cloneDatabase) ctx.stdout(`Snowflake clone: ${String(r.outputs.cloneDatabase)}`);
        }
        return 0;
      }
      case "down": {
        const r = await branchDown(deps, cmd.pr, retireSettings(ctx, undefined));
        ctx.stdout(r.status === "retired" ? `${r.stack} retired` : `${r.stack} does not exist: nothing to retire`);
        return 0;
      }
      case "reap": {
        const report = await reap(deps, { maxAgeDays: cmd.maxAgeDays, dropOrphans: cmd.dropOrphans, dryRun: cmd.dryRun, settingsFor: retireSettings(ctx, cmd.productionDatabase) });
        const planned = report.decisions.filter((d) => d.action === "retire").length;
        ctx.stdout(
          cmd.dryRun
            ? `dry run: would retire ${planned} stack(s)${cmd.dropOrphans ? ` and drop ${report.orphans.length} Snowflake branch object(s)` : ""}; nothing was changed`
            : `reaped ${report.retired.length} stack(s)${cmd.dropOrphans ? `, dropped ${report.dropped.length} Snowflake branch object(s)` : ""}; kept ${report.decisions.length - planned}`,
        );
        for (const f of report.failures) ctx.stderr(`failed: ${f.what}: ${f.error}`);
        return report.failures.length > 0 ? 1 : 0;
      }
      case "retire": {
        const r = await retireBranch(deps, cmd.pr, retireSettings(ctx, cmd.productionDatabase), "retire requested");
        ctx.stdout(r.status === "retired" ? `${r.stack} retired` : `${r.stack} does not exist: nothing to retire`);
        return 0;
      }
      case "comment":
        await postComment(deps, { ...cmd, runUrl: runUrlFromEnv(ctx.env) });
        return 0;
    }
  } catch (e) {
    ctx.stderr(e instanceof StackLockedError || e instanceof RetireRefusedError ? e.message : `${cmd.command} failed: ${briefError(e)}`);
    return 1;
  }
}

/** Retire settings per stack from the checkout this runs in (the reaper's: the default branch). */
function retireSettings(ctx: CliContext, productionDatabase: string | undefined): (stack: string) => RetireSettings {
  const projectDir = resolveProjectDir(ctx.env, ctx.projectDir);
  const database = productionDatabase ?? productionDatabaseOf(projectDir);
  return (stack) => retireSettingsFor(projectDir, stack.split("/").pop() ?? stack, database);
}
