import * as k8s from "@pulumi/kubernetes";
import { systemObjectNames } from "./chart/names";
import { kubernetesSecret } from "./components/secrets";
import { PlatformConfig } from "./config";
import { deployCloud } from "./platform/cloud";
import { deployDagster } from "./platform/dagster";
import { deployBranchObjects } from "./platform/branchObjects";
import { deployNamespace } from "./platform/namespace";
import { StackOutputs } from "./platform/outputs";
import { deployPostgres } from "./platform/postgres";
import { deployPreview } from "./platform/preview";
import { deploySnowflake } from "./platform/snowflake";
import { deployStorage } from "./platform/storage";
import { POSTGRES_SECRET_NAME } from "./render/systemValues";

export { PREVIEW_OUTPUTS } from "./platform/outputs";

/**
 * The program: every resource of one stack, from a validated configuration, in the order they
 * stand on each other. Returns the stack outputs.
 */
export async function deployPlatform(cfg: PlatformConfig): Promise<StackOutputs> {
  const cloud = deployCloud(cfg);
  // ConfigMaps must be edited in place, not replaced: the running webserver and daemon mount the
  // workspace ConfigMap, and a replacement would delete it under them.
  const kubernetes = new k8s.Provider("kubernetes", { kubeconfig: cloud.kubeconfig, context: cloud.kubeContext, enableConfigMapMutable: true });
  if (cfg.preview) return deployPreview(cfg, cfg.preview, cloud, kubernetes);
  const { name: namespace, ingress, guardrails } = deployNamespace(cfg, kubernetes, cloud.preview);
  const postgres = deployPostgres(cfg, cloud, { namespace, kubernetes, guardrails });
  // Users of the database depend on its server, so a destroy removes them before it.
  const postgresSecret = kubernetesSecret(
    "postgres-password",
    { name: POSTGRES_SECRET_NAME, namespace, component: "postgres", data: { "postgresql-password": postgres.password } },
    { provider: kubernetes, dependsOn: postgres.server },
  );
  const storage = deployStorage(cfg, cloud);
  const snowflake = deploySnowflake(cfg, namespace, kubernetes);
  const branchObjects = deployBranchObjects(cfg, cloud.preview, namespace, kubernetes);
  const dagster = await deployDagster(cfg, {
    namespace,
    kubernetes,
    postgres: postgres.connection,
    postgresSecret,
    storage,
    platformSecrets: snowflake.secrets,
    platformEnv: snowflake.databaseEnv,
    ingress,
    waitFor: [...postgres.server, ...guardrails, ...branchObjects],
  });

  const webserverService = systemObjectNames().webserverService;
  const d = cfg.deployment;
  return {
    ...cloud.outputs,
    ...postgres.outputs,
    ...storage.outputs,
    ...snowflake.outputs,
    ...dagster,
    webserverUrl: ingress ? ingress.url : "http://localhost:8080",
    webserverAccess: ingress
      ? `open ${ingress.url} (${cfg.ingress.mode === "iap" ? "sign in through Identity-Aware Proxy" : "from inside the VPC"})`
      : `kubectl --namespace ${cfg.namespace} port-forward service/${webserverService} 8080:80, then open http://localhost:8080`,
    ...(d.kind === "branch" ? { pullRequest: d.pullRequest, commitSha: d.commitSha } : {}),
  };
}
