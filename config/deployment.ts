import { BranchCommit, Deployment, classifyStack, deploymentNamespace, prodNameBase } from "../render/deployment";
import { excerpt } from "../locations/problems";
import { DNS_LABEL, GIT_SHA } from "./formats";
import { ConfigReader } from "./reader";

/** The field a problem of the stack's name is reported under. */
export const STACK_NAME_FIELD = "(stack name)";

/** The value of `environment` that declares a stack production-like. */
export const PRODUCTION_ENVIRONMENT = "production";
/**
 * Longest name of another production-like stack: `dagster-<stack>` must fit a service account id
 * (30). It then also fits every other id derived from it: the Cloud SQL instance `dagster-<stack>`
 * (lowercase, starting with a letter; `<project>:<instance>` is at most 30 + 1 + 30, within the
 * 98 Cloud SQL allows: sqladmin v1 API reference, `instance`), the registry and the namespace.
 */
export const OTHER_STACK_NAME_MAX = 22;
const OTHER_STACK_NAME = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Which deployment the stack is, from its name: prod, the preview environment, a pull request's
 * branch (`pr-<N>`), or a stack its config declares production-like. Every other name is refused.
 */
export function readDeployment(c: ConfigReader): Deployment {
  const stack = c.raw.stack;
  const kind = classifyStack(stack);
  const environment = c.string("environment");
  if (environment !== undefined && environment !== PRODUCTION_ENVIRONMENT) {
    c.problem("environment", `${excerpt(environment)} is not an environment this program knows`, `the only value is ${PRODUCTION_ENVIRONMENT}; unset it otherwise`);
  }
  if (kind.kind === "invalid") {
    c.problem(STACK_NAME_FIELD, kind.reason, "branch stacks are named pr-<pull request number>; prod is prod");
    return { kind: "prod", stack };
  }
  if (kind.kind === "branch") {
    if (environment !== undefined) c.problem("environment", "is set on a branch stack", "a branch deployment is never production-like; unset it");
    return readBranchDeployment(c, stack, kind.pullRequest);
  }
  if (kind.kind === "other") readOtherStack(c, stack, environment);
  if (kind.kind === "preview" && environment !== undefined) c.problem("environment", "is set on the preview stack", "the preview stack serves branches and is never production-like; unset it");
  for (const key of BRANCH_COMMIT_KEYS) if (c.isSet(key)) c.problem(key, "is set on a non-branch stack", "only pr-<N> stacks describe a pull request's head commit; unset it");
  return { kind: kind.kind === "preview" ? "preview" : "prod", stack };
}

const BRANCH_COMMIT_KEYS = ["commitTimestamp", "commitAuthorName", "commitAuthorEmail", "commitMessage", "gitRepository"] as const;

/** The head commit's metadata CI passes to a branch stack (the Dagster+ DAGSTER_CLOUD_GIT_* values). */
function readBranchCommit(c: ConfigReader): BranchCommit {
  const timestamp = c.string("commitTimestamp");
  if (timestamp !== undefined && !/^\d{1,12}$/.test(timestamp)) c.problem("commitTimestamp", `${excerpt(timestamp)} is not a Unix time in seconds`, "pass git log -1 --format=%ct");
  const message = c.string("commitMessage")?.split(/\r?\n/)[0].trim();
  const commit: BranchCommit = { timestamp, authorName: c.string("commitAuthorName"), authorEmail: c.string("commitAuthorEmail"), message, repository: c.string("gitRepository") };
  return Object.fromEntries(Object.entries(commit).filter(([, v]) => v !== undefined)) as BranchCommit;
}

/** A stack neither prod, preview nor pr-<N>: refused unless declared production-like, with a name its own names can derive from. */
function readOtherStack(c: ConfigReader, stack: string, environment: string | undefined): void {
  if (environment !== PRODUCTION_ENVIRONMENT) {
    c.problem(
      STACK_NAME_FIELD,
      `the stack "${stack}" is neither prod, preview nor pr-<N>`,
      `to run another production-like deployment (with its own names, ${prodNameBase(stack)}…), declare it: pulumi config set environment ${PRODUCTION_ENVIRONMENT}; branch stacks are pr-<N>`,
    );
  }
  if (!OTHER_STACK_NAME.test(stack) || stack.length > OTHER_STACK_NAME_MAX) {
    c.problem(
      STACK_NAME_FIELD,
      `the stack name ${excerpt(stack)} cannot name a deployment's resources`,
      `a production-like stack other than prod needs a name of lowercase letters, digits and -, starting with a letter, at most ${OTHER_STACK_NAME_MAX} characters (${prodNameBase("<stack>")} names its service account, at most 30)`,
    );
  }
}

function readBranchDeployment(c: ConfigReader, stack: string, pullRequest: number): Deployment {
  const commitSha = c.required("commitSha", "a branch stack deploys one commit (CI sets it)");
  if (commitSha !== undefined && !GIT_SHA.test(commitSha)) c.problem("commitSha", `${excerpt(commitSha)} is not a git commit sha`, "7 to 40 lowercase hex characters");
  const branch = c.string("branch") ?? "";
  // git check-ref-format: no control characters, space, ~ ^ : ? * [ \, and Kubernetes caps env values nowhere near this.
  if (/[\s~^:?*[\\\x00-\x1f\x7f]/.test(branch) || branch.length > 255) c.problem("branch", `${excerpt(branch)} is not a git branch name`, "what git check-ref-format accepts, at most 255 characters");
  return { kind: "branch", stack, pullRequest, commitSha: commitSha ?? "0000000", branch, commit: readBranchCommit(c) };
}

/** Namespaces Kubernetes itself owns (kubernetes.io/docs/concepts/overview/working-with-objects/namespaces). */
export const RESERVED_NAMESPACES = ["default", "kube-node-lease", "kube-public", "kube-system"];

/**
 * The Kubernetes namespace: the `namespace` key (default: the stack's name base) for a
 * production-like stack, always dagster-pr-<N> for a branch.
 */
export function readNamespace(c: ConfigReader, deployment: Deployment): string {
  if (deployment.kind === "branch") {
    if (c.isSet("namespace")) c.problem("namespace", "is set on a branch stack", "branch namespaces are always dagster-pr-<N>; unset it");
    return deploymentNamespace(deployment, "");
  }
  const namespace = c.string("namespace") ?? prodNameBase(deployment.stack);
  // Kubernetes: a namespace name is an RFC 1123 label (apimachinery validation.IsDNS1123Label).
  if (!DNS_LABEL.test(namespace) || namespace.length > 63) {
    c.problem("namespace", `${excerpt(namespace)} is not a Kubernetes namespace name`, "lowercase letters, digits and -, starting and ending alphanumeric, at most 63");
  } else if (RESERVED_NAMESPACES.includes(namespace) || namespace.startsWith("kube-")) {
    c.problem("namespace", `"${namespace}" belongs to Kubernetes itself`, "the kube- prefix and default are reserved for the system; use a namespace of the platform's own, e.g. dagster");
  } else if (/^dagster-pr-\d+$/.test(namespace)) {
    c.problem("namespace", `"${namespace}" is a branch deployment's namespace`, "dagster-pr-<N> belongs to the pr-<N> stack; choose another name");
  }
  return namespace;
}
