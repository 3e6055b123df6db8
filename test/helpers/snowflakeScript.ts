/**
 * Reading snowflake/*.sql for tests: the file split into statements (quotes, $$ bodies and
 * comments respected), procedures with their headers, and their Snowflake Scripting bodies walked
 * statement by statement. Only the subset branch_admin.sql uses is understood (DECLARE, BEGIN …
 * END, IF … END IF without ELSE, `x := expr`, SELECT/SHOW, EXECUTE IMMEDIATE :x, RAISE, RETURN,
 * `LET c CURSOR FOR <resultset>` and `FOR r IN c DO … END FOR` over such a cursor);
 * anything else is an error, so the file cannot drift into constructs these checks do not see.
 * No parser from a registry reads Snowflake Scripting (sqlglot parses its SQL statements, which
 * is what the e2e suite feeds it).
 */

export interface Statement {
  text: string;
  /** 1-based line of its first character in the file. */
  line: number;
}

/** Where a quoted region starting at `i` ends (the index after its closing quote). */
function skipQuoted(sql: string, i: number): number {
  if (sql.startsWith("$$", i)) {
    const end = sql.indexOf("$$", i + 2);
    if (end < 0) throw new Error("unterminated $$ block");
    return end + 2;
  }
  const quote = sql[i];
  for (let j = i + 1; j < sql.length; j++) {
    if (sql[j] === quote && sql[j + 1] === quote) j++;
    else if (sql[j] === quote) return j + 1;
  }
  throw new Error(`unterminated ${quote} quote`);
}

/**
 * The text without `--` and `/* *\/` comments (outside quotes), and split at `separator`
 * characters outside quotes and parentheses. Pieces keep their starting line.
 */
export function splitOutside(sql: string, separator = ";", firstLine = 1): Statement[] {
  const out: Statement[] = [];
  let current = "";
  let line = firstLine;
  let startLine = firstLine;
  let depth = 0;
  for (let i = 0; i < sql.length; ) {
    const c = sql[i];
    if (current.trim() === "") startLine = line;
    if (c === "'" || c === '"' || sql.startsWith("$$", i)) {
      const end = skipQuoted(sql, i);
      const piece = sql.slice(i, end);
      current += piece;
      line += (piece.match(/\n/g) ?? []).length;
      i = end;
    } else if (sql.startsWith("--", i)) {
      const end = sql.indexOf("\n", i);
      i = end < 0 ? sql.length : end;
    } else if (sql.startsWith("/*", i)) {
      const end = sql.indexOf("*/", i + 2);
      if (end < 0) throw new Error("unterminated /* comment");
      line += (sql.slice(i, end).match(/\n/g) ?? []).length;
      i = end + 2;
    } else if (c === separator && depth === 0) {
      if (current.trim()) out.push({ text: current.trim(), line: startLine });
      current = "";
      i++;
    } else {
      if (c === "(") depth++;
      if (c === ")") depth--;
      if (c === "\n") line++;
      current += c;
      i++;
    }
  }
  if (current.trim()) out.push({ text: current.trim(), line: startLine });
  return out;
}

export interface Procedure {
  name: string;
  args: { name: string; type: string }[];
  returns: string;
  language: string;
  executeAs?: string;
  comment?: string;
  body: string;
  bodyLine: number;
  statement: Statement;
}

const PROCEDURE = /^CREATE\s+OR\s+REPLACE\s+PROCEDURE\s+([A-Z0-9_.]+)\s*\(([^)]*)\)\s*RETURNS\s+(.+?)\s+LANGUAGE\s+(\w+)([\s\S]*?)\bAS\s*\$\$([\s\S]*)\$\$$/i;

export function procedureOf(statement: Statement): Procedure | undefined {
  const m = PROCEDURE.exec(statement.text);
  if (!m) return undefined;
  const args = m[2].split(",").map((a) => a.trim()).filter(Boolean).map((a) => {
    const [name, ...type] = a.split(/\s+/);
    return { name: name.toUpperCase(), type: type.join(" ").toUpperCase() };
  });
  const options = m[5];
  const before = statement.text.slice(0, statement.text.indexOf("$$"));
  return {
    name: m[1].toUpperCase(),
    args,
    returns: m[3].trim(),
    language: m[4].toUpperCase(),
    executeAs: /EXECUTE\s+AS\s+(\w+)/i.exec(options)?.[1].toUpperCase(),
    comment: /COMMENT\s*=\s*'((?:[^']|'')*)'/i.exec(options)?.[1],
    body: m[6],
    bodyLine: statement.line + (before.match(/\n/g) ?? []).length,
    statement,
  };
}

