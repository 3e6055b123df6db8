import { BranchCommit, Deployment, classifyStack, deploymentNamespace } from "../render/deployment";
import { DNS_LABEL, GIT_SHA } from "./formats";
import { ConfigReader } from "./reader";

/** Which deployment the stack is: prod, the preview environment, or one pull request's branch (from its name). */
export function readDeployment(c: ConfigReader): Deployment {
  const stack = c.raw.stack;
  const kind = classifyStack(stack);
  if (kind.kind === "invalid") {
    c.problem("(stack name)", kind.reason, "branch stacks are named pr-<pull request number>");
    return { kind: "prod", stack };
  }
  if (kind.kind === "prod" || kind.kind === "preview") {
    for (const key of BRANCH_COMMIT_KEYS) if (c.isSet(key)) c.problem(key, "is set on a non-branch stack", "only pr-<N> stacks describe a pull request's head commit; unset it");
    return { kind: kind.kind, stack };
  }
  const commitSha = c.required("commitSha", "a branch stack deploys one commit (CI sets it)");
  if (commitSha !== undefined && !GIT_SHA.test(commitSha)) c.problem("commitSha", `"${commitSha}" is not a git commit sha`, "7 to 40 lowercase hex characters");
  const branch = c.string("branch") ?? "";
  if (/[\s~^:?*[\\\x00-\x1f]/.test(branch) || branch.length > 255) c.problem("branch", `"${branch}" is not a git branch name`);
  return { kind: "branch", stack, pullRequest: kind.pullRequest, commitSha: commitSha ?? "0000000", branch, commit: readBranchCommit(c) };
}

const BRANCH_COMMIT_KEYS = ["commitTimestamp", "commitAuthorName", "commitAuthorEmail", "commitMessage", "gitRepository"] as const;

/** The head commit's metadata CI passes to a branch stack (the Dagster+ DAGSTER_CLOUD_GIT_* values). */
function readBranchCommit(c: ConfigReader): BranchCommit {
  const timestamp = c.string("commitTimestamp");
  if (timestamp !== undefined && !/^\d{1,12}$/.test(timestamp)) c.problem("commitTimestamp", `"${timestamp}" is not a Unix time in seconds`, "pass git log -1 --format=%ct");
  const message = c.string("commitMessage")?.split(/\r?\n/)[0].trim();
  const commit: BranchCommit = { timestamp, authorName: c.string("commitAuthorName"), authorEmail: c.string("commitAuthorEmail"), message, repository: c.string("gitRepository") };
  return Object.fromEntries(Object.entries(commit).filter(([, v]) => v !== undefined)) as BranchCommit;
}

/** The Kubernetes namespace: the `namespace` key for prod, always dagster-pr-<N> for a branch. */
export function readNamespace(c: ConfigReader, deployment: Deployment): string {
  const namespace = c.string("namespace") ?? "dagster";
  if (deployment.kind === "branch" && c.isSet("namespace")) c.problem("namespace", "is set on a branch stack", "branch namespaces are always dagster-pr-<N>; unset it");
  if (!DNS_LABEL.test(namespace) || namespace.length > 63) c.problem("namespace", `"${namespace}" is not a Kubernetes namespace name`, "lowercase letters, digits and -, at most 63");
  return deploymentNamespace(deployment, namespace);
}
