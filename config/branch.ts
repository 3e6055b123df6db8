import { excerpt } from "../locations/problems";
import { Deployment } from "../render/deployment";
import { STACK_REF } from "./formats";
import { ConfigReader } from "./reader";
import { PlatformConfig } from "./types";

/** Branch-only settings: which stack a branch reads, and whether it re-clones on every push. */
export function readBranch(c: ConfigReader, deployment: Deployment): PlatformConfig["branch"] {
  if (deployment.kind !== "branch") {
    if (c.isSet("branchLocations")) c.problem("branchLocations", "is set on a non-branch stack", "only pr-<N> stacks run a subset of locations");
    return undefined;
  }
  const prodStack = c.required("prodStack", "a branch stack reads prod's cluster, database and buckets through it");
  if (prodStack !== undefined && !STACK_REF.test(prodStack)) c.problem("prodStack", `${excerpt(prodStack)} is not a stack reference`, "org/project/stack, e.g. organization/dagster-platform/prod on a gs:// backend");
  return { prodStack: prodStack ?? "", recloneOnDeploy: c.bool("recloneOnDeploy") };
}
