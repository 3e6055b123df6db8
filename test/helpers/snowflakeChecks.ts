/**
 * Everything in snowflake/*.sql a check must see, as SQL texts: the files' statements, the SQL
 * statements and expressions of each procedure body, the dynamic statements the procedures
 * EXECUTE IMMEDIATE (every text they can take), and the statements of the acceptance script's
 * anonymous blocks. Shared by the offline unit tests (documented shapes) and the e2e suite
 * (sqlglot).
 */
import * as fs from "fs";
import * as path from "path";
import { concatParts, expand, flatten, parseScript, Procedure, procedureOf, Script, ScriptNode, splitOutside, Statement } from "./snowflakeScript";

export const SNOWFLAKE_DIR = path.resolve(__dirname, "..", "..", "snowflake");
export const ADMIN_SQL = path.join(SNOWFLAKE_DIR, "branch_admin.sql");
export const ACCEPTANCE_SQL = path.join(SNOWFLAKE_DIR, "acceptance.sql");

/** An RSA-2048 public key body's shape (392 base64 characters starting MII). */
export const SAMPLE_PUBLIC_KEY = `MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA${"x".repeat(342)}IDAQAB`;

/** A three-part quoted name as CREATE_BRANCH's sweep builds it, with an inner quote doubled. */
export const SAMPLE_OBJECT_REF = '"PRODUCTION_CLONE_42"."RAW"."EVENTS ""S3"""';

/**
 * The variables a procedure may splice into the text of a dynamic statement, with sample values.
 * Every one is validated (or built from validated parts) before the statement runs: the source,
 * warehouse and network policy come from CLONE_SOURCES and pass an identifier check, the number
 * from PULL_REQUEST after its range check, the epoch from a parsed time, the key after its base64
 * check, and the sweep's kind, quoted name and signature after their pattern checks. Procedure
 * arguments other than PUBLIC_KEY never appear in SQL text.
 */
export const SPLICED_VARIABLES: ReadonlyMap<string, readonly string[]> = new Map([
  ["source_db", ["PRODUCTION"]],
  ["warehouse", ["DAGSTER_WH"]],
  ["network_policy", ["DAGSTER_BRANCH_PREVIEW"]],
  ["named_kind", ["STAGE", "PIPE", "EXTERNAL TABLE", "ICEBERG TABLE"]],
  ["named_ref", [SAMPLE_OBJECT_REF]],
  ["routine_kind", ["FUNCTION", "PROCEDURE"]],
  ["routine_ref", [SAMPLE_OBJECT_REF]],
  ["routine_args", ["()", "(NUMBER, VARCHAR(16))"]],
  ["pr_text", ["42"]],
  ["clone_db", ["PRODUCTION_CLONE_42"]],
  ["branch_role", ["DAGSTER_PR_42"]],
  ["branch_user", ["DAGSTER_PR_42"]],
  ["clone_epoch", ["1740830400"]],
  ["public_key", [SAMPLE_PUBLIC_KEY]],
]);

export function adminStatements(): Statement[] {
  return splitOutside(fs.readFileSync(ADMIN_SQL, "utf8"));
}

export function acceptanceStatements(): Statement[] {
  return splitOutside(fs.readFileSync(ACCEPTANCE_SQL, "utf8"));
}

export interface ParsedProcedure extends Procedure {
  script: Script;
}

export function adminProcedures(): ParsedProcedure[] {
  return adminStatements().flatMap((s) => {
    const p = procedureOf(s);
    return p ? [{ ...p, script: parseScript(p.body, p.bodyLine) }] : [];
  });
}

/**
 * Values each local variable can hold when it is spliced: the sample of a spliced variable, or
 * its DEFAULT and every text its assignments can produce (from literals and spliced samples).
 */
