/**
 * snowflake/branch_admin.sql read statically (no Python, no Snowflake): who gets what, what the
 * owner's-rights procedures may run, what reaches SQL text, and that the statements keep their
 * documented syntax. The e2e suite (40-snowflake-sql) puts the same texts through sqlglot.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { BRANCH_ADMIN_VERSION, BRANCH_PROCEDURES } from "../render/snowflakeCalls";
import { ACCEPTANCE_SQL, ADMIN_SQL, adminProcedures, adminStatements, dynamicStatements, ParsedProcedure, SAMPLE_PUBLIC_KEY } from "./helpers/snowflakeChecks";
import { concatParts, flatten, parseScript, ScriptNode, splitOutside } from "./helpers/snowflakeScript";
import { documentedShape } from "./helpers/snowflakeSyntax";

const flat = (s: string) => s.replace(/\s+/g, " ").trim();
const procedures = adminProcedures();
const byName = (name: string): ParsedProcedure => {
  const p = procedures.find((x) => x.name === name);
  if (!p) throw new Error(`no procedure ${name}`);
  return p;
};

describe("snowflake/*.sql reader (test helper)", () => {
  it("splits at semicolons outside quotes, $$ bodies, parentheses and comments, keeping lines", () => {
    const sql = "SET a = 'x;y'; -- c;\nSELECT \"q;\" /* d;\n */ FROM t;\nCREATE PROCEDURE p() RETURNS INT LANGUAGE SQL AS $$ BEGIN RETURN 1; END $$;\nSELECT 'it''s;'";
    assert.deepEqual(splitOutside(sql), [
      { text: "SET a = 'x;y'", line: 1 },
      { text: 'SELECT "q;"  FROM t', line: 2 },
      { text: "CREATE PROCEDURE p() RETURNS INT LANGUAGE SQL AS $$ BEGIN RETURN 1; END $$", line: 4 },
      { text: "SELECT 'it''s;'", line: 5 },
    ]);
    assert.throws(() => splitOutside("SELECT 'open"), /unterminated ' quote/);
  });

  it("walks the Scripting subset and refuses anything else", () => {
    const script = parseScript("DECLARE\n x VARCHAR DEFAULT '';\n e EXCEPTION (-20001, 'it''s');\nBEGIN\n IF (a) THEN IF (b) THEN RAISE e; END IF; x := 'y' || z; END IF;\n EXECUTE IMMEDIATE :x;\n RETURN x;\nEND");
    assert.deepEqual(script.declarations.map((d) => d.kind), ["variable", "exception"]);
    assert.deepEqual(flatten(script.body).map((n) => n.kind), ["if", "if", "raise", "assign", "execute", "return"]);
    const loop = parseScript("DECLARE\n rs RESULTSET;\nBEGIN\n rs := (SELECT 1 AS A);\n LET c CURSOR FOR rs;\n FOR r IN c DO x := r.A; IF (x) THEN RAISE e; END IF; EXECUTE IMMEDIATE :x;\n END FOR;\n RETURN 1;\nEND");
    assert.deepEqual(flatten(loop.body).map((n) => n.kind), ["assign", "cursor", "for", "assign", "if", "raise", "execute", "return"]);
    for (const bad of ["BEGIN WHILE (a) DO RETURN 1; END WHILE; END", "BEGIN LET x := 1; END", "BEGIN USE ROLE X; END", "BEGIN EXECUTE IMMEDIATE 'DROP TABLE T'; END", "BEGIN IF (a) THEN RETURN 1; END", "BEGIN FOR r IN c DO RETURN 1; END IF; END"]) {
      assert.throws(() => parseScript(bad), /construct the checks do not cover|takes a variable|IF without END IF|END IF without IF/, bad);
    }
    assert.deepEqual(concatParts("'a' || TO_VARCHAR(n) || b"), [{ literal: "a" }, { variable: "n" }, { variable: "b" }]);
    assert.equal(concatParts("'a' || UPPER(b)"), undefined, "anything but literals and variables is not a concatenation it vouches for");
  });
});

