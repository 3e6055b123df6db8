/** The pure renderers, without any Pulumi runtime. */
import { strict as assert } from "assert";
import * as fc from "fast-check";
import { parse } from "yaml";
import { chartFullname, systemObjectNames, userCodeObjectNames } from "../chart/names";
import { parseImage } from "../locations/image";
import { CodeLocation } from "../locations/types";
import { classifyStack, dagsterCloudEnv } from "../render/deployment";
import { gkeKubeconfig } from "../render/kubeconfig";
import { PROD_SIZE } from "../render/resources";
import { branchSnowflakeNames, publicKeyBody } from "../render/snowflake";
import { SystemValuesInput, renderSystemValues } from "../render/systemValues";
import { codeTargetArgs, renderUserCodeValues } from "../render/userCodeValues";
import { renderWorkspaceYaml, workspaceEntries } from "../render/workspace";

function loc(name: string, over: Partial<CodeLocation> = {}): CodeLocation {
  const parsed = parseImage("registry.example.com/etl:1.0.0");
  if (!parsed.ok) throw new Error("bad fixture");
  return {
    name, file: `repos/${name}.yaml`, image: parsed.image, imagePullPolicy: "IfNotPresent", target: { kind: "module", value: "etl.defs" },
    port: 3030, codeServer: false, env: {}, secrets: [], configMaps: [], nodeSelector: {}, tolerations: [], labels: {}, annotations: {},
    includeConfigInLaunchedRuns: true, ...over,
  };
}

const systemInput: SystemValuesInput = {
  workspaceConfigMap: "dagster-workspace",
  rollout: { mode: "reload" },
  postgres: { host: "10.0.0.3", port: 5432, database: "dagster", user: "dagster", params: {} },
  image: { repository: "docker.io/dagster/dagster-celery-k8s", tag: "1.13.19" },
  resources: { webserver: PROD_SIZE.webserver, daemon: PROD_SIZE.daemon, runs: PROD_SIZE.runs },
  webserverReplicas: 2,
  runJobTtlSeconds: 86400,
};

