/** A stack per pull request: its own Dagster and a Snowflake clone that cannot reach production. */
import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import { InputError } from "../locations/problems";
import { Plan } from "../offline/plan";
import { OfflineRunError } from "../offline/runtime";
import { SHA_A, SHA_B, changed, find, ofType, plan } from "./helpers/plan";

type Values = Record<string, unknown>;
const GRANT = "snowflake:index/grantPrivilegesToAccountRole:GrantPrivilegesToAccountRole";
const EXECUTE = "snowflake:index/execute:Execute";

/** Any resource will do as the clone the grants follow. */
class FakeClone extends pulumi.CustomResource {
  constructor(name: string) {
    super("test:index:Clone", name, {});
  }
}

async function refused(stack: string, overrides: string[], pattern: RegExp, secrets: string[] = []): Promise<void> {
  await assert.rejects(plan(stack, { overrides, secrets }), (e: unknown) => {
    assert.ok(e instanceof OfflineRunError && e.cause instanceof InputError, String(e));
    assert.equal(e.registered.length, 0);
    assert.match(e.cause.message, pattern);
    return true;
  });
}

/** Every string in a value, for "does anything name X" checks. */
function strings(v: unknown): string[] {
  if (typeof v === "string") return [v];
  if (Array.isArray(v)) return v.flatMap(strings);
  if (v && typeof v === "object") return Object.values(v).flatMap(strings);
  return [];
}

