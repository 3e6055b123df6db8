import { ImageRef } from "./image";

/** What a code location runs: `dagster api grpc` (or `code-server start`) target flags. */
export type CodeTarget =
  | { kind: "module"; value: string }
  | { kind: "package"; value: string }
  | { kind: "file"; value: string };

export type PullPolicy = "Always" | "IfNotPresent" | "Never";

export interface ResourceRequirements {
  requests?: Record<string, string>;
  limits?: Record<string, string>;
}

export interface Toleration {
  key?: string;
  operator?: "Exists" | "Equal";
  value?: string;
  effect?: "NoSchedule" | "PreferNoSchedule" | "NoExecute";
  tolerationSeconds?: number;
}

export interface GitMetadata {
  sha?: string;
  branch?: string;
  repository?: string;
}

/** One validated file of repos/: everything is checked, defaulted and normalised. */
export interface CodeLocation {
  /** The file name without `.yaml`/`.yml`: also the Service name and the Dagster location name. */
  name: string;
  /** Path relative to the project, for messages. */
  file: string;
  image: ImageRef;
  imagePullPolicy: PullPolicy;
  target: CodeTarget;
  attribute?: string;
  workingDirectory?: string;
  port: number;
  /** `dagster code-server start` instead of `dagster api grpc`: reloadable from the UI. */
  codeServer: boolean;
  env: Record<string, string>;
  /** Kubernetes Secrets in the namespace, loaded with envFrom. */
  secrets: string[];
  configMaps: string[];
  resources?: ResourceRequirements;
  /** What each run launched from this location gets; the platform's `runs` profile when unset. */
  runResources?: ResourceRequirements;
  nodeSelector: Record<string, string>;
  tolerations: Toleration[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
  includeConfigInLaunchedRuns: boolean;
  git?: GitMetadata;
}

export const DEFAULT_PORT = 3030;
