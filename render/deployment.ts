/**
 * Which deployment a stack is: the production one, or the branch deployment of one pull request.
 * Everything that differs between the two is derived from this, in one place.
 */
export type Deployment =
  | { kind: "prod"; stack: string }
  | { kind: "branch"; stack: string; pullRequest: number; commitSha: string; branch: string };

/** Namespace label saying which kind of deployment runs there; the policy pack reads it. */
export const DEPLOYMENT_KIND_LABEL = "dagster-platform/deployment-kind";

const BRANCH_STACK = /^pr-([1-9][0-9]{0,8})$/;
/** `pr` followed by anything but a letter, in any case: meant as a pull request's stack. */
const PR_LIKE = /^pr(?![a-z])/i;
/** Names reserved for a kind, matched without regard to case (`Prod` is not prod, and not a new name either). */
const RESERVED_NAMES = ["prod", "preview"];

/** What a stack's name alone says it is; `other` stacks are prod-like only if their config says so. */
export type StackClass =
  | { kind: "prod" }
  | { kind: "branch"; pullRequest: number }
  | { kind: "preview" }
  | { kind: "other" }
  | { kind: "invalid"; reason: string };

/**
 * Classifies a stack name: exactly `prod` is prod, exactly `pr-<N>` a branch, exactly `preview`
 * the shared preview stack. Any other `pr…` name (PR-1, pr_1, pr-01, pr1) and any other case of
 * a reserved name (Prod) is refused; any other name is `other`.
 */
export function classifyStack(stack: string): StackClass {
  if (stack === "prod") return { kind: "prod" };
  if (stack === "preview") return { kind: "preview" };
  const m = BRANCH_STACK.exec(stack);
  if (m) return { kind: "branch", pullRequest: Number(m[1]) };
  if (PR_LIKE.test(stack)) {
    return {
      kind: "invalid",
      reason: `the stack name "${stack}" starts like a pull request's but is not exactly pr-<N> (lowercase "pr-", then the pull-request number: digits, no leading zero, at most 9), e.g. pr-42`,
    };
  }
  const reserved = RESERVED_NAMES.find((r) => r === stack.toLowerCase());
  if (reserved) return { kind: "invalid", reason: `the stack name "${stack}" is "${reserved}" in another case; stack names are case-sensitive: use "${reserved}"` };
  return { kind: "other" };
}

/**
 * The base of the physical names (buckets, service accounts, registry, default cluster, VPC and
 * namespace) of a prod-like deployment: `dagster` for prod, `dagster-<stack>` for any other
 * stack declared production-like, so two such stacks never share a name in one project.
 */
export function prodNameBase(stack: string): string {
  return stack === "prod" ? "dagster" : `dagster-${stack}`;
}

/** The Kubernetes namespace a deployment runs in. */
export function deploymentNamespace(d: Deployment, prodNamespace: string): string {
  return d.kind === "branch" ? `dagster-pr-${d.pullRequest}` : prodNamespace;
}

/** Environment variables Dagster+ sets for branch deployments, so code written for it runs unchanged. */
export const DAGSTER_CLOUD_ENV_KEYS = [
  "DAGSTER_CLOUD_DEPLOYMENT_NAME",
  "DAGSTER_CLOUD_GIT_BRANCH",
  "DAGSTER_CLOUD_GIT_SHA",
  "DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT",
  "DAGSTER_CLOUD_PULL_REQUEST_ID",
] as const;

/**
 * Every env variable the platform sets on a location, whose value depends on the deployment
 * (prod or which branch), not on the location's file: change tracking leaves them out.
 */
export const PLATFORM_ENV_KEYS: readonly string[] = [...DAGSTER_CLOUD_ENV_KEYS, "SNOWFLAKE_DATABASE"];

/**
 * The Dagster+ variables for one location. Git metadata is the location's own (what its image was
 * built from, written into repos/ by the code-location workflow) when known; a branch deployment
 * falls back to the pull request's head. Prod has no fallback on purpose: a value that changed on
 * every merge would restart every code server on every merge.
 */
export function dagsterCloudEnv(d: Deployment, git?: { sha?: string; branch?: string }): Record<string, string> {
  const branch = d.kind === "branch";
  return {
    DAGSTER_CLOUD_DEPLOYMENT_NAME: d.stack,
    DAGSTER_CLOUD_GIT_BRANCH: git?.branch ?? (branch ? d.branch : ""),
    DAGSTER_CLOUD_GIT_SHA: git?.sha ?? (branch ? d.commitSha : ""),
    DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT: branch ? "1" : "0",
    DAGSTER_CLOUD_PULL_REQUEST_ID: branch ? String(d.pullRequest) : "",
  };
}
