import { CONTAINER_CONTEXT_ENV } from "./containerContext";

/**
 * Which deployment a stack is: the production one, the preview environment branches share, or
 * the branch deployment of one pull request. Everything that differs between them is derived
 * from this, in one place.
 */
export type Deployment =
  | { kind: "prod"; stack: string }
  /** The long-lived stack that owns what branches share (cluster, network, branch-safe values); no Dagster of its own. */
  | { kind: "preview"; stack: string }
  | { kind: "branch"; stack: string; pullRequest: number; commitSha: string; branch: string; commit?: BranchCommit };

/** What CI knows about the pull request's head commit, beyond its sha and branch (config keys). */
export interface BranchCommit {
  /** Unix seconds, as `git log -1 --format=%ct` prints them. */
  timestamp?: string;
  authorName?: string;
  authorEmail?: string;
  /** The subject line. */
  message?: string;
  /** The repository's name, e.g. `acme/dagster-platform` (GITHUB_REPOSITORY, CI_PROJECT_PATH). */
  repository?: string;
}

/** The preview environment's stack name. */
export const PREVIEW_STACK = "preview";

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
  if (stack === PREVIEW_STACK) return { kind: "preview" };
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
  "DAGSTER_CLOUD_GIT_AUTHOR_EMAIL",
  "DAGSTER_CLOUD_GIT_AUTHOR_NAME",
  "DAGSTER_CLOUD_GIT_BRANCH",
  "DAGSTER_CLOUD_GIT_MESSAGE",
  "DAGSTER_CLOUD_GIT_REPO",
  "DAGSTER_CLOUD_GIT_SHA",
  "DAGSTER_CLOUD_GIT_TIMESTAMP",
  "DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT",
  "DAGSTER_CLOUD_PULL_REQUEST_ID",
  "DAGSTER_CLOUD_PULL_REQUEST_STATUS",
] as const;

/**
 * Every env variable the platform sets on a location, whose value depends on the deployment
 * (prod or which branch), not on the location's file: change tracking leaves them out.
 */
export const PLATFORM_ENV_KEYS: readonly string[] = [...DAGSTER_CLOUD_ENV_KEYS, "SNOWFLAKE_DATABASE", ...Object.values(CONTAINER_CONTEXT_ENV)];

/**
 * The Dagster+ variables for one location, with Dagster+'s meanings (docs: "Built-in environment
 * variables"). Git metadata is the location's own (what its image was built from, written into
 * repos/ by the code-location workflow) when known; a branch deployment falls back to the pull
 * request's head. The head commit's time, author and message describe that commit only, so a
 * location with its own sha gets them empty (repos/ does not record them). Prod has no fallback
 * on purpose: a value that changed on every merge would restart every code server on every merge.
 * A branch stack exists only while its pull request is open (closing it destroys the stack), so
 * its status is always OPEN.
 */
export function dagsterCloudEnv(d: Deployment, git?: { sha?: string; branch?: string; repository?: string }): Record<string, string> {
  if (d.kind !== "branch") {
    const empty = Object.fromEntries(DAGSTER_CLOUD_ENV_KEYS.map((k) => [k, ""])) as Record<(typeof DAGSTER_CLOUD_ENV_KEYS)[number], string>;
    return { ...empty, DAGSTER_CLOUD_DEPLOYMENT_NAME: d.stack, DAGSTER_CLOUD_GIT_BRANCH: git?.branch ?? "", DAGSTER_CLOUD_GIT_REPO: git?.repository ?? "", DAGSTER_CLOUD_GIT_SHA: git?.sha ?? "", DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT: "0" };
  }
  const head = git?.sha === undefined ? (d.commit ?? {}) : {};
  return {
    DAGSTER_CLOUD_DEPLOYMENT_NAME: d.stack,
    DAGSTER_CLOUD_GIT_AUTHOR_EMAIL: head.authorEmail ?? "",
    DAGSTER_CLOUD_GIT_AUTHOR_NAME: head.authorName ?? "",
    DAGSTER_CLOUD_GIT_BRANCH: git?.branch ?? d.branch,
    DAGSTER_CLOUD_GIT_MESSAGE: head.message ?? "",
    DAGSTER_CLOUD_GIT_REPO: git?.repository ?? d.commit?.repository ?? "",
    DAGSTER_CLOUD_GIT_SHA: git?.sha ?? d.commitSha,
    DAGSTER_CLOUD_GIT_TIMESTAMP: head.timestamp ?? "",
    DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT: "1",
    DAGSTER_CLOUD_PULL_REQUEST_ID: String(d.pullRequest),
    DAGSTER_CLOUD_PULL_REQUEST_STATUS: "OPEN",
  };
}
