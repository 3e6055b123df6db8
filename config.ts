import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { reservedServiceNames } from "./chart/names";
import { CONFIG_KEYS, CONFIG_NAMESPACE, ConfigKey, KeySpec, SECRET_CONFIG_KEYS } from "./configKeys";
import { chartImage, isPinned, parseImage } from "./locations/image";
import { parseLocations, readLocationFiles } from "./locations/load";
import { InputError, Problem } from "./locations/problems";
import { notePlaceholders, offlinePlanEnabled } from "./offline/mode";
import { didYouMean } from "./locations/suggest";
import { CodeLocation } from "./locations/types";
import { ValidationContext } from "./locations/validate";
import { BranchCommit, DAGSTER_CLOUD_ENV_KEYS, Deployment, classifyStack, deploymentNamespace } from "./render/deployment";
import { CONTAINER_CONTEXT_ENV } from "./render/containerContext";
import { BRANCH_SIZE, PROD_SIZE, SizeProfile } from "./render/resources";
import { SNOWFLAKE_ENV_KEYS, isSnowflakeIdentifier } from "./render/snowflake";

/**
 * The whole stack configuration, read and validated once. Components receive pieces of it as
 * typed arguments and never read Pulumi config themselves.
 */
export interface PlatformConfig {
  project: string;
  deployment: Deployment;
  namespace: string;
  chart: { version: string; repository: string };
  systemImage: { repository: string; tag: string };
  workspaceRollout: "reload" | "restart";
  helmTimeoutSeconds: number;
  runJobTtlSeconds: number;
  /** The locations this stack runs (a branch may run a subset). */
  locations: CodeLocation[];
  size: SizeProfile;
  gcp?: { project: string; region: string };
  cluster: ClusterConfig;
  network?: NetworkConfig;
  postgres: PostgresConfig;
  buckets?: { location: string; computeLogRetentionDays: number };
  registry?: { keepRecent: number; untaggedDays: number };
  ingress: IngressConfig;
  snowflake?: SnowflakeConfig;
  branch?: { prodStack: string; recloneOnDeploy: boolean };
  verify: { image: string; timeoutSeconds: number; secondsPerLocation: number };
  /** Secret keys planned with placeholders (offline plans only; always empty for real runs). */
  secretPlaceholders: string[];
}

export type ClusterConfig =
  | { mode: "create"; name: string; releaseChannel: string }
  | { mode: "existing"; kubeconfig?: pulumi.Output<string>; context?: string }
  /** Branch stacks deploy into prod's cluster, with the kubeconfig prod exports. */
  | { mode: "prod" };

export type NetworkConfig =
  | { mode: "create"; name: string; subnetCidr: string; podsCidr: string; servicesCidr: string }
  | { mode: "existing"; name: string };

export type PostgresConfig =
  | { mode: "cloudsql"; tier: string; diskSizeGb: number; availability: string; backupStart: string; pitrDays: number; deletionProtection: boolean }
  | { mode: "external"; host: string; port: number; database: string; user: string; password: pulumi.Output<string> }
  /** A database and user of the branch's own on prod's Cloud SQL instance. */
  | { mode: "branch" };

export type IngressConfig =
  | { mode: "none" }
  | { mode: "iap"; host: string; oauthClientId: string; oauthClientSecret: pulumi.Output<string> }
  /** The proxy-only subnet's range: the internal load balancer's proxies connect from it. */
  | { mode: "internal"; host: string; proxySubnetCidr: string };

export interface SnowflakeConfig {
  account: string;
  warehouse: string;
  productionDatabase: string;
  /** Prod only: the credentials code locations use. Branch stacks mint their own. */
  prod?: { user: string; role: string; privateKey: pulumi.Output<string> };
}

/** Raw stack configuration: values as Pulumi stores them (strings), keyed `namespace:key`. */
export interface RawConfig {
  project: string;
  stack: string;
  values: Readonly<Record<string, string>>;
  secretKeys: ReadonlySet<string>;
  /** Where repos/ and other relative paths are resolved. */
  projectDir: string;
  /**
   * Offline plans only: a required secret that is not set is planned with a placeholder (and
   * reported) instead of refused, so `npm run plan` works without anyone's secrets.
   */
  secretPlaceholders?: boolean;
}

/** The value the offline plan uses for an unset secret. Always a Pulumi secret, so never printed. */
export const SECRET_PLACEHOLDER_PREFIX = "plan-placeholder:";