describe("snowflake/branch_admin.sql", () => {
  const statements = adminStatements();
  const text = fs.readFileSync(ADMIN_SQL, "utf8");

  it("is versioned: the header and every procedure's comment carry the version the CALLs are written for", () => {
    assert.match(text, new RegExp(`^-- branch_admin version: ${BRANCH_ADMIN_VERSION}$`, "m"));
    for (const p of procedures) assert.match(p.comment ?? "", new RegExp(`branch_admin v${BRANCH_ADMIN_VERSION}:`), p.name);
  });

  it("is idempotent: it only creates IF NOT EXISTS or OR REPLACE, and merges its one row", () => {
    for (const s of statements.filter((x) => /^CREATE\b/i.test(x.text))) assert.match(s.text, /^CREATE (OR REPLACE \w+|\w+ IF NOT EXISTS) /, `line ${s.line}`);
    assert.deepEqual(statements.filter((x) => /^(INSERT|DELETE|UPDATE|DROP)\b/i.test(x.text)).map((x) => x.line), []);
  });

  it("installs exactly the three procedures the CALLs name, each LANGUAGE SQL and EXECUTE AS OWNER", () => {
    assert.deepEqual(procedures.map((p) => p.name).sort(), Object.values(BRANCH_PROCEDURES).sort());
    for (const p of procedures) assert.deepEqual([p.language, p.executeAs], ["SQL", "OWNER"], p.name);
    assert.deepEqual(byName(BRANCH_PROCEDURES.create).args.map((a) => `${a.name} ${a.type}`), ["SOURCE_DATABASE VARCHAR", "PULL_REQUEST NUMBER", "CLONE_AT VARCHAR", "PUBLIC_KEY VARCHAR"]);
    assert.deepEqual(byName(BRANCH_PROCEDURES.drop).args.map((a) => a.name), ["SOURCE_DATABASE", "PULL_REQUEST"]);
    assert.deepEqual(byName(BRANCH_PROCEDURES.list).args.map((a) => a.name), ["SOURCE_DATABASE", "PULL_REQUEST"]);
    assert.match(byName(BRANCH_PROCEDURES.list).returns, /^TABLE \(PULL_REQUEST VARCHAR, OBJECT_KIND VARCHAR, OBJECT_NAME VARCHAR\)$/);
  });

  it("gives CI's role USAGE on the three procedures (by their signatures), their database and schema, and the warehouse: nothing else", () => {
    const toDeployer = statements.filter((s) => /\bDAGSTER_BRANCH_DEPLOYER\b/.test(s.text)).map((s) => flat(s.text));
    const signature = (p: ParsedProcedure) => `${p.name}(${p.args.map((a) => a.type).join(", ")})`;
    assert.deepEqual(toDeployer, [
      "CREATE ROLE IF NOT EXISTS DAGSTER_BRANCH_DEPLOYER COMMENT = 'CI: may call the dagster-platform branch procedures, nothing else'",
      "GRANT USAGE ON DATABASE DAGSTER_BRANCH_ADMIN TO ROLE DAGSTER_BRANCH_DEPLOYER",
      "GRANT USAGE ON SCHEMA DAGSTER_BRANCH_ADMIN.BRANCHES TO ROLE DAGSTER_BRANCH_DEPLOYER",
      ...[BRANCH_PROCEDURES.create, BRANCH_PROCEDURES.drop, BRANCH_PROCEDURES.list].map((n) => `GRANT USAGE ON PROCEDURE ${signature(byName(n))} TO ROLE DAGSTER_BRANCH_DEPLOYER`),
      "GRANT USAGE ON WAREHOUSE IDENTIFIER($branch_warehouse) TO ROLE DAGSTER_BRANCH_DEPLOYER",
    ]);
    assert.doesNotMatch(text, /WITH GRANT OPTION/i);
  });

  it("reads the production database only as the procedures' owner, never grants anything on it to another role", () => {
    const onProduction = statements.filter((s) => /\$production_database\b/.test(s.text) && /^GRANT\b/i.test(s.text));
    assert.ok(onProduction.length >= 3);
    for (const s of onProduction) assert.match(flat(s.text), /^GRANT (USAGE|SELECT) ON .* TO ROLE DAGSTER_BRANCH_ADMIN$/, `line ${s.line}`);
  });

  it("keeps every procedure within what an owner's-rights procedure may run (developer-guide/stored-procedure/stored-procedures-rights)", () => {
    for (const p of procedures) {
      const nodes = flatten(p.script.body);
      // Allowed: SELECT, DML, DDL, GRANT/REVOKE, variable assignment, DESCRIBE/SHOW; not SHOW
      // PARAMETERS/VARIABLES, SHOW GRANTS without a target, SHOW LOCKS/TRANSACTIONS, nor LIST.
      for (const n of nodes.filter((x): x is Extract<ScriptNode, { kind: "sql" }> => x.kind === "sql")) {
        assert.match(n.text, /^(SELECT|SHOW (DATABASES|ROLES|USERS))\b/i, `${p.name} line ${n.line}`);
      }
      assert.doesNotMatch(p.body, /\$[a-z_]+/i, `${p.name}: owner's-rights procedures cannot read the caller's session variables`);
      // SHOW of objects in a named database (not SHOW PARAMETERS/VARIABLES/GRANTS) is allowed too.
      for (const d of dynamicStatements(p)) for (const t of d.texts) assert.match(t, /^(CREATE|GRANT|ALTER USER|DROP|SHOW (STAGES|PIPES|EXTERNAL TABLES|ICEBERG TABLES) IN DATABASE)\b/, `${p.name} line ${d.line}`);
    }
  });

  it("raises only the exceptions it declares, numbered in Snowflake's range for user exceptions (-20000 to -20999)", () => {
    for (const p of procedures) {
      const declared = new Map(p.script.declarations.flatMap((d) => (d.kind === "exception" ? [[d.name, d.code] as const] : [])));
      for (const code of declared.values()) assert.ok(code <= -20000 && code >= -20999, `${p.name}: ${code}`);
      for (const n of flatten(p.script.body)) if (n.kind === "raise") assert.ok(declared.has(n.name), `${p.name} line ${n.line}: RAISE ${n.name}`);
    }
  });
});

