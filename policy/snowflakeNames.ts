/**
 * The database a Snowflake object reference starts in: `PRODUCTION`, `PRODUCTION.PUBLIC.T`,
 * `"PRODUCTION"."PUBLIC"`. Unquoted identifiers resolve to upper case; quoted ones are exact
 * (`""` is an escaped quote). undefined for an unterminated quote, which Snowflake rejects anyway.
 */
export function leadingIdentifier(reference: string): string | undefined {
  const s = reference.trim();
  if (!s.startsWith('"')) return s.split(".")[0].toUpperCase();
  let out = "";
  for (let i = 1; i < s.length; i++) {
    if (s[i] !== '"') out += s[i];
    else if (s[i + 1] === '"') out += s[++i];
    else return out;
  }
  return undefined;
}

/** Whether `reference` names `database` or something inside it; `database` is an unquoted identifier. */
export function referencesDatabase(reference: string, database: string): boolean {
  return leadingIdentifier(reference) === database.toUpperCase();
}

/** A CALL of one of the branch procedures snowflake/branch_admin.sql installs, with its arguments. */
export type BranchCall =
  | { procedure: "CREATE_BRANCH"; source: string; pullRequest: number; cloneAt?: string; publicKey: string }
  | { procedure: "DROP_BRANCH"; source: string; pullRequest: number }
  | { procedure: "LIST_BRANCHES"; source: string; pullRequest?: number };

type Argument = { kind: "string"; value: string } | { kind: "number"; value: number } | { kind: "null" };

const CALL = /^CALL DAGSTER_BRANCH_ADMIN\.BRANCHES\.(CREATE_BRANCH|DROP_BRANCH|LIST_BRANCHES)\((.*)\)$/;
/** A literal argument: a string without quotes inside, a decimal integer, or NULL. */
const ARGUMENT = /^(?:'([^'\\]*)'|(0|[1-9][0-9]{0,8})|(NULL))$/;

function argumentsOf(list: string): Argument[] | undefined {
  const parsed: Argument[] = [];
  for (const raw of list.split(",")) {
    const m = ARGUMENT.exec(raw.trim());
    if (!m) return undefined;
    parsed.push(m[1] !== undefined ? { kind: "string", value: m[1] } : m[2] !== undefined ? { kind: "number", value: Number(m[2]) } : { kind: "null" });
  }
  return parsed;
}

const SOURCE = /^[A-Z][A-Z0-9_]*$/;
const TIME = /^[0-9][0-9:T+\-Z]*$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function stringMatching(a: Argument | undefined, pattern: RegExp): string | undefined {
  return a?.kind === "string" && pattern.test(a.value) ? a.value : undefined;
}

function numberArg(a: Argument | undefined): number | undefined {
  return a?.kind === "number" ? a.value : undefined;
}

/**
 * Reads a statement as a CALL of a branch procedure, strictly: one statement, the procedure by
 * its full name, literal arguments of the expected kinds and nothing else (no comment, no second
 * statement, no expression). undefined for anything else. Written apart from the builder in
 * render/snowflakeCalls.ts on purpose: the policy checks what the program produced.
 */
export function parseBranchCall(statement: string): BranchCall | undefined {
  const m = CALL.exec(statement);
  const args = m ? argumentsOf(m[2]) : undefined;
  if (!m || !args) return undefined;
  const source = stringMatching(args[0], SOURCE);
  const pullRequest = numberArg(args[1]);
  if (source === undefined) return undefined;
  switch (m[1]) {
    case "CREATE_BRANCH": {
      const publicKey = stringMatching(args[3], BASE64);
      const cloneAt = args[2]?.kind === "null" ? undefined : stringMatching(args[2], TIME);
      const cloneAtOk = args[2]?.kind === "null" || cloneAt !== undefined;
      return args.length === 4 && pullRequest !== undefined && cloneAtOk && publicKey !== undefined ? { procedure: "CREATE_BRANCH", source, pullRequest, cloneAt, publicKey } : undefined;
    }
    case "DROP_BRANCH":
      return args.length === 2 && pullRequest !== undefined ? { procedure: "DROP_BRANCH", source, pullRequest } : undefined;
    default:
      if (args.length !== 2 || (pullRequest === undefined && args[1]?.kind !== "null")) return undefined;
      return { procedure: "LIST_BRANCHES", source, pullRequest };
  }
}
