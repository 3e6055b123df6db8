import { quantityNumber } from "../locations/quantity";
import { excerpt } from "../locations/problems";
import { Deployment } from "../render/deployment";
import { readBranchObjectNames } from "./branchObjects";
import { STACK_REF } from "./formats";
import { ConfigKey } from "./keys";
import { ConfigReader } from "./reader";
import { BranchConfig, BranchLimits } from "./types";

/** Branch-only settings: the one stack a branch reads, what it may load, and its limits. */
export function readBranch(c: ConfigReader, deployment: Deployment): BranchConfig | undefined {
  if (deployment.kind !== "branch") {
    if (c.isSet("branchLocations")) c.problem("branchLocations", "is set on a non-branch stack", "only pr-<N> stacks run a subset of locations");
    return undefined;
  }
  const previewStack = c.required("previewStack", "a branch stack reads its cluster and branch-safe values from the preview stack");
  if (previewStack !== undefined && !STACK_REF.test(previewStack)) {
    c.problem("previewStack", `${excerpt(previewStack)} is not a stack reference`, "org/project/stack, e.g. organization/dagster-platform/preview on a gs:// backend");
  } else if (previewStack !== undefined && previewStack.split("/")[2] !== "preview") {
    c.problem("previewStack", `${excerpt(previewStack)} is not the preview stack`, "a branch reads only the stack named preview; never prod");
  }
  return { previewStack: previewStack ?? "", recloneOnDeploy: c.bool("recloneOnDeploy"), objects: readBranchObjectNames(c), limits: readBranchLimits(c) };
}

/** Quota and run cap of a branch namespace: read by branches, and by the preview stack as ceilings. */
export function readBranchLimits(c: ConfigReader): BranchLimits {
  return {
    cpuQuota: quantity(c, "branchCpuQuota", 1, "e.g. 8 or 8000m"),
    memoryQuota: quantity(c, "branchMemoryQuota", 2 ** 30, "e.g. 32Gi"),
    podQuota: c.int("branchPodQuota"),
    maxConcurrentRuns: c.int("branchMaxConcurrentRuns"),
  };
}

/** A Kubernetes quantity of at least `min` (a branch's fixed pods alone need about that much). */
function quantity(c: ConfigReader, key: ConfigKey, min: number, example: string): string {
  const raw = (c.string(key) ?? "").trim();
  const value = quantityNumber(raw);
  if (value === undefined || value < min) c.problem(key, `${excerpt(raw)} is not a Kubernetes quantity of at least ${min === 1 ? "1" : "1Gi"}`, example);
  return raw;
}