describe("snowflake/branch_admin.sql: what reaches SQL text", () => {
  it("splices only validated variables; of the caller's arguments only PUBLIC_KEY, and only after its base64 check", () => {
    for (const p of procedures) {
      const args = p.args.map((a) => a.name.toLowerCase());
      for (const d of dynamicStatements(p)) {
        const fromCaller = d.variables.filter((v) => args.includes(v));
        assert.ok(fromCaller.every((v) => v === "public_key"), `${p.name} line ${d.line} splices ${fromCaller.join(", ")}`);
      }
    }
    const create = byName(BRANCH_PROCEDURES.create);
    const nodes = flatten(create.script.body);
    const keyCheck = nodes.findIndex((n) => n.kind === "if" && /REGEXP_LIKE\(PUBLIC_KEY, 'MII\[A-Za-z0-9\+\/\]\{200,1400\}=\{0,2\}'\)/.test(n.condition));
    const firstUse = nodes.findIndex((n) => n.kind === "assign" && /\bPUBLIC_KEY\b/.test(n.expression));
    assert.ok(keyCheck >= 0 && keyCheck < firstUse, "the key is checked before it is used");
  });

  it("builds every name from the pull-request number after its range check, and the clone time only as a number", () => {
    for (const p of [byName(BRANCH_PROCEDURES.create), byName(BRANCH_PROCEDURES.drop)]) {
      const nodes = flatten(p.script.body);
      const prCheck = nodes.findIndex((n) => n.kind === "if" && /PULL_REQUEST < 0 OR PULL_REQUEST > 999999999 OR PULL_REQUEST <> FLOOR\(PULL_REQUEST\)/.test(n.condition));
      const prText = nodes.findIndex((n) => n.kind === "assign" && n.name === "pr_text");
      assert.ok(prCheck >= 0 && prCheck < prText, p.name);
      assert.equal((nodes[prText] as { expression: string }).expression, "TO_VARCHAR(PULL_REQUEST)");
      for (const n of nodes.filter((x) => x.kind === "assign" && /^(clone_db|branch_role|branch_user)$/.test(x.name))) {
        assert.match((n as { expression: string }).expression, /^(source_db \|\| '_CLONE_' \|\| pr_text|'DAGSTER_PR_' \|\| pr_text)$/, `${p.name} line ${n.line}`);
      }
    }
    const create = flatten(byName(BRANCH_PROCEDURES.create).script.body);
    assert.ok(create.every((n) => !(n.kind === "assign" && n.name !== "at_ts" && /CLONE_AT/.test(n.expression))), "CLONE_AT reaches no text");
    assert.deepEqual(create.filter((n) => n.kind === "assign" && n.name === "at_clause").map((n) => (n as { expression: string }).expression), ["' AT(TIMESTAMP => TO_TIMESTAMP_LTZ(' || TO_VARCHAR(clone_epoch) || '))'"]);
  });

  it("every text a dynamic statement can take has its documented syntax", () => {
    const all = procedures.flatMap(dynamicStatements);
    assert.ok(all.length >= 20);
    for (const d of all) for (const t of d.texts) assert.ok(documentedShape(t), `${d.procedure} line ${d.line}: ${t}`);
  });
});

