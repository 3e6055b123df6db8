/**
 * The k8s container context a code server hands to the runs it launches (dagster-k8s'
 * `K8sContainerContext`), rendered by the platform instead of by the chart.
 *
 * The chart's own context (`includeConfigInLaunchedRuns`, dagster-user-deployments
 * templates/helpers/_helpers.tpl, `dagsterUserDeployments.k8sContainerContext`) copies the code
 * server's `resources` into it, and dagster-k8s merges the location's context over the run
 * launcher's (`K8sContainerContext.create_for_run`), so every run got the code server's size and
 * the platform's `runs` profile never applied. So the platform switches the chart's context off and sets
 * the same variable itself, with the same names (env ConfigMaps, Secrets, namespace, service
 * account, pull policy, labels) and the location's `runResources` as `resources`. A location
 * without `runResources` sets none: the run launcher's (the `runs` size profile) apply.
 */
import { USER_CODE_SERVICE_ACCOUNT, userCodeObjectNames } from "../chart/names";
import { CodeLocation } from "../locations/types";

/**
 * Where the code server reads it (`--container-context`): the chart's names, by command.
 * `dagster api grpc` reads it through the CLI's DAGSTER_CLI prefix, `dagster code-server start`
 * through its own variable (dagster/_cli/api.py, code_server.py).
 */
export const CONTAINER_CONTEXT_ENV = {
  grpc: "DAGSTER_CLI_API_GRPC_CONTAINER_CONTEXT",
  codeServer: "DAGSTER_CONTAINER_CONTEXT",
} as const;

export function containerContextEnvName(location: Pick<CodeLocation, "codeServer">): string {
  return location.codeServer ? CONTAINER_CONTEXT_ENV.codeServer : CONTAINER_CONTEXT_ENV.grpc;
}

export interface ContainerContextInput {
  location: CodeLocation;
  namespace: string;
  /** Secrets the platform manages for every location (e.g. Snowflake credentials). */
  platformSecrets: readonly string[];
}

/** The `{"k8s": {...}}` context, or undefined when runs take the run launcher's config alone. */
export function renderContainerContext(input: ContainerContextInput): { k8s: Record<string, unknown> } | undefined {
  const { location } = input;
  const resources = location.runResources ? { resources: location.runResources } : {};
  if (!location.includeConfigInLaunchedRuns) return location.runResources ? { k8s: resources } : undefined;
  const names = userCodeObjectNames(location.name);
  // dagster-k8s can only reference env Secrets as required: every one must exist in the namespace,
  // which a branch guarantees by copying its branch-safe values in (platform/branchObjects.ts).
  const secrets = [...input.platformSecrets, ...location.secrets];
  const k8s: Record<string, unknown> = {
    image_pull_policy: location.imagePullPolicy,
    env_config_maps: [names.envConfigMap, ...location.configMaps],
    ...(secrets.length > 0 ? { env_secrets: secrets } : {}),
    ...(Object.keys(location.labels).length > 0 ? { labels: location.labels } : {}),
    ...resources,
    namespace: input.namespace,
    service_account_name: USER_CODE_SERVICE_ACCOUNT,
  };
  return { k8s };
}
