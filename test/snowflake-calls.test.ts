/**
 * The CALLs branch stacks and the reaper send: argument validation (property tests), the exact
 * statements, and the policy's independent reading of them (policy/snowflakeNames.ts).
 */
import { strict as assert } from "assert";
import * as crypto from "crypto";
import fc from "fast-check";
import { parseBranchCall } from "../policy/snowflakeNames";
import { publicKeyBody } from "../render/snowflake";
import {
  createBranchCall,
  dropBranchCall,
  expectedBranchObjects,
  branchObjectNames,
  isBranchObjectNumber,
  isCloneSource,
  isCloneTime,
  isPublicKeyBody,
  isPullRequestNumber,
  listBranchesCall,
} from "../render/snowflakeCalls";
import { documentedShape } from "./helpers/snowflakeSyntax";

const KEY = publicKeyBody(crypto.generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({ type: "spki", format: "pem" }).toString());
/** Characters that could end a literal, a statement or start a comment in Snowflake SQL. */
const SQL_SYNTAX = /['";\\\-/*$\s()]/;

describe("Snowflake CALL arguments (property tests)", () => {
  it("a clone source is an unquoted uppercase identifier of at most 200 characters", () => {
    for (const ok of ["PRODUCTION", "A", "DW_2", "A".repeat(200)]) assert.equal(isCloneSource(ok), true, ok);
    for (const bad of ["", "production", "2DW", "DW-2", '"PRODUCTION"', "PRODUCTION; DROP DATABASE X", "PROD UCTION", "A".repeat(201), "PRODUCTION\n"]) assert.equal(isCloneSource(bad), false, bad);
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (s) => !isCloneSource(s) || (!SQL_SYNTAX.test(s) && s === s.toUpperCase() && s.length <= 200 && /^[A-Z]/.test(s))));
  });

  it("a pull-request number is a whole number from 1 to 999999999", () => {
    for (const ok of [1, 42, 999_999_999]) assert.equal(isPullRequestNumber(ok), true);
    for (const bad of [0, -1, 1.5, 1e9, NaN, Infinity, Number.MAX_SAFE_INTEGER + 2]) assert.equal(isPullRequestNumber(bad), false, String(bad));
    fc.assert(fc.property(fc.double(), (n) => !isPullRequestNumber(n) || (Number.isInteger(n) && String(n) === n.toFixed(0) && /^[1-9][0-9]{0,8}$/.test(String(n)))));
  });

  it("branch objects may carry 0 (for the reaper), which no CALL creating a branch takes", () => {
    fc.assert(fc.property(fc.double(), (n) => isBranchObjectNumber(n) === (n === 0 || isPullRequestNumber(n))));
    assert.equal(dropBranchCall({ sourceDatabase: "PRODUCTION", pullRequest: 0 }), "CALL DAGSTER_BRANCH_ADMIN.BRANCHES.DROP_BRANCH('PRODUCTION', 0)");
    assert.deepEqual(branchObjectNames("PRODUCTION", 0), { DATABASE: "PRODUCTION_CLONE_0", ROLE: "DAGSTER_PR_0", USER: "DAGSTER_PR_0" });
    assert.throws(() => branchObjectNames("PRODUCTION", -1), /the pull request -1/);
    assert.throws(() => createBranchCall({ sourceDatabase: "PRODUCTION", pullRequest: 0, publicKey: KEY }), /the pull request 0/);
  });

  it("a clone time is an ISO 8601 instant with seconds and a zone, as GitHub's created_at", () => {
    for (const ok of ["2025-03-01T12:00:00Z", "2024-02-29T23:59:59+02:00", "1970-01-01T00:00:00-11:30"]) assert.equal(isCloneTime(ok), true, ok);
    for (const bad of ["2025-03-01", "2025-03-01T12:00Z", "2025-03-01 12:00:00Z", "2025-02-30T00:00:00Z", "2025-13-01T00:00:00Z", "2025-03-01T24:00:00Z", "2025-03-01T12:00:00", "2025-03-01T12:00:00.5Z", "2025-03-01T12:00:00Z'; DROP", "1969-12-31T23:59:59Z"]) {
      assert.equal(isCloneTime(bad), false, bad);
    }
    fc.assert(fc.property(fc.date({ min: new Date(0), max: new Date("2100-01-01T00:00:00Z"), noInvalidDate: true }), (d) => isCloneTime(d.toISOString().replace(/\.\d{3}Z$/, "Z"))));
    fc.assert(fc.property(fc.string({ maxLength: 40 }), (s) => !isCloneTime(s) || (!Number.isNaN(Date.parse(s)) && /^[0-9T:+\-Z]+$/.test(s))));
  });

  it("a public key body is base64 and nothing else", () => {
    assert.equal(isPublicKeyBody(KEY), true, "a real RSA-2048 key, as tls.PrivateKey's publicKeyPem without armour");
    for (const bad of ["", "QUJD", `${KEY}\n`, `${KEY.slice(0, -4)}'; --`, "-----BEGIN PUBLIC KEY-----", `${KEY.slice(0, 8)} ${KEY.slice(9)}`, "A".repeat(4100)]) assert.equal(isPublicKeyBody(bad), false, bad.slice(0, 30));
    fc.assert(fc.property(fc.string({ maxLength: 600 }), (s) => !isPublicKeyBody(s) || /^[A-Za-z0-9+/=]+$/.test(s)));
    fc.assert(fc.property(fc.uint8Array({ minLength: 12, maxLength: 2000 }), (bytes) => isPublicKeyBody(Buffer.from(bytes).toString("base64"))));
  });
});