describe("renderers", () => {
  describe("workspace.yaml", () => {
    it("has the chart's shape: load_from -> grpc_server {host = Service, port, location_name}", () => {
      const yaml = renderWorkspaceYaml(workspaceEntries([loc("beta", { port: 4000 }), loc("alpha")]));
      assert.equal(yaml, "load_from:\n  - grpc_server:\n      host: alpha\n      port: 3030\n      location_name: alpha\n  - grpc_server:\n      host: beta\n      port: 4000\n      location_name: beta\n");
      assert.equal(renderWorkspaceYaml([]), "load_from: []\n");
    });
    it("is byte-identical for any order of the same locations, and parses to the entries", () => {
      const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}[a-z0-9]$/);
      fc.assert(
        fc.property(fc.uniqueArray(fc.record({ name, port: fc.integer({ min: 1, max: 65535 }) }), { selector: (l) => l.name, maxLength: 30 }), (locations) => {
          const a = renderWorkspaceYaml(workspaceEntries(locations));
          const b = renderWorkspaceYaml(workspaceEntries([...locations].reverse()));
          assert.equal(a, b);
          const parsed = parse(a) as { load_from: { grpc_server: { host: string; port: number; location_name: string } }[] };
          assert.deepEqual(parsed.load_from.map((e) => e.grpc_server.location_name), locations.map((l) => l.name).sort());
          for (const e of parsed.load_from) assert.equal(e.grpc_server.host, userCodeObjectNames(e.grpc_server.location_name).service);
        }),
      );
    });
  });

  describe("system values", () => {
    it("reads the external workspace ConfigMap with servers emptied, and no checksum in reload mode", () => {
      const v = renderSystemValues(systemInput) as { dagsterWebserver: { workspace: unknown; annotations: unknown }; dagsterDaemon: { annotations: unknown } };
      assert.deepEqual(v.dagsterWebserver.workspace, { enabled: true, servers: [], externalConfigmap: "dagster-workspace" });
      assert.deepEqual(v.dagsterWebserver.annotations, {});
      assert.deepEqual(v.dagsterDaemon.annotations, {});
    });
    it("restart mode writes the workspace checksum on webserver and daemon pods", () => {
      const v = renderSystemValues({ ...systemInput, rollout: { mode: "restart", workspaceChecksum: "abc" } }) as { dagsterWebserver: { annotations: unknown }; dagsterDaemon: { annotations: unknown } };
      assert.deepEqual(v.dagsterWebserver.annotations, { "dagster-platform/workspace-checksum": "abc" });
      assert.deepEqual(v.dagsterDaemon.annotations, { "dagster-platform/workspace-checksum": "abc" });
    });
    it("no compute-log bucket means NoOp logs and no defs-state storage", () => {
      const v = renderSystemValues(systemInput) as { computeLogManager: { type: string }; additionalInstanceConfig: unknown };
      assert.equal(v.computeLogManager.type, "NoOpComputeLogManager");
      assert.deepEqual(v.additionalInstanceConfig, {});
    });
  });

  describe("user-code values", () => {
    it("maps the code target to the dagster CLI flags", () => {
      assert.deepEqual(codeTargetArgs(loc("a", { target: { kind: "package", value: "pkg" }, attribute: "defs", workingDirectory: "/app" })), ["--package-name", "pkg", "--attribute", "defs", "--working-directory", "/app"]);
      assert.deepEqual(codeTargetArgs(loc("a", { target: { kind: "file", value: "/app/defs.py" } })), ["--python-file", "/app/defs.py"]);
    });
    it("code-server mode uses codeServerArgs; platform env wins over nothing, secrets follow the platform's", () => {
      const v = renderUserCodeValues({ location: loc("a", { codeServer: true, env: { B: "2" }, secrets: ["own"] }), platformEnv: { A: "1" }, platformSecrets: ["dagster-snowflake"], defaultResources: PROD_SIZE.codeServer, namespace: "dagster-pr-7" }) as { deployments: Record<string, unknown>[] };
      const d = v.deployments[0];
      assert.ok("codeServerArgs" in d && !("dagsterApiGrpcArgs" in d));
      assert.deepEqual(Object.keys(d.env as Record<string, string>), ["A", "B", "DAGSTER_CONTAINER_CONTEXT"]);
      assert.deepEqual(d.envSecrets, [{ name: "dagster-snowflake" }, { name: "own" }], "required, never optional");
      assert.deepEqual(d.resources, PROD_SIZE.codeServer);
    });
    it("runs get the location's runResources, never the code server's resources; the chart's own context is off", () => {
      const server = { requests: { cpu: "250m", memory: "512Mi" }, limits: { memory: "1Gi" } };
      const runs = { requests: { cpu: "1", memory: "4Gi" }, limits: { memory: "8Gi" } };
      const context = (over: Partial<CodeLocation>) => {
        const input = { location: loc("etl", { resources: server, secrets: ["etl-tokens"], configMaps: ["etl-settings"], labels: { team: "m" }, ...over }), platformEnv: {}, platformSecrets: ["dagster-snowflake"], defaultResources: PROD_SIZE.codeServer, namespace: "dagster" };
        const d = (renderUserCodeValues(input) as { deployments: Record<string, unknown>[] }).deployments[0];
        assert.deepEqual(d.includeConfigInLaunchedRuns, { enabled: false });
        const raw = (d.env as Record<string, string>).DAGSTER_CLI_API_GRPC_CONTAINER_CONTEXT;
        return raw === undefined ? undefined : (JSON.parse(raw) as { k8s: Record<string, unknown> }).k8s;
      };
      assert.deepEqual(context({ runResources: runs }), {
        image_pull_policy: "IfNotPresent", env_config_maps: ["code-etl-dagster-user-deployments-etl-user-env", "etl-settings"], env_secrets: ["dagster-snowflake", "etl-tokens"],
        labels: { team: "m" }, resources: runs, namespace: "dagster", service_account_name: "dagster-user-code",
      });
      assert.equal(context({})?.resources, undefined, "no runResources: the run launcher's runs profile applies");
      assert.deepEqual(context({ includeConfigInLaunchedRuns: false, runResources: runs }), { resources: runs });
      assert.equal(context({ includeConfigInLaunchedRuns: false }), undefined);
    });
    it("a branch's runs require the location's Secrets too (the branch copies them into its namespace)", () => {
      const input = { location: loc("etl", { secrets: ["etl-tokens"] }), platformEnv: {}, platformSecrets: ["dagster-snowflake"], defaultResources: PROD_SIZE.codeServer, namespace: "dagster-pr-7" };
      const d = (renderUserCodeValues(input) as { deployments: Record<string, unknown>[] }).deployments[0];
      const k8s = (JSON.parse((d.env as Record<string, string>).DAGSTER_CLI_API_GRPC_CONTAINER_CONTEXT) as { k8s: Record<string, unknown> }).k8s;
      assert.deepEqual(k8s.env_secrets, ["dagster-snowflake", "etl-tokens"]);
      assert.equal(k8s.namespace, "dagster-pr-7");
    });
  });

  describe("names and identifiers", () => {
    it("the chart's fullname helper", () => {
      assert.equal(chartFullname("dagster", "dagster"), "dagster");
      assert.equal(chartFullname("code-etl", "dagster-user-deployments"), "code-etl-dagster-user-deployments");
      assert.equal(chartFullname("x".repeat(53), "dagster-user-deployments"), `${"x".repeat(53)}-dagster-u`);
      assert.equal(systemObjectNames().webserverService, "dagster-dagster-webserver");
    });
    it("stack names", () => {
      assert.deepEqual(classifyStack("pr-42"), { kind: "branch", pullRequest: 42 });
      assert.deepEqual(classifyStack("prod"), { kind: "prod" });
      for (const bad of ["pr-", "pr-4x", "pr-042", "pr-1234567890", "pr--1"]) assert.equal(classifyStack(bad).kind, "invalid", bad);
    });
    it("Snowflake names are built from validated identifiers only (the CALLs: snowflake-calls.test.ts)", () => {
      const n = branchSnowflakeNames("PRODUCTION", 42);
      assert.deepEqual(n, { cloneDatabase: "PRODUCTION_CLONE_42", role: "DAGSTER_PR_42", user: "DAGSTER_PR_42" });
      assert.throws(() => branchSnowflakeNames('PRODUCTION"; DROP TABLE x; --', 42), /refusing to build SQL/);
      assert.throws(() => branchSnowflakeNames("PRODUCTION", 0), /refusing/);
      fc.assert(fc.property(fc.string(), (s) => {
        try { branchSnowflakeNames(s, 1); } catch { return; }
        assert.match(s, /^[A-Z][A-Z0-9_]*$/);
      }));
    });
    it("Dagster+ variables: every one Dagster+ sets in a branch, from the pull request's head", () => {
      const commit = { timestamp: "1724871941", authorName: "Ada", authorEmail: "ada@example.com", message: "Better attribution", repository: "acme/dagster-platform" };
      assert.deepEqual(dagsterCloudEnv({ kind: "branch", stack: "pr-7", pullRequest: 7, commitSha: "abc1234", branch: "feat", commit }), {
        DAGSTER_CLOUD_DEPLOYMENT_NAME: "pr-7", DAGSTER_CLOUD_GIT_AUTHOR_EMAIL: "ada@example.com", DAGSTER_CLOUD_GIT_AUTHOR_NAME: "Ada", DAGSTER_CLOUD_GIT_BRANCH: "feat",
        DAGSTER_CLOUD_GIT_MESSAGE: "Better attribution", DAGSTER_CLOUD_GIT_REPO: "acme/dagster-platform", DAGSTER_CLOUD_GIT_SHA: "abc1234", DAGSTER_CLOUD_GIT_TIMESTAMP: "1724871941",
        DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT: "1", DAGSTER_CLOUD_PULL_REQUEST_ID: "7", DAGSTER_CLOUD_PULL_REQUEST_STATUS: "OPEN",
      });
    });
    it("Dagster+ variables: a location built from its own commit does not get the pull request's author, time or message", () => {
      const d = { kind: "branch" as const, stack: "pr-7", pullRequest: 7, commitSha: "abc1234", branch: "feat", commit: { authorName: "Ada", timestamp: "1", message: "m", repository: "acme/platform" } };
      const env = dagsterCloudEnv(d, { sha: "def5678", repository: "https://github.com/acme/etl" });
      assert.equal(env.DAGSTER_CLOUD_GIT_SHA, "def5678");
      assert.equal(env.DAGSTER_CLOUD_GIT_REPO, "https://github.com/acme/etl");
      assert.deepEqual([env.DAGSTER_CLOUD_GIT_AUTHOR_NAME, env.DAGSTER_CLOUD_GIT_TIMESTAMP, env.DAGSTER_CLOUD_GIT_MESSAGE], ["", "", ""]);
    });
    it("Dagster+ variables: prod has every key, empty unless the location's own git says", () => {
      const env = dagsterCloudEnv({ kind: "prod", stack: "prod" }, { sha: "def5678" });
      assert.equal(env.DAGSTER_CLOUD_GIT_SHA, "def5678");
      assert.equal(env.DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT, "0");
      assert.deepEqual(Object.keys(env).sort(), Object.keys(dagsterCloudEnv({ kind: "branch", stack: "pr-1", pullRequest: 1, commitSha: "a", branch: "b" })).sort());
      assert.equal(env.DAGSTER_CLOUD_PULL_REQUEST_STATUS, "");
    });
    it("kubeconfig uses the gcloud auth plugin and no static credential; public key body without armour", () => {
      const kc = parse(gkeKubeconfig({ contextName: "gke_p_r_c", endpoint: "1.2.3.4", caCertificate: "Q0E=" })) as { users: { user: { exec: { command: string } } }[] };
      assert.equal(kc.users[0].user.exec.command, "gke-gcloud-auth-plugin");
      assert.equal(publicKeyBody("-----BEGIN PUBLIC KEY-----\nAB\nCD\n-----END PUBLIC KEY-----\n"), "ABCD");
    });
  });
});
