import * as fs from "fs";
import * as path from "path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { USER_CODE_SERVICE_ACCOUNT, systemObjectNames } from "../chart/names";
import { DagsterSystem } from "../components/DagsterSystem";
import { platformLabels } from "../components/labels";
import { UserCodeLocation } from "../components/UserCodeLocation";
import { WebserverIngress } from "../components/WebserverIngress";
import { WorkspaceConfigMap } from "../components/WorkspaceConfigMap";
import { WorkspaceVerification } from "../components/WorkspaceVerification";
import { PlatformConfig } from "../config";
import { dagsterCloudEnv } from "../render/deployment";
import { SNOWFLAKE_SECRET_NAME } from "../render/snowflake";
import { PostgresConnection, WORKLOAD_IDENTITY_ANNOTATION, WorkspaceRollout } from "../render/systemValues";
import { verificationTiming } from "../render/verification";
import { renderWorkspaceYaml, sha256, workspaceEntries } from "../render/workspace";
import { declareInBatches } from "./batches";
import { StackOutputs } from "./outputs";
import { Storage } from "./storage";

/** The verifier the verification Job runs, shipped with the program. */
export const VERIFIER_PATH = path.join(__dirname, "..", "verify", "verify_workspace.py");

export interface DagsterArgs {
  namespace: pulumi.Input<string>;
  kubernetes: k8s.Provider;
  postgres: pulumi.Output<PostgresConnection>;
  /** The Secret the charts read the Postgres password from. */
  postgresSecret: pulumi.Resource;
  storage: Storage;
  /** Secrets every location loads (Snowflake credentials), and env that names their database. */
  platformSecrets: pulumi.Resource[];
  platformEnv: Record<string, string>;
  ingress?: WebserverIngress;
  /**
   * What every release waits for besides the Postgres Secret: a branch's own database server (so a
   * destroy removes Dagster before its database), its guardrails (the preview cluster admits no
   * pod before them) and its copies of branch-safe Secrets and ConfigMaps.
   */
  waitFor: pulumi.Resource[];
}

/** Dagster itself: the workspace, the system release, one release per location, the verification. */
export async function deployDagster(cfg: PlatformConfig, args: DagsterArgs): Promise<StackOutputs> {
  const d = cfg.deployment;
  const sys = systemObjectNames();
  const onK8s = { provider: args.kubernetes };
  const storage = args.storage;

  // The ServiceAccount all code servers and their runs share, bound to the Google identity.
  const userCodeAccount = new k8s.core.v1.ServiceAccount(
    "user-code",
    {
      metadata: {
        name: USER_CODE_SERVICE_ACCOUNT,
        namespace: args.namespace,
        labels: platformLabels("user-code"),
        annotations: storage.gcpServiceAccount ? { [WORKLOAD_IDENTITY_ANNOTATION]: storage.gcpServiceAccount } : {},
      },
    },
    onK8s,
  );

  const workspaceYaml = renderWorkspaceYaml(workspaceEntries(cfg.locations));
  const workspaceChecksum = sha256(workspaceYaml);
  const workspaceConfigMapName = `${sys.fullname}-workspace`;
  const rollout: WorkspaceRollout = cfg.workspaceRollout === "restart" ? { mode: "restart", workspaceChecksum } : { mode: "reload" };
  const chart = { version: cfg.chart.version, repository: cfg.chart.repository };

  const locations = await declareInBatches(
    cfg.locations,
    (location) =>
      new UserCodeLocation(
        location.name,
        {
          namespace: args.namespace,
          chart,
          timeoutSeconds: cfg.helmTimeoutSeconds,
          values: {
            location,
            namespace: cfg.namespace,
            platformEnv: { ...dagsterCloudEnv(d, location.git), ...args.platformEnv },
            platformSecrets: args.platformSecrets.length > 0 ? [SNOWFLAKE_SECRET_NAME] : [],
            defaultResources: cfg.size.codeServer,
          },
        },
        { provider: args.kubernetes, dependsOn: [args.postgresSecret, userCodeAccount, ...args.platformSecrets, ...args.waitFor] },
      ),
  );

  // A location enters the workspace only once its release succeeded: a release that fails (Helm
  // rolls it back, atomic) stops `pulumi up` before prod's webserver is told about it.
  const workspace = new WorkspaceConfigMap(
    "workspace",
    { namespace: args.namespace, configMapName: workspaceConfigMapName, workspaceYaml },
    { ...onK8s, dependsOn: locations.map((l) => l.release) },
  );

  const system = new DagsterSystem(
    "dagster",
    {
      namespace: args.namespace,
      chart,
      timeoutSeconds: cfg.helmTimeoutSeconds,
      values: {
        workspaceConfigMap: workspaceConfigMapName,
        rollout,
        postgres: args.postgres,
        image: cfg.systemImage,
        resources: { webserver: cfg.size.webserver, daemon: cfg.size.daemon, runs: cfg.size.runs },
        webserverReplicas: cfg.size.webserverReplicas,
        computeLogs: storage.computeLogs,
        defsStateBasePath: storage.defsStateBasePath,
        gcpServiceAccount: storage.gcpServiceAccount,
        ingress: args.ingress?.chartValues,
        runJobTtlSeconds: cfg.runJobTtlSeconds,
        maxConcurrentRuns: cfg.branch?.limits.maxConcurrentRuns,
      },
    },
    {
      provider: args.kubernetes,
      // In restart mode the webserver and daemon restart into the new workspace: new code servers
      // must be serving by then, or the fresh webserver records them as failed to load.
      dependsOn: [args.postgresSecret, workspace, ...args.waitFor, ...(args.ingress?.dependencies ?? []), ...(cfg.workspaceRollout === "restart" ? locations : [])],
    },
  );

  const outputs: StackOutputs = {
    namespace: cfg.namespace,
    deployment: d.kind,
    locations: cfg.locations.map((l) => l.name),
    workspaceChecksum,
    webserverService: sys.webserverService,
  };
  if (cfg.workspaceRollout === "reload") {
    const verification = new WorkspaceVerification(
      "verify-workspace",
      {
        namespace: args.namespace,
        namespaceName: cfg.namespace,
        image: cfg.verify.image,
        timing: verificationTiming({
          baseSeconds: cfg.verify.timeoutSeconds,
          secondsPerLocation: cfg.verify.secondsPerLocation,
          locations: cfg.locations.length,
          replicas: cfg.size.webserverReplicas,
        }),
        graphqlUrl: `http://${sys.webserverService}.${cfg.namespace}.svc.cluster.local:80/graphql`,
        webserverPodSelector: { "app.kubernetes.io/name": "dagster", "app.kubernetes.io/instance": sys.release, component: "dagster-webserver" },
        webserverReplicas: cfg.size.webserverReplicas,
        webserverPort: 80,
        expectedLocations: cfg.locations.map((l) => l.name),
        workspaceYaml,
        workspaceConfigMap: workspaceConfigMapName,
        script: fs.readFileSync(VERIFIER_PATH, "utf8"),
        dependsOn: [workspace, system, ...locations],
      },
      onK8s,
    );
    outputs.verificationJob = verification.jobName;
  }
  return outputs;
}