describe("snowflake/branch_admin.sql: the clone", () => {
  const create = byName(BRANCH_PROCEDURES.create);
  const texts = dynamicStatements(create).flatMap((d) => d.texts);

  it("handles the documented clone pitfalls by option: retention, hybrid tables, internal stages", () => {
    const clones = texts.filter((t) => t.startsWith("CREATE OR REPLACE DATABASE"));
    assert.equal(clones.length, 16, "every combination of AT and the three options");
    for (const option of ["IGNORE TABLES WITH INSUFFICIENT DATA RETENTION", "IGNORE HYBRID TABLES", "INCLUDE INTERNAL STAGES", "AT(TIMESTAMP => TO_TIMESTAMP_LTZ(1740830400))"]) {
      assert.ok(clones.some((c) => c.includes(option)) && clones.some((c) => !c.includes(option)), option);
    }
    const merge = flat(adminStatements().find((s) => /^MERGE INTO DAGSTER_BRANCH_ADMIN\.BRANCHES\.CLONE_SOURCES/.test(s.text))?.text ?? "");
    assert.match(merge, /VALUES \(s\.SOURCE_DATABASE, s\.BRANCH_WAREHOUSE, TRUE, TRUE, FALSE, FALSE, NULL, FALSE\)$/, "defaults: skip short-retention and hybrid tables, no internal stages, production's grants dropped, no network policy, not the acceptance source");
  });

  it("hands the clone's objects to the admin role to inspect, then to the branch role, the database last, then makes the user", () => {
    const kindOf = (t: string) => /^GRANT OWNERSHIP ON (?:ALL (.+) IN DATABASE|(DATABASE)) /.exec(t)?.slice(1).find(Boolean);
    const ownership = texts.filter((t) => t.startsWith("GRANT OWNERSHIP") && t.endsWith("REVOKE CURRENT GRANTS"));
    const toAdmin = ownership.filter((t) => / TO ROLE DAGSTER_BRANCH_ADMIN REVOKE CURRENT GRANTS$/.test(t));
    const toBranch = ownership.filter((t) => / TO ROLE DAGSTER_PR_42 REVOKE CURRENT GRANTS$/.test(t));
    assert.equal(toAdmin.length + toBranch.length, ownership.length);
    assert.deepEqual(toAdmin.map(kindOf), ["SCHEMAS", "TABLES", "EXTERNAL TABLES", "STAGES", "FUNCTIONS", "PROCEDURES"]);
    assert.deepEqual(toBranch.map(kindOf), ["TABLES", "VIEWS", "DYNAMIC TABLES", "SEQUENCES", "FILE FORMATS", "STAGES", "FUNCTIONS", "PROCEDURES", "STREAMS", "TASKS", "DATABASE"]);
    assert.equal(texts.filter((t) => t.startsWith("GRANT OWNERSHIP") && t.endsWith("COPY CURRENT GRANTS")).length, 17, "KEEP_SOURCE_GRANTS copies production's grants instead, on both hops");
    const order = ["CREATE ROLE", "CREATE OR REPLACE DATABASE", "GRANT OWNERSHIP ON ALL SCHEMAS", "SHOW STAGES", "DROP STAGE", "DROP FUNCTION", "GRANT OWNERSHIP ON ALL TABLES IN DATABASE PRODUCTION_CLONE_42 TO ROLE DAGSTER_PR_42", "GRANT USAGE, CREATE TABLE", "GRANT OWNERSHIP ON DATABASE", "GRANT USAGE ON WAREHOUSE", "CREATE USER", "ALTER USER", "GRANT ROLE DAGSTER_PR_42 TO USER"].map((p) => texts.findIndex((t) => t.startsWith(p)));
    assert.deepEqual([...order].sort((a, b) => a - b), order);
    assert.ok(order.every((i) => i >= 0));
    const user = `CREATE USER IF NOT EXISTS DAGSTER_PR_42 TYPE = SERVICE DEFAULT_ROLE = DAGSTER_PR_42 DEFAULT_WAREHOUSE = DAGSTER_WH DEFAULT_NAMESPACE = PRODUCTION_CLONE_42 RSA_PUBLIC_KEY = '${SAMPLE_PUBLIC_KEY}'`;
    assert.ok(texts.includes(`${user} COMMENT = 'dagster-platform branch deployment'`));
    assert.ok(texts.includes(`ALTER USER DAGSTER_PR_42 SET TYPE = SERVICE DEFAULT_ROLE = DAGSTER_PR_42 DEFAULT_WAREHOUSE = DAGSTER_WH DEFAULT_NAMESPACE = PRODUCTION_CLONE_42 RSA_PUBLIC_KEY = '${SAMPLE_PUBLIC_KEY}'`), "an existing user gets the stack's key");
  });

  it("DROP_BRANCH drops clone, user and role with IF EXISTS, so it succeeds when they are gone; LIST_BRANCHES changes nothing", () => {
    assert.deepEqual(dynamicStatements(byName(BRANCH_PROCEDURES.drop)).flatMap((d) => d.texts), ["DROP DATABASE IF EXISTS PRODUCTION_CLONE_42", "DROP USER IF EXISTS DAGSTER_PR_42", "DROP ROLE IF EXISTS DAGSTER_PR_42"]);
    assert.deepEqual(dynamicStatements(byName(BRANCH_PROCEDURES.list)), []);
    assert.ok(flatten(byName(BRANCH_PROCEDURES.list).script.body).every((n) => n.kind !== "execute"));
  });
});