/**
 * Whether Pulumi holds a config value as a secret. The SDK knows (the engine passes the secret
 * keys to the program) but exports the check as internal, so it is looked up defensively; an SDK
 * without it disables the plain-text check rather than breaking the program.
 */
function isConfigSecret(key: string): boolean {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const internal = require("@pulumi/pulumi/runtime/config") as { isConfigSecret?: (k: string) => boolean };
  return internal.isConfigSecret ? internal.isConfigSecret(key) : true;
}

/** Reads the raw configuration of the running Pulumi program (real or mocked). */
export function readRawConfig(projectDir = process.cwd()): RawConfig {
  const values = pulumi.runtime.allConfig();
  return {
    project: pulumi.getProject(),
    stack: pulumi.getStack(),
    values,
    secretKeys: new Set(Object.keys(values).filter(isConfigSecret)),
    projectDir,
  };
}

export function loadPlatformConfig(): PlatformConfig {
  const cfg = parsePlatformConfig({ ...readRawConfig(), secretPlaceholders: offlinePlanEnabled() });
  notePlaceholders(cfg.secretPlaceholders);
  return cfg;
}

const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;
const HOST = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/;
const GCP_PROJECT = /^[a-z][-a-z0-9]{4,28}[a-z0-9]$/;
const STACK_REF = /^[A-Za-z0-9][-A-Za-z0-9_.]*\/[A-Za-z0-9][-A-Za-z0-9_.]*\/[A-Za-z0-9][-A-Za-z0-9_.]*$/;
const GIT_SHA = /^[0-9a-f]{7,40}$/;
const SEMVER = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Typed access to the namespace's keys, collecting every problem instead of throwing. */
class ConfigReader {
  readonly problems: Problem[] = [];
  readonly source: string;

  constructor(private readonly raw: RawConfig) {
    this.source = `stack ${raw.stack} config`;
    this.checkUnknownKeys();
  }

  private fq(key: ConfigKey): string {
    return `${CONFIG_NAMESPACE}:${key}`;
  }

  problem(key: string, message: string, hint?: string): void {
    this.problems.push({ source: this.source, field: key.includes(":") ? key : `${CONFIG_NAMESPACE}:${key}`, message, hint });
  }

  isSet(key: ConfigKey): boolean {
    return this.raw.values[this.fq(key)] !== undefined;
  }

  private checkUnknownKeys(): void {
    const known = Object.keys(CONFIG_KEYS);
    for (const full of Object.keys(this.raw.values)) {
      if (!full.startsWith(`${CONFIG_NAMESPACE}:`)) continue;
      const key = full.slice(CONFIG_NAMESPACE.length + 1);
      if (known.includes(key)) continue;
      const guess = didYouMean(key, known);
      this.problem(full, `unknown config key "${key}"`, guess ? `did you mean "${guess}"?` : "see docs/configuration.md for the keys");
    }
    for (const key of SECRET_CONFIG_KEYS) {
      if (this.isSet(key) && !this.raw.secretKeys.has(this.fq(key))) {
        this.problem(key, "is stored in plain text", `set it with: pulumi config set --secret ${key} <value>`);
      }
    }
  }

  string(key: ConfigKey): string | undefined {
    const spec = CONFIG_KEYS[key] as KeySpec;
    const v = this.raw.values[this.fq(key)];
    if (v === undefined) return spec.type === "string" ? spec.default : undefined;
    return v;
  }

  required(key: ConfigKey, why: string): string | undefined {
    const v = this.string(key);
    if (v === undefined || v === "") this.problem(key, `is not set, and ${why}`, `pulumi config set ${key} <value>`);
    return v === "" ? undefined : v;
  }

  secret(key: ConfigKey): pulumi.Output<string> | undefined {
    const v = this.raw.values[this.fq(key)];
    return v === undefined || v === "" ? undefined : pulumi.secret(v);
  }

  readonly placeholders: string[] = [];

  requiredSecret(key: ConfigKey, why: string): pulumi.Output<string> | undefined {
    const v = this.secret(key);
    if (v) return v;
    if (this.raw.secretPlaceholders) {
      this.placeholders.push(key);
      return pulumi.secret(`${SECRET_PLACEHOLDER_PREFIX}${key}`);
    }
    this.problem(key, `is not set, and ${why}`, `pulumi config set --secret ${key} <value>`);
    return undefined;
  }

