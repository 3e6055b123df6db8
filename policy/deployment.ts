import { DEPLOYMENT_KIND_LABEL } from "../render/deployment";
import { at } from "./props";
import { StackResource, StackViolation } from "./types";

const NAMESPACE_TYPE = "kubernetes:core/v1:Namespace";
/** Set by components/DagsterNamespace.ts on the namespace every stack of this program creates. */
export { DEPLOYMENT_KIND_LABEL };

export type DeploymentKind = "prod" | "branch";

export interface DeploymentKindResolution {
  /** undefined when the stack does not say, or says both. */
  kind?: DeploymentKind;
  problems: StackViolation[];
}

/** Reads the stack's kind from its namespaces' labels. */
export function resolveDeploymentKind(resources: readonly StackResource[]): DeploymentKindResolution {
  const problems: StackViolation[] = [];
  const kinds = new Set<DeploymentKind>();
  for (const r of resources) {
    if (r.type !== NAMESPACE_TYPE) continue;
    const label = at(r.props, "metadata", "labels", DEPLOYMENT_KIND_LABEL);
    if (label === "prod" || label === "branch") kinds.add(label);
    else if (label !== undefined) {
      problems.push({ urn: r.urn, message: `namespace ${r.name}: label ${DEPLOYMENT_KIND_LABEL} must be "prod" or "branch" (is ${JSON.stringify(label)})` });
    }
  }
  if (kinds.size === 0) {
    problems.push({ message: `no namespace of this stack carries the label ${DEPLOYMENT_KIND_LABEL} ("prod" or "branch"): the prod and branch guardrails cannot tell which apply` });
  } else if (kinds.size > 1) {
    problems.push({ message: `the stack's namespaces are labelled both prod and branch (${DEPLOYMENT_KIND_LABEL}): a stack is one or the other` });
  }
  return { kind: kinds.size === 1 && problems.length === 0 ? [...kinds][0] : undefined, problems };
}

/**
 * Whether the `kind` guardrails apply. A stack whose kind cannot be told is held to both the prod
 * and the branch rules: a missing label must not switch guardrails off.
 */
export function holdsTo(resources: readonly StackResource[], kind: DeploymentKind): boolean {
  const resolved = resolveDeploymentKind(resources).kind;
  return resolved === undefined || resolved === kind;
}

export function deploymentKindViolations(resources: readonly StackResource[]): StackViolation[] {
  return resolveDeploymentKind(resources).problems;
}
