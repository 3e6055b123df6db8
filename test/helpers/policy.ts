/** Offline plans as the policy engine shows a stack to the pack's stack rules. */
import { Plan, PlanEntry } from "../../offline/plan";
import { StackResource } from "../../policy/types";

/**
 * One planned resource as a StackResource. The engine hands analyzers each resource's outputs
 * (pulumi/pulumi pkg/resource/deploy/step_generator.go, AnalyzeResources); for everything a plan
 * creates those are its inputs, and for a StackReference they include `outputs`, the referenced
 * stack's outputs, which the offline plan answers by planning that stack (`referenced`).
 */
export function fromPlan(stack: string, r: PlanEntry, referenced?: Plan): StackResource {
  const props = r.type === "pulumi:pulumi:StackReference" && referenced ? { ...r.inputs, outputs: referenced.rawOutputs, secretOutputNames: [] } : r.inputs;
  return { type: r.type, name: r.name, urn: `urn:pulumi:${stack}::dagster-platform::${r.type}::${r.name}`, props, protect: r.options.protect, importId: r.options.import };
}
