import * as pulumi from "@pulumi/pulumi";
import { CodeLocation } from "../locations/types";
import { Deployment } from "../render/deployment";
import { SizeProfile } from "../render/resources";

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
  registry?: { keepRecent: number; untaggedDays: number; previewNodeServiceAccount?: string };
  ingress: IngressConfig;
  snowflake?: SnowflakeConfig;
  branch?: BranchConfig;
  /** The preview stack only: what it provides to branches. */
  preview?: PreviewConfig;
  verify: { image: string; timeoutSeconds: number; secondsPerLocation: number };
  /** Secret keys planned with placeholders (offline plans only; always empty for real runs). */
  secretPlaceholders: string[];
}

export type ClusterConfig =
  | { mode: "create"; name: string; releaseChannel: string }
  /** `ambient`: the deployer's current kubeconfig context, chosen explicitly (ambientKubeconfig). */
  | { mode: "existing"; ambient: false; kubeconfig?: pulumi.Output<string>; context?: string }
  | { mode: "existing"; ambient: true; context?: string }
  /** Branch stacks deploy into the preview stack's cluster, with the kubeconfig it exports. */
  | { mode: "preview" };

export type NetworkConfig =
  | { mode: "create"; name: string; subnetCidr: string; podsCidr: string; servicesCidr: string; natAddresses: number }
  | { mode: "existing"; name: string };

export type PostgresConfig =
  | { mode: "cloudsql"; tier: string; diskSizeGb: number; availability: string; backupStart: string; pitrDays: number; deletionProtection: boolean }
  | { mode: "external"; host: string; port: number; database: string; user: string; password: pulumi.Output<string> }
  /** A PostgreSQL of the branch's own, in its namespace (StatefulSet, volume, Service). */
  | { mode: "branch"; image: string; storageGb: number }
  /** The preview stack runs no Dagster and needs none. */
  | { mode: "none" };

/** Secrets and ConfigMaps branches may use, by name (project config, so a branch checks them before planning). */
export interface BranchObjectNames {
  secrets: string[];
  configMaps: string[];
}

/** What bounds one branch namespace; the preview stack enforces the same figures as ceilings. */
export interface BranchLimits {
  cpuQuota: string;
  memoryQuota: string;
  /** Pods a branch namespace may hold at once (ResourceQuota `pods`). */
  podQuota: number;
  maxConcurrentRuns: number;
}

export interface BranchConfig {
  /** org/project/stack of the preview environment: the only stack a branch reads. */
  previewStack: string;
  recloneOnDeploy: boolean;
  objects: BranchObjectNames;
  limits: BranchLimits;
}

export interface PreviewConfig {
  /** The branch deployer's Google service account email; Kubernetes RBAC is bound to it. */
  branchDeployer: string;
  objects: BranchObjectNames;
  limits: BranchLimits;
  /** Branch-safe Secret data by Secret name, one Pulumi secret. */
  secretValues: pulumi.Output<Record<string, Record<string, string>>>;
  configMapValues: Record<string, Record<string, string>>;
}

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
  /** Branch only: clone production as of this time (ISO 8601); undefined: as it is at the deploy. */
  cloneAt?: string;
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
