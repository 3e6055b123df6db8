import { Deployment, classifyStack, deploymentNamespace } from "../render/deployment";
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
  if (kind.kind === "prod" || kind.kind === "preview") return { kind: kind.kind, stack };
  const commitSha = c.required("commitSha", "a branch stack deploys one commit (CI sets it)");
  if (commitSha !== undefined && !GIT_SHA.test(commitSha)) c.problem("commitSha", `"${commitSha}" is not a git commit sha`, "7 to 40 lowercase hex characters");
  const branch = c.string("branch") ?? "";
  if (/[\s~^:?*[\\\x00-\x1f]/.test(branch) || branch.length > 255) c.problem("branch", `"${branch}" is not a git branch name`);
  return { kind: "branch", stack, pullRequest: kind.pullRequest, commitSha: commitSha ?? "0000000", branch };
}

/** The Kubernetes namespace: the `namespace` key for prod, always dagster-pr-<N> for a branch. */
export function readNamespace(c: ConfigReader, deployment: Deployment): string {
  const namespace = c.string("namespace") ?? "dagster";
  if (deployment.kind === "branch" && c.isSet("namespace")) c.problem("namespace", "is set on a branch stack", "branch namespaces are always dagster-pr-<N>; unset it");
  if (!DNS_LABEL.test(namespace) || namespace.length > 63) c.problem("namespace", `"${namespace}" is not a Kubernetes namespace name`, "lowercase letters, digits and -, at most 63");
  return deploymentNamespace(deployment, namespace);
}