export type ScriptNode =
  | { kind: "variable"; name: string; type: string; default?: string; line: number }
  | { kind: "exception"; name: string; code: number; message: string; line: number }
  | { kind: "sql"; text: string; line: number }
  | { kind: "assign"; name: string; expression: string; line: number }
  | { kind: "if"; condition: string; body: ScriptNode[]; line: number }
  | { kind: "cursor"; name: string; resultset: string; line: number }
  | { kind: "for"; row: string; cursor: string; body: ScriptNode[]; line: number }
  | { kind: "execute"; variable: string; line: number }
  | { kind: "raise"; name: string; line: number }
  | { kind: "return"; expression: string; line: number };

export interface Script {
  declarations: ScriptNode[];
  body: ScriptNode[];
}

function declaration(s: Statement): ScriptNode {
  const exception = /^(\w+)\s+EXCEPTION\s*\(\s*(-?\d+)\s*,\s*'((?:[^']|'')*)'\s*\)$/i.exec(s.text);
  if (exception) return { kind: "exception", name: exception[1].toLowerCase(), code: Number(exception[2]), message: exception[3].replace(/''/g, "'"), line: s.line };
  const variable = /^(\w+)\s+([A-Z_]+(?:\([^)]*\))?)(?:\s+DEFAULT\s+([\s\S]+))?$/i.exec(s.text);
  if (variable) return { kind: "variable", name: variable[1].toLowerCase(), type: variable[2].toUpperCase(), default: variable[3], line: s.line };
  throw new Error(`line ${s.line}: not a declaration this walker knows: ${s.text}`);
}

/** The index of the parenthesis closing the one at `open` (quotes respected). */
function matchingParen(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === "'") i = skipQuoted(text, i) - 1;
    else if (text[i] === "(") depth++;
    else if (text[i] === ")" && --depth === 0) return i;
  }
  throw new Error(`unbalanced parentheses: ${text.slice(0, 60)}`);
}

type Opener = { kind: "if-open"; condition: string; first?: Statement; line: number } | { kind: "for-open"; row: string; cursor: string; first?: Statement; line: number };

/** `FOR r IN c DO <first statement>`: a cursor FOR loop, whose first statement shares the piece. */
function forLoop(s: Statement): Opener | undefined {
  const m = /^FOR\s+(\w+)\s+IN\s+(\w+)\s+DO\b([\s\S]*)$/i.exec(s.text);
  if (!m) return undefined;
  const rest = m[3].trim();
  return { kind: "for-open", row: m[1].toLowerCase(), cursor: m[2].toLowerCase(), first: rest ? { text: rest, line: s.line } : undefined, line: s.line };
}