function candidates(script: Script): Map<string, string[]> {
  const out = new Map<string, string[]>([...SPLICED_VARIABLES].map(([k, v]) => [k, [...v]]));
  const literal = (e: string | undefined) => (e === undefined ? undefined : /^'((?:[^']|'')*)'$/.exec(e.trim())?.[1].replace(/''/g, "'"));
  for (const d of script.declarations) {
    const v = d.kind === "variable" ? literal(d.default) : undefined;
    if (d.kind === "variable" && v !== undefined && !out.has(d.name)) out.set(d.name, [v]);
  }
  for (const n of flatten(script.body)) {
    if (n.kind !== "assign" || SPLICED_VARIABLES.has(n.name) || n.name === "stmt") continue;
    const parts = concatParts(n.expression);
    if (!parts) continue;
    try {
      out.set(n.name, [...new Set([...(out.get(n.name) ?? []), ...expand(parts, out)])]);
    } catch {
      // Not a text built from allowed parts: never offered as a candidate for splicing.
    }
  }
  return out;
}

export interface DynamicStatement {
  procedure: string;
  line: number;
  /** The variables spliced into it. */
  variables: string[];
  /** Every text it can take. */
  texts: string[];
}

/** What each `EXECUTE IMMEDIATE :stmt` runs: the expression last assigned to that variable. */
export function dynamicStatements(p: ParsedProcedure): DynamicStatement[] {
  const values = candidates(p.script);
  const assigned = new Map<string, Extract<ScriptNode, { kind: "assign" }>>();
  const found: DynamicStatement[] = [];
  for (const n of flatten(p.script.body)) {
    if (n.kind === "assign") assigned.set(n.name, n);
    if (n.kind !== "execute") continue;
    const source = assigned.get(n.variable);
    const parts = source && concatParts(source.expression);
    if (!parts) throw new Error(`${p.name} line ${n.line}: EXECUTE IMMEDIATE :${n.variable} runs a text that is not a concatenation of literals and variables`);
    const variables = parts.flatMap((x) => ("variable" in x ? [x.variable] : []));
    for (const v of variables) {
      if (!SPLICED_VARIABLES.has(v) && !values.has(v)) throw new Error(`${p.name} line ${n.line}: "${v}" is spliced into SQL text but is not one of the allowed variables`);
    }
    found.push({ procedure: p.name, line: n.line, variables, texts: expand(parts, values) });
  }
  return found;
}

/** A check's unit: one SQL text with where it came from. */
export interface SqlItem {
  id: string;
  sql: string;
}

/** The SQL statements and expressions of a procedure body, for a parser (expressions as SELECTs). */
export function bodyItems(p: ParsedProcedure): SqlItem[] {
  return flatten(p.script.body).flatMap((n): SqlItem[] => {
    const id = `${p.name} line ${n.line}`;
    switch (n.kind) {
      case "sql":
        // `INTO :a, :b` is Snowflake Scripting's binding of a SELECT's row to variables, not SQL:
        // sqlglot reads the SELECT without it (with it, it takes INTO for SELECT … INTO table).
        return [{ id: `${id} (statement)`, sql: n.text.replace(/\s+INTO\s+:\w+(?:\s*,\s*:\w+)*/i, "") }];
      case "assign":
      case "return":
        return [{ id: `${id} (expression)`, sql: `SELECT ${n.expression}` }];
      case "if":
        return [{ id: `${id} (condition)`, sql: `SELECT ${n.condition}` }];
      default:
        return [];
    }
  });
}

/** The statements inside the acceptance script's `EXECUTE IMMEDIATE $$ … $$` blocks. */
export function anonymousBlockItems(statements: readonly Statement[]): SqlItem[] {
  return statements.flatMap((s) => {
    const m = /^EXECUTE\s+IMMEDIATE\s+\$\$([\s\S]*)\$\$$/i.exec(s.text);
    if (!m) return [];
    const [beforeHandler] = m[1].split(/\bEXCEPTION\b/i);
    return splitOutside(beforeHandler.replace(/^\s*BEGIN\b/i, ""), ";", s.line)
      .filter((x) => !/^RETURN\b/i.test(x.text))
      .map((x) => ({ id: `acceptance.sql line ${x.line} (block)`, sql: x.text }));
  });
}
