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
  registry?: { keepRecent: number; untaggedDays: number };
  ingress: IngressConfig;
  snowflake?: SnowflakeConfig;
  branch?: { prodStack: string; recloneOnDeploy: boolean };
  verify: { image: string; timeoutSeconds: number };
  /** Secret keys planned with placeholders (offline plans only; always empty for real runs). */
  secretPlaceholders: string[];
}

export type ClusterConfig =
  | { mode: "create"; name: string; releaseChannel: string }
  /** `ambient`: the deployer's current kubeconfig context, chosen explicitly (ambientKubeconfig). */
  | { mode: "existing"; ambient: false; kubeconfig?: pulumi.Output<string>; context?: string }
  | { mode: "existing"; ambient: true; context?: string }
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
