/**
 * Every stack-config key of the `dagster-platform` namespace, with its type and default. The
 * table drives parsing, the did-you-mean for typos, docs/configuration.md and the plan tool's
 * secret placeholders, so a key exists in exactly one place.
 */
export type KeySpec =
  | { type: "string"; default?: string; secret?: boolean; doc: string }
  | { type: "int"; default?: number; min: number; max: number; doc: string }
  | { type: "bool"; default: boolean; doc: string }
  | { type: "enum"; values: readonly string[]; default: string; doc: string };

export const CONFIG_NAMESPACE = "dagster-platform";

export const CONFIG_KEYS = {
  // The deployment
  environment: { type: "string", doc: "`production` declares a stack other than prod, preview and pr-<N> production-like (its own names, dagster-<stack>); any other stack name is refused." },

  // Dagster and Helm
  chartVersion: { type: "string", doc: "Dagster Helm chart version (= dagster version) for the system and every code location." },
  chartRepository: { type: "string", default: "https://dagster-io.github.io/helm", doc: "Helm repository of the dagster charts." },
  namespace: { type: "string", doc: "Kubernetes namespace of a prod-like deployment. Default dagster (prod), dagster-<stack> (other production-like stacks); branches always use dagster-pr-<N>." },
  reposDir: { type: "string", default: "repos", doc: "Folder of code-location files, relative to the project." },
  workspaceRollout: { type: "enum", values: ["reload", "restart"], default: "reload", doc: "reload: no restarts, verified by a Job; restart: roll webserver and daemon on workspace changes." },
  systemImage: { type: "string", doc: "Webserver/daemon image (pinned). Default docker.io/dagster/dagster-celery-k8s:<chartVersion>." },
  helmTimeoutSeconds: { type: "int", default: 600, min: 60, max: 3600, doc: "How long Helm waits for a release before rolling it back (atomic)." },
  runJobTtlSeconds: { type: "int", default: 86400, min: 60, max: 2592000, doc: "Finished run Jobs are deleted after this many seconds." },

  // Cluster
  clusterMode: { type: "enum", values: ["create", "existing"], default: "existing", doc: "create: a GKE Autopilot cluster; existing: the cluster of `kubeconfig`." },
  clusterName: { type: "string", doc: "Name of the GKE cluster (create mode). Default dagster (prod), dagster-<stack> (other production-like stacks)." },
  clusterReleaseChannel: { type: "enum", values: ["RAPID", "REGULAR", "STABLE"], default: "REGULAR", doc: "GKE release channel (create mode)." },
  kubeconfig: { type: "string", secret: true, doc: "Kubeconfig of the existing cluster (existing mode). Required unless ambientKubeconfig is true." },
  ambientKubeconfig: { type: "bool", default: false, doc: "Existing mode without `kubeconfig`: deploy into the cluster of whoever runs pulumi's current kubeconfig context. Never for branches or create mode." },
  kubeContext: { type: "string", doc: "Context to use from the kubeconfig (existing mode)." },

  // Network
  network: { type: "enum", values: ["create", "existing"], default: "create", doc: "create a VPC with private services access, or use `networkName`." },
  networkName: { type: "string", doc: "VPC name (created, or the existing one). Default dagster (prod), dagster-<stack> (other production-like stacks)." },
  subnetCidr: { type: "string", default: "10.10.0.0/20", doc: "Primary range of the cluster subnet." },
  natAddresses: { type: "int", default: 1, min: 1, max: 16, doc: "Static external addresses Cloud NAT sends from (network create): the stack's fixed egress IPs, output natEgressIps, for allow-lists such as a Snowflake network policy." },
  podsCidr: { type: "string", default: "10.16.0.0/14", doc: "Secondary range for pods." },
  servicesCidr: { type: "string", default: "10.20.0.0/20", doc: "Secondary range for services." },
  proxySubnetCidr: { type: "string", default: "10.30.0.0/23", doc: "Proxy-only subnet of the internal load balancer (ingress internal)." },

  // PostgreSQL
  cloudSql: { type: "bool", default: true, doc: "Create Cloud SQL PostgreSQL 16; false: use postgresHost/postgresUser/postgresPassword." },
  cloudSqlTier: { type: "string", default: "db-custom-1-3840", doc: "Cloud SQL machine tier (ENTERPRISE edition)." },
  cloudSqlDiskGb: { type: "int", default: 20, min: 10, max: 65536, doc: "Initial disk size; autoresize is on." },
  cloudSqlAvailability: { type: "enum", values: ["ZONAL", "REGIONAL"], default: "ZONAL", doc: "REGIONAL adds a standby in another zone." },
  cloudSqlBackupStart: { type: "string", default: "02:00", doc: "Daily backup window start (UTC, HH:MM)." },
  cloudSqlPitrDays: { type: "int", default: 7, min: 1, max: 7, doc: "Days of transaction logs kept for point-in-time recovery." },
  cloudSqlDeletionProtection: { type: "bool", default: true, doc: "Cloud SQL deletion protection." },
  postgresHost: { type: "string", doc: "External PostgreSQL host (cloudSql false)." },
  postgresPort: { type: "int", default: 5432, min: 1, max: 65535, doc: "External PostgreSQL port." },
  postgresDatabase: { type: "string", default: "dagster", doc: "External PostgreSQL database." },
  postgresUser: { type: "string", default: "dagster", doc: "External PostgreSQL user." },
  postgresPassword: { type: "string", secret: true, doc: "External PostgreSQL password (cloudSql false)." },

  // Buckets and registry
  buckets: { type: "bool", default: true, doc: "Create GCS buckets for compute logs and defs state." },
  bucketLocation: { type: "string", doc: "Bucket location. Default: gcp:region." },
  computeLogRetentionDays: { type: "int", default: 30, min: 1, max: 3650, doc: "Compute logs are deleted after this many days." },
  registry: { type: "bool", default: true, doc: "Create an Artifact Registry Docker repository for code-location images." },
  registryKeepRecent: { type: "int", default: 20, min: 1, max: 1000, doc: "Cleanup policy: most recent versions kept per image." },
  registryUntaggedDays: { type: "int", default: 14, min: 1, max: 3650, doc: "Cleanup policy: untagged versions deleted after this many days." },

  // Webserver exposure
  ingress: { type: "enum", values: ["none", "iap", "internal"], default: "none", doc: "none: port-forward only; iap: external HTTPS load balancer behind IAP; internal: internal load balancer." },
  ingressHost: { type: "string", doc: "Host name of the prod webserver (ingress iap/internal)." },
  ingressBranchDomain: { type: "string", doc: "Domain under which pr-<N>.<domain> serves branch webservers." },
  iapOAuthClientId: { type: "string", doc: "OAuth client id for IAP (ingress iap)." },
  iapOAuthClientSecret: { type: "string", secret: true, doc: "OAuth client secret for IAP (ingress iap)." },

  // Snowflake
  snowflake: { type: "bool", default: false, doc: "Give code locations Snowflake credentials; branches get a zero-copy clone." },
  snowflakeAccount: { type: "string", doc: "Account identifier, <org>-<account>." },
  snowflakeWarehouse: { type: "string", doc: "Warehouse code locations (and branch roles) use." },
  snowflakeProductionDatabase: { type: "string", default: "PRODUCTION", doc: "The production database; branches clone it." },
  snowflakeUser: { type: "string", doc: "Prod: the service user code locations connect as." },
  snowflakeRole: { type: "string", doc: "Prod: the role code locations use." },
  snowflakePrivateKey: { type: "string", secret: true, doc: "Prod: the service user's PKCS#8 private key (PEM). Never set on a branch stack." },
  snowflakeCloneFreshness: {
    type: "enum",
    values: ["push", "pull-request-opened"],
    default: "push",
    doc: "Branch stacks: clone production as it is at each deploy (push), or as it was when the pull request opened (needs pullRequestOpenedAt within production's Time Travel retention).",
  },
  pullRequestOpenedAt: { type: "string", doc: "Branch stacks: when the pull request was opened, ISO 8601 with a zone (set by CI with `up --opened-at`)." },

  // Branch deployments
  previewStack: { type: "string", doc: "org/project/stack of the preview environment, the only stack pr-<N> stacks read (StackReference)." },
  commitSha: { type: "string", doc: "Branch stacks: the pull request's head commit (set by CI)." },
  branch: { type: "string", default: "", doc: "Branch stacks: the pull request's git branch (set by CI)." },
  commitTimestamp: { type: "string", doc: "Branch stacks: the head commit's time, Unix seconds (git log -1 --format=%ct; set by CI)." },
  commitAuthorName: { type: "string", doc: "Branch stacks: the head commit's author name (git log -1 --format=%an; set by CI)." },
  commitAuthorEmail: { type: "string", doc: "Branch stacks: the head commit's author email (git log -1 --format=%ae; set by CI)." },
  commitMessage: { type: "string", doc: "Branch stacks: the head commit's subject line (git log -1 --format=%s; set by CI); only its first line is used." },
  gitRepository: { type: "string", doc: "Branch stacks: the repository's name, e.g. acme/dagster-platform (GITHUB_REPOSITORY or CI_PROJECT_PATH; set by CI)." },
  branchLocations: { type: "string", default: "all", doc: "Branch stacks: `all`, or a comma-separated list of the locations to run." },
  recloneOnDeploy: { type: "bool", default: true, doc: "Branch stacks: re-clone production (DROP_BRANCH, then CREATE_BRANCH) whenever commitSha changes." },
  branchSecretNames: { type: "string", default: "", doc: "Project config: comma-separated Secrets branches may use; a location referencing another is refused in a branch. Values: the preview stack's branchSecretValues." },
  branchConfigMapNames: { type: "string", default: "", doc: "Project config: comma-separated ConfigMaps branches may use; a location referencing another is refused in a branch. Values: the preview stack's branchConfigMapValues." },
  branchCpuQuota: { type: "string", default: "8", doc: "CPU requests a branch namespace may hold in all (ResourceQuota; the preview stack's admission policy enforces it as a ceiling)." },
  branchMemoryQuota: { type: "string", default: "32Gi", doc: "Memory requests a branch namespace may hold in all (ResourceQuota; ceiling enforced by the preview stack)." },
  branchPodQuota: { type: "int", default: 50, min: 10, max: 10000, doc: "Pods a branch namespace may hold at once (ResourceQuota; ceiling enforced by the preview stack). About 5 fixed pods, one per code location, one per running run." },
  branchMaxConcurrentRuns: { type: "int", default: 4, min: 1, max: 100, doc: "Branch stacks: runs executing at once (QueuedRunCoordinator maxConcurrentRuns); the rest wait in the queue." },
  branchPostgresImage: { type: "string", default: "docker.io/library/postgres:16.10", doc: "Branch stacks: the pinned PostgreSQL image of the branch's own run storage." },
  branchPostgresStorageGb: { type: "int", default: 5, min: 1, max: 100, doc: "Branch stacks: size of the branch PostgreSQL's volume." },

  // Preview environment (the stack branches share)
  branchDeployer: { type: "string", doc: "Preview stack: email of the branch deployer's Google service account (in the preview project), bound to the branch RBAC." },
  branchSecretValues: { type: "string", secret: true, doc: "Preview stack: JSON {\"<Secret>\": {\"KEY\": \"value\"}} with branch-safe values for every name in branchSecretNames." },
  branchConfigMapValues: { type: "string", default: "{}", doc: "Preview stack: JSON {\"<ConfigMap>\": {\"KEY\": \"value\"}} for every name in branchConfigMapNames." },
  previewNodeServiceAccount: { type: "string", doc: "Prod stack: the preview cluster's node service account, granted read on prod's Artifact Registry repository." },

  // Workspace verification
  verifyImage: { type: "string", doc: "Image of the workspace verification Job. Default: the system image (has Python, no downloads)." },
  verifyTimeoutSeconds: { type: "int", default: 600, min: 30, max: 3600, doc: "How long the verification Job waits for the kubelet and the code servers, before the per-location part." },
  verifySecondsPerLocation: { type: "int", default: 10, min: 1, max: 600, doc: "Added to verifyTimeoutSeconds per location and webserver replica; one reloadWorkspace may take 60 s + this per location." },
} as const satisfies Record<string, KeySpec>;

export type ConfigKey = keyof typeof CONFIG_KEYS;

/** Keys whose values must be Pulumi secrets. */
export const SECRET_CONFIG_KEYS: readonly ConfigKey[] = (Object.keys(CONFIG_KEYS) as ConfigKey[]).filter(
  (k) => "secret" in CONFIG_KEYS[k] && (CONFIG_KEYS[k] as { secret?: boolean }).secret === true,
);
