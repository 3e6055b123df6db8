/**
 * policy: branch-snowflake-calls-only, and prod-no-snowflake-clone's view of the CALLs. The
 * rules' other cases and the real plans passing them are in policy.test.ts.
 */
import { strict as assert } from "assert";
import { DEPLOYMENT_KIND_LABEL } from "../render/deployment";
import { branchSnowflakeCallViolations, prodCloneViolations } from "../policy/snowflake";
import { Props, StackResource, StackViolation } from "../policy/types";

const EXECUTE = "snowflake:index/execute:Execute";
const KEY = "QUJDRA==";

function res(type: string, props: Props, name: string, stack = "pr-42"): StackResource {
  return { type, name, urn: `urn:pulumi:${stack}::dagster-platform::${type}::${name}`, props, protect: false };
}
const namespace = (kind: string, stack = "pr-42") => res("kubernetes:core/v1:Namespace", { metadata: { name: "ns", labels: { [DEPLOYMENT_KIND_LABEL]: kind } } }, "namespace", stack);
const calls = (pr = 42, source = "PRODUCTION") => ({
  execute: `CALL DAGSTER_BRANCH_ADMIN.BRANCHES.CREATE_BRANCH('${source}', ${pr}, NULL, '${KEY}')`,
  revert: `CALL DAGSTER_BRANCH_ADMIN.BRANCHES.DROP_BRANCH('${source}', ${pr})`,
  query: `CALL DAGSTER_BRANCH_ADMIN.BRANCHES.LIST_BRANCHES('${source}', ${pr})`,
});
const check = (...r: StackResource[]) => branchSnowflakeCallViolations([namespace("branch"), ...r]).map((v: StackViolation) => v.message);

describe("policy: branch-snowflake-calls-only", () => {
  it("passes the Execute a branch plans: CREATE_BRANCH, DROP_BRANCH and LIST_BRANCHES for its own pull request", () => {
    assert.deepEqual(check(res(EXECUTE, calls(), "clone")), []);
    assert.deepEqual(check(res(EXECUTE, { ...calls(), execute: calls().execute.replace("NULL", "'2025-02-27T09:30:00Z'") }, "clone")), []);
  });

  it("fails any other Snowflake resource in a branch: grants (future and bulk ones too), roles, users, databases", () => {
    for (const type of ["snowflake:index/grantPrivilegesToAccountRole:GrantPrivilegesToAccountRole", "snowflake:index/grantOwnership:GrantOwnership", "snowflake:index/accountRole:AccountRole", "snowflake:index/serviceUser:ServiceUser", "snowflake:index/database:Database"]) {
      const v = check(res(type, { name: "X" }, "thing"));
      assert.equal(v.length, 1, type);
      assert.match(v[0], /a branch makes Snowflake objects only by calling the DAGSTER_BRANCH_ADMIN\.BRANCHES procedures/);
    }
  });

  it("fails statements that are not exactly the expected CALLs", () => {
    const cases: [Props, RegExp][] = [
      [{ ...calls(), execute: "CREATE OR REPLACE DATABASE PRODUCTION_CLONE_42 CLONE PRODUCTION" }, /execute must be exactly CALL DAGSTER_BRANCH_ADMIN\.BRANCHES\.CREATE_BRANCH/],
      [{ ...calls(), execute: `${calls().execute}; GRANT SELECT ON ALL TABLES IN DATABASE PRODUCTION TO ROLE DAGSTER_PR_42` }, /execute must be exactly/],
      [{ ...calls(), revert: "DROP DATABASE IF EXISTS PRODUCTION_CLONE_42" }, /revert must be exactly CALL DAGSTER_BRANCH_ADMIN\.BRANCHES\.DROP_BRANCH/],
      [{ ...calls(), revert: calls().query }, /revert must be exactly CALL DAGSTER_BRANCH_ADMIN\.BRANCHES\.DROP_BRANCH/],
      [{ execute: calls().execute, revert: calls().revert }, /query must be exactly CALL DAGSTER_BRANCH_ADMIN\.BRANCHES\.LIST_BRANCHES.*is null/],
      [{ ...calls(), query: "CALL DAGSTER_BRANCH_ADMIN.BRANCHES.LIST_BRANCHES('PRODUCTION', NULL)" }, /LIST_BRANCHES is called for pull request NULL \(all\) in the stack of pull request 42/],
      [calls(7), /CREATE_BRANCH is called for pull request 7 in the stack of pull request 42/],
      [{ ...calls(), revert: calls(42, "ANALYTICS").revert }, /its CALLs name different source databases \(PRODUCTION, ANALYTICS\)/],
    ];
    for (const [props, pattern] of cases) {
      const v = check(res(EXECUTE, props, "clone"));
      assert.ok(v.some((m) => pattern.test(m)), `${pattern}: ${JSON.stringify(v)}`);
    }
  });

  it("leaves a statement still unknown in a preview to the update, and leaves prod alone", () => {
    assert.deepEqual(check(res(EXECUTE, { ...calls(), execute: { unknown: true } }, "clone")), []);
    assert.deepEqual(branchSnowflakeCallViolations([namespace("prod", "prod"), res("snowflake:index/grantOwnership:GrantOwnership", {}, "g", "prod")]), []);
  });
});

describe("policy: prod-no-snowflake-clone, for CALLs", () => {
  it("fails a prod Execute that calls a branch procedure", () => {
    const v = prodCloneViolations([namespace("prod", "prod"), res(EXECUTE, calls(), "clone", "prod")]);
    assert.deepEqual(v.map((x) => x.message), [
      "Execute clone: the execute statement clones a database or calls a branch procedure, which a prod stack never does",
      "Execute clone: the revert statement clones a database or calls a branch procedure, which a prod stack never does",
    ]);
  });
});
