/**
 * The branch deployer's Kubernetes rights in the preview cluster. Kubernetes RBAC can name
 * namespaces only in a RoleBinding of an existing namespace, and branch namespaces come and go;
 * so the deployer holds cluster-wide only what it needs to create its namespace and bind itself
 * in it, and everything else through that per-namespace binding. What RBAC cannot confine
 * (which namespaces, which kinds, which bindings) the confinement admission policy does.
 */
export const BRANCH_NAMESPACE_PATTERN = "^dagster-pr-[1-9][0-9]{0,8}$";
/** Cluster-wide: create/delete its namespaces, create the one RoleBinding, bind one ClusterRole. */
export const BRANCH_DEPLOYER_CLUSTER_ROLE = "dagster-branch-deployer";
/** Bound by each branch in its own namespace only. */
export const BRANCH_NAMESPACE_CLUSTER_ROLE = "dagster-branch-namespace";
/** The RoleBinding a branch creates in its namespace, binding the deployer to the namespace role. */
export const BRANCH_DEPLOYER_ROLE_BINDING = "dagster-branch-deployer";

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

const READ = ["get", "list", "watch"];
const WRITE = [...READ, "create", "update", "patch", "delete"];

/** What the deployer holds in every namespace (confined to dagster-pr-* by admission). */
export function deployerClusterRules(): PolicyRule[] {
  return [
    // Namespaces are cluster-scoped: no RoleBinding can grant them. Reading them shows names only.
    { apiGroups: [""], resources: ["namespaces"], verbs: WRITE },
    // The first object in a new namespace: the binding that gives the deployer its namespace rights.
    { apiGroups: ["rbac.authorization.k8s.io"], resources: ["rolebindings"], verbs: ["create"] },
    // Binding a role one does not hold needs `bind` on it (RBAC escalation prevention): only this one.
    { apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterroles"], verbs: ["bind"], resourceNames: [BRANCH_NAMESPACE_CLUSTER_ROLE] },
  ];
}

/**
 * What a branch's own namespace needs: the objects the program and the two charts create, and
 * every right the charts' Roles grant their ServiceAccounts (creating a Role needs holding its
 * rights: the dagster chart's Role has full rights on jobs, pods and events, the
 * dagster-user-deployments chart's `*` on jobs, jobs/status, cronjobs, pods, pods/log, pods/status;
 * templates/role.yaml of both charts).
 */
export function namespaceRules(): PolicyRule[] {
  return [
    { apiGroups: [""], resources: ["configmaps", "secrets", "services", "serviceaccounts", "persistentvolumeclaims", "resourcequotas", "limitranges"], verbs: WRITE },
    { apiGroups: [""], resources: ["pods", "pods/log", "pods/status", "events"], verbs: ["*"] },
    // Pulumi waits for Services through their endpoints.
    { apiGroups: [""], resources: ["endpoints"], verbs: READ },
    { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: READ },
    { apiGroups: ["apps"], resources: ["deployments", "statefulsets"], verbs: WRITE },
    { apiGroups: ["apps"], resources: ["replicasets", "controllerrevisions"], verbs: READ },
    { apiGroups: ["batch"], resources: ["jobs", "jobs/status", "cronjobs"], verbs: ["*"] },
    { apiGroups: ["networking.k8s.io"], resources: ["networkpolicies", "ingresses"], verbs: WRITE },
    { apiGroups: ["policy"], resources: ["poddisruptionbudgets"], verbs: WRITE },
    { apiGroups: ["rbac.authorization.k8s.io"], resources: ["roles", "rolebindings"], verbs: WRITE },
    { apiGroups: ["cloud.google.com"], resources: ["backendconfigs"], verbs: WRITE },
    { apiGroups: ["networking.gke.io"], resources: ["managedcertificates"], verbs: WRITE },
  ];
}

/**
 * Kinds the deployer may create, update or delete, as `<group>/<resource>`: what a branch stack
 * and its Helm releases create. Pods are not among them: controllers create those.
 */
export function branchWritableKinds(): string[] {
  return [
    "/namespaces",
    ...namespaceRules()
      .filter((r) => (r.verbs.includes("create") || r.verbs.includes("*")) && !r.resources.includes("pods"))
      .flatMap((r) => r.resources.filter((res) => !res.includes("/")).map((res) => `${r.apiGroups[0]}/${res}`)),
  ].sort();
}