describe("branch deployments (pr-<N> stacks)", function () {
  this.timeout(60000);
  let branch: Plan, sameSha: Plan, newSha: Plan, noReclone: Plan, prod: Plan;
  before(async () => {
    prod = await plan("prod");
    branch = await plan("pr-42", { overrides: [`commitSha=${SHA_A}`, "branch=feature/better-attribution"] });
    sameSha = await plan("pr-42", { overrides: [`commitSha=${SHA_A}`, "branch=feature/better-attribution"] });
    newSha = await plan("pr-42", { overrides: [`commitSha=${SHA_B}`, "branch=feature/better-attribution"] });
    noReclone = await plan("pr-42", { overrides: [`commitSha=${SHA_B}`, "recloneOnDeploy=false"] });
  });

  it("clones production with a revert, delete-before-replace, re-cloned per commit", () => {
    const clone = find(branch, EXECUTE, "clone");
    assert.equal(clone.inputs.execute, "CREATE OR REPLACE DATABASE PRODUCTION_CLONE_42 CLONE PRODUCTION");
    assert.equal(clone.inputs.revert, "DROP DATABASE IF EXISTS PRODUCTION_CLONE_42");
    assert.equal(clone.options.deleteBeforeReplace, true);
    assert.equal(clone.options.replacementTrigger, SHA_A);
    assert.equal(branch.outputs.cloneDatabase, "PRODUCTION_CLONE_42");
  });

  it("a new commitSha replaces the clone and its grants; the same one leaves them alone", () => {
    assert.deepEqual(changed(branch, sameSha), { added: [], removed: [], modified: [] });
    const diff = changed(branch, newSha);
    assert.ok(diff.modified.includes(`${EXECUTE} clone`));
    assert.equal(find(newSha, EXECUTE, "clone").options.replacementTrigger, SHA_B, "the engine replaces on a changed trigger");
    const onClone = ofType(newSha, GRANT).filter((g) => g.name !== "snowflake-access-warehouse");
    assert.equal(onClone.length, 7);
    for (const g of onClone) {
      assert.deepEqual(g.options.replaceWith, ["clone"], `${g.name} follows the clone`);
      assert.equal(g.options.deleteBeforeReplace, true, `${g.name} is revoked before it is granted again`);
      assert.ok(g.options.dependsOn.includes("clone"));
    }
    assert.deepEqual(find(newSha, GRANT, "snowflake-access-warehouse").options.replaceWith, [], "the warehouse grant does not follow the clone");
    assert.equal(find(noReclone, EXECUTE, "clone").options.replacementTrigger, undefined, "recloneOnDeploy=false keeps the clone");
  });

  it("the branch role is granted the clone (database, schemas, tables, views, now and future) and the warehouse, never PRODUCTION", () => {
    const grants = ofType(branch, GRANT);
    assert.deepEqual(grants.map((g) => g.name.replace("snowflake-access-", "")).sort(), ["all-schemas", "all-tables", "all-views", "database", "future-schemas", "future-tables", "future-views", "warehouse"]);
    for (const g of grants) {
      assert.equal(g.inputs.accountRoleName, "DAGSTER_PR_42");
      assert.ok(!strings(g.inputs).includes("PRODUCTION"), `${g.name} names the production database`);
    }
    assert.deepEqual(find(branch, GRANT, "snowflake-access-database").inputs.onAccountObject, { objectName: "PRODUCTION_CLONE_42", objectType: "DATABASE" });
    assert.deepEqual(find(branch, GRANT, "snowflake-access-warehouse").inputs.onAccountObject, { objectName: "DAGSTER_WH", objectType: "WAREHOUSE" });
  });

  it("a key-pair service user with the branch role by default, and its credentials Secret", () => {
    const user = find(branch, "snowflake:index/serviceUser:ServiceUser", "snowflake-access");
    assert.equal(user.inputs.name, "DAGSTER_PR_42");
    assert.equal(user.inputs.defaultRole, "DAGSTER_PR_42");
    assert.equal(user.inputs.defaultNamespace, "PRODUCTION_CLONE_42");
    assert.match(String(user.inputs.rsaPublicKey), /^[A-Za-z0-9+/=]+$/, "the public key body only");
    assert.equal(find(branch, "snowflake:index/accountRole:AccountRole", "snowflake-access").inputs.name, "DAGSTER_PR_42");
    assert.deepEqual(find(branch, "tls:index/privateKey:PrivateKey", "snowflake-access").inputs, { algorithm: "RSA", rsaBits: 2048 });
    const secret = find(branch, "kubernetes:core/v1:Secret", "snowflake-access-credentials");
    const meta = secret.inputs.metadata as { name: string; namespace: string; annotations: Values };
    assert.equal(meta.name, "dagster-snowflake");
    assert.equal(meta.namespace, "dagster-pr-42");
    assert.equal(secret.inputs.stringData, "[secret]");
    assert.equal(meta.annotations["dagster-platform/snowflake-database"], "PRODUCTION_CLONE_42");
    assert.equal(meta.annotations["dagster-platform/snowflake-user"], "DAGSTER_PR_42");
  });

  it("runs in namespace dagster-pr-42 with its own system release, database and code locations", () => {
    assert.equal(find(branch, "kubernetes:core/v1:Namespace", "namespace").inputs.metadata && (find(branch, "kubernetes:core/v1:Namespace", "namespace").inputs.metadata as Values).name, "dagster-pr-42");
    for (const r of ofType(branch, "kubernetes:helm.sh/v3:Release")) assert.equal(r.inputs.namespace, "dagster-pr-42", r.name);
    assert.equal(find(branch, "gcp:sql/database:Database", "postgres").inputs.name, "dagster_pr_42");
    assert.equal(find(branch, "gcp:sql/database:Database", "postgres").inputs.instance, "dagster-prod", "on prod's instance, by name");
    const pg = (branch.values.dagster as { postgresql: Values }).postgresql;
    assert.deepEqual([pg.postgresqlHost, pg.postgresqlDatabase, pg.postgresqlUsername], ["192.0.2.10", "dagster_pr_42", "dagster_pr_42"]);
    const v = branch.values.dagster as { dagsterWebserver: { replicaCount: number; resources: Values } };
    assert.equal(v.dagsterWebserver.replicaCount, 1, "smaller than prod");
    assert.equal(branch.outputs.webserverUrl, "http://localhost:8080");
    assert.match(String(branch.outputs.webserverAccess), /--namespace dagster-pr-42 port-forward/);
  });

  it("every code location gets the Dagster+ variables and the branch's Snowflake Secret", () => {
    for (const loc of branch.locations) {
      const d = (branch.values[loc.release] as { deployments: { env: Values; envSecrets: Values[] }[] }).deployments[0];
      assert.equal(d.env.DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT, "1");
      assert.equal(d.env.DAGSTER_CLOUD_PULL_REQUEST_ID, "42");
      assert.equal(d.env.DAGSTER_CLOUD_DEPLOYMENT_NAME, "pr-42");
      // A location's own git metadata wins (marketing-etl's file says main); without it, the pull request's branch.
      assert.equal(d.env.DAGSTER_CLOUD_GIT_BRANCH, loc.name === "marketing-etl" ? "main" : "feature/better-attribution", loc.name);
      assert.match(String(d.env.DAGSTER_CLOUD_GIT_SHA), /^[0-9a-f]{40}$/);
      assert.equal(d.env.SNOWFLAKE_DATABASE, "PRODUCTION_CLONE_42");
      assert.deepEqual(d.envSecrets[0], { name: "dagster-snowflake" });
      for (const s of d.envSecrets.slice(1)) assert.equal(s.optional, true, "a location's own Secrets are optional in a branch");
    }
    for (const loc of prod.locations) {
      const d = (prod.values[loc.release] as { deployments: { env: Values }[] }).deployments[0];
      assert.equal(d.env.DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT, "0");
      assert.equal(d.env.DAGSTER_CLOUD_PULL_REQUEST_ID, "");
      assert.equal(d.env.SNOWFLAKE_DATABASE, "PRODUCTION");
    }
  });

  it("prod: production credentials from secret config, SNOWFLAKE_DATABASE=PRODUCTION, and never a clone", () => {
    assert.deepEqual(ofType(prod, EXECUTE), []);
    assert.deepEqual(ofType(prod, GRANT), []);
    const meta = find(prod, "kubernetes:core/v1:Secret", "snowflake-credentials").inputs.metadata as { annotations: Values };
    assert.equal(meta.annotations["dagster-platform/snowflake-database"], "PRODUCTION");
    assert.equal(meta.annotations["dagster-platform/snowflake-user"], "DAGSTER_PROD");
  });

  it("destroying a branch cannot touch prod: nothing protected, no prod-owned resource, no shared physical name", () => {
    assert.deepEqual(branch.resources.filter((r) => r.options.protect), []);
    for (const t of ["gcp:sql/databaseInstance:DatabaseInstance", "gcp:container/cluster:Cluster", "gcp:compute/network:Network", "gcp:artifactregistry/repository:Repository"]) {
      assert.deepEqual(ofType(branch, t), [], `a branch owns no ${t}`);
    }
    const identity = (r: Plan["resources"][number]) => {
      const meta = r.inputs.metadata as Values | undefined;
      const physical = meta
        ? `${String(meta.namespace ?? "")}/${String(meta.name)}`
        : r.inputs.namespace !== undefined
          ? `${String(r.inputs.namespace)}/${String(r.inputs.name)}`
          : String(r.inputs.name ?? r.inputs.accountId ?? r.inputs.repositoryId ?? "");
      return `${r.type} ${physical}`;
    };
    const prodIdentities = new Set(prod.resources.filter((r) => r.type.includes("/") && !r.type.startsWith("pulumi:")).map(identity));
    const shared = branch.resources.filter((r) => r.type.includes("/") && !r.type.startsWith("pulumi:")).map(identity).filter((i) => prodIdentities.has(i) && !i.endsWith(" "));
    assert.deepEqual(shared, []);
  });

  it("stack names: pr-4x and pr-042 are refused by name; a branch may not hold production credentials", async () => {
    await refused("pr-4x", [], /\(stack name\): the stack name "pr-4x" starts like a pull request's but is not exactly pr-<N>/);
    await refused("pr-042", [`commitSha=${SHA_A}`], /the stack name "pr-042" starts like a pull request's/);
    await refused("pr-42", [], /commitSha: is not set/);
    await refused("pr-42", [`commitSha=${SHA_A}`, "snowflakeUser=DAGSTER_PROD"], /snowflakePrivateKey: is set on a branch stack.*\n.*snowflakeUser: is set on a branch stack/, ["snowflakePrivateKey=-----BEGIN PRIVATE KEY-----"]);
    await refused("pr-42", [`commitSha=${SHA_A}`, "snowflakeProductionDatabase=prod; DROP DATABASE X"], /not an unquoted uppercase Snowflake identifier/);
  });

  it("a branch can run only the locations the pull request changed", async () => {
    const subset = await plan("pr-42", { overrides: [`commitSha=${SHA_A}`, "branchLocations=marketing-etl"] });
    assert.deepEqual(subset.locations.map((l) => l.name), ["marketing-etl"]);
    await refused("pr-42", [`commitSha=${SHA_A}`, "branchLocations=marketing-etI"], /"marketing-etI" is not a location.*did you mean "marketing-etl"/);
  });

  it("the credentials Secret holds the six SNOWFLAKE_* keys with the clone as database (read under mocks, unmasked)", async () => {
    const seen: Record<string, Values> = {};
    await pulumi.runtime.setMocks({ newResource: (a) => { seen[`${a.type} ${a.name}`] = a.inputs; return { id: `${a.name}-id`, state: { ...a.inputs, privateKeyPemPkcs8: "PKCS8", publicKeyPem: "-----BEGIN PUBLIC KEY-----\nQUJD\n-----END PUBLIC KEY-----", name: a.inputs.name } }; }, call: () => ({}) }, "dagster-platform", "pr-7");
    const { BranchSnowflakeAccess } = await import("../components/BranchSnowflakeAccess");
    const clone = new FakeClone("clone");
    const access = new BranchSnowflakeAccess("access", { account: "acme-analytics", warehouse: "WH", productionDatabase: "PRODUCTION", cloneDatabase: "PRODUCTION_CLONE_7", role: "DAGSTER_PR_7", user: "DAGSTER_PR_7", clone, namespace: "dagster-pr-7" });
    const data = await new Promise<Values>((resolve) => (access.secret.stringData as pulumi.Output<Values>).apply(resolve));
    assert.deepEqual(data, {
      SNOWFLAKE_ACCOUNT: "acme-analytics",
      SNOWFLAKE_DATABASE: "PRODUCTION_CLONE_7",
      SNOWFLAKE_PRIVATE_KEY: "PKCS8",
      SNOWFLAKE_ROLE: "DAGSTER_PR_7",
      SNOWFLAKE_USER: "DAGSTER_PR_7",
      SNOWFLAKE_WAREHOUSE: "WH",
    });
    assert.equal(await new Promise((resolve) => pulumi.isSecret(access.secret.stringData).then(resolve)), true);
  });

  it("refuses to grant anything on the production database", async () => {
    await pulumi.runtime.setMocks({ newResource: (a) => ({ id: `${a.name}-id`, state: a.inputs }), call: () => ({}) }, "dagster-platform", "pr-8");
    const { BranchSnowflakeAccess } = await import("../components/BranchSnowflakeAccess");
    const clone = new FakeClone("clone8");
    assert.throws(() => new BranchSnowflakeAccess("bad", { account: "a-b", warehouse: "WH", productionDatabase: "PRODUCTION", cloneDatabase: "PRODUCTION", role: "R", user: "U", clone, namespace: "n" }), /refusing to grant database on the production database/);
  });
});
