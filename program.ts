import * as fs from "fs";
import * as path from "path";
import * as gcp from "@pulumi/gcp";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as snowflake from "@pulumi/snowflake";
import { USER_CODE_SERVICE_ACCOUNT, systemObjectNames } from "./chart/names";
import { ArtifactRegistry } from "./components/ArtifactRegistry";
import { BranchClone } from "./components/BranchClone";
import { BranchDatabase } from "./components/BranchDatabase";
import { BranchSnowflakeAccess } from "./components/BranchSnowflakeAccess";
import { CloudSqlPostgres } from "./components/CloudSqlPostgres";
import { DagsterIdentity } from "./components/DagsterIdentity";
import { DagsterNamespace } from "./components/DagsterNamespace";
import { DagsterSystem } from "./components/DagsterSystem";
import { GkeAutopilotCluster } from "./components/GkeAutopilotCluster";
import { Network } from "./components/Network";
import { platformLabels } from "./components/labels";
import { kubernetesSecret } from "./components/secrets";
import { StorageBuckets } from "./components/StorageBuckets";
import { UserCodeLocation } from "./components/UserCodeLocation";
import { WebserverIngress } from "./components/WebserverIngress";
import { WorkspaceConfigMap } from "./components/WorkspaceConfigMap";
import { WorkspaceVerification } from "./components/WorkspaceVerification";
import { PlatformConfig } from "./config";
import { dagsterCloudEnv } from "./render/deployment";
import { branchSnowflakeNames, SNOWFLAKE_SECRET_NAME, snowflakeCredentials } from "./render/snowflake";
import { POSTGRES_SECRET_NAME, PostgresConnection, SystemIngress, WORKLOAD_IDENTITY_ANNOTATION, WorkspaceRollout } from "./render/systemValues";
import { renderWorkspaceYaml, sha256, workspaceEntries } from "./render/workspace";

/** The verifier the verification Job runs, shipped with the program. */
export const VERIFIER_PATH = path.join(__dirname, "verify", "verify_workspace.py");

/** Names of the stack outputs. pr-<N> stacks read prod's through a StackReference: keep them stable. */
export const PROD_OUTPUTS = {
  kubeconfig: "kubeconfig",
  sqlInstanceName: "sqlInstanceName",
  sqlPrivateIp: "sqlPrivateIp",
} as const;

