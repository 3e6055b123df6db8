/**
 * What version 2 of snowflake/branch_admin.sql adds to the clone's boundary, read statically (no
 * Snowflake here): CREATE_BRANCH removes what reaches outside the clone before the branch role
 * gets anything, refuses pull request 0 for real sources, puts the source's network policy on
 * the branch user, keeps the clone's schemas with the admin role and refuses sources that hold
 * policies. Each test names the rule it stands for; the acceptance script runs them for real.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import fc from "fast-check";
import { BRANCH_PROCEDURES } from "../render/snowflakeCalls";
import { ACCEPTANCE_SQL, adminProcedures, adminStatements, dynamicStatements, ParsedProcedure } from "./helpers/snowflakeChecks";
import { flatten, ScriptNode, splitOutside } from "./helpers/snowflakeScript";

type Node<K extends ScriptNode["kind"]> = Extract<ScriptNode, { kind: K }>;

const procedure = (name: string): ParsedProcedure => {
  const p = adminProcedures().find((x) => x.name === name);
  if (!p) throw new Error(`no procedure ${name}`);
  return p;
};
const create = procedure(BRANCH_PROCEDURES.create);
const createNodes = flatten(create.script.body);
const createTexts = dynamicStatements(create).flatMap((d) => d.texts);
const flat = (s: string) => s.replace(/\s+/g, " ").trim();
const assignment = (nodes: ScriptNode[], name: string): Node<"assign"> => {
  const n = nodes.find((x): x is Node<"assign"> => x.kind === "assign" && x.name === name);
  if (!n) throw new Error(`no assignment to ${name}`);
  return n;
};
const firstExecute = (nodes: ScriptNode[]) => nodes.findIndex((n) => n.kind === "execute");

/** A `REGEXP_LIKE(<variable>, '<pattern>')` of an IF condition, as a JS regexp matched whole (as REGEXP_LIKE matches). */
function regexpLikeOf(condition: string, variable: string): RegExp {
  const m = new RegExp(`REGEXP_LIKE\\(${variable}, '((?:[^']|'')*)'\\)`).exec(condition);
  if (!m) throw new Error(`no REGEXP_LIKE on ${variable} in ${condition}`);
  return new RegExp(`^(?:${m[1].replace(/''/g, "'")})$`);
}

/** `"a"."b"."c"` read back with its own tokenizer: the three names, or undefined. */
function quotedParts(ref: string): string[] | undefined {
  const parts: string[] = [];
  let i = 0;
  while (i < ref.length) {
    if (ref[i] !== '"') return undefined;
    let name = "";
    for (i++; ; i++) {
      if (i >= ref.length) return undefined;
      if (ref[i] === '"' && ref[i + 1] === '"') name += ref[i++];
      else if (ref[i] === '"') break;
      else name += ref[i];
    }
    parts.push(name);
    i++;
    if (i < ref.length && ref[i++] !== ".") return undefined;
    if (i === ref.length && ref.endsWith(".")) return undefined;
  }
  return parts;
}

