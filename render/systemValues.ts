import { ResourceRequirements } from "../locations/types";

export const DAGSTER_HOME = "/opt/dagster/dagster_home";
/** The Secret the charts read `postgresql-password` from; created by Pulumi, never by Helm. */
export const POSTGRES_SECRET_NAME = "dagster-postgresql-secret";
/** Pod annotation that rolls the webserver and daemon when the workspace changes (restart mode). */
export const WORKSPACE_CHECKSUM_ANNOTATION = "dagster-platform/workspace-checksum";
export const WORKLOAD_IDENTITY_ANNOTATION = "iam.gke.io/gcp-service-account";
/** SQLAlchemy URL scheme of the instance's storages (chart value postgresql.postgresqlScheme). */
export const POSTGRES_SCHEME = "postgresql+psycopg2";

/** Where versioned defs state lives in its bucket: the instance and CI's refresh must agree. */
export function defsStateBasePath(bucket: string): string {
  return `gs://${bucket}/dagster/defs-state`;
}

export type WorkspaceRollout = { mode: "reload" } | { mode: "restart"; workspaceChecksum: string };

export interface PostgresConnection {
  host: string;
  port: number;
  database: string;
  user: string;
  /** libpq keywords, e.g. sslmode. */
  params: Record<string, string>;
}

export interface SystemValuesInput {
  workspaceConfigMap: string;
  rollout: WorkspaceRollout;
  postgres: PostgresConnection;
  /** Webserver and daemon image; the chart version's own image when omitted. */
  image: { repository: string; tag: string };
  resources: { webserver: ResourceRequirements; daemon: ResourceRequirements; runs: ResourceRequirements };
  webserverReplicas: number;
  /** GCS compute logs; NoOp when omitted. */
  computeLogs?: { bucket: string; prefix: string };
  /** `gs://…` base path of versioned defs state; unset when omitted. */
  defsStateBasePath?: string;
  /** Google service account email the system KSA impersonates through Workload Identity. */
  gcpServiceAccount?: string;
  /** Exposure through the chart's Ingress (GKE), only behind IAP or an internal load balancer. */
  ingress?: SystemIngress;
  /** Finished run Jobs are deleted after this long. */
  runJobTtlSeconds: number;
  /** Runs executing at once (the daemon's QueuedRunCoordinator); unlimited when omitted. */
  maxConcurrentRuns?: number;
}

export interface SystemIngress {
  host: string;
  /** Includes `kubernetes.io/ingress.class`: GKE's controller reads the annotation, not ingressClassName. */
  annotations: Record<string, string>;
  serviceAnnotations: Record<string, string>;
}

type PodAnnotations = Record<string, string>;
type ImageValues = { repository: string; tag: string; pullPolicy: string };

/**
 * Values for the `dagster/dagster` release. Only what this platform decides is written; the
 * chart's defaults fill the rest. Inputs are plain data, so the result is a pure function of them.
 */
export function renderSystemValues(input: SystemValuesInput): Record<string, unknown> {
  // Webserver and daemon share the annotation and the image: both must roll, and run the same
  // Dagster, whenever either changes.
  const podAnnotations: PodAnnotations =
    input.rollout.mode === "restart" ? { [WORKSPACE_CHECKSUM_ANNOTATION]: input.rollout.workspaceChecksum } : {};
  const image: ImageValues = { repository: input.image.repository, tag: input.image.tag, pullPolicy: "IfNotPresent" };

  const values: Record<string, unknown> = {
    global: {
      postgresqlSecretName: POSTGRES_SECRET_NAME,
      dagsterHome: DAGSTER_HOME,
      serviceAccountName: "",
      celeryConfigSecretName: "dagster-celery-config-secret",
    },
    serviceAccount: {
      create: true,
      name: "",
      annotations: input.gcpServiceAccount ? { [WORKLOAD_IDENTITY_ANNOTATION]: input.gcpServiceAccount } : {},
    },
    dagsterWebserver: webserverValues(input, image, podAnnotations),
    dagsterDaemon: daemonValues(input, image, podAnnotations),
    // User code runs in one dagster-user-deployments release per location, not in the subchart;
    // `enabled` keeps the -w workspace flag and the workspace volume on webserver and daemon.
    "dagster-user-deployments": { enabled: true, enableSubchart: false },
    pipelineRun: { image: { ...image } },
    postgresql: postgresqlValues(input.postgres),
    generatePostgresqlPasswordSecret: false,
    runLauncher: runLauncherValues(input),
    computeLogManager: computeLogManagerValues(input.computeLogs),
    additionalInstanceConfig: input.defsStateBasePath ? defsStateStorageValues(input.defsStateBasePath) : {},
  };

  if (input.ingress) values.ingress = ingressValues(input.ingress);
  return values;
}

