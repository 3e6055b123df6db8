/**
 * A problem found in user input (a repos/ file or a stack config key). Every check collects
 * problems instead of throwing, so one run reports everything that is wrong at once.
 */
export interface Problem {
  /** The file (relative path) or config source the problem is in, e.g. `repos/etl.yaml`. */
  source: string;
  /** The field, as a dotted path (`resources.requests.cpu`), or "" for the whole file. */
  field: string;
  /** What is wrong, naming the bad value. */
  message: string;
  /** What would be right. */
  hint?: string;
  /** 1-based position, when the problem comes from the YAML parser. */
  line?: number;
  column?: number;
}

/**
 * At most this many characters of a value from the input are ever printed: the value may be
 * huge, or the content of a file it should never have been (a secret, an environment).
 */
export const EXCERPT_MAX = 40;

/** A value from the input as it may be printed: quoted, escaped, and cut to EXCERPT_MAX characters. */
export function excerpt(value: string): string {
  const chars = [...value];
  if (chars.length <= EXCERPT_MAX) return JSON.stringify(value);
  return `${JSON.stringify(chars.slice(0, EXCERPT_MAX).join(""))}… (${chars.length.toLocaleString("en-US")} characters)`;
}

/** A mapping key as a field path shows it: plain keys as they are, anything else quoted and cut. */
export function fieldKey(key: string): string {
  return /^[A-Za-z0-9_./-]{1,64}$/.test(key) ? key : excerpt(key);
}

/** Longest line a problem prints: a last guard, on top of excerpt() for every value it names. */
const LINE_MAX = 600;

export function formatProblem(p: Problem): string {
  const where = p.line !== undefined ? `${p.source}:${p.line}:${p.column ?? 1}` : p.source;
  const field = p.field ? ` ${p.field}:` : "";
  const hint = p.hint ? ` (${p.hint})` : "";
  const line = `${where}:${field} ${p.message}${hint}`;
  return line.length <= LINE_MAX ? line : `${line.slice(0, LINE_MAX)}…`;
}

/** Thrown once, with every problem, before a single resource is registered. */
/** The most problems one file reports: past that, a count (a file of 20,000 bad keys is one mistake, not 20,000 lines). */
export const MAX_PROBLEMS_PER_FILE = 25;

export class InputError extends Error {
  readonly problems: readonly Problem[];

  constructor(what: string, problems: readonly Problem[]) {
    const sorted = [...problems].sort(compareProblems);
    super(
      `${what}: ${sorted.length} problem${sorted.length === 1 ? "" : "s"}; nothing was planned.\n` +
        sorted.map((p) => `  - ${formatProblem(p)}`).join("\n"),
    );
    this.name = "InputError";
    this.problems = sorted;
  }
}

function compareProblems(a: Problem, b: Problem): number {
  return (
    a.source.localeCompare(b.source) ||
    (a.line ?? 0) - (b.line ?? 0) ||
    a.field.localeCompare(b.field) ||
    a.message.localeCompare(b.message)
  );
}

/** Renders any JS value the way a user would recognise it from their YAML. */
export function show(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "nothing";
  if (typeof value === "string") return excerpt(value);
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return String(value);
}
