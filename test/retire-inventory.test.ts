/**
 * What the retire path accepts to remove without running providers (lifecycle/retireInventory.ts),
 * the kubeconfig it hands to kubectl (lifecycle/kubeconfig.ts) and where its settings come from
 * (lifecycle/retireSettings.ts). The branch program's own resources come from its offline plan,
 * so a resource kind added to branches shows up here the day it is added.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { kubeconfigProblems, writeKubeconfig } from "../lifecycle/kubeconfig";
import { exportedResources, retireInventory, StateEntry } from "../lifecycle/retireInventory";
import { retireSettingsFor } from "../lifecycle/retireSettings";
import { Plan } from "../offline/plan";
import { gkeKubeconfig } from "../render/kubeconfig";
import { PREVIEW_KUBECONFIG } from "./fixtures/lifecycle/fakes";
import { plan, PROJECT_DIR, SHA_A } from "./helpers/plan";

const RULES = { productionDatabase: "PRODUCTION", namespacedTypes: [] };
const entry = (type: string, extra: Partial<StateEntry> = {}): StateEntry => ({ urn: `urn:pulumi:pr-7::dagster-platform::${type}::x`, type, custom: true, ...extra });
const CALL = (db: string, pr: number) => `CALL DAGSTER_BRANCH_ADMIN.BRANCHES.CREATE_BRANCH('${db}', ${pr}, NULL, 'MIIB${"A".repeat(60)}')`;

/** The plan's resources as a state lists them: the program's component types are not custom. */
function asState(p: Plan): StateEntry[] {
  return p.resources.map((r) => ({ urn: `urn:pulumi:${p.stack}::dagster-platform::${r.type}::${r.name}`, type: r.type, custom: !r.type.startsWith("dagster-platform:"), inputs: r.inputs }));
}