describe("CREATE_BRANCH: nothing in the clone reaches outside it (review finding 2)", () => {
  const loops = createNodes.filter((n): n is Node<"for"> => n.kind === "for");

  it("drops external stages, pipes, external and Iceberg tables, and reaching functions and procedures", () => {
    for (const kind of ["STAGE", "PIPE", "EXTERNAL TABLE", "ICEBERG TABLE"]) assert.ok(createTexts.includes(`DROP ${kind} IF EXISTS "PRODUCTION_CLONE_42"."RAW"."EVENTS ""S3"""`), kind);
    for (const kind of ["FUNCTION", "PROCEDURE"]) assert.ok(createTexts.includes(`DROP ${kind} IF EXISTS "PRODUCTION_CLONE_42"."RAW"."EVENTS ""S3"""(NUMBER, VARCHAR(16))`), kind);
    for (const kind of ["STAGES", "PIPES", "EXTERNAL TABLES", "ICEBERG TABLES"]) assert.ok(createTexts.includes(`SHOW ${kind} IN DATABASE PRODUCTION_CLONE_42`), kind);
  });

  it("lists what to drop: every stage not internal, every pipe and external or Iceberg table, external or outbound routines", () => {
    const named = flat(assignment(createNodes, "named").expression);
    assert.match(named, /FROM TABLE\(RESULT_SCAN\(:stages_query\)\) WHERE "type" NOT LIKE 'INTERNAL%'/, "an unknown stage type is dropped, not kept");
    for (const q of ["pipes_query", "external_tables_query", "iceberg_query"]) assert.match(named, new RegExp(`FROM TABLE\\(RESULT_SCAN\\(:${q}\\)\\)(?! WHERE)`), q);
    const routines = flat(assignment(createNodes, "routines").expression);
    for (const rule of ["IS_EXTERNAL = 'YES'", "NVL(TO_VARCHAR(EXTERNAL_ACCESS_INTEGRATIONS), '') NOT IN ('', '[]')", "NVL(TO_VARCHAR(SECRETS), '') NOT IN ('', '{}', '[]')", "UPPER(FUNCTION_LANGUAGE) NOT IN ('SQL', 'JAVASCRIPT', 'PYTHON', 'JAVA', 'SCALA')", "UPPER(PROCEDURE_LANGUAGE) NOT IN"]) assert.ok(routines.includes(rule), rule);
    // Each SHOW's result is read by the id of that very SHOW.
    for (const [kind, q] of [["STAGES", "stages_query"], ["PIPES", "pipes_query"], ["EXTERNAL TABLES", "external_tables_query"], ["ICEBERG TABLES", "iceberg_query"]]) {
      const show = createNodes.findIndex((n) => n.kind === "assign" && n.name === "stmt" && n.expression === `'SHOW ${kind} IN DATABASE ' || clone_db`);
      assert.deepEqual(createNodes.slice(show + 1, show + 3).map((n) => (n.kind === "assign" ? `${n.name} := ${n.expression}` : n.kind)), ["execute", `${q} := LAST_QUERY_ID()`], kind);
    }
  });

  it("drops them before the branch role is given anything of the new clone", () => {
    const statements = dynamicStatements(create);
    const toBranch = statements.filter((d) => d.texts.some((t) => /TO (ROLE|USER) DAGSTER_PR_42\b/.test(t) && !t.startsWith("GRANT ROLE DAGSTER_PR_42 TO ROLE DAGSTER_BRANCH_ADMIN")));
    const drops = statements.filter((d) => d.texts.some((t) => /^DROP (STAGE|PIPE|EXTERNAL TABLE|ICEBERG TABLE|FUNCTION|PROCEDURE) /.test(t)));
    assert.equal(drops.length, 2);
    assert.ok(drops.every((d) => d.line < Math.min(...toBranch.map((x) => x.line))));
    const sweep = createNodes.findIndex((n) => n.kind === "assign" && n.expression.startsWith("'SHOW STAGES"));
    const adminTakes = createNodes.findIndex((n) => n.kind === "assign" && n.expression === "'GRANT OWNERSHIP ON ALL STAGES IN DATABASE ' || clone_db || ' TO ROLE DAGSTER_BRANCH_ADMIN' || grants_mode");
    assert.ok(adminTakes >= 0 && adminTakes < sweep, "the admin role owns the stages (and so may drop them) before it looks");
  });

  it("checks every row again before splicing it, and drops the clone when one does not pass", () => {
    assert.equal(loops.length, 2);
    for (const loop of loops) {
      const guard = loop.body.findIndex((n) => n.kind === "if");
      const drop = loop.body.findIndex((n) => n.kind === "assign" && n.name === "stmt");
      assert.ok(guard >= 0 && guard < drop, `line ${loop.line}`);
      const body = (loop.body[guard] as Node<"if">).body;
      assert.deepEqual(body.map((n) => (n.kind === "assign" ? n.expression : n.kind === "raise" ? `RAISE ${n.name}` : n.kind)), ["'DROP DATABASE IF EXISTS ' || clone_db", "execute", "RAISE unexpected_object"]);
    }
  });

  it("its checks admit only a kind of the list, a three-part quoted name and bare types", () => {
    const [named, routine] = loops.map((l) => (l.body.find((n) => n.kind === "if") as Node<"if">).condition);
    const kinds = regexpLikeOf(named, "named_kind");
    assert.deepEqual(["STAGE", "PIPE", "EXTERNAL TABLE", "ICEBERG TABLE", "FUNCTION", "STAGE; DROP DATABASE PRODUCTION", "stage"].map((k) => kinds.test(k)), [true, true, true, true, false, false, false]);
    assert.deepEqual(["FUNCTION", "PROCEDURE", "STAGE", "FUNCTION "].map((k) => regexpLikeOf(routine, "routine_kind").test(k)), [true, true, false, false]);
    const ref = regexpLikeOf(named, "named_ref");
    assert.equal(regexpLikeOf(routine, "routine_ref").source, ref.source);
    const quote = (x: string) => `"${x.replace(/"/g, '""')}"`;
    fc.assert(fc.property(fc.array(fc.string({ minLength: 1, maxLength: 12 }), { minLength: 3, maxLength: 3 }), (names) => ref.test(names.map(quote).join(".")) && JSON.stringify(quotedParts(names.map(quote).join("."))) === JSON.stringify(names)));
    fc.assert(fc.property(fc.string({ maxLength: 40 }), (s) => !ref.test(s) || quotedParts(s)?.length === 3));
    for (const bad of ['"A"."B"', '"A"."B"."C"; DROP DATABASE PRODUCTION', '"A"."B"."C" --', 'A.B.C', '"A"."B"."C"."D"', '"A"B"."C"."D"']) assert.equal(ref.test(bad), false, bad);
    const args = regexpLikeOf(routine, "routine_args");
    for (const ok of ["()", "(NUMBER)", "(NUMBER, VARCHAR)", "(NUMBER(38,0), TIMESTAMP_NTZ(9))"]) assert.ok(args.test(ok), ok);
    for (const bad of ["", "(NUMBER); DROP DATABASE PRODUCTION", '("A" NUMBER)', "(NUMBER) --", "(A NUMBER)x", "(number)"]) assert.equal(args.test(bad), false, bad);
    fc.assert(fc.property(fc.string({ maxLength: 30 }), (s) => !args.test(s) || !/['";]|--|\/\*/.test(s)));
  });

  it("reads a signature's types only: the argument names are cut, as DROP FUNCTION wants", () => {
    const cut = /REGEXP_REPLACE\(ARGUMENT_SIGNATURE, '([^']*)', ''\)/.exec(assignment(createNodes, "routines").expression)?.[1] ?? "";
    const types = (signature: string) => signature.replace(new RegExp(cut, "g"), "");
    assert.deepEqual(["(A NUMBER, B VARCHAR)", "()", '("my arg" NUMBER)', "(X NUMBER(38,0))"].map(types), ["(NUMBER, VARCHAR)", "()", "(NUMBER)", "(NUMBER(38,0))"]);
  });
});

describe("pull request 0 and branch users' network policy (review finding 3)", () => {
  it("CREATE_BRANCH takes 0 only for a source flagged ACCEPTANCE_ONLY, which takes nothing else, before anything is made", () => {
    const rule = createNodes.findIndex((n) => n.kind === "if" && n.condition === "(PULL_REQUEST = 0) <> acceptance_only");
    assert.ok(rule >= 0 && rule < firstExecute(createNodes));
    assert.deepEqual((createNodes[rule] as Node<"if">).body.map((n) => (n.kind === "raise" ? n.name : n.kind)), ["reserved_pull_request"]);
    const read = createNodes.find((n): n is Node<"sql"> => n.kind === "sql" && /INTO .*:acceptance_only/.test(n.text));
    assert.match(flat(read?.text ?? ""), /COALESCE\(ACCEPTANCE_ONLY, FALSE\) INTO .*:acceptance_only FROM DAGSTER_BRANCH_ADMIN\.BRANCHES\.CLONE_SOURCES WHERE SOURCE_DATABASE = :SOURCE_DATABASE/);
    const declared = create.script.declarations.find((d) => d.kind === "exception" && d.name === "reserved_pull_request");
    assert.deepEqual(declared && declared.kind === "exception" ? declared.code : undefined, -20107);
  });

  it("DROP_BRANCH takes 0 for every source, so the reaper can drop what version 1 let anyone make", () => {
    const nodes = flatten(procedure(BRANCH_PROCEDURES.drop).script.body);
    assert.ok(nodes.some((n) => n.kind === "if" && /PULL_REQUEST < 0 OR/.test(n.condition)));
    assert.ok(!nodes.some((n) => n.kind === "if" && /PULL_REQUEST = 0/.test(n.condition)));
  });

  it("LIST_BRANCHES leaves the running acceptance script's role and user out of other sources' listings", () => {
    const nodes = flatten(procedure(BRANCH_PROCEDURES.list).script.body);
    const guard = nodes.find((n): n is Node<"if"> => n.kind === "if" && n.condition === "acceptance_rows > 0");
    assert.deepEqual(guard?.body.map((n) => (n.kind === "assign" ? `${n.name} := ${n.expression}` : n.kind)), ["hidden_pull_request := '0'"]);
    assert.match(flat(nodes.find((n): n is Node<"sql"> => n.kind === "sql" && /acceptance_rows/.test(n.text))?.text ?? ""), /WHERE COALESCE\(ACCEPTANCE_ONLY, FALSE\) AND SOURCE_DATABASE <> :SOURCE_DATABASE$/);
    assert.match(flat(assignment(nodes, "rs").expression), /AND NOT \(OBJECT_KIND <> 'DATABASE' AND PULL_REQUEST = :hidden_pull_request\)/);
  });

  it("the branch user carries the source's network policy from the statement that creates it, when the source names one", () => {
    const users = createTexts.filter((t) => /^(CREATE|ALTER) USER/.test(t));
    assert.equal(users.filter((t) => t.includes(" NETWORK_POLICY = DAGSTER_BRANCH_PREVIEW")).length, 2);
    assert.equal(users.filter((t) => !t.includes("NETWORK_POLICY")).length, 2, "none when CLONE_SOURCES names none");
    const check = createNodes.find((n): n is Node<"if"> => n.kind === "if" && n.body.some((b) => b.kind === "raise" && b.name === "bad_setting"));
    assert.ok(check?.condition.includes("NOT REGEXP_LIKE(COALESCE(network_policy, 'NONE'), '[A-Z][A-Z0-9_]{0,254}')"), "an identifier, checked like the warehouse");
  });

  it("CLONE_SOURCES has both columns, added to a version 1 table too", () => {
    const statements = adminStatements().map((s) => flat(s.text));
    const table = statements.find((s) => s.startsWith("CREATE TABLE IF NOT EXISTS DAGSTER_BRANCH_ADMIN.BRANCHES.CLONE_SOURCES")) ?? "";
    assert.match(table, /BRANCH_NETWORK_POLICY VARCHAR, ACCEPTANCE_ONLY BOOLEAN DEFAULT FALSE \)$/);
    for (const column of ["BRANCH_NETWORK_POLICY VARCHAR", "ACCEPTANCE_ONLY BOOLEAN DEFAULT FALSE"]) assert.ok(statements.includes(`ALTER TABLE DAGSTER_BRANCH_ADMIN.BRANCHES.CLONE_SOURCES ADD COLUMN IF NOT EXISTS ${column}`), column);
  });
});

describe("policies keep applying to the branch role (review finding 4)", () => {
  it("the clone's schemas stay with the admin role; the branch role may use them and create in them, nothing more", () => {
    assert.ok(!createTexts.some((t) => /^GRANT OWNERSHIP ON (ALL SCHEMAS|SCHEMA) .* TO ROLE DAGSTER_PR_/.test(t)), "a schema owner could grant itself APPLY on a policy or tag in it");
    assert.ok(createTexts.includes("GRANT OWNERSHIP ON ALL SCHEMAS IN DATABASE PRODUCTION_CLONE_42 TO ROLE DAGSTER_BRANCH_ADMIN REVOKE CURRENT GRANTS"));
    const onSchemas = createTexts.filter((t) => /ON ALL SCHEMAS IN DATABASE .* TO ROLE DAGSTER_PR_42$/.test(t));
    assert.deepEqual(onSchemas, ["GRANT USAGE, CREATE TABLE, CREATE VIEW, CREATE DYNAMIC TABLE, CREATE SEQUENCE, CREATE FUNCTION, CREATE PROCEDURE, CREATE FILE FORMAT, CREATE STAGE, CREATE STREAM ON ALL SCHEMAS IN DATABASE PRODUCTION_CLONE_42 TO ROLE DAGSTER_PR_42"]);
  });

  it("a source holding policies is refused before anything is made", () => {
    const count = createNodes.findIndex((n) => n.kind === "sql" && flat(n.text) === "SELECT COUNT(*) INTO :policy_count FROM SNOWFLAKE.ACCOUNT_USAGE.POLICY_REFERENCES WHERE POLICY_DB = :source_db");
    assert.ok(count >= 0 && count < firstExecute(createNodes));
    const guard = createNodes[count + 1] as Node<"if">;
    assert.deepEqual([guard.condition, guard.body.map((n) => (n.kind === "raise" ? n.name : n.kind))], ["policy_count > 0", ["governed_source"]]);
    assert.ok(adminStatements().some((s) => flat(s.text) === "GRANT DATABASE ROLE SNOWFLAKE.GOVERNANCE_VIEWER TO ROLE DAGSTER_BRANCH_ADMIN"), "the admin role may read POLICY_REFERENCES");
  });
});

describe("snowflake/acceptance.sql checks the boundary on day one", () => {
  const text = fs.readFileSync(ACCEPTANCE_SQL, "utf8");
  const statements = splitOutside(text).map((s) => flat(s.text));

  it("builds a source with what must not reach the branch, and flags only it for pull request 0", () => {
    for (const made of ["CREATE SCHEMA DAGSTER_BRANCH_ACCEPTANCE.APP WITH MANAGED ACCESS", "CREATE STAGE DAGSTER_BRANCH_ACCEPTANCE.APP.OUTSIDE URL =", "CREATE PIPE DAGSTER_BRANCH_ACCEPTANCE.APP.LOAD", "CREATE TASK DAGSTER_BRANCH_ACCEPTANCE.APP.NIGHTLY", "CREATE MASKING POLICY DAGSTER_BRANCH_ACCEPTANCE_GOV.POLICIES.HIDE", "CREATE NETWORK POLICY DAGSTER_BRANCH_ACCEPTANCE_NP"]) {
      assert.ok(statements.some((s) => s.startsWith(made)), made);
    }
    assert.match(statements.find((s) => s.startsWith("INSERT INTO DAGSTER_BRANCH_ADMIN.BRANCHES.CLONE_SOURCES")) ?? "", /'DAGSTER_BRANCH_ACCEPTANCE_NP', TRUE UNION ALL SELECT 'DAGSTER_BRANCH_ACCEPTANCE_PLAIN', \$warehouse, TRUE, TRUE, FALSE, FALSE, NULL, FALSE$/);
  });

  it("answers ok for each rule, and removes the rows, the databases and the network policy", () => {
    for (const check of ["pull request 0 was taken for a source not flagged", "the acceptance source took pull request 1", "ok: the clone has no external stage", "ok: the clone has no pipe", "ok: the clone''s schemas stay with DAGSTER_BRANCH_ADMIN", "ok: the branch user has the source''s network policy", "ok: the policy still masks", "ok: the branch role cannot lift the masking policy", "ok: the branch role cannot resume a cloned task", "ok: the branch role cannot read the source"]) {
      assert.ok(text.includes(check), check);
    }
    assert.ok(statements.includes("CALL DAGSTER_BRANCH_ADMIN.BRANCHES.LIST_BRANCHES('DAGSTER_BRANCH_ACCEPTANCE_PLAIN', NULL)"), "another source's listing, while the script runs");
    const cleanup = statements.slice(statements.lastIndexOf("USE ROLE ACCOUNTADMIN"));
    for (const step of ["DELETE FROM DAGSTER_BRANCH_ADMIN.BRANCHES.CLONE_SOURCES WHERE SOURCE_DATABASE IN ('DAGSTER_BRANCH_ACCEPTANCE', 'DAGSTER_BRANCH_ACCEPTANCE_PLAIN')", "DROP DATABASE IF EXISTS DAGSTER_BRANCH_ACCEPTANCE", "DROP DATABASE IF EXISTS DAGSTER_BRANCH_ACCEPTANCE_GOV", "DROP NETWORK POLICY IF EXISTS DAGSTER_BRANCH_ACCEPTANCE_NP"]) assert.ok(cleanup.includes(step), step);
  });
});