function webserverValues(input: SystemValuesInput, image: ImageValues, podAnnotations: PodAnnotations): Record<string, unknown> {
  return {
    replicaCount: input.webserverReplicas,
    image,
    // The workspace is a ConfigMap Pulumi owns; `servers` must be emptied or the chart fails
    // ("workspace.servers and workspace.externalConfigmap cannot both be set").
    workspace: { enabled: true, servers: [], externalConfigmap: input.workspaceConfigMap },
    annotations: podAnnotations,
    resources: input.resources.webserver,
    service: {
      type: "ClusterIP",
      port: 80,
      annotations: input.ingress?.serviceAnnotations ?? {},
    },
  };
}

function daemonValues(input: SystemValuesInput, image: ImageValues, podAnnotations: PodAnnotations): Record<string, unknown> {
  return {
    image,
    annotations: podAnnotations,
    resources: input.resources.daemon,
    // Only branch stacks set a limit (branchMaxConcurrentRuns); prod keeps the chart's coordinator.
    ...(input.maxConcurrentRuns !== undefined
      ? { runCoordinator: { enabled: true, type: "QueuedRunCoordinator", config: { queuedRunCoordinator: { maxConcurrentRuns: input.maxConcurrentRuns } } } }
      : {}),
  };
}

function postgresqlValues(postgres: PostgresConnection): Record<string, unknown> {
  return {
    enabled: false,
    postgresqlHost: postgres.host,
    postgresqlUsername: postgres.user,
    // Unused: generatePostgresqlPasswordSecret is false and Pulumi writes the Secret. The schema
    // still requires a string, and an empty one keeps the password out of Helm's release record.
    postgresqlPassword: "",
    postgresqlDatabase: postgres.database,
    postgresqlParams: postgres.params,
    // Name the driver dagster-postgres depends on (psycopg2): SQLAlchemy 2.1 maps a bare
    // postgresql:// to psycopg 3, which no Dagster package installs, and every process that
    // loads the instance then fails with "No module named 'psycopg'" (found by the rehearsal).
    postgresqlScheme: POSTGRES_SCHEME,
    service: { port: postgres.port },
  };
}

function runLauncherValues(input: SystemValuesInput): Record<string, unknown> {
  return {
    type: "K8sRunLauncher",
    config: {
      k8sRunLauncher: {
        // Run pods use the code location's image, which repos/ requires to be pinned.
        imagePullPolicy: "IfNotPresent",
        loadInclusterConfig: true,
        envConfigMaps: [],
        envSecrets: [],
        envVars: [],
        volumeMounts: [],
        volumes: [],
        labels: {},
        resources: input.resources.runs,
        runK8sConfig: { jobSpecConfig: { ttlSecondsAfterFinished: input.runJobTtlSeconds } },
      },
    },
  };
}

function computeLogManagerValues(computeLogs: SystemValuesInput["computeLogs"]): Record<string, unknown> {
  return computeLogs
    ? {
        type: "GCSComputeLogManager",
        config: { gcsComputeLogManager: { bucket: computeLogs.bucket, prefix: computeLogs.prefix } },
      }
    : { type: "NoOpComputeLogManager", config: {} };
}

function defsStateStorageValues(basePath: string): Record<string, unknown> {
  return {
    // Not the chart's defsStateStorage key: that only exists on an unmerged chart branch.
    defs_state_storage: {
      module: "dagster._core.storage.defs_state.blob_storage_state_storage",
      class: "UPathDefsStateStorage",
      config: { base_path: basePath },
    },
  };
}

function ingressValues(ingress: SystemIngress): Record<string, unknown> {
  return {
    enabled: true,
    annotations: ingress.annotations,
    labels: {},
    dagsterWebserver: {
      host: ingress.host,
      path: "/*",
      pathType: "ImplementationSpecific",
      tls: { enabled: false, secretName: "" },
      precedingPaths: [],
      succeedingPaths: [],
    },
  };
}
