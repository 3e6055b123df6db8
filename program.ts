import * as k8s from "@pulumi/kubernetes";
import { systemObjectNames } from "./chart/names";
import { kubernetesSecret } from "./components/secrets";
import { PlatformConfig } from "./config";
import { deployCloud } from "./platform/cloud";
import { deployDagster } from "./platform/dagster";
import { deployNamespace } from "./platform/namespace";
import { StackOutputs } from "./platform/outputs";
import { deployPostgres } from "./platform/postgres";
import { deploySnowflake } from "./platform/snowflake";
import { deployStorage } from "./platform/storage";
import { POSTGRES_SECRET_NAME } from "./render/systemValues";

export { PROD_OUTPUTS } from "./platform/outputs";

/**
 * The program: every resource of one stack, from a validated configuration, in the order they
 * stand on each other. Returns the stack outputs.
 */
export async function deployPlatform(cfg: PlatformConfig): Promise<StackOutputs> {
  const cloud = deployCloud(cfg);
  // ConfigMaps must be edited in place, not replaced: the running webserver and daemon mount the
  // workspace ConfigMap, and a replacement would delete it under them.
  const kubernetes = new k8s.Provider("kubernetes", { kubeconfig: cloud.kubeconfig, context: cloud.kubeContext, enableConfigMapMutable: true });
  const { namespace, ingress } = deployNamespace(cfg, kubernetes);
  const postgres = deployPostgres(cfg, cloud);
  const postgresSecret = kubernetesSecret(
    "postgres-password",
    { name: POSTGRES_SECRET_NAME, namespace: namespace.name, component: "postgres", data: { "postgresql-password": postgres.password } },
    { provider: kubernetes },
  );
  const storage = deployStorage(cfg, cloud);
  const snowflake = deploySnowflake(cfg, namespace.name, kubernetes);
  const dagster = await deployDagster(cfg, {
    namespace: namespace.name,
    kubernetes,
    postgres: postgres.connection,
    postgresSecret,
    storage,
    platformSecrets: snowflake.secrets,
    platformEnv: snowflake.databaseEnv,
    ingress,
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
