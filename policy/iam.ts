import { holdsTo } from "./deployment";
import { at, list, record, text } from "./props";
import { describe, PolicyInput, StackResource, StackViolation } from "./types";

/** Every IAM grant resource of the Google provider: `gcp:<module>/<x>IAMMember|IAMBinding|IAMPolicy` (and the `IamMember` spellings). */
const IAM_GRANT = /^gcp:[^/]+\/[a-z]*iam(member|binding|policy):/i;
const KUBERNETES_BINDING = /^kubernetes:rbac\.authorization\.k8s\.io\/[^:]+:(Cluster)?RoleBinding$/;

/**
 * Roles that own a project or hand out identities: whoever holds one can make themselves anything
 * else. No stack of this platform grants them to anyone.
 */
export const ADMIN_ROLES = [
  "roles/owner",
  "roles/editor",
  "roles/iam.securityAdmin",
  "roles/iam.roleAdmin",
  "roles/iam.organizationRoleAdmin",
  "roles/iam.serviceAccountAdmin",
  "roles/iam.serviceAccountKeyAdmin",
  "roles/iam.serviceAccountTokenCreator",
  "roles/iam.workloadIdentityPoolAdmin",
  "roles/resourcemanager.projectIamAdmin",
  "roles/resourcemanager.folderAdmin",
  "roles/resourcemanager.organizationAdmin",
];
/** Kubernetes' own all-powerful roles (user-facing roles, Kubernetes RBAC docs). */
export const KUBERNETES_ADMIN_ROLES = ["cluster-admin", "admin", "edit"];

/** The roles an IAM resource grants: `role`, or every binding of an IAMPolicy's `policyData`. */
function grantedRoles(props: Record<string, unknown>): string[] {
  const role = text(props.role);
  if (role !== undefined) return [role];
  const policy = text(props.policyData);
  if (policy === undefined) return [];
  try {
    return list(record(JSON.parse(policy))?.bindings).map((b) => text(record(b)?.role) ?? "");
  } catch {
    return ["(unreadable policyData)"];
  }
}

/** No stack grants an owner-like role, in GCP or in Kubernetes. */
export function adminGrantViolations(resource: PolicyInput): string[] {
  if (IAM_GRANT.test(resource.type)) {
    return grantedRoles(resource.props)
      .filter((r) => ADMIN_ROLES.includes(r) || r === "(unreadable policyData)")
      .map((r) => `grants ${r}: no stack of this platform hands out ownership of a project or of identities`);
  }
  if (KUBERNETES_BINDING.test(resource.type)) {
    const role = text(at(resource.props, "roleRef", "name"));
    if (role !== undefined && KUBERNETES_ADMIN_ROLES.includes(role)) return [`binds the Kubernetes role ${role}: bind a role with the rights needed instead`];
  }
  return [];
}

const PROJECT_LEVEL_IAM = /^gcp:(projects|organizations|folder|iam)\//;

/**
 * A branch changes no IAM at all: no project, folder or organization policy, no custom role, no
 * workload identity pool, no grant on a service account or a bucket, no service-account key. What
 * its pods may use in GCP the preview stack grants once, to the preview cluster's workloads.
 */
export function branchIamViolations(resources: readonly StackResource[]): StackViolation[] {
  if (!holdsTo(resources, "branch")) return [];
  const out: StackViolation[] = [];
  for (const r of resources) {
    if (PROJECT_LEVEL_IAM.test(r.type)) out.push({ urn: r.urn, message: `${describe(r)}: a branch changes no project-, folder- or organization-level IAM` });
    else if (r.type === "gcp:serviceaccount/key:Key") out.push({ urn: r.urn, message: `${describe(r)}: a branch creates no service-account key` });
    else if (IAM_GRANT.test(r.type)) out.push({ urn: r.urn, message: `${describe(r)}: a branch grants nothing in IAM (granted ${JSON.stringify(grantedRoles(r.props).join(", ") || null)})` });
  }
  return out;
}

const WORKLOAD_IDENTITY_ANNOTATION = "iam.gke.io/gcp-service-account";

/** Every Workload Identity annotation under a value (ServiceAccount metadata, Helm values), with its path. */
function workloadIdentityAnnotations(value: unknown, path: string): { path: string; email: string }[] {
  const obj = record(value);
  if (obj) {
    return Object.entries(obj).flatMap(([k, v]) =>
      k === WORKLOAD_IDENTITY_ANNOTATION && typeof v === "string" ? [{ path: `${path}${k}`, email: v }] : workloadIdentityAnnotations(v, `${path}${k}.`),
    );
  }
  return list(value).flatMap((v, i) => workloadIdentityAnnotations(v, `${path}${i}.`));
}

/** Provider settings that would make a branch act as someone other than the branch deployer. */
const FOREIGN_CREDENTIALS = ["impersonateServiceAccount", "impersonateServiceAccountDelegates", "credentials", "accessToken"];

/**
 * A branch acts as the branch deployer and its pods as themselves (the preview cluster's
 * Workload Identity principal set): no provider impersonates or brings credentials, no Google
 * service account is created, and no Kubernetes ServiceAccount or Helm value asks to act as a
 * Google service account (`iam.gke.io/gcp-service-account`). A prod identity cannot be borrowed
 * by naming it.
 */
export function branchIdentityViolations(resources: readonly StackResource[]): StackViolation[] {
  if (!holdsTo(resources, "branch")) return [];
  const out: StackViolation[] = [];
  const flag = (r: StackResource, message: string) => out.push({ urn: r.urn, message: `${describe(r)}: ${message}` });
  for (const r of resources) {
    if (r.type === "pulumi:providers:gcp") {
      for (const key of FOREIGN_CREDENTIALS) if (r.props[key] !== undefined && r.props[key] !== "") flag(r, `sets ${key}: a branch runs as the branch deployer, never as another identity`);
    }
    if (r.type === "gcp:serviceaccount/account:Account") flag(r, `accountId ${JSON.stringify(r.props.accountId ?? null)}: a branch creates no Google service account`);
    for (const a of workloadIdentityAnnotations(r.props, "")) flag(r, `${a.path} = ${a.email}: a branch's pods act as themselves, never as a Google service account`);
  }
  return out;
}
