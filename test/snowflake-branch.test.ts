/**
 * A branch's Snowflake side as the program plans it: one Execute that CALLs the admin
 * procedures (nothing else, and production named only as a CALL's source argument), re-cloned per
 * commit or pinned to the pull request's opening time, and the credentials Secret.
 */
import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import { InputError } from "../locations/problems";
import { Plan } from "../offline/plan";
import { OfflineRunError } from "../offline/runtime";
import { parseBranchCall } from "../policy/snowflakeNames";
import { SHA_A, SHA_B, changed, find, plan } from "./helpers/plan";

type Values = Record<string, unknown>;

/** Any resource will do as what the Secret waits for. */
class FakeClone extends pulumi.CustomResource {
  constructor(name: string) {
    super("test:index:Clone", name, {});
  }
}
const EXECUTE = "snowflake:index/execute:Execute";
const OFFLINE_KEY = "T0ZGTElORS1QTEFOLVBVQkxJQy1LRVk="; // offline/computed.ts's stand-in public key

async function refused(stack: string, overrides: string[], pattern: RegExp): Promise<void> {
  await assert.rejects(plan(stack, { overrides }), (e: unknown) => {
    assert.ok(e instanceof OfflineRunError && e.cause instanceof InputError, String(e));
    assert.match(e.cause.message, pattern);
    return true;
  });
}

/** Every string in a value, with where it sits. */
function strings(v: unknown, at = ""): { at: string; value: string }[] {
  if (typeof v === "string") return [{ at, value: v }];
  if (Array.isArray(v)) return v.flatMap((x, i) => strings(x, `${at}[${i}]`));
  if (v && typeof v === "object") return Object.entries(v).flatMap(([k, x]) => strings(x, at ? `${at}.${k}` : k));
  return [];
}

