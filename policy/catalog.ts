import type { PolicyConfigSchema } from "@pulumi/policy";
import { bucketAccessViolations } from "./storage";
import { branchTeardownViolations } from "./branchTeardown";
import { cloudSqlInstanceViolations, prodCloudSqlDeletionViolations } from "./cloudSql";
import { PRODUCTION_DATABASE_SCHEMA, productionDatabaseOf } from "./config";
import { configMapSecretViolations } from "./configMaps";
import { branchKubeconfigViolations, branchProviderViolations } from "./branchProviders";
import { branchNamespaceScopeViolations, branchOwnershipViolations, cloudSqlOutsideProdViolations, previewScopeViolations } from "./branchScope";
import { stackKindViolations } from "./deployment";
import { adminGrantViolations, branchIamViolations, branchIdentityViolations } from "./iam";
import { exposureViolations } from "./exposure";
import { unpinnedImageViolations } from "./images";
import { branchCredentialViolations, branchProductionGrantViolations, branchSnowflakeCallViolations, prodCloneViolations } from "./snowflake";
import { PolicyInput, StackResource, StackViolation } from "./types";

export interface ResourceRule {
  kind: "resource";
  name: string;
  description: string;
  check(resource: PolicyInput): string[];
}

export interface StackRule {
  kind: "stack";
  name: string;
  description: string;
  configSchema?: PolicyConfigSchema;
  check(resources: readonly StackResource[], config: Record<string, unknown>): StackViolation[];
}

export type Rule = ResourceRule | StackRule;

/**
 * Every rule of the pack, as pure functions. index.ts serves exactly this list; tests run it
 * against the real plans. One policy per concern, so that a value still unknown in a preview
 * (which makes the engine downgrade that one policy to advisory) leaves the others enforced.
 */
export const RULES: readonly Rule[] = [
  {
    kind: "resource",
    name: "storage-bucket-not-public",
    description: "GCS buckets enforce public access prevention and uniform bucket-level access.",
    check: bucketAccessViolations,
  },
  {
    kind: "resource",
    name: "cloudsql-private-and-recoverable",
    description: "Cloud SQL has no public IP or authorized networks, and backups with point-in-time recovery.",
    check: cloudSqlInstanceViolations,
  },
  {
    kind: "stack",
    name: "cloudsql-deletion-protected-in-prod",
    description: "In a prod stack, Cloud SQL instances have deletionProtection and settings.deletionProtectionEnabled.",
    check: prodCloudSqlDeletionViolations,
  },
  {
    kind: "resource",
    name: "no-secret-keys-in-configmaps",
    description: "No secret-looking keys in ConfigMaps, including code-location env the dagster-user-deployments chart writes into one.",
    check: configMapSecretViolations,
  },
  {
    kind: "resource",
    name: "code-location-images-pinned",
    description: "Every code-location image deploys a version tag or a digest: no empty tag, no latest.",
    check: unpinnedImageViolations,
  },
  {
    kind: "stack",
    name: "webserver-not-public",
    description: "The webserver Service is ClusterIP; Ingresses are internal or IAP-protected; no public LoadBalancer or NodePort Service.",
    check: exposureViolations,
  },
  {
    kind: "stack",
    name: "stack-kind-known",
    description: "The stack's name (as the engine writes it into every URN) is prod, preview, pr-<N> or another prod-like name; never a malformed pr-… name.",
    check: stackKindViolations,
  },
  {
    kind: "resource",
    name: "no-admin-grants",
    description: "No IAM grant of an owner-like role (roles/owner, roles/editor, IAM and service-account admin roles), no Kubernetes binding of cluster-admin, admin or edit.",
    check: adminGrantViolations,
  },
  {
    kind: "stack",
    name: "cloudsql-prod-only",
    description: "Only prod has gcp:sql/* resources: no branch or preview database, user or instance (prod's Cloud SQL holds prod's run history).",
    check: cloudSqlOutsideProdViolations,
  },
  {
    kind: "stack",
    name: "branch-no-iam-changes",
    description: "A branch changes no IAM: no project, folder or organization policy, no custom role, no grant on a service account or bucket, no service-account key.",
    check: branchIamViolations,
  },
  {
    kind: "stack",
    name: "branch-no-foreign-identities",
    description: "A branch impersonates no one: no provider credentials or impersonation, no Google service account, no Workload Identity annotation.",
    check: branchIdentityViolations,
  },
  {
    kind: "stack",
    name: "branch-own-namespace-only",
    description: "Every Kubernetes object and Helm release of a branch is in its namespace dagster-pr-<N>; no cluster-scoped object.",
    check: branchNamespaceScopeViolations,
  },
  {
    kind: "stack",
    name: "branch-owns-only-its-resources",
    description: "In GCP a branch owns nothing (its data lives under its prefix of the preview stack's branch-data bucket), and imports nothing.",
    check: branchOwnershipViolations,
  },
  {
    kind: "stack",
    name: "branch-known-providers",
    description: "A branch uses only the kubernetes, snowflake, random and tls providers, loaded the ordinary way: no dynamic (pulumi-nodejs:dynamic:Resource) or command:* resource, no other package, no pluginDownloadURL or parameterized provider.",
    check: branchProviderViolations,
  },
  {
    kind: "stack",
    name: "branch-kubeconfig-from-preview",
    description: "Every Kubernetes provider of a branch uses exactly the preview stack's kubeconfig output, with no other context or cluster.",
    check: branchKubeconfigViolations,
  },
  {
    kind: "stack",
    name: "preview-runs-no-dagster",
    description: "The preview stack installs no Dagster release.",
    check: previewScopeViolations,
  },
  {
    kind: "stack",
    name: "branch-no-production-grants",
    description: "In a branch stack, no Snowflake grant names the production database.",
    configSchema: PRODUCTION_DATABASE_SCHEMA,
    check: (resources, config) => branchProductionGrantViolations(resources, productionDatabaseOf(config)),
  },
  {
    kind: "stack",
    name: "branch-snowflake-calls-only",
    description: "In a branch stack, every Snowflake resource is an Execute that CALLs the DAGSTER_BRANCH_ADMIN.BRANCHES procedures for its own pull request.",
    check: branchSnowflakeCallViolations,
  },
  {
    kind: "stack",
    name: "branch-snowflake-credentials",
    description: "In a branch stack, the dagster-snowflake Secret names a _CLONE_<N> database and a DAGSTER_PR_<N> user.",
    check: branchCredentialViolations,
  },
  {
    kind: "stack",
    name: "branch-destroy-safe",
    description: "A branch stack protects nothing and owns no Cloud SQL instance, GKE cluster or Artifact Registry repository.",
    check: branchTeardownViolations,
  },
  {
    kind: "stack",
    name: "prod-no-snowflake-clone",
    description: "A prod stack runs no Snowflake statement that clones a database or calls a branch procedure.",
    check: prodCloneViolations,
  },
];
