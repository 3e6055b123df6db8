import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { PostgresConnection } from "../render/systemValues";
import { COMPONENT_PREFIX, platformLabels } from "./labels";
import { kubernetesSecret } from "./secrets";

/**
 * The name is one the system chart reserves (its optional bitnami PostgreSQL, which is off), so
 * no code location can be called the same: a location's Service is named after it.
 */
export const BRANCH_POSTGRES_NAME = "dagster-postgresql";
const DATABASE = "dagster";
const USER = "dagster";
/** The official image runs as user postgres, uid/gid 999 (docker-library/postgres Dockerfile). */
const POSTGRES_UID = 999;

export interface BranchPostgresArgs {
  /** The namespace, as an Output that resolves once the deployer may write there. */
  namespace: pulumi.Input<string>;
  /** Its name, for the Service's DNS name. */
  namespaceName: string;
  image: string;
  storageGb: number;
  /** What its pod waits for: the preview cluster refuses pods in a branch namespace before its guardrails. */
  dependsOn: pulumi.Input<pulumi.Resource>[];
}

/**
 * A branch's own run storage: PostgreSQL in its namespace (StatefulSet, volume, Service, random
 * password). Nothing of it is on prod's Cloud SQL instance, and its data goes with the branch.
 */
export class BranchPostgres extends pulumi.ComponentResource {
  readonly password: pulumi.Output<string>;
  readonly connection: PostgresConnection;
  /** Users of the database depend on these, so destroy removes them first. */
  readonly server: pulumi.Resource[];

  constructor(name: string, args: BranchPostgresArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${COMPONENT_PREFIX}:BranchPostgres`, name, {}, opts);
    const parent = { parent: this };
    const labels = { ...platformLabels("postgres"), "app.kubernetes.io/name": BRANCH_POSTGRES_NAME };
    const meta = (suffix = "") => ({ name: `${BRANCH_POSTGRES_NAME}${suffix}`, namespace: args.namespace, labels });
    this.password = pulumi.secret(new random.RandomPassword(name, { length: 32, special: false }, parent).result);
    const credentials = kubernetesSecret(`${name}-server`, { name: `${BRANCH_POSTGRES_NAME}-server`, namespace: args.namespace, component: "postgres", data: { POSTGRES_PASSWORD: this.password } }, parent);
    const volume = new k8s.core.v1.PersistentVolumeClaim(
      `${name}-data`,
      {
        // GKE's default class binds on first consumer; Pulumi would wait for Bound before creating
        // that consumer (pulumi-kubernetes #895), so the claim is not awaited; the StatefulSet is.
        metadata: { ...meta("-data"), annotations: { "pulumi.com/skipAwait": "true" } },
        spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: `${args.storageGb}Gi` } } },
      },
      parent,
    );
    const service = new k8s.core.v1.Service(
      `${name}-service`,
      { metadata: meta(), spec: { type: "ClusterIP", selector: { "app.kubernetes.io/name": BRANCH_POSTGRES_NAME }, ports: [{ name: "postgres", port: 5432, targetPort: 5432 }] } },
      parent,
    );
    const statefulSet = new k8s.apps.v1.StatefulSet(
      name,
      { metadata: meta(), spec: { serviceName: BRANCH_POSTGRES_NAME, replicas: 1, selector: { matchLabels: { "app.kubernetes.io/name": BRANCH_POSTGRES_NAME } }, template: podTemplate(args, labels) } },
      { parent: this, dependsOn: [credentials, volume, ...args.dependsOn] },
    );
    this.server = [statefulSet, service];
    this.connection = { host: `${BRANCH_POSTGRES_NAME}.${args.namespaceName}.svc.cluster.local`, port: 5432, database: DATABASE, user: USER, params: {} };
    this.registerOutputs({ host: this.connection.host });
  }
}

function podTemplate(args: BranchPostgresArgs, labels: Record<string, string>): k8s.types.input.core.v1.PodTemplateSpec {
  return {
    metadata: { labels },
    spec: {
      automountServiceAccountToken: false,
      securityContext: { runAsNonRoot: true, runAsUser: POSTGRES_UID, runAsGroup: POSTGRES_UID, fsGroup: POSTGRES_UID },
      containers: [
        {
          name: "postgres",
          image: args.image,
          env: [
            { name: "POSTGRES_USER", value: USER },
            { name: "POSTGRES_DB", value: DATABASE },
            { name: "POSTGRES_PASSWORD", valueFrom: { secretKeyRef: { name: `${BRANCH_POSTGRES_NAME}-server`, key: "POSTGRES_PASSWORD" } } },
            // A subdirectory: the volume's root holds lost+found, and initdb wants an empty directory.
            { name: "PGDATA", value: "/var/lib/postgresql/data/pgdata" },
          ],
          ports: [{ name: "postgres", containerPort: 5432 }],
          readinessProbe: { exec: { command: ["pg_isready", "-h", "127.0.0.1", "-U", USER, "-d", DATABASE] }, periodSeconds: 5, failureThreshold: 6 },
          resources: { requests: { cpu: "250m", memory: "512Mi" }, limits: { memory: "1Gi" } },
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
          volumeMounts: [{ name: "data", mountPath: "/var/lib/postgresql/data" }],
        },
      ],
      volumes: [{ name: "data", persistentVolumeClaim: { claimName: `${BRANCH_POSTGRES_NAME}-data` } }],
    },
  };
}
