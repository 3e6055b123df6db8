import { branchNamespaceOf, holdsTo } from "./deployment";
import { isReleaseOf } from "./helm";
import { at, text } from "./props";
import { describe, StackResource, StackViolation } from "./types";

const NAMESPACE_TYPE = "kubernetes:core/v1:Namespace";
/** Helm installs carry the namespace as a property, not in metadata. */
const HELM_TYPES = ["kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart"];
/** Components of the Kubernetes SDK whose children are registered, and judged, one by one. */
const RENDERING_COMPONENTS = /^kubernetes:(yaml|kustomize)[:/]|^kubernetes:helm\.sh\/v3:Chart$/;

/**
 * Everything Kubernetes in a branch lives in its own namespace dagster-pr-<N>: the Namespace
 * itself, and namespaced objects and Helm releases in it. No cluster-scoped object (a
 * ClusterRole, a webhook, a CRD), nothing in prod's namespace or another branch's.
 */
export function branchNamespaceScopeViolations(resources: readonly StackResource[]): StackViolation[] {
  if (!holdsTo(resources, "branch")) return [];
  const own = branchNamespaceOf(resources);
  const out: StackViolation[] = [];
  for (const r of resources) {
    if (!r.type.startsWith("kubernetes:") || RENDERING_COMPONENTS.test(r.type)) continue;
    const where = r.type === NAMESPACE_TYPE ? text(at(r.props, "metadata", "name")) : HELM_TYPES.includes(r.type) ? text(r.props.namespace) : text(at(r.props, "metadata", "namespace"));
    if (where !== undefined && where === own) continue;
    const what = r.type === NAMESPACE_TYPE ? "is the namespace" : where === undefined ? "has no namespace (cluster-scoped, or left to a default)" : "is in namespace";
    out.push({ urn: r.urn, message: `${describe(r)} ${what}${where !== undefined ? ` ${where}` : ""}: a branch writes only in its own namespace ${own ?? "dagster-pr-<N>"}` });
  }
  return out;
}

/**
 * In GCP a branch owns nothing: its compute logs and defs state live under its prefix of the
 * preview stack's branch-data bucket, its pods use the preview cluster's Workload Identity
 * principal set, and the branch deployer holds no GCP right to create anything. So any `gcp:*`
 * resource in a branch is refused; so is an `import` of anything (prod's bucket, say).
 */
export function branchOwnershipViolations(resources: readonly StackResource[]): StackViolation[] {
  if (!holdsTo(resources, "branch")) return [];
  const out: StackViolation[] = [];
  for (const r of resources) {
    if (r.importId !== undefined) out.push({ urn: r.urn, message: `${describe(r)} adopts the existing resource ${r.importId}: a branch creates what it owns, it never imports` });
    if (r.type.startsWith("gcp:")) out.push({ urn: r.urn, message: `${describe(r)}: a branch owns no GCP resource (not a ${r.type}); its data goes under its prefix of the preview stack's branch-data bucket` });
  }
  return out;
}

/** Cloud SQL holds prod's run history: only a prod stack has any Cloud SQL resource. */
export function cloudSqlOutsideProdViolations(resources: readonly StackResource[]): StackViolation[] {
  if (!holdsTo(resources, "branch") && !holdsTo(resources, "preview")) return [];
  return resources
    .filter((r) => r.type.startsWith("gcp:sql/"))
    .map((r) => ({ urn: r.urn, message: `${describe(r)}: only prod has Cloud SQL resources; a branch's run storage is its own PostgreSQL in its namespace` }));
}

/** The preview stack shares a cluster with branches: it runs no Dagster of its own. */
export function previewScopeViolations(resources: readonly StackResource[]): StackViolation[] {
  if (!holdsTo(resources, "preview")) return [];
  return resources
    .filter((r) => isReleaseOf(r, "dagster") || isReleaseOf(r, "dagster-user-deployments"))
    .map((r) => ({ urn: r.urn, message: `${describe(r)}: the preview stack runs no Dagster; branches do, in their own namespaces` }));
}