/** One statement of a block; IF and FOR open a nested block the caller fills until END IF / END FOR. */
function node(s: Statement): ScriptNode | Opener | { kind: "end-if" } | { kind: "end-for" } {
  const text = s.text;
  if (/^IF\s*\(/i.test(text)) {
    const open = text.indexOf("(");
    const close = matchingParen(text, open);
    const then = /^\s*THEN\b([\s\S]*)$/i.exec(text.slice(close + 1));
    if (!then) throw new Error(`line ${s.line}: IF (…) without THEN`);
    const rest = then[1].trim();
    return { kind: "if-open", condition: text.slice(open + 1, close).trim(), first: rest ? { text: rest, line: s.line } : undefined, line: s.line };
  }
  if (/^END\s+IF$/i.test(text)) return { kind: "end-if" };
  if (/^END\s+FOR$/i.test(text)) return { kind: "end-for" };
  const loop = forLoop(s);
  if (loop) return loop;
  const cursor = /^LET\s+(\w+)\s+CURSOR\s+FOR\s+(\w+)$/i.exec(text);
  if (cursor) return { kind: "cursor", name: cursor[1].toLowerCase(), resultset: cursor[2].toLowerCase(), line: s.line };
  if (/^(ELSE|ELSEIF|FOR|WHILE|LOOP|CASE|LET|BEGIN|EXCEPTION|USE|ALTER\s+SESSION|SET|UNSET|COMMIT|ROLLBACK)\b/i.test(text)) {
    throw new Error(`line ${s.line}: a construct the checks do not cover: ${text.slice(0, 60)}`);
  }
  const assign = /^(\w+)\s*:=\s*([\s\S]+)$/.exec(text);
  if (assign) return { kind: "assign", name: assign[1].toLowerCase(), expression: assign[2].trim(), line: s.line };
  const execute = /^EXECUTE\s+IMMEDIATE\s+:(\w+)$/i.exec(text);
  if (execute) return { kind: "execute", variable: execute[1].toLowerCase(), line: s.line };
  if (/^EXECUTE\s+IMMEDIATE\b/i.test(text)) throw new Error(`line ${s.line}: EXECUTE IMMEDIATE takes a variable here, so its text is checked: ${text}`);
  const raise = /^RAISE\s+(\w+)$/i.exec(text);
  if (raise) return { kind: "raise", name: raise[1].toLowerCase(), line: s.line };
  const ret = /^RETURN\s+([\s\S]+)$/i.exec(text);
  if (ret) return { kind: "return", expression: ret[1].trim(), line: s.line };
  if (/^(SELECT|SHOW)\b/i.test(text)) return { kind: "sql", text, line: s.line };
  throw new Error(`line ${s.line}: not a statement this walker knows: ${text.slice(0, 80)}`);
}

/** The body of a Snowflake Scripting procedure as declarations and a tree of statements. */
export function parseScript(body: string, firstLine = 1): Script {
  const pieces = splitOutside(body, ";", firstLine);
  const declarations: ScriptNode[] = [];
  let i = 0;
  if (pieces[0] && /^DECLARE\b/i.test(pieces[0].text)) {
    pieces[0] = { ...pieces[0], text: pieces[0].text.replace(/^DECLARE\s+/i, "") };
    for (; i < pieces.length && !/^BEGIN\b/i.test(pieces[i].text); i++) declarations.push(declaration(pieces[i]));
  }
  if (!pieces[i] || !/^BEGIN\b/i.test(pieces[i].text)) throw new Error("the body has no BEGIN");
  if (!pieces.length || !/^END$/i.test(pieces[pieces.length - 1].text)) throw new Error("the body does not close with END");
  pieces[i] = { ...pieces[i], text: pieces[i].text.replace(/^BEGIN\s*/i, "") };
  const stack: ScriptNode[][] = [[]];
  const frames: Extract<ScriptNode, { kind: "if" | "for" }>[] = [];
  const queue = pieces.slice(i, -1).filter((p) => p.text);
  for (let piece = queue.shift(); piece; piece = queue.shift()) {
    const n = node(piece);
    if (n.kind === "if-open" || n.kind === "for-open") {
      const frame: Extract<ScriptNode, { kind: "if" | "for" }> =
        n.kind === "if-open" ? { kind: "if", condition: n.condition, body: [], line: n.line } : { kind: "for", row: n.row, cursor: n.cursor, body: [], line: n.line };
      stack[stack.length - 1].push(frame);
      frames.push(frame);
      stack.push(frame.body);
      // `IF (a) THEN IF (b) THEN RAISE x;` arrives as one piece: its rest is the next statement.
      if (n.first) queue.unshift(n.first);
    } else if (n.kind === "end-if" || n.kind === "end-for") {
      const closing = n.kind === "end-if" ? "if" : "for";
      if (frames.pop()?.kind !== closing) throw new Error(`line ${piece.line}: END ${closing.toUpperCase()} without ${closing.toUpperCase()}`);
      stack.pop();
    } else stack[stack.length - 1].push(n);
  }
  if (frames.length) throw new Error(`line ${frames[0].line}: ${frames[0].kind.toUpperCase()} without END ${frames[0].kind.toUpperCase()}`);
  return { declarations, body: stack[0] };
}

/** Every node of a tree, depth first, in program order. */
export function flatten(nodes: readonly ScriptNode[]): ScriptNode[] {
  return nodes.flatMap((n) => (n.kind === "if" || n.kind === "for" ? [n, ...flatten(n.body)] : [n]));
}

/** `'a' || x || TO_VARCHAR(y)` as its parts; undefined when it is anything else. */
export type ConcatPart = { literal: string } | { variable: string };

export function concatParts(expression: string): ConcatPart[] | undefined {
  const parts: ConcatPart[] = [];
  for (const raw of splitOutside(expression, "|").map((p) => p.text)) {
    const literal = /^'((?:[^']|'')*)'$/.exec(raw);
    const variable = /^(?:TO_VARCHAR\(\s*(\w+)\s*\)|(\w+))$/i.exec(raw);
    if (literal) parts.push({ literal: literal[1].replace(/''/g, "'") });
    else if (variable) parts.push({ variable: (variable[1] ?? variable[2]).toLowerCase() });
    else return undefined;
  }
  return parts;
}

/**
 * Every text a concatenation can take, given candidate values for its variables (all
 * combinations). Throws for a variable without candidates: the test names each one it allows.
 */
export function expand(parts: readonly ConcatPart[], candidates: ReadonlyMap<string, readonly string[]>): string[] {
  return parts.reduce<string[]>(
    (texts, p) => {
      if ("literal" in p) return texts.map((t) => t + p.literal);
      const values = candidates.get(p.variable);
      if (!values) throw new Error(`"${p.variable}" is spliced into SQL text but is not one of the allowed variables`);
      return texts.flatMap((t) => values.map((v) => t + v));
    },
    [""],
  );
}
