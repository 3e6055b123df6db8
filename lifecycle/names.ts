/**
 * Names the lifecycle derives from a pull request. They come from the same functions the program
 * uses (render/deployment, render/snowflake), so the CLI can never disagree with what a stack
 * actually deploys.
 */
import { classifyStack, deploymentNamespace } from "../render/deployment";
import { branchSnowflakeNames, isSnowflakeIdentifier } from "../render/snowflake";

export function branchStackName(pr: number): string {
  const name = `pr-${pr}`;
  const kind = classifyStack(name);
  if (kind.kind !== "branch" || kind.pullRequest !== pr) throw new Error(`${pr} is not a pull-request number`);
  return name;
}

/** `dagster-pr-<N>`: the namespace the program deploys pull request <N> into. */
export function branchNamespaceName(pr: number): string {
  const stack = branchStackName(pr);
  return deploymentNamespace({ kind: "branch", stack, pullRequest: pr, commitSha: "", branch: "" }, "");
}

/**
 * The pull request a listed stack belongs to. Backends list stacks as `pr-7`, `org/pr-7` or
 * `org/project/pr-7`; only the last segment is the stack's own name. Names that merely start
 * with `pr-` (pr-007, pr-x) are not ours and are never touched.
 */
export function pullRequestOfStack(listedName: string): number | undefined {
  const kind = classifyStack(listedName.split("/").pop() ?? listedName);
  return kind.kind === "branch" ? kind.pullRequest : undefined;
}

export function cloneDatabaseName(productionDatabase: string, pr: number): string {
  return branchSnowflakeNames(productionDatabase, pr).cloneDatabase;
}

/**
 * `<PRODUCTION>_CLONE_<N>` exactly: the only databases the reaper may ever drop. Anything else
 * sharing the prefix (PRODUCTION_CLONE_007, PRODUCTION_CLONE_7_BACKUP, PRODUCTION itself) fails it.
 */
export function cloneDatabasePattern(productionDatabase: string): RegExp {
  if (!isSnowflakeIdentifier(productionDatabase)) throw new Error(`"${productionDatabase}" is not an unquoted uppercase Snowflake identifier`);
  return new RegExp(`^${productionDatabase}_CLONE_([1-9][0-9]*)$`);
}

/** The pull request a clone belongs to, or undefined when the name is not a clone's. */
export function pullRequestOfClone(productionDatabase: string, database: string): number | undefined {
  const m = cloneDatabasePattern(productionDatabase).exec(database);
  if (!m) return undefined;
  const pr = Number(m[1]);
  return Number.isSafeInteger(pr) ? pr : undefined;
}