describe("snowflake/acceptance.sql", () => {
  it("is the script the README shows, verbatim", () => {
    const readme = fs.readFileSync(path.resolve(__dirname, "..", "README.md"), "utf8");
    const block = /<!-- acceptance:start -->\n```sql\n([\s\S]*?)```\n<!-- acceptance:end -->/.exec(readme)?.[1];
    assert.equal(block, fs.readFileSync(ACCEPTANCE_SQL, "utf8"));
  });

  it("clones PR 0 as CI, checks as the branch role, drops twice and cleans up", () => {
    const calls = splitOutside(fs.readFileSync(ACCEPTANCE_SQL, "utf8")).map((s) => flat(s.text)).filter((t) => /^(CALL|USE ROLE)/.test(t));
    assert.deepEqual(calls.map((t) => t.replace(/\(.*$/, "")), [
      "USE ROLE ACCOUNTADMIN",
      "USE ROLE DAGSTER_BRANCH_DEPLOYER",
      "CALL DAGSTER_BRANCH_ADMIN.BRANCHES.CREATE_BRANCH",
      "CALL DAGSTER_BRANCH_ADMIN.BRANCHES.LIST_BRANCHES",
      "CALL DAGSTER_BRANCH_ADMIN.BRANCHES.LIST_BRANCHES",
      "USE ROLE ACCOUNTADMIN",
      "USE ROLE DAGSTER_PR_0",
      "USE ROLE ACCOUNTADMIN",
      "USE ROLE DAGSTER_BRANCH_DEPLOYER",
      "CALL DAGSTER_BRANCH_ADMIN.BRANCHES.DROP_BRANCH",
      "CALL DAGSTER_BRANCH_ADMIN.BRANCHES.DROP_BRANCH",
      "CALL DAGSTER_BRANCH_ADMIN.BRANCHES.LIST_BRANCHES",
      "USE ROLE ACCOUNTADMIN",
    ]);
  });
});