describe("branch Snowflake objects: CALLs of the admin procedures only", function () {
  this.timeout(60000);
  let branch: Plan, sameSha: Plan, newSha: Plan, noReclone: Plan, pinned: Plan;
  before(async () => {
    branch = await plan("pr-42", { overrides: [`commitSha=${SHA_A}`] });
    sameSha = await plan("pr-42", { overrides: [`commitSha=${SHA_A}`] });
    newSha = await plan("pr-42", { overrides: [`commitSha=${SHA_B}`] });
    noReclone = await plan("pr-42", { overrides: [`commitSha=${SHA_B}`, "recloneOnDeploy=false"] });
    pinned = await plan("pr-42", { overrides: [`commitSha=${SHA_A}`, "snowflakeCloneFreshness=pull-request-opened", "pullRequestOpenedAt=2025-02-27T09:30:00Z"] });
  });

  it("plans one Execute: CREATE_BRANCH, reverted by DROP_BRANCH, read back by LIST_BRANCHES", () => {
    const clone = find(branch, EXECUTE, "clone");
    assert.deepEqual(
      { execute: clone.inputs.execute, revert: clone.inputs.revert, query: clone.inputs.query },
      {
        execute: `CALL DAGSTER_BRANCH_ADMIN.BRANCHES.CREATE_BRANCH('PRODUCTION', 42, NULL, '${OFFLINE_KEY}')`,
        revert: "CALL DAGSTER_BRANCH_ADMIN.BRANCHES.DROP_BRANCH('PRODUCTION', 42)",
        query: "CALL DAGSTER_BRANCH_ADMIN.BRANCHES.LIST_BRANCHES('PRODUCTION', 42)",
      },
    );
    assert.equal(clone.options.deleteBeforeReplace, true, "the old clone's DROP_BRANCH runs before the new CREATE_BRANCH, never after it");
    assert.equal(branch.outputs.cloneDatabase, "PRODUCTION_CLONE_42");
  });

  it("declares no grant, role, user or database: every Snowflake resource is that Execute", () => {
    const snowflake = branch.resources.filter((r) => r.type.startsWith("snowflake:"));
    assert.deepEqual(snowflake.map((r) => `${r.type} ${r.name}`), [`${EXECUTE} clone`]);
    const provider = branch.resources.find((r) => r.type === "pulumi:providers:snowflake");
    assert.deepEqual(provider?.inputs, { accountName: "analytics", authenticator: "SNOWFLAKE_JWT", organizationName: "acme", warehouse: "DAGSTER_WH" });
  });

  it("names the production database nowhere but as a CALL's source argument", () => {
    for (const r of branch.resources) {
      for (const { at, value } of strings(r.inputs)) {
        if (!/\bPRODUCTION\b/.test(value)) continue;
        const call = r.type === EXECUTE ? parseBranchCall(value) : undefined;
        assert.ok(call && call.source === "PRODUCTION" && value.split("PRODUCTION").length === 2, `${r.type} ${r.name} ${at}: ${value.slice(0, 100)}`);
      }
    }
  });

  it("re-clones on a new commit (recloneOnDeploy), not on the same one; recloneOnDeploy=false keeps the clone", () => {
    assert.deepEqual(changed(branch, sameSha), { added: [], removed: [], modified: [] });
    assert.equal(find(branch, EXECUTE, "clone").options.replacementTrigger, SHA_A);
    assert.equal(find(newSha, EXECUTE, "clone").options.replacementTrigger, SHA_B, "the engine replaces on a changed trigger");
    assert.ok(changed(branch, newSha).modified.includes(`${EXECUTE} clone`));
    assert.equal(find(noReclone, EXECUTE, "clone").options.replacementTrigger, undefined);
  });

  it("snowflakeCloneFreshness=pull-request-opened clones production as of the time CI passes", () => {
    assert.equal(find(pinned, EXECUTE, "clone").inputs.execute, `CALL DAGSTER_BRANCH_ADMIN.BRANCHES.CREATE_BRANCH('PRODUCTION', 42, '2025-02-27T09:30:00Z', '${OFFLINE_KEY}')`);
    assert.equal(find(pinned, EXECUTE, "clone").inputs.revert, find(branch, EXECUTE, "clone").inputs.revert);
  });

  it("refuses a pinned clone without its time, a malformed time, a time on prod, and a source too long to clone", async () => {
    await refused("pr-42", [`commitSha=${SHA_A}`, "snowflakeCloneFreshness=pull-request-opened"], /pullRequestOpenedAt: is not set, and snowflakeCloneFreshness is pull-request-opened/);
    await refused("pr-42", [`commitSha=${SHA_A}`, "pullRequestOpenedAt=27.02.2025"], /pullRequestOpenedAt: "27\.02\.2025" is not an ISO 8601 time/);
    await refused("pr-42", [`commitSha=${SHA_A}`, "snowflakeCloneFreshness=opened"], /snowflakeCloneFreshness: "opened" is not one of push, pull-request-opened/);
    await refused("prod", ["pullRequestOpenedAt=2025-02-27T09:30:00Z"], /pullRequestOpenedAt: is set on a non-branch stack/);
    await refused("prod", ["snowflakeCloneFreshness=pull-request-open"], /snowflakeCloneFreshness: "pull-request-open" is not one of push, pull-request-opened.*did you mean "pull-request-opened"/s);
    await refused("pr-42", [`commitSha=${SHA_A}`, `snowflakeProductionDatabase=${"P".repeat(201)}`], /snowflakeProductionDatabase: "P+" is longer than 200 characters/);
  });

  it("writes the branch's credentials Secret once the CALL has made its user", () => {
    const secret = find(branch, "kubernetes:core/v1:Secret", "snowflake-access-credentials");
    const meta = secret.inputs.metadata as { name: string; namespace: string; annotations: Values };
    assert.deepEqual([meta.name, meta.namespace, secret.inputs.stringData], ["dagster-snowflake", "dagster-pr-42", "[secret]"]);
    assert.equal(meta.annotations["dagster-platform/snowflake-database"], "PRODUCTION_CLONE_42");
    assert.equal(meta.annotations["dagster-platform/snowflake-user"], "DAGSTER_PR_42");
    assert.ok(secret.options.dependsOn.includes("clone"), "after the Execute");
    assert.deepEqual(find(branch, "tls:index/privateKey:PrivateKey", "clone").inputs, { algorithm: "RSA", rsaBits: 2048 });
  });

  it("the Secret holds the six SNOWFLAKE_* keys, with the clone and the branch's own key (read under mocks)", async () => {
    await pulumi.runtime.setMocks({ newResource: (a) => ({ id: `${a.name}-id`, state: a.inputs }), call: () => ({}) }, "dagster-platform", "pr-7");
    const { BranchSnowflakeAccess } = await import("../components/BranchSnowflakeAccess");
    const clone = new FakeClone("clone");
    const access = new BranchSnowflakeAccess("access", { account: "acme-analytics", warehouse: "WH", cloneDatabase: "PRODUCTION_CLONE_7", role: "DAGSTER_PR_7", user: "DAGSTER_PR_7", privateKey: pulumi.secret("PKCS8"), clone, namespace: "dagster-pr-7" });
    const data = await new Promise<Values>((resolve) => (access.secret.stringData as pulumi.Output<Values>).apply(resolve));
    assert.deepEqual(data, { SNOWFLAKE_ACCOUNT: "acme-analytics", SNOWFLAKE_DATABASE: "PRODUCTION_CLONE_7", SNOWFLAKE_PRIVATE_KEY: "PKCS8", SNOWFLAKE_ROLE: "DAGSTER_PR_7", SNOWFLAKE_USER: "DAGSTER_PR_7", SNOWFLAKE_WAREHOUSE: "WH" });
    assert.equal(await pulumi.isSecret(access.secret.stringData), true);
  });
});