  int(key: ConfigKey): number {
    const spec = CONFIG_KEYS[key] as Extract<KeySpec, { type: "int" }>;
    const v = this.raw.values[this.fq(key)];
    const fallback = spec.default ?? spec.min;
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!/^-?\d+$/.test(v.trim()) || n < spec.min || n > spec.max) {
      this.problem(key, `"${v}" is not a whole number between ${spec.min} and ${spec.max}`);
      return fallback;
    }
    return n;
  }

  bool(key: ConfigKey): boolean {
    const spec = CONFIG_KEYS[key] as Extract<KeySpec, { type: "bool" }>;
    const v = this.raw.values[this.fq(key)];
    if (v === undefined) return spec.default;
    if (v === "true" || v === "false") return v === "true";
    this.problem(key, `"${v}" is not a boolean`, "use true or false");
    return spec.default;
  }

  enumValue<T extends string>(key: ConfigKey): T {
    const spec = CONFIG_KEYS[key] as Extract<KeySpec, { type: "enum" }>;
    const v = this.raw.values[this.fq(key)];
    if (v === undefined) return spec.default as T;
    if (spec.values.includes(v)) return v as T;
    const guess = didYouMean(v, spec.values);
    this.problem(key, `"${v}" is not one of ${spec.values.join(", ")}`, guess ? `did you mean "${guess}"?` : undefined);
    return spec.default as T;
  }

  providerValue(fullKey: string): string | undefined {
    return this.raw.values[fullKey];
  }
}

function cidrProblem(value: string): string | undefined {
  const m = CIDR.exec(value);
  if (!m || m.slice(1, 5).some((o) => Number(o) > 255) || Number(m[5]) > 32) return `"${value}" is not an IPv4 CIDR range such as 10.10.0.0/20`;
  return undefined;
}

const BRANCH_COMMIT_KEYS = ["commitTimestamp", "commitAuthorName", "commitAuthorEmail", "commitMessage", "gitRepository"] as const;

/** The head commit's metadata CI passes to a branch stack (the Dagster+ DAGSTER_CLOUD_GIT_* values). */
function readBranchCommit(c: ConfigReader): BranchCommit {
  const timestamp = c.string("commitTimestamp");
  if (timestamp !== undefined && !/^\d{1,12}$/.test(timestamp)) c.problem("commitTimestamp", `"${timestamp}" is not a Unix time in seconds`, "pass git log -1 --format=%ct");
  const message = c.string("commitMessage")?.split(/\r?\n/)[0].trim();
  const commit: BranchCommit = { timestamp, authorName: c.string("commitAuthorName"), authorEmail: c.string("commitAuthorEmail"), message, repository: c.string("gitRepository") };
  return Object.fromEntries(Object.entries(commit).filter(([, v]) => v !== undefined)) as BranchCommit;
}

/**
 * Parses and validates everything: stack config and the repos/ folder. Throws one InputError
 * listing every problem; returns only a fully valid configuration.
 */