describe("Snowflake CALL statements", () => {
  const ref = { sourceDatabase: "PRODUCTION", pullRequest: 42 };

  it("are exactly the CALLs of the installed procedures, with literal arguments", () => {
    assert.equal(createBranchCall({ ...ref, publicKey: KEY }), `CALL DAGSTER_BRANCH_ADMIN.BRANCHES.CREATE_BRANCH('PRODUCTION', 42, NULL, '${KEY}')`);
    assert.equal(createBranchCall({ ...ref, cloneAt: "2025-02-27T09:30:00Z", publicKey: KEY }), `CALL DAGSTER_BRANCH_ADMIN.BRANCHES.CREATE_BRANCH('PRODUCTION', 42, '2025-02-27T09:30:00Z', '${KEY}')`);
    assert.equal(dropBranchCall(ref), "CALL DAGSTER_BRANCH_ADMIN.BRANCHES.DROP_BRANCH('PRODUCTION', 42)");
    assert.equal(listBranchesCall("PRODUCTION", 42), "CALL DAGSTER_BRANCH_ADMIN.BRANCHES.LIST_BRANCHES('PRODUCTION', 42)");
    assert.equal(listBranchesCall("PRODUCTION"), "CALL DAGSTER_BRANCH_ADMIN.BRANCHES.LIST_BRANCHES('PRODUCTION', NULL)");
    for (const c of [createBranchCall({ ...ref, publicKey: KEY }), dropBranchCall(ref), listBranchesCall("PRODUCTION")]) assert.match(documentedShape(c)?.doc ?? "", /\/call$/);
    assert.deepEqual(expectedBranchObjects(ref), { DATABASE: "PRODUCTION_CLONE_42", ROLE: "DAGSTER_PR_42", USER: "DAGSTER_PR_42" });
  });

  it("refuse every argument that fails validation, before any text is built", () => {
    assert.throws(() => createBranchCall({ ...ref, sourceDatabase: "PRODUCTION', 1, NULL, 'x'); DROP DATABASE PRODUCTION; --", publicKey: KEY }), /the source database/);
    assert.throws(() => createBranchCall({ ...ref, pullRequest: 0, publicKey: KEY }), /the pull request 0/);
    assert.throws(() => createBranchCall({ ...ref, cloneAt: "yesterday", publicKey: KEY }), /the clone time "yesterday"/);
    assert.throws(() => createBranchCall({ ...ref, publicKey: "MIIB'); DROP" }), /the public key/);
    assert.throws(() => dropBranchCall({ ...ref, pullRequest: 1.5 }), /the pull request 1.5/);
    assert.throws(() => listBranchesCall("PRODUCTION", -1), /the pull request -1/);
  });

  it("whatever they are given, either refuse or produce one CALL the policy reads back to the same arguments", () => {
    const anything = fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom("PRODUCTION", "DW_2", "2025-02-27T09:30:00Z", KEY, "NULL"));
    fc.assert(
      fc.property(anything, fc.oneof(fc.integer(), fc.double()), fc.option(anything, { nil: undefined }), anything, (source, pr, cloneAt, key) => {
        let call: string;
        try {
          call = createBranchCall({ sourceDatabase: source, pullRequest: pr, cloneAt, publicKey: key });
        } catch {
          return;
        }
        assert.deepEqual(parseBranchCall(call), { procedure: "CREATE_BRANCH", source, pullRequest: pr, cloneAt, publicKey: key });
        assert.equal((call.match(/'/g) ?? []).length, cloneAt === undefined ? 4 : 6, "every quote opens or closes a literal");
        assert.doesNotMatch(call, /;|--|\/\*/);
      }),
    );
  });
});

describe("the policy's reading of a CALL (parseBranchCall)", () => {
  const create = `CALL DAGSTER_BRANCH_ADMIN.BRANCHES.CREATE_BRANCH('PRODUCTION', 42, NULL, '${KEY}')`;

  it("reads the three procedures with their arguments", () => {
    assert.deepEqual(parseBranchCall(create), { procedure: "CREATE_BRANCH", source: "PRODUCTION", pullRequest: 42, cloneAt: undefined, publicKey: KEY });
    assert.deepEqual(parseBranchCall("CALL DAGSTER_BRANCH_ADMIN.BRANCHES.DROP_BRANCH('PRODUCTION', 42)"), { procedure: "DROP_BRANCH", source: "PRODUCTION", pullRequest: 42 });
    assert.deepEqual(parseBranchCall("CALL DAGSTER_BRANCH_ADMIN.BRANCHES.LIST_BRANCHES('PRODUCTION', NULL)"), { procedure: "LIST_BRANCHES", source: "PRODUCTION", pullRequest: undefined });
  });

  it("reads nothing else: a second statement, a comment, an expression, another procedure, a wrong arity or kind", () => {
    for (const bad of [
      `${create}; DROP DATABASE PRODUCTION`,
      `${create} -- x`,
      create.replace("CALL ", "call "),
      create.replace("'PRODUCTION'", "'PROD' || 'UCTION'"),
      create.replace("'PRODUCTION'", "'production'"),
      create.replace("42", "'42'"),
      create.replace("42", "042"),
      create.replace(", NULL,", ", 'yesterday',"),
      create.replace("DAGSTER_BRANCH_ADMIN.BRANCHES", "OTHER.BRANCHES"),
      "CALL DAGSTER_BRANCH_ADMIN.BRANCHES.DROP_BRANCH('PRODUCTION')",
      "CALL DAGSTER_BRANCH_ADMIN.BRANCHES.DROP_BRANCH('PRODUCTION', NULL)",
      "CALL DAGSTER_BRANCH_ADMIN.BRANCHES.DROP_BRANCH('PRODUCTION', 42, 43)",
      "CALL DAGSTER_BRANCH_ADMIN.BRANCHES.LIST_BRANCHES('PRODUCTION', 'x')",
      "CALL DAGSTER_BRANCH_ADMIN.BRANCHES.GRANT_EVERYTHING('PRODUCTION', 42)",
      "CREATE OR REPLACE DATABASE PRODUCTION_CLONE_42 CLONE PRODUCTION",
    ]) {
      assert.equal(parseBranchCall(bad), undefined, bad.slice(0, 90));
    }
  });
});
