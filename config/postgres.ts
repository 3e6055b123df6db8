import * as pulumi from "@pulumi/pulumi";
import { isPinned, parseImage } from "../locations/image";
import { excerpt } from "../locations/problems";
import { Deployment } from "../render/deployment";
import { sqlTierProblem } from "./gcpRules";
import { ConfigReader } from "./reader";
import { PostgresConfig } from "./types";

/** Dagster's storage: this stack's Cloud SQL, an external server, or the branch's own PostgreSQL. */
export function readPostgres(c: ConfigReader, deployment: Deployment, cloudSql: boolean): PostgresConfig {
  if (deployment.kind === "preview") return { mode: "none" };
  if (deployment.kind === "branch") return { mode: "branch", image: branchPostgresImage(c), storageGb: c.int("branchPostgresStorageGb") };
  if (cloudSql) {
    const backupStart = c.string("cloudSqlBackupStart") ?? "02:00";
    if (!/^([01]\d|2[0-3]):[0-5]\d$/.test(backupStart)) c.problem("cloudSqlBackupStart", `${excerpt(backupStart)} is not a time HH:MM (UTC, 24-hour)`);
    const tier = c.string("cloudSqlTier") ?? "db-custom-1-3840";
    const tierWhy = sqlTierProblem(tier);
    if (tierWhy) c.problem("cloudSqlTier", `${excerpt(tier)}: ${tierWhy}`);
    const deletionProtection = c.bool("cloudSqlDeletionProtection");
    if (!deletionProtection && deployment.stack === "prod") {
      c.problem("cloudSqlDeletionProtection", "is false on the prod stack", "prod run history is protected; keep it true");
    }
    return {
      mode: "cloudsql",
      tier,
      diskSizeGb: c.int("cloudSqlDiskGb"),
      availability: c.enumValue("cloudSqlAvailability"),
      backupStart,
      pitrDays: c.int("cloudSqlPitrDays"),
      deletionProtection,
    };
  }
  return {
    mode: "external",
    host: c.required("postgresHost", "cloudSql is false, so Dagster needs an external PostgreSQL") ?? "",
    port: c.int("postgresPort"),
    database: c.string("postgresDatabase") ?? "dagster",
    user: c.string("postgresUser") ?? "dagster",
    password: c.requiredSecret("postgresPassword", "cloudSql is false, so Dagster needs the external PostgreSQL's password") ?? pulumi.secret(""),
  };
}

/** The official PostgreSQL image, pinned: a branch's run storage must not change under it. */
function branchPostgresImage(c: ConfigReader): string {
  const raw = c.string("branchPostgresImage") ?? "";
  const parsed = parseImage(raw);
  if (!parsed.ok || !isPinned(parsed.image)) c.problem("branchPostgresImage", `${excerpt(raw)} is not a pinned image reference`, "a version tag such as docker.io/library/postgres:16.10, or a digest");
  return raw;
}