describe("retire inventory: what a branch stack may hold for the reaper to remove it", function () {
  this.timeout(60000);

  it("the branch program's resources are all covered, except GCP ones, which branches are about to stop owning", async () => {
    const branch = await plan("pr-42", { overrides: [`commitSha=${SHA_A}`, "branch=feature/x"] });
    const state = asState(branch);
    const inventory = retireInventory(state, 42, RULES);
    // ASSUMPTION of lifecycle/retireInventory.ts: no GCP resource in a branch. Until the program
    // agrees, retiring refuses such a stack, naming each one (and an empty list once it does).
    const gcp = state.filter((r) => r.type.startsWith("gcp:")).map((r) => r.urn);
    assert.deepEqual(inventory.problems.map((p) => p.split(" ")[0]), gcp);
    assert.equal(inventory.namespaced, state.filter((r) => r.type.startsWith("kubernetes:")).length);
    assert.ok(inventory.namespaced > 10);
    assert.equal(inventory.snowflake, 1, "the CREATE_BRANCH call");
    // The same plan for another pull request's stack is not this one's to retire.
    assert.equal(retireInventory(state, 43, RULES).namespaced, 0);
  });

  it("covers what has no existence outside the state", () => {
    const none = [
      entry("pulumi:pulumi:Stack", { custom: false }),
      entry("pulumi:providers:kubernetes"),
      entry("pulumi:providers:pulumi-nodejs"),
      entry("pulumi:pulumi:StackReference"),
      entry("dagster-platform:index:BranchClone", { custom: false }),
      entry("random:index/randomPassword:RandomPassword"),
      entry("tls:index/privateKey:PrivateKey"),
      entry("gcp:storage/bucket:Bucket", { external: true }),
    ];
    assert.deepEqual(retireInventory(none, 7, RULES), { namespaced: 0, snowflake: 0, problems: [] });
  });

  it("Kubernetes: only namespace dagster-pr-<N> and what is inside it", () => {
    const ns = (name: unknown) => ({ metadata: { name } });
    const inside = (namespace: unknown) => ({ metadata: { name: "x", namespace } });
    const ok = [
      entry("kubernetes:core/v1:Namespace", { outputs: ns("dagster-pr-7") }),
      entry("kubernetes:core/v1:Secret", { inputs: inside("dagster-pr-7") }),
      entry("kubernetes:core/v1:Secret", { outputs: inside("dagster-pr-7"), inputs: inside("elsewhere") }),
      entry("kubernetes:helm.sh/v3:Release", { inputs: { namespace: "dagster-pr-7" } }),
    ];
    assert.deepEqual(retireInventory(ok, 7, RULES).problems, []);
    assert.equal(retireInventory(ok, 7, RULES).namespaced, 4);
    const refused: [StateEntry, RegExp][] = [
      [entry("kubernetes:core/v1:Namespace", { outputs: ns("dagster") }), /the namespace "dagster" is not dagster-pr-7/],
      [entry("kubernetes:core/v1:Namespace", { outputs: ns("dagster-pr-70") }), /is not dagster-pr-7/],
      [entry("kubernetes:core/v1:ConfigMap", { inputs: inside("dagster-pr-8") }), /lives in namespace "dagster-pr-8", not dagster-pr-7/],
      [entry("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", { inputs: { metadata: { name: "x" } } }), /has no namespace \(cluster-scoped/],
      [entry("kubernetes:helm.sh/v3:Release", { inputs: { namespace: "kube-system" } }), /lives in namespace "kube-system"/],
      [entry("kubernetes:core/v1:Secret"), /has no namespace/],
    ];
    for (const [r, why] of refused) assert.match(retireInventory([r], 7, RULES).problems.join("\n"), why, r.type);
  });

  it("Snowflake: only the CALL of CREATE_BRANCH for <N> on the production database DROP_BRANCH is called for", () => {
    assert.deepEqual(retireInventory([entry("snowflake:index/execute:Execute", { inputs: { execute: CALL("PRODUCTION", 7) } })], 7, RULES), { namespaced: 0, snowflake: 1, problems: [] });
    const refused: [StateEntry, RegExp, typeof RULES | { productionDatabase?: string; namespacedTypes: string[] }][] = [
      [entry("snowflake:index/execute:Execute", { inputs: { execute: CALL("PRODUCTION", 8) } }), /is not CREATE_BRANCH for pull request 7/, RULES],
      [entry("snowflake:index/execute:Execute", { inputs: { execute: "GRANT ROLE SYSADMIN TO USER DAGSTER_PR_7" } }), /DROP_BRANCH does not revert it/, RULES],
      [entry("snowflake:index/execute:Execute", { inputs: { execute: CALL("ANALYTICS", 7) } }), /clones ANALYTICS, but DROP_BRANCH is called for PRODUCTION/, RULES],
      [entry("snowflake:index/execute:Execute", { inputs: { execute: CALL("PRODUCTION", 7) } }), /config snowflake is off/, { namespacedTypes: [] }],
      [entry("snowflake:index/grantPrivilegesToAccountRole:GrantPrivilegesToAccountRole"), /a type the retire path does not clean/, RULES],
    ];
    for (const [r, why, rules] of refused) assert.match(retireInventory([r], 7, rules).problems.join("\n"), why);
  });

  it("refuses every other type, naming its URN: GCP, dynamic providers, commands", () => {
    const types = ["gcp:storage/bucket:Bucket", "gcp:serviceaccount/account:Account", "pulumi-nodejs:dynamic:Resource", "command:local:Command", "aws:s3/bucket:Bucket"];
    const problems = retireInventory(types.map((t) => entry(t)), 7, RULES).problems;
    assert.deepEqual(problems.map((p) => p.split(" ")[0]), types.map((t) => `urn:pulumi:pr-7::dagster-platform::${t}::x`));
    assert.ok(problems.every((p) => /is a type the retire path does not clean/.test(p)));
  });

  it("a project may declare types of its own as living in the namespace (branch-retire.json)", () => {
    const rules = { ...RULES, namespacedTypes: ["pulumi-nodejs:dynamic:Resource"] };
    assert.deepEqual(retireInventory([entry("pulumi-nodejs:dynamic:Resource")], 7, rules), { namespaced: 1, snowflake: 0, problems: [] });
  });

  it("reads resources an interrupted update was still creating, and refuses an export it cannot read", () => {
    const exported = { version: 3, deployment: { resources: [entry("pulumi:pulumi:Stack")], pending_operations: [{ type: "creating", resource: entry("gcp:storage/bucket:Bucket") }] } };
    const resources = exportedResources(exported);
    assert.deepEqual(resources?.map((r) => r.type), ["pulumi:pulumi:Stack", "gcp:storage/bucket:Bucket"]);
    for (const bad of [null, {}, { deployment: "x" }, { deployment: { resources: [{ urn: "u" }] } }]) assert.equal(exportedResources(bad), undefined, JSON.stringify(bad));
  });
});

describe("the reaper's kubeconfig", () => {
  it("accepts what the preview stack exports (render/kubeconfig.ts)", () => {
    assert.deepEqual(kubeconfigProblems(PREVIEW_KUBECONFIG), []);
    assert.deepEqual(kubeconfigProblems(gkeKubeconfig({ contextName: "c", endpoint: "1.2.3.4", caCertificate: "Q0E=" })), []);
  });

  it("refuses any other exec command, an environment for the plugin, legacy auth providers, and non-kubeconfigs", () => {
    const refused: [string, RegExp][] = [
      [PREVIEW_KUBECONFIG.replace("command: gke-gcloud-auth-plugin", "command: sh"), /exec command "sh" is not gke-gcloud-auth-plugin/],
      [PREVIEW_KUBECONFIG.replace("command: gke-gcloud-auth-plugin", "command: /usr/bin/gke-gcloud-auth-plugin"), /is not gke-gcloud-auth-plugin/],
      [PREVIEW_KUBECONFIG.replace("      provideClusterInfo: true", "      env:\n      - name: LD_PRELOAD\n        value: /tmp/x.so\n      provideClusterInfo: true"), /sets environment variables/],
      [PREVIEW_KUBECONFIG.replace(/ {4}exec:[\s\S]*$/, "    auth-provider:\n      name: gcp\n      config:\n        cmd-path: /tmp/x\n"), /uses an auth-provider/],
      [`${PREVIEW_KUBECONFIG}- name: second\n  user:\n    exec:\n      command: curl\n`, /users\[1\] \(second\): exec command "curl"/],
      ["clusters: [", /not YAML/],
      ["just text", /not a kubeconfig mapping/],
      ["apiVersion: v1\nusers: []\n", /names no cluster/],
    ];
    for (const [text, why] of refused) assert.match(kubeconfigProblems(text).join("\n"), why, text);
  });

  it("is written readable by its owner only, and removed with its folder", () => {
    const file = writeKubeconfig(PREVIEW_KUBECONFIG);
    assert.equal(fs.statSync(file.path).mode & 0o777, 0o600);
    assert.equal(fs.statSync(path.dirname(file.path)).mode & 0o777, 0o700);
    assert.equal(fs.readFileSync(file.path, "utf8"), PREVIEW_KUBECONFIG);
    file.remove();
    assert.equal(fs.existsSync(path.dirname(file.path)), false);
  });
});

describe("retire settings come from the reaper's checkout, never from the state", () => {
  const project = (pulumiYaml: string, retireTypes?: string) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "retire-settings-"));
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), pulumiYaml);
    if (retireTypes !== undefined) fs.writeFileSync(path.join(dir, "branch-retire.json"), retireTypes);
    return dir;
  };

  it("this project: the preview stack Pulumi.yaml names, Snowflake on, no extra types", () => {
    assert.deepEqual(retireSettingsFor(PROJECT_DIR, "pr-7", "PRODUCTION"), { previewStack: "organization/dagster-platform/preview", inventory: { productionDatabase: "PRODUCTION", namespacedTypes: [] } });
  });

  it("Snowflake off: no database to drop; a project's branch-retire.json adds types", () => {
    const dir = project("name: dagster-platform\nruntime: nodejs\nconfig:\n  previewStack:\n    default: organization/dagster-platform/preview\n", '{"namespacedTypes": ["pulumi-nodejs:dynamic:Resource"]}');
    assert.deepEqual(retireSettingsFor(dir, "pr-7", "PRODUCTION").inventory, { productionDatabase: undefined, namespacedTypes: ["pulumi-nodejs:dynamic:Resource"] });
  });

  it("refuses a preview stack that is not `preview`, none at all, and a malformed branch-retire.json", () => {
    const yaml = (ref: string) => `name: dagster-platform\nruntime: nodejs\nconfig:\n  previewStack:\n    default: ${ref}\n`;
    assert.throws(() => retireSettingsFor(project(yaml("organization/dagster-platform/prod")), "pr-7", "PRODUCTION"), /previewStack .* is "organization\/dagster-platform\/prod": it must be org\/project\/preview/);
    assert.throws(() => retireSettingsFor(project(yaml("organization/dagster-platform/pr-8")), "pr-7", "PRODUCTION"), /must be org\/project\/preview/);
    assert.throws(() => retireSettingsFor(project("name: dagster-platform\nruntime: nodejs\n"), "pr-7", "PRODUCTION"), /previewStack .* is not set/);
    assert.throws(() => retireSettingsFor(project(yaml("organization/dagster-platform/preview"), '{"namespacedTypes": "all"}'), "pr-7", "PRODUCTION"), /namespacedTypes must be a list of Pulumi type tokens/);
  });
});
