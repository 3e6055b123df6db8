import { chartImage } from "../locations/image";
import { containerContextEnvName, renderContainerContext } from "./containerContext";
import { CodeLocation, ResourceRequirements } from "../locations/types";
import { USER_CODE_SERVICE_ACCOUNT } from "../chart/names";
import { DAGSTER_HOME, POSTGRES_SECRET_NAME } from "./systemValues";

export interface UserCodeValuesInput {
  location: CodeLocation;
  /** The namespace runs are launched in (the deployment's). */
  namespace: string;
  /** Platform variables (DAGSTER_CLOUD_*): merged over the file's env, which may not set them. */
  platformEnv: Record<string, string>;
  /** Secrets the platform manages for every location (e.g. Snowflake credentials). */
  platformSecrets: string[];
  /** Used when the file sets no resources. */
  defaultResources: ResourceRequirements;
}

/** `dagster api grpc` / `dagster code-server start` arguments for the location's code target. */
export function codeTargetArgs(location: CodeLocation): string[] {
  const flag = { module: "--module-name", package: "--package-name", file: "--python-file" }[location.target.kind];
  const args = [flag, location.target.value];
  if (location.attribute) args.push("--attribute", location.attribute);
  if (location.workingDirectory) args.push("--working-directory", location.workingDirectory);
  return args;
}

function sorted<T>(obj: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(obj).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * Values for one `dagster/dagster-user-deployments` release holding exactly one location.
 * Everything in here derives from that location's file and the deployment, so a change to
 * another file can never change this release.
 */
export function renderUserCodeValues(input: UserCodeValuesInput): Record<string, unknown> {
  const { location } = input;
  const args = codeTargetArgs(location);
  const context = renderContainerContext(input);
  const contextEnv: Record<string, string> = context ? { [containerContextEnvName(location)]: JSON.stringify(context) } : {};
  const deployment: Record<string, unknown> = {
    name: location.name,
    image: { ...chartImage(location.image), pullPolicy: location.imagePullPolicy },
    [location.codeServer ? "codeServerArgs" : "dagsterApiGrpcArgs"]: args,
    port: location.port,
    // The platform renders the runs' container context itself (render/containerContext.ts): the
    // chart's would give every run the code server's resources.
    includeConfigInLaunchedRuns: { enabled: false },
    env: sorted({ ...location.env, ...input.platformEnv, ...contextEnv }),
    envConfigMaps: location.configMaps.map((name) => ({ name })),
    envSecrets: [
      ...input.platformSecrets.map((name) => ({ name })),
      // Required, in prod and branches alike: dagster-k8s passes only names into runs and cannot mark
      // one optional. A branch gets its own copies (platform/branchObjects.ts) or is refused.
      ...location.secrets.map((name) => ({ name })),
    ],
    annotations: location.annotations,
    labels: location.labels,
    nodeSelector: location.nodeSelector,
    tolerations: location.tolerations,
    affinity: {},
    podSecurityContext: {},
    securityContext: {},
    resources: location.resources ?? input.defaultResources,
    // No instance mount: includeConfigInLaunchedRuns copies volumes into run pods, where the run
    // launcher already mounts dagster-instance at the same path, and Kubernetes rejects the pod.
    volumes: [],
    volumeMounts: [],
    readinessProbe: { enabled: true, periodSeconds: 20, timeoutSeconds: 10, successThreshold: 1, failureThreshold: 15 },
    livenessProbe: {},
    startupProbe: { enabled: false },
  };
  return {
    global: { postgresqlSecretName: POSTGRES_SECRET_NAME, dagsterHome: DAGSTER_HOME, serviceAccountName: "", celeryConfigSecretName: "" },
    dagsterHome: DAGSTER_HOME,
    postgresqlSecretName: POSTGRES_SECRET_NAME,
    // No Celery here: an empty name drops the chart's optional Celery secretRef.
    celeryConfigSecretName: "",
    imagePullSecrets: [],
    // The shared ServiceAccount Pulumi creates (annotated for Workload Identity there).
    serviceAccount: { create: false, name: USER_CODE_SERVICE_ACCOUNT, annotations: {} },
    deployments: [deployment],
  };
}