export function parsePlatformConfig(raw: RawConfig): PlatformConfig {
  const c = new ConfigReader(raw);
  const problems: Problem[] = [];

  // Which deployment is this?
  const kind = classifyStack(raw.stack);
  let deployment: Deployment = { kind: "prod", stack: raw.stack };
  if (kind.kind === "invalid") {
    c.problem("(stack name)", kind.reason, "branch stacks are named pr-<pull request number>");
  } else if (kind.kind === "branch") {
    const commitSha = c.required("commitSha", "a branch stack deploys one commit (CI sets it)");
    if (commitSha !== undefined && !GIT_SHA.test(commitSha)) c.problem("commitSha", `"${commitSha}" is not a git commit sha`, "7 to 40 lowercase hex characters");
    const branch = c.string("branch") ?? "";
    if (/[\s~^:?*[\\\x00-\x1f]/.test(branch) || branch.length > 255) c.problem("branch", `"${branch}" is not a git branch name`);
    deployment = { kind: "branch", stack: raw.stack, pullRequest: kind.pullRequest, commitSha: commitSha ?? "0000000", branch, commit: readBranchCommit(c) };
  } else {
    for (const key of BRANCH_COMMIT_KEYS) if (c.isSet(key)) c.problem(key, "is set on a non-branch stack", "only pr-<N> stacks describe a pull request's head commit; unset it");
  }
  const isBranch = deployment.kind === "branch";

  // Chart and images
  const version = c.required("chartVersion", "the Helm charts must be pinned");
  if (version !== undefined && !SEMVER.test(version)) c.problem("chartVersion", `"${version}" is not a chart version such as 1.13.19`);
  const repository = c.string("chartRepository") ?? "";
  if (!/^https:\/\/\S+$/.test(repository)) c.problem("chartRepository", `"${repository}" is not an https URL`);
  let systemImage = { repository: "docker.io/dagster/dagster-celery-k8s", tag: version ?? "0.0.0" };
  const systemImageRaw = c.string("systemImage");
  if (systemImageRaw !== undefined) {
    const parsed = parseImage(systemImageRaw);
    if (!parsed.ok) c.problem("systemImage", `"${systemImageRaw}" is not an image reference: ${parsed.reason}`);
    else if (!isPinned(parsed.image)) c.problem("systemImage", `"${systemImageRaw}" is not pinned`, "use a tag other than latest, or a digest");
    else systemImage = chartImage(parsed.image);
  }

  // Namespace
  let namespace = c.string("namespace") ?? "dagster";
  if (isBranch && c.isSet("namespace")) c.problem("namespace", "is set on a branch stack", "branch namespaces are always dagster-pr-<N>; unset it");
  if (!DNS_LABEL.test(namespace) || namespace.length > 63) c.problem("namespace", `"${namespace}" is not a Kubernetes namespace name`, "lowercase letters, digits and -, at most 63");
  namespace = deploymentNamespace(deployment, namespace);

  // GCP
  const gcpProject = c.providerValue("gcp:project");
  const gcpRegion = c.providerValue("gcp:region");
  const clusterMode = isBranch ? "prod" : c.enumValue<"create" | "existing">("clusterMode");
  const cloudSqlOn = isBranch ? false : c.bool("cloudSql");
  const bucketsOn = c.bool("buckets");
  const registryOn = isBranch ? false : c.bool("registry");
  const needsGcp = clusterMode === "create" || cloudSqlOn || bucketsOn || registryOn || isBranch;
  let gcp: PlatformConfig["gcp"];
  if (needsGcp) {
    if (!gcpProject) c.problem("gcp:project", "is not set, and this stack plans GCP resources", "pulumi config set gcp:project <project id>");
    else if (!GCP_PROJECT.test(gcpProject)) c.problem("gcp:project", `"${gcpProject}" is not a GCP project id`);
    if (!gcpRegion) c.problem("gcp:region", "is not set, and this stack plans GCP resources", "pulumi config set gcp:region europe-west4");
    gcp = { project: gcpProject ?? "unset", region: gcpRegion ?? "unset" };
  }

  // Cluster
  let cluster: ClusterConfig;
  if (clusterMode === "create") {
    const name = c.string("clusterName") ?? "dagster";
    if (!/^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$/.test(name)) c.problem("clusterName", `"${name}" is not a GKE cluster name`, "lowercase letters, digits and -, at most 40, starting with a letter");
    cluster = { mode: "create", name, releaseChannel: c.enumValue("clusterReleaseChannel") };
    if (c.isSet("kubeconfig")) c.problem("kubeconfig", "is set, but clusterMode is create", "the kubeconfig is built from the created cluster; unset it or use clusterMode existing");
  } else if (clusterMode === "existing") {
    cluster = { mode: "existing", kubeconfig: c.secret("kubeconfig"), context: c.string("kubeContext") };
  } else {
    cluster = { mode: "prod" };
  }

  // Network
  let network: NetworkConfig | undefined;
  if (!isBranch && (clusterMode === "create" || cloudSqlOn)) {
    const mode = c.enumValue<"create" | "existing">("network");
    const name = c.string("networkName") ?? "dagster";
    if (mode === "create") {
      const ranges = { subnetCidr: c.string("subnetCidr") ?? "", podsCidr: c.string("podsCidr") ?? "", servicesCidr: c.string("servicesCidr") ?? "" };
      for (const [k, v] of Object.entries(ranges)) {
        const err = cidrProblem(v);
        if (err) c.problem(k, err);
      }
      network = { mode, name, ...ranges };
      if (clusterMode === "existing" && cloudSqlOn) {
        c.problem("network", "is create, but the cluster is an existing one", "Cloud SQL's private IP is only reachable from the cluster's own VPC: set network existing and networkName to that VPC");
      }
    } else {
      network = { mode, name };
    }
  }

  // PostgreSQL
  let postgres: PostgresConfig;
  if (isBranch) {
    postgres = { mode: "branch" };
  } else if (cloudSqlOn) {
    const backupStart = c.string("cloudSqlBackupStart") ?? "02:00";
    if (!/^([01]\d|2[0-3]):[0-5]\d$/.test(backupStart)) c.problem("cloudSqlBackupStart", `"${backupStart}" is not a time HH:MM`);
    postgres = {
      mode: "cloudsql",
      tier: c.string("cloudSqlTier") ?? "db-custom-1-3840",
      diskSizeGb: c.int("cloudSqlDiskGb"),
      availability: c.enumValue("cloudSqlAvailability"),
      backupStart,
      pitrDays: c.int("cloudSqlPitrDays"),
      deletionProtection: c.bool("cloudSqlDeletionProtection"),
    };
    if (!c.bool("cloudSqlDeletionProtection") && raw.stack === "prod") {
      c.problem("cloudSqlDeletionProtection", "is false on the prod stack", "prod run history is protected; keep it true");
    }
  } else {
    postgres = {
      mode: "external",
      host: c.required("postgresHost", "cloudSql is false, so Dagster needs an external PostgreSQL") ?? "",
      port: c.int("postgresPort"),
      database: c.string("postgresDatabase") ?? "dagster",
      user: c.string("postgresUser") ?? "dagster",
      password: c.requiredSecret("postgresPassword", "cloudSql is false, so Dagster needs the external PostgreSQL's password") ?? pulumi.secret(""),
    };
  }

  const buckets = bucketsOn
    ? { location: c.string("bucketLocation") ?? (gcpRegion ?? "").toUpperCase(), computeLogRetentionDays: c.int("computeLogRetentionDays") }
    : undefined;
  const registry = registryOn ? { keepRecent: c.int("registryKeepRecent"), untaggedDays: c.int("registryUntaggedDays") } : undefined;

  // Ingress
  const ingressMode = c.enumValue<"none" | "iap" | "internal">("ingress");
  let ingress: IngressConfig = { mode: "none" };
  if (ingressMode !== "none") {
    let host: string | undefined;
    if (isBranch) {
      const domain = c.required("ingressBranchDomain", `ingress is ${ingressMode}, so branch webservers need a host name under a domain`);
      host = domain ? `pr-${(deployment as { pullRequest: number }).pullRequest}.${domain}` : undefined;
    } else {
      host = c.required("ingressHost", `ingress is ${ingressMode}, so the webserver needs a host name`);
    }
    if (host !== undefined && !HOST.test(host)) c.problem(isBranch ? "ingressBranchDomain" : "ingressHost", `"${host}" is not a DNS host name`);
    if (ingressMode === "iap") {
      const oauthClientId = c.required("iapOAuthClientId", "IAP needs an OAuth client") ?? "";
      const oauthClientSecret = c.requiredSecret("iapOAuthClientSecret", "IAP needs an OAuth client") ?? pulumi.secret("");
      ingress = { mode: "iap", host: host ?? "", oauthClientId, oauthClientSecret };
    } else {
      const proxySubnetCidr = c.string("proxySubnetCidr") ?? "";
      const err = cidrProblem(proxySubnetCidr);
      if (err) c.problem("proxySubnetCidr", err);
      ingress = { mode: "internal", host: host ?? "", proxySubnetCidr };
    }
  }

  // Snowflake
  let snowflake: SnowflakeConfig | undefined;
  if (c.bool("snowflake")) {
    const why = "snowflake is true";
    const account = c.required("snowflakeAccount", why);
    if (account !== undefined && !/^[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*$/.test(account)) c.problem("snowflakeAccount", `"${account}" is not a Snowflake account identifier`, "<org>-<account>, e.g. acme-analytics");
    const warehouse = c.required("snowflakeWarehouse", why);
    const productionDatabase = c.string("snowflakeProductionDatabase") ?? "PRODUCTION";
    for (const [key, value] of [["snowflakeWarehouse", warehouse], ["snowflakeProductionDatabase", productionDatabase]] as const) {
      if (value !== undefined && !isSnowflakeIdentifier(value)) {
        c.problem(key, `"${value}" is not an unquoted uppercase Snowflake identifier`, "letters A-Z, digits and _, starting with a letter; it is spliced into SQL");
      }
    }
    snowflake = { account: account ?? "", warehouse: warehouse ?? "", productionDatabase };
    if (isBranch) {
      for (const key of ["snowflakeUser", "snowflakeRole", "snowflakePrivateKey"] as const) {
        if (c.isSet(key)) c.problem(key, "is set on a branch stack", "branch stacks never hold production Snowflake credentials; they mint their own user and key. Unset it");
      }
    } else {
      const user = c.required("snowflakeUser", why);
      const role = c.required("snowflakeRole", why);
      const privateKey = c.requiredSecret("snowflakePrivateKey", why);
      if (role !== undefined && !isSnowflakeIdentifier(role)) c.problem("snowflakeRole", `"${role}" is not an unquoted uppercase Snowflake identifier`);
      snowflake.prod = { user: user ?? "", role: role ?? "", privateKey: privateKey ?? pulumi.secret("") };
    }
  }

  // Branch
  let branch: PlatformConfig["branch"];
  if (isBranch) {
    const prodStack = c.required("prodStack", "a branch stack reads prod's cluster, database and buckets through it");
    if (prodStack !== undefined && !STACK_REF.test(prodStack)) c.problem("prodStack", `"${prodStack}" is not a stack reference`, "org/project/stack, e.g. organization/dagster-platform/prod on a gs:// backend");
    branch = { prodStack: prodStack ?? "", recloneOnDeploy: c.bool("recloneOnDeploy") };
  } else if (c.isSet("branchLocations")) {
    c.problem("branchLocations", "is set on a non-branch stack", "only pr-<N> stacks run a subset of locations");
  }

  const workspaceRollout = c.enumValue<"reload" | "restart">("workspaceRollout");
  const verifyImageRaw = c.string("verifyImage");
  if (verifyImageRaw !== undefined) {
    const parsed = parseImage(verifyImageRaw);
    if (!parsed.ok || !isPinned(parsed.image)) c.problem("verifyImage", `"${verifyImageRaw}" is not a pinned image reference`);
  }
  const verify = {
    image: verifyImageRaw ?? `${systemImage.repository}:${systemImage.tag}`,
    timeoutSeconds: c.int("verifyTimeoutSeconds"),
    secondsPerLocation: c.int("verifySecondsPerLocation"),
  };

  // Code locations
  const reservedEnv = new Set<string>([...DAGSTER_CLOUD_ENV_KEYS, ...Object.values(CONTAINER_CONTEXT_ENV), ...(snowflake ? SNOWFLAKE_ENV_KEYS : [])]);
  const ctx: ValidationContext = {
    reservedEnv,
    reservedEnvPrefixes: ["DAGSTER_CLOUD_"],
    reservedServiceNames: new Set(reservedServiceNames()),
  };
  const reposDir = c.string("reposDir") ?? "repos";
  const read = readLocationFiles(path.resolve(raw.projectDir, reposDir), reposDir);
  problems.push(...read.problems);
  const parsed = parseLocations(read.files, ctx);
  problems.push(...parsed.problems);
  let locations = parsed.locations;
  if (isBranch) {
    const filter = (c.string("branchLocations") ?? "all").trim();
    if (filter !== "all" && parsed.problems.length === 0) {
      const wanted = filter.split(",").map((s) => s.trim()).filter(Boolean);
      const known = locations.map((l) => l.name);
      for (const w of wanted) {
        if (!known.includes(w)) {
          const guess = didYouMean(w, known);
          c.problem("branchLocations", `"${w}" is not a location in ${reposDir}/`, guess ? `did you mean "${guess}"?` : `known: ${known.join(", ") || "none"}`);
        }
      }
      locations = locations.filter((l) => wanted.includes(l.name));
    }
  }

  const helmTimeoutSeconds = c.int("helmTimeoutSeconds");
  const runJobTtlSeconds = c.int("runJobTtlSeconds");
  const all = [...c.problems, ...problems];
  if (all.length > 0) throw new InputError(`Refusing to plan stack "${raw.stack}"`, all);

  return {
    project: raw.project,
    deployment,
    namespace,
    chart: { version: version as string, repository },
    systemImage,
    workspaceRollout,
    helmTimeoutSeconds,
    runJobTtlSeconds,
    locations,
    size: isBranch ? BRANCH_SIZE : PROD_SIZE,
    gcp,
    cluster,
    network,
    postgres,
    buckets,
    registry,
    ingress,
    snowflake,
    branch,
    verify,
    secretPlaceholders: [...c.placeholders].sort(),
  };
}
