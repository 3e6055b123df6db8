import { classifyStack } from "../render/deployment";
import { StackResource, StackViolation } from "./types";

/**
 * Which kind of stack the pack is judging, from the stack's name as the engine writes it into
 * every URN (`urn:pulumi:<stack>::<project>::<type>::<name>`): the CLI builds URNs from the
 * `--stack` CI passes, and a program cannot choose them. Labels a program writes prove nothing.
 */
export type DeploymentKind = "prod" | "preview" | "branch";

export interface StackIdentity {
  stack?: string;
  /** undefined when the stack cannot be told: every kind's rules then apply. */
  kind?: DeploymentKind;
  /** The pull-request number of a branch stack. */
  pullRequest?: number;
  problems: StackViolation[];
}

export function stackOfUrn(urn: string): string | undefined {
  const prefix = "urn:pulumi:";
  return urn.startsWith(prefix) && urn.includes("::") ? urn.slice(prefix.length, urn.indexOf("::")) : undefined;
}

export function resolveStack(resources: readonly StackResource[]): StackIdentity {
  const stacks = [...new Set(resources.map((r) => stackOfUrn(r.urn) ?? ""))];
  if (stacks.length === 0) return { problems: [] };
  if (stacks.length > 1 || stacks[0] === "") {
    return { problems: [{ message: `the resources name ${stacks.length} stacks in their URNs (${stacks.map((s) => JSON.stringify(s)).join(", ")}): a stack is one` }] };
  }
  const stack = stacks[0];
  const kind = classifyStack(stack);
  if (kind.kind === "invalid") return { stack, problems: [{ message: `stack ${JSON.stringify(stack)}: ${kind.reason}` }] };
  // Any other name (a drill, another prod-like environment) is held to prod's rules.
  return { stack, kind: kind.kind === "other" ? "prod" : kind.kind, pullRequest: kind.kind === "branch" ? kind.pullRequest : undefined, problems: [] };
}

/**
 * Whether the `kind` guardrails apply. A stack whose kind cannot be told is held to every kind's
 * rules: an unreadable stack name must not switch a guardrail off.
 */
export function holdsTo(resources: readonly StackResource[], kind: DeploymentKind): boolean {
  const resolved = resolveStack(resources).kind;
  return resolved === undefined || resolved === kind;
}

/** A branch's namespace, `dagster-pr-<N>`; undefined if the stack is not (known to be) a branch. */
export function branchNamespaceOf(resources: readonly StackResource[]): string | undefined {
  const id = resolveStack(resources);
  return id.pullRequest === undefined ? undefined : `dagster-pr-${id.pullRequest}`;
}

export function stackKindViolations(resources: readonly StackResource[]): StackViolation[] {
  return resolveStack(resources).problems;
}
