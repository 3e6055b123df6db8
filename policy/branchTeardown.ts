import { SQL_INSTANCE_TYPE } from "./cloudSql";
import { holdsTo } from "./deployment";
import { describe, StackResource, StackViolation } from "./types";

/**
 * Shared infrastructure a branch must never own (prod and the preview stack do): owning one would put it in
 * the branch's `pulumi destroy`.
 */
const PROD_ONLY_TYPES = [
  SQL_INSTANCE_TYPE,
  "gcp:container/cluster:Cluster",
  "gcp:artifactregistry/repository:Repository",
];

/**
 * Branch stacks are destroyed when their pull request closes, by CI, unattended. A protected
 * resource would make that destroy fail (or tempt someone to unprotect it), and a prod-only
 * resource would be deleted with the branch.
 */
export function branchTeardownViolations(resources: readonly StackResource[]): StackViolation[] {
  if (!holdsTo(resources, "branch")) return [];
  const out: StackViolation[] = [];
  for (const r of resources) {
    if (r.protect) out.push({ urn: r.urn, message: `${describe(r)} is protected: nothing in a branch stack may be, its destroy must run unattended` });
    if (PROD_ONLY_TYPES.includes(r.type)) out.push({ urn: r.urn, message: `${describe(r)}: a branch stack must not own a ${r.type}; shared infrastructure belongs to the preview stack` });
  }
  return out;
}
