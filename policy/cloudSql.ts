import { holdsTo } from "./deployment";
import { at, list, text } from "./props";
import { describe, PolicyInput, StackResource, StackViolation } from "./types";

export const SQL_INSTANCE_TYPE = "gcp:sql/databaseInstance:DatabaseInstance";

/**
 * Dagster's run history lives here: reachable only over the VPC, and recoverable to any point in
 * the log retention window. An absent `ipv4Enabled` is a violation because Cloud SQL's default is
 * a public IP.
 */
export function cloudSqlInstanceViolations(resource: PolicyInput): string[] {
  if (resource.type !== SQL_INSTANCE_TYPE) return [];
  const settings = resource.props.settings;
  const out: string[] = [];
  if (at(settings, "ipConfiguration", "ipv4Enabled") !== false) {
    out.push("settings.ipConfiguration.ipv4Enabled must be false: the instance must have no public IP");
  }
  const authorized = list(at(settings, "ipConfiguration", "authorizedNetworks"));
  if (authorized.length > 0) {
    out.push(`settings.ipConfiguration.authorizedNetworks must be empty (has ${authorized.length}): connect over private IP`);
  }
  if (at(settings, "backupConfiguration", "enabled") !== true) {
    out.push("settings.backupConfiguration.enabled must be true");
  }
  // MySQL's point-in-time recovery is its binary log; PostgreSQL and SQL Server have the flag.
  const mysql = (text(resource.props.databaseVersion) ?? "").startsWith("MYSQL");
  const pitrField = mysql ? "binaryLogEnabled" : "pointInTimeRecoveryEnabled";
  if (at(settings, "backupConfiguration", pitrField) !== true) {
    out.push(`settings.backupConfiguration.${pitrField} must be true: point-in-time recovery`);
  }
  return out;
}

/**
 * In prod, the instance must survive a mistaken `pulumi destroy` or a console click. The
 * provider-level `deletionProtection` defaults to true, so only an explicit false fails it; the
 * API-level `settings.deletionProtectionEnabled` defaults to false and must be set.
 */
export function prodCloudSqlDeletionViolations(resources: readonly StackResource[]): StackViolation[] {
  if (!holdsTo(resources, "prod")) return [];
  const out: StackViolation[] = [];
  for (const r of resources) {
    if (r.type !== SQL_INSTANCE_TYPE) continue;
    if (r.props.deletionProtection === false) {
      out.push({ urn: r.urn, message: `${describe(r)}: deletionProtection must not be false in prod` });
    }
    if (at(r.props, "settings", "deletionProtectionEnabled") !== true) {
      out.push({ urn: r.urn, message: `${describe(r)}: settings.deletionProtectionEnabled must be true in prod` });
    }
  }
  return out;
}
