import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { BranchPostgres } from "../components/BranchPostgres";
import { CloudSqlPostgres } from "../components/CloudSqlPostgres";
import { PlatformConfig } from "../config";
import { gcpNames } from "../render/gcpNames";
import { PostgresConnection } from "../render/systemValues";
import { Cloud } from "./cloud";
import { StackOutputs } from "./outputs";

export interface Postgres {
  connection: pulumi.Output<PostgresConnection>;
  password: pulumi.Output<string>;
  /** The database server, where this stack runs one (a branch): its users depend on it. */
  server: pulumi.Resource[];
  outputs: StackOutputs;
}

/** Where a branch's own PostgreSQL goes, and what its pod must wait for. */
export interface BranchPlacement {
  namespace: pulumi.Output<string>;
  kubernetes: k8s.Provider;
  guardrails: pulumi.Resource[];
}

/** Dagster's storage: this stack's Cloud SQL, an external server, or the branch's own PostgreSQL. */
export function deployPostgres(cfg: PlatformConfig, cloud: Cloud, branch: BranchPlacement): Postgres {
  const d = cfg.deployment;
  const pg = cfg.postgres;
  if (pg.mode === "cloudsql") {
    if (!cfg.gcp || !cloud.network) throw new Error("Cloud SQL needs GCP and a VPC (config/ guarantees both)");
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
      server: [],
      outputs: { sqlInstanceName: sql.instance.name, sqlConnectionName: sql.instance.connectionName, sqlPrivateIp: sql.instance.privateIpAddress },
    };
  }
  if (pg.mode === "external") {
    return {
      connection: pulumi.output<PostgresConnection>({ host: pg.host, port: pg.port, database: pg.database, user: pg.user, params: {} }),
      password: pg.password,
      server: [],
      outputs: {},
    };
  }
  if (pg.mode !== "branch") throw new Error("the preview stack runs no Dagster and needs no PostgreSQL");
  const db = new BranchPostgres("postgres", { namespace: branch.namespace, namespaceName: cfg.namespace, image: pg.image, storageGb: pg.storageGb, dependsOn: branch.guardrails }, { provider: branch.kubernetes });
  return { connection: pulumi.output(db.connection), password: db.password, server: db.server, outputs: { postgresHost: db.connection.host } };
}
