/**
 * Snowflake cannot run here, so every SQL text this project sends to Snowflake goes through a
 * real Snowflake SQL parser from a registry: sqlglot's Snowflake dialect (pinned in
 * requirements/snowflake-sql.txt, installed into a cached venv). That covers the statements of
 * snowflake/branch_admin.sql and snowflake/acceptance.sql, the SQL statements and expressions
 * inside the procedures' Snowflake Scripting bodies (walked statement by statement: sqlglot does
 * not read Scripting), every text the procedures' dynamic statements can take, and the CALLs a
 * branch plan and the reaper send. sqlglot reads only part of Snowflake's grammar: for the rest
 * it falls back to an opaque Command after tokenizing, and those statements must match their
 * documented syntax instead (test/helpers/snowflakeSyntax.ts).
 */
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as path from "path";
import { planStack } from "../../offline/plan";
import { createBranchCall, dropBranchCall, listBranchesCall } from "../../render/snowflakeCalls";
import { PROJECT_DIR } from "../../tools/cache";
import { ensureVenv, PythonEnv } from "../../tools/python";
import { acceptanceStatements, adminProcedures, adminStatements, anonymousBlockItems, bodyItems, dynamicStatements, SAMPLE_PUBLIC_KEY, SqlItem } from "../helpers/snowflakeChecks";
import { documentedShape } from "../helpers/snowflakeSyntax";

interface ParseResult {
  id: string;
  ok: boolean;
  kinds: string[];
  command: boolean;
  error: string | null;
}

const PARSER = path.join(__dirname, "snowflake_parse.py");

