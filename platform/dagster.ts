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

/** The workspace as the ConfigMap, the system release and the verification must all see it. */
interface WorkspacePlan {
  yaml: string;
  checksum: string;
  configMapName: string;
}

/** Dagster itself: the workspace, the system release, one release per location, the verification. */
export async function deployDagster(cfg: PlatformConfig, args: DagsterArgs): Promise<StackOutputs> {
  const sys = systemObjectNames();
  const yaml = renderWorkspaceYaml(workspaceEntries(cfg.locations));
  const plan: WorkspacePlan = { yaml, checksum: sha256(yaml), configMapName: `${sys.fullname}-workspace` };

  const userCodeAccount = userCodeServiceAccount(args);
  const locations = await deployLocations(cfg, args, userCodeAccount);

  // A location enters the workspace only once its release succeeded: a release that fails (Helm
  // rolls it back, atomic) stops `pulumi up` before prod's webserver is told about it.
  const workspace = new WorkspaceConfigMap(
    "workspace",
    { namespace: args.namespace, configMapName: plan.configMapName, workspaceYaml: plan.yaml },
    { provider: args.kubernetes, dependsOn: locations.map((l) => l.release) },
  );
  const system = deploySystem(cfg, args, plan, workspace, locations);

  const outputs: StackOutputs = {
    namespace: cfg.namespace,
    deployment: cfg.deployment.kind,
    locations: cfg.locations.map((l) => l.name),
    workspaceChecksum: plan.checksum,
    webserverService: sys.webserverService,
  };
  // The Job proves a workspace change loaded without restarting anything, so only reload mode
  // has one (docs/configuration.md, `workspaceRollout`).
  if (cfg.workspaceRollout === "reload") {
    outputs.verificationJob = verifyWorkspace(cfg, args, plan, [workspace, system, ...locations]).jobName;
  }
  return outputs;
}

/** The chart repository and version every release (system and user code) is pinned to. */
function pinnedChart(cfg: PlatformConfig): { version: string; repository: string } {
  return { version: cfg.chart.version, repository: cfg.chart.repository };
}

/** The ServiceAccount all code servers and their runs share, bound to the Google identity. */
function userCodeServiceAccount(args: DagsterArgs): k8s.core.v1.ServiceAccount {
  const gcpServiceAccount = args.storage.gcpServiceAccount;
  return new k8s.core.v1.ServiceAccount(
    "user-code",
    {
      metadata: {
        name: USER_CODE_SERVICE_ACCOUNT,
        namespace: args.namespace,
        labels: platformLabels("user-code"),
        annotations: gcpServiceAccount ? { [WORKLOAD_IDENTITY_ANNOTATION]: gcpServiceAccount } : {},
      },
    },
    { provider: args.kubernetes },
  );
}

/** One `code-<name>` release per location, each after the Secrets and ServiceAccount its pods use. */
async function deployLocations(cfg: PlatformConfig, args: DagsterArgs, userCodeAccount: pulumi.Resource): Promise<UserCodeLocation[]> {
  const chart = pinnedChart(cfg);
  return declareInBatches(
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
            platformEnv: { ...dagsterCloudEnv(cfg.deployment, location.git), ...args.platformEnv },
            platformSecrets: args.platformSecrets.length > 0 ? [SNOWFLAKE_SECRET_NAME] : [],
            defaultResources: cfg.size.codeServer,
          },
        },
        { provider: args.kubernetes, dependsOn: [args.postgresSecret, userCodeAccount, ...args.platformSecrets, ...args.waitFor] },
      ),
  );
}

/** The `dagster` release: webserver and daemon, reading the workspace from its ConfigMap. */
function deploySystem(cfg: PlatformConfig, args: DagsterArgs, plan: WorkspacePlan, workspace: WorkspaceConfigMap, locations: UserCodeLocation[]): DagsterSystem {
  const rollout: WorkspaceRollout = cfg.workspaceRollout === "restart" ? { mode: "restart", workspaceChecksum: plan.checksum } : { mode: "reload" };
  return new DagsterSystem(
    "dagster",
    {
      namespace: args.namespace,
      chart: pinnedChart(cfg),
      timeoutSeconds: cfg.helmTimeoutSeconds,
      values: {
        workspaceConfigMap: plan.configMapName,
        rollout,
        postgres: args.postgres,
        image: cfg.systemImage,
        resources: { webserver: cfg.size.webserver, daemon: cfg.size.daemon, runs: cfg.size.runs },
        webserverReplicas: cfg.size.webserverReplicas,
        computeLogs: args.storage.computeLogs,
        defsStateBasePath: args.storage.defsStateBasePath,
        gcpServiceAccount: args.storage.gcpServiceAccount,
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
}

/** The Job that fails `pulumi up` unless every webserver replica loaded exactly the expected locations. */
function verifyWorkspace(cfg: PlatformConfig, args: DagsterArgs, plan: WorkspacePlan, dependsOn: pulumi.Resource[]): WorkspaceVerification {
  const sys = systemObjectNames();
  return new WorkspaceVerification(
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
      workspaceYaml: plan.yaml,
      workspaceConfigMap: plan.configMapName,
      script: fs.readFileSync(VERIFIER_PATH, "utf8"),
      dependsOn,
    },
    { provider: args.kubernetes },
  );
}
