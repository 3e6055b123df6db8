import * as pulumi from "@pulumi/pulumi";
import { BranchDatabase } from "../components/BranchDatabase";
import { CloudSqlPostgres } from "../components/CloudSqlPostgres";
import { PlatformConfig } from "../config";
import { gcpNames } from "../render/gcpNames";
import { PostgresConnection } from "../render/systemValues";
import { Cloud } from "./cloud";
import { PROD_OUTPUTS, StackOutputs } from "./outputs";

export interface Postgres {
  connection: pulumi.Output<PostgresConnection>;
  password: pulumi.Output<string>;
  outputs: StackOutputs;
}

/** Dagster's storage: prod's Cloud SQL, an external server, or a branch database on prod's instance. */
export function deployPostgres(cfg: PlatformConfig, cloud: Cloud): Postgres {
  const d = cfg.deployment;
  const pg = cfg.postgres;
  if (pg.mode === "cloudsql") {
    if (!cfg.gcp || !cloud.network) throw new Error("Cloud SQL needs GCP and the VPC (config.ts guarantees both)");
    const sql = new CloudSqlPostgres(
      "postgres",
      {
        instanceName: gcpNames(d, cfg.gcp.project).sqlInstance,
        region: cfg.gcp.region,
        network: cloud.network.networkId,
        ...pg,
        protect: true,
        dependsOn: cloud.network.privateServicesAccess ? [cloud.network.privateServicesAccess] : [],
      },
      cloud.onGcp,
    );
    return {
      connection: sql.instance.privateIpAddress.apply((host): PostgresConnection => ({ host, port: 5432, database: "dagster", user: "dagster", params: { sslmode: "require" } })),
      password: sql.password,
      outputs: { sqlInstanceName: sql.instance.name, sqlConnectionName: sql.instance.connectionName, sqlPrivateIp: sql.instance.privateIpAddress },
    };
  }
  if (pg.mode === "external") {
    return {
      connection: pulumi.output<PostgresConnection>({ host: pg.host, port: pg.port, database: pg.database, user: pg.user, params: {} }),
      password: pg.password,
      outputs: {},
    };
  }
  if (!cloud.prod || d.kind !== "branch") throw new Error("a branch database needs the prod stack reference");
  const db = new BranchDatabase("postgres", { pullRequest: d.pullRequest, instanceName: cloud.prod.requireOutput(PROD_OUTPUTS.sqlInstanceName) as pulumi.Output<string> }, cloud.onGcp);
  return {
    connection: (cloud.prod.requireOutput(PROD_OUTPUTS.sqlPrivateIp) as pulumi.Output<string>).apply((host): PostgresConnection => ({
      host,
      port: 5432,
      database: db.databaseName,
      user: db.userName,
      params: { sslmode: "require" },
    })),
    password: db.password,
    outputs: { postgresDatabase: db.databaseName },
  };
}