function parseAll(env: PythonEnv, items: SqlItem[]): { sqlglot: string; results: ParseResult[] } {
  const out = execFileSync(env.python, [PARSER], { input: JSON.stringify(items), encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(out) as { sqlglot: string; results: ParseResult[] };
}

/** Texts built by render/snowflakeCalls.ts, and the ones a real pr-42 plan holds. */
async function callItems(): Promise<SqlItem[]> {
  const ref = { sourceDatabase: "PRODUCTION", pullRequest: 42 };
  const built = [
    createBranchCall({ ...ref, publicKey: SAMPLE_PUBLIC_KEY }),
    createBranchCall({ ...ref, cloneAt: "2025-02-27T09:30:00Z", publicKey: SAMPLE_PUBLIC_KEY }),
    dropBranchCall(ref),
    listBranchesCall("PRODUCTION", 42),
    listBranchesCall("PRODUCTION"),
  ].map((sql, i) => ({ id: `render/snowflakeCalls.ts #${i + 1}`, sql }));
  const plan = await planStack({ projectDir: PROJECT_DIR, stack: "pr-42", overrides: ["commitSha=0123456789abcdef0123456789abcdef01234567"] });
  const planned = plan.resources
    .filter((r) => r.type === "snowflake:index/execute:Execute")
    .flatMap((r) => (["execute", "revert", "query"] as const).map((f) => ({ id: `pr-42 plan ${r.name}.${f}`, sql: String(r.inputs[f]) })));
  assert.equal(planned.length, 3, "the pr-42 plan holds one Execute with three statements");
  return [...built, ...planned];
}

function allItems(calls: SqlItem[]): SqlItem[] {
  const admin = adminStatements().map((s) => ({ id: `branch_admin.sql line ${s.line}`, sql: s.text }));
  const acceptance = acceptanceStatements();
  const procedures = adminProcedures();
  return [
    ...admin,
    ...acceptance.filter((s) => !/^EXECUTE\s+IMMEDIATE\s+\$\$/i.test(s.text)).map((s) => ({ id: `acceptance.sql line ${s.line}`, sql: s.text })),
    ...anonymousBlockItems(acceptance),
    ...procedures.flatMap(bodyItems),
    ...procedures.flatMap(dynamicStatements).flatMap((d) => d.texts.map((sql, i) => ({ id: `${d.procedure} line ${d.line} (dynamic #${i + 1})`, sql }))),
    ...calls,
  ];
}

describe("snowflake SQL, parsed by sqlglot's Snowflake dialect", function () {
  let env: PythonEnv;
  let items: SqlItem[];
  let parsed: { sqlglot: string; results: ParseResult[] };
  before(async function () {
    this.timeout(10 * 60_000);
    env = ensureVenv("snowflake-sql", path.join(PROJECT_DIR, "requirements", "snowflake-sql.txt"), (l) => console.log(`      ${l}`));
    items = allItems(await callItems());
    parsed = parseAll(env, items);
  });

  it("parses every statement, procedure-body statement and expression, dynamic statement and CALL", () => {
    const failed = parsed.results.filter((r) => !r.ok).map((r) => `${r.id}: ${r.error}`);
    assert.deepEqual(failed, []);
    const commands = parsed.results.filter((r) => r.command).length;
    console.log(`      sqlglot ${parsed.sqlglot}: ${parsed.results.length} SQL texts, ${parsed.results.length - commands} parsed to a syntax tree, ${commands} only tokenized (Command)`);
  });

  it("what sqlglot only tokenizes matches its documented syntax", () => {
    const byId = new Map(items.map((i) => [i.id, i.sql]));
    const unmatched = parsed.results
      .filter((r) => r.command && !/^EXECUTE\s+IMMEDIATE\s+\$\$/i.test(byId.get(r.id) ?? ""))
      .filter((r) => !documentedShape(byId.get(r.id) ?? ""))
      .map((r) => `${r.id}: ${byId.get(r.id)?.slice(0, 100)}`);
    assert.deepEqual(unmatched, []);
  });

  it("every dynamic statement matches its documented syntax, whatever sqlglot makes of it", () => {
    const dynamic = items.filter((i) => i.id.includes("(dynamic"));
    assert.ok(dynamic.length >= 30, `${dynamic.length} dynamic statement texts`);
    assert.deepEqual(dynamic.filter((i) => !documentedShape(i.sql)).map((i) => i.id), []);
  });

  it("the procedures, the CALLs and the reads parse into the statements they are (not Commands)", () => {
    const procedures = parsed.results.filter((r) => /^CREATE OR REPLACE PROCEDURE/.test(items.find((i) => i.id === r.id)?.sql ?? ""));
    assert.equal(procedures.length, 3);
    for (const r of procedures) assert.deepEqual({ kinds: r.kinds, command: r.command }, { kinds: ["Create"], command: false }, r.id);
    const sqlOf = (r: ParseResult) => items.find((i) => i.id === r.id)?.sql ?? "";
    const reads = parsed.results.filter((r) => / \((statement|expression|condition)\)$/.test(r.id) && !/^SHOW\b/i.test(sqlOf(r)));
    assert.ok(reads.length > 50, `${reads.length} reads`);
    assert.deepEqual(reads.filter((r) => r.command).map((r) => r.id), [], "sqlglot reads every SELECT and expression of the bodies");
    const calls = parsed.results.filter((r) => /^CALL\b/.test(sqlOf(r)));
    assert.ok(calls.length >= 8 && calls.every((r) => documentedShape(sqlOf(r))?.doc.endsWith("/call")), "CALLs: tokenized by sqlglot, shaped as documented");
  });

  it("is no rubber stamp: broken SQL fails the parser or the documented syntax", () => {
    const broken = [
      { id: "unterminated quote", sql: "CALL DAGSTER_BRANCH_ADMIN.BRANCHES.DROP_BRANCH('PRODUCTION, 42)" },
      { id: "dangling expression", sql: "SELECT COUNT(*) INTO :n FROM WHERE x = " },
      { id: "unbalanced", sql: "SELECT REGEXP_LIKE(source_db, '[A-Z]'" },
    ];
    const results = parseAll(env, broken).results;
    assert.deepEqual(results.map((r) => [r.id, r.ok]), broken.map((b) => [b.id, false]));
    // Clauses out of their documented order, or a privilege keyword misspelt, tokenize fine but miss every shape.
    assert.equal(documentedShape("CREATE OR REPLACE DATABASE A_CLONE_1 CLONE A IGNORE HYBRID TABLES IGNORE TABLES WITH INSUFFICIENT DATA RETENTION"), undefined);
    assert.equal(documentedShape("GRANT OWNERSHIP ON ALL PIPES IN DATABASE A_CLONE_1 TO ROLE DAGSTER_PR_1 COPY CURRENT GRANTS"), undefined);
    assert.equal(documentedShape("GRANT OWNERSHIP ON ALL TABLES IN DATABASE A_CLONE_1 TO ROLE DAGSTER_PR_1 MOVE CURRENT GRANTS"), undefined);
  });
});
