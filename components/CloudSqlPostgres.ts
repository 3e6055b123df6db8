import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { COMPONENT_PREFIX } from "./labels";

export interface CloudSqlPostgresArgs {
  instanceName: string;
  region: string;
  network: pulumi.Input<string>;
  tier: string;
  diskSizeGb: number;
  availability: string;
  backupStart: string;
  pitrDays: number;
  deletionProtection: boolean;
  /** Pulumi `protect` on the instance and database: run history must survive any `pulumi destroy`. */
  protect: boolean;
  /** Resources that must exist first (the private services peering). */
  dependsOn: pulumi.Resource[];
}

/**
 * Dagster's run, event and schedule storage: Cloud SQL for PostgreSQL 16, outside the cluster so
 * it outlives the namespace. Private IP only, TLS required, backups with point-in-time recovery.
 */
export class CloudSqlPostgres extends pulumi.ComponentResource {
  readonly instance: gcp.sql.DatabaseInstance;
  readonly database: gcp.sql.Database;
  readonly user: gcp.sql.User;
  readonly password: pulumi.Output<string>;

  constructor(name: string, args: CloudSqlPostgresArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${COMPONENT_PREFIX}:CloudSqlPostgres`, name, {}, opts);
    this.instance = new gcp.sql.DatabaseInstance(
      name,
      {
        name: args.instanceName,
        region: args.region,
        databaseVersion: "POSTGRES_16",
        deletionProtection: args.deletionProtection,
        settings: {
          // PostgreSQL 16+ defaults to ENTERPRISE_PLUS, which refuses the small shared-core tiers.
          edition: "ENTERPRISE",
          tier: args.tier,
          availabilityType: args.availability,
          diskType: "PD_SSD",
          diskSize: args.diskSizeGb,
          diskAutoresize: true,
          deletionProtectionEnabled: args.deletionProtection,
          ipConfiguration: { ipv4Enabled: false, privateNetwork: args.network, sslMode: "ENCRYPTED_ONLY" },
          backupConfiguration: {
            enabled: true,
            startTime: args.backupStart,
            pointInTimeRecoveryEnabled: true,
            transactionLogRetentionDays: args.pitrDays,
            backupRetentionSettings: { retainedBackups: 14, retentionUnit: "COUNT" },
          },
          maintenanceWindow: { day: 7, hour: 3, updateTrack: "stable" },
          insightsConfig: { queryInsightsEnabled: true },
          userLabels: { "managed-by": "pulumi", "part-of": "dagster-platform" },
        },
      },
      { parent: this, protect: args.protect, dependsOn: args.dependsOn },
    );
    // ABANDON: a delete or replacement Pulumi plans leaves the database and its run history in place
    // (it is only dropped from the stack), on top of `protect`.
    this.database = new gcp.sql.Database(`${name}-dagster`, { name: "dagster", instance: this.instance.name, deletionPolicy: "ABANDON" }, { parent: this, protect: args.protect });
    const password = new random.RandomPassword(`${name}-dagster`, { length: 32, special: false }, { parent: this });
    this.password = pulumi.secret(password.result);
    this.user = new gcp.sql.User(`${name}-dagster`, { name: "dagster", instance: this.instance.name, password: this.password }, { parent: this });
    this.registerOutputs({ connectionName: this.instance.connectionName, privateIp: this.instance.privateIpAddress });
  }
}