/** The program: every resource of one stack, from a validated configuration. Returns the stack outputs. */
export function deployPlatform(cfg: PlatformConfig): Record<string, pulumi.Input<unknown>> {
  const outputs: Record<string, pulumi.Input<unknown>> = {};
  const d = cfg.deployment;
  const isBranch = d.kind === "branch";
  const sys = systemObjectNames();

  // Providers: every resource names its provider explicitly, none uses ambient defaults.
  const gcpProvider = cfg.gcp
    ? new gcp.Provider("gcp", { project: cfg.gcp.project, region: cfg.gcp.region, defaultLabels: { "managed-by": "pulumi", "part-of": "dagster-platform" } })
    : undefined;
  const onGcp = gcpProvider ? { provider: gcpProvider } : {};

  const prod = isBranch ? new pulumi.StackReference("prod", { name: cfg.branch?.prodStack as string }) : undefined;

  // Registry, network, cluster: prod only. Branches live in prod's cluster.
  let registry: ArtifactRegistry | undefined;
  if (cfg.registry && cfg.gcp) {
    registry = new ArtifactRegistry("registry", { repositoryId: "dagster", project: cfg.gcp.project, region: cfg.gcp.region, ...cfg.registry }, onGcp);
    outputs.registryUrl = registry.url;
  }
  let network: Network | undefined;
  if (cfg.network && cfg.gcp) {
    network = new Network(
      "network",
      {
        ...cfg.network,
        project: cfg.gcp.project,
        region: cfg.gcp.region,
        proxySubnetCidr: cfg.ingress.mode === "internal" && cfg.network.mode === "create" ? "10.30.0.0/23" : undefined,
      },
      onGcp,
    );
  }

  let kubeconfig: pulumi.Input<string> | undefined;
  let context: string | undefined;
  if (cfg.cluster.mode === "create" && cfg.gcp && network?.subnetId) {
    const cluster = new GkeAutopilotCluster(
      "cluster",
      {
        name: cfg.cluster.name,
        project: cfg.gcp.project,
        region: cfg.gcp.region,
        releaseChannel: cfg.cluster.releaseChannel,
        network: network.networkId,
        subnetwork: network.subnetId,
        registry: registry ? { location: registry.repository.location, repositoryId: registry.repository.repositoryId } : undefined,
      },
      onGcp,
    );
    kubeconfig = cluster.kubeconfig;
    outputs.clusterName = cluster.cluster.name;
    outputs.clusterAccess = `gcloud container clusters get-credentials ${cfg.cluster.name} --region ${cfg.gcp.region} --project ${cfg.gcp.project}`;
  } else if (cfg.cluster.mode === "existing") {
    kubeconfig = cfg.cluster.kubeconfig;
    context = cfg.cluster.context;
  } else if (prod) {
    kubeconfig = prod.requireOutput(PROD_OUTPUTS.kubeconfig) as pulumi.Output<string>;
  }
  if (kubeconfig !== undefined) outputs.kubeconfig = pulumi.secret(kubeconfig);

  // ConfigMaps must be edited in place, not replaced: the running webserver and daemon mount the
  // workspace ConfigMap, and a replacement would delete it under them.
  const k8sProvider = new k8s.Provider("kubernetes", { kubeconfig, context, enableConfigMapMutable: true });
  const onK8s = { provider: k8sProvider };

  // Exposure and isolation
  let ingress: WebserverIngress | undefined;
  const ns = new DagsterNamespace(
    "namespace",
    {
      name: cfg.namespace,
      deploymentKind: d.kind,
      allowedIngressCidrs: cfg.ingress.mode === "none" ? [] : [...(cfg.ingress.mode === "internal" ? ["10.30.0.0/23"] : []), "130.211.0.0/22", "35.191.0.0/16"].sort(),
    },
    onK8s,
  );
  if (cfg.ingress.mode !== "none") {
    ingress = new WebserverIngress(
      "webserver-ingress",
      {
        mode: cfg.ingress.mode,
        host: cfg.ingress.host,
        namespace: ns.name,
        oauthClientId: cfg.ingress.mode === "iap" ? cfg.ingress.oauthClientId : undefined,
        oauthClientSecret: cfg.ingress.mode === "iap" ? cfg.ingress.oauthClientSecret : undefined,
        proxySubnetCidr: cfg.ingress.mode === "internal" ? "10.30.0.0/23" : undefined,
      },
      { provider: k8sProvider, dependsOn: [ns] },
    );
  }

  // PostgreSQL: prod's Cloud SQL, an external server, or a branch database on prod's instance.
  let postgres: pulumi.Output<PostgresConnection>;
  let postgresPassword: pulumi.Output<string>;
  if (cfg.postgres.mode === "cloudsql" && cfg.gcp && network) {
    const sql = new CloudSqlPostgres(
      "postgres",
      { instanceName: `dagster-${d.stack}`, region: cfg.gcp.region, network: network.networkId, ...cfg.postgres, protect: true, dependsOn: [network.privateServicesAccess] },
      onGcp,
    );
    postgres = sql.instance.privateIpAddress.apply((host): PostgresConnection => ({ host, port: 5432, database: "dagster", user: "dagster", params: { sslmode: "require" } }));
    postgresPassword = sql.password;
    outputs.sqlInstanceName = sql.instance.name;
    outputs.sqlConnectionName = sql.instance.connectionName;
    outputs.sqlPrivateIp = sql.instance.privateIpAddress;
  } else if (cfg.postgres.mode === "external") {
    const p = cfg.postgres;
    postgres = pulumi.output<PostgresConnection>({ host: p.host, port: p.port, database: p.database, user: p.user, params: {} });
    postgresPassword = p.password;
  } else {
    if (!prod || d.kind !== "branch") throw new Error("a branch database needs the prod stack reference");
    const db = new BranchDatabase("postgres", { pullRequest: d.pullRequest, instanceName: prod.requireOutput(PROD_OUTPUTS.sqlInstanceName) as pulumi.Output<string> }, onGcp);
    postgres = (prod.requireOutput(PROD_OUTPUTS.sqlPrivateIp) as pulumi.Output<string>).apply((host): PostgresConnection => ({
      host, port: 5432, database: db.databaseName, user: db.userName, params: { sslmode: "require" },
    }));
    postgresPassword = db.password;
    outputs.postgresDatabase = db.databaseName;
  }
  const postgresSecret = kubernetesSecret(
    "postgres-password",
    { name: POSTGRES_SECRET_NAME, namespace: ns.name, component: "postgres", data: { "postgresql-password": postgresPassword } },
    onK8s,
  );

  // Buckets and the Google identity that may use them.
  let buckets: StorageBuckets | undefined;
  let identity: DagsterIdentity | undefined;
  if (cfg.buckets && cfg.gcp) {
    buckets = new StorageBuckets(
      "buckets",
      {
        prefix: isBranch ? `${cfg.gcp.project}-dagster-pr${(d as { pullRequest: number }).pullRequest}` : `${cfg.gcp.project}-dagster`,
        location: cfg.buckets.location,
        computeLogRetentionDays: isBranch ? Math.min(cfg.buckets.computeLogRetentionDays, 7) : cfg.buckets.computeLogRetentionDays,
        disposable: isBranch,
      },
      onGcp,
    );
    identity = new DagsterIdentity(
      "dagster-identity",
      {
        accountId: isBranch ? `dagster-pr-${(d as { pullRequest: number }).pullRequest}` : "dagster",
        project: cfg.gcp.project,
        namespace: cfg.namespace,
        kubernetesServiceAccounts: [sys.serviceAccount, USER_CODE_SERVICE_ACCOUNT],
        buckets: { "compute-logs": buckets.computeLogs.name, "defs-state": buckets.defsState.name },
      },
      onGcp,
    );
    outputs.computeLogsBucket = buckets.computeLogs.name;
    outputs.defsStateBucket = buckets.defsState.name;
    outputs.dagsterServiceAccount = identity.email;
  }

  // Snowflake: prod credentials in prod; a clone, a role and a key-pair user in a branch.
  const platformSecrets: pulumi.Resource[] = [];
  if (cfg.snowflake) {
    const sf = cfg.snowflake;
    if (d.kind === "branch") {
      const names = branchSnowflakeNames(sf.productionDatabase, d.pullRequest);
      const sfProvider = new snowflake.Provider("snowflake", snowflakeProviderArgs(sf.account));
      const clone = new BranchClone(
        "clone",
        { productionDatabase: sf.productionDatabase, cloneDatabase: names.cloneDatabase, commitSha: d.commitSha, recloneOnDeploy: cfg.branch?.recloneOnDeploy ?? true },
        { provider: sfProvider },
      );
      const access = new BranchSnowflakeAccess(
        "snowflake-access",
        { account: sf.account, warehouse: sf.warehouse, productionDatabase: sf.productionDatabase, cloneDatabase: names.cloneDatabase, role: names.role, user: names.user, clone: clone.execute, namespace: ns.name },
        { providers: { snowflake: sfProvider, kubernetes: k8sProvider } },
      );
      platformSecrets.push(access.secret);
      outputs.cloneDatabase = names.cloneDatabase;
      outputs.snowflakeRole = names.role;
      outputs.snowflakeUser = names.user;
    } else if (sf.prod) {
      platformSecrets.push(
        kubernetesSecret(
          "snowflake-credentials",
          {
            name: SNOWFLAKE_SECRET_NAME,
            namespace: ns.name,
            component: "snowflake",
            data: snowflakeCredentials({ account: sf.account, database: sf.productionDatabase, privateKey: sf.prod.privateKey, role: sf.prod.role, user: sf.prod.user, warehouse: sf.warehouse }),
            describe: { "snowflake-database": sf.productionDatabase, "snowflake-role": sf.prod.role, "snowflake-user": sf.prod.user },
          },
          onK8s,
        ),
      );
    }
  }

  // Which warehouse database a location works on is no secret, and the one thing a reviewer of a
  // branch must see per location: it is repeated in the env (a ConfigMap, visible in plans and
  // `kubectl describe`), with the same value the credentials Secret carries.
  const snowflakeDatabaseEnv: Record<string, string> = cfg.snowflake
    ? { SNOWFLAKE_DATABASE: d.kind === "branch" ? branchSnowflakeNames(cfg.snowflake.productionDatabase, d.pullRequest).cloneDatabase : cfg.snowflake.productionDatabase }
    : {};

  // The ServiceAccount all code servers and their runs share, bound to the Google identity.
  const userCodeAccount = new k8s.core.v1.ServiceAccount(
    "user-code",
    {
      metadata: {
        name: USER_CODE_SERVICE_ACCOUNT,
        namespace: ns.name,
        labels: platformLabels("user-code"),
        annotations: identity ? { [WORKLOAD_IDENTITY_ANNOTATION]: identity.email } : {},
      },
    },
    onK8s,
  );

  // The workspace, the system, and one release per code location.
  const entries = workspaceEntries(cfg.locations);
  const workspaceYaml = renderWorkspaceYaml(entries);
  const workspaceChecksum = sha256(workspaceYaml);
  const workspaceConfigMapName = `${sys.fullname}-workspace`;
  const workspace = new WorkspaceConfigMap("workspace", { namespace: ns.name, configMapName: workspaceConfigMapName, workspaceYaml }, onK8s);
  const rollout: WorkspaceRollout = cfg.workspaceRollout === "restart" ? { mode: "restart", workspaceChecksum } : { mode: "reload" };
  const chart = { version: cfg.chart.version, repository: cfg.chart.repository };

  const locations = cfg.locations.map(
    (location) =>
      new UserCodeLocation(
        location.name,
        {
          namespace: ns.name,
          chart,
          timeoutSeconds: cfg.helmTimeoutSeconds,
          values: {
            location,
            platformEnv: { ...dagsterCloudEnv(d, location.git), ...snowflakeDatabaseEnv },
            platformSecrets: cfg.snowflake ? [SNOWFLAKE_SECRET_NAME] : [],
            optionalUserSecrets: isBranch,
            defaultResources: cfg.size.codeServer,
          },
        },
        { provider: k8sProvider, dependsOn: [postgresSecret, userCodeAccount, ...platformSecrets] },
      ),
  );

  const system = new DagsterSystem(
    "dagster",
    {
      namespace: ns.name,
      chart,
      timeoutSeconds: cfg.helmTimeoutSeconds,
      values: {
        workspaceConfigMap: workspaceConfigMapName,
        rollout,
        postgres,
        image: cfg.systemImage,
        resources: { webserver: cfg.size.webserver, daemon: cfg.size.daemon, runs: cfg.size.runs },
        webserverReplicas: cfg.size.webserverReplicas,
        computeLogs: buckets ? buckets.computeLogs.name.apply((bucket) => ({ bucket, prefix: "compute-logs" })) : undefined,
        defsStateBasePath: buckets ? pulumi.interpolate`gs://${buckets.defsState.name}/dagster/defs-state` : undefined,
        gcpServiceAccount: identity?.email,
        ingress: ingress?.chartValues as SystemIngress | undefined,
        runJobTtlSeconds: cfg.runJobTtlSeconds,
      },
    },
    {
      provider: k8sProvider,
      // In restart mode the webserver and daemon restart into the new workspace: new code servers
      // must be serving by then, or the fresh webserver records them as failed to load.
      dependsOn: [postgresSecret, workspace, ...(ingress ? ingress.dependencies : []), ...(cfg.workspaceRollout === "restart" ? locations : [])],
    },
  );

  const graphqlUrl = `http://${sys.webserverService}.${cfg.namespace}.svc.cluster.local:80/graphql`;
  if (cfg.workspaceRollout === "reload") {
    const verification = new WorkspaceVerification(
      "verify-workspace",
      {
        namespace: ns.name,
        image: cfg.verify.image,
        timeoutSeconds: cfg.verify.timeoutSeconds,
        graphqlUrl,
        webserverPodSelector: { "app.kubernetes.io/name": "dagster", "app.kubernetes.io/instance": sys.release, component: "dagster-webserver" },
        webserverReplicas: cfg.size.webserverReplicas,
        webserverPort: 80,
        expectedLocations: cfg.locations.map((l) => l.name),
        workspaceYaml,
        script: fs.readFileSync(VERIFIER_PATH, "utf8"),
        dependsOn: [workspace, system, ...locations],
      },
      onK8s,
    );
    outputs.verificationJob = verification.jobName;
  }

  outputs.namespace = cfg.namespace;
  outputs.deployment = d.kind;
  outputs.locations = cfg.locations.map((l) => l.name);
  outputs.workspaceChecksum = workspaceChecksum;
  outputs.webserverService = sys.webserverService;
  outputs.webserverUrl = ingress ? ingress.url : "http://localhost:8080";
  outputs.webserverAccess = ingress
    ? `open ${ingress.url} (${cfg.ingress.mode === "iap" ? "sign in through Identity-Aware Proxy" : "from inside the VPC"})`
    : `kubectl --namespace ${cfg.namespace} port-forward service/${sys.webserverService} 8080:80, then open http://localhost:8080`;
  if (cfg.gcp) {
    outputs.gcpProject = cfg.gcp.project;
    outputs.gcpRegion = cfg.gcp.region;
  }
  if (d.kind === "branch") {
    outputs.pullRequest = d.pullRequest;
    outputs.commitSha = d.commitSha;
  }
  return outputs;
}

/** The branch admin's provider: account from config, credentials from SNOWFLAKE_* in CI's environment. */
function snowflakeProviderArgs(account: string): snowflake.ProviderArgs {
  const m = /^([A-Za-z0-9_]+)-([A-Za-z0-9_]+)$/.exec(account);
  return m ? { organizationName: m[1], accountName: m[2], authenticator: "SNOWFLAKE_JWT" } : { authenticator: "SNOWFLAKE_JWT" };
}
