import type { PolicyConfigSchema } from "@pulumi/policy";
import { bucketAccessViolations } from "./storage";
import { branchTeardownViolations } from "./branchTeardown";
import { cloudSqlInstanceViolations, prodCloudSqlDeletionViolations } from "./cloudSql";
import { PRODUCTION_DATABASE_SCHEMA, productionDatabaseOf } from "./config";
import { configMapSecretViolations } from "./configMaps";
import { deploymentKindViolations } from "./deployment";
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
    name: "deployment-kind-known",
    description: "The stack's namespace says whether it is prod or a branch (label dagster-platform/deployment-kind).",
    check: deploymentKindViolations,
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
