import { MAX_PROBLEMS_PER_FILE, Problem, excerpt, fieldKey, show } from "./problems";
import { didYouMean } from "./suggest";

export type Dict = Record<string, unknown>;
export const isDict = (v: unknown): v is Dict => typeof v === "object" && v !== null && !Array.isArray(v);

/** The mapping with its keys in code-unit order (Array.prototype.sort's default), as Helm and kubectl print them. */
export function sortKeys<T>(obj: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.keys(obj).sort().map((k) => [k, obj[k]]));
}

/** What a value is, for "… is a number, not a string" messages. */
export function kindOf(value: unknown): string {
  return value === null ? "null" : Array.isArray(value) ? "list" : typeof value;
}

/** Collects problems against one file while reading typed fields out of it. */
export class Reader {
  readonly problems: Problem[] = [];
  constructor(readonly file: string) {}

  add(field: string, message: string, hint?: string): void {
    this.problems.push({ source: this.file, field, message, hint });
  }

  unknownKeys(obj: Dict, known: readonly string[], prefix: string, extraHint?: (key: string) => string | undefined): void {
    let suggested = 0;
    for (const key of Object.keys(obj)) {
      if (known.includes(key)) continue;
      // A file reports its first problems only (load.ts): suggestions past those are never shown.
      const guess = suggested++ < MAX_PROBLEMS_PER_FILE ? didYouMean(key, known) : undefined;
      const special = extraHint?.(key);
      this.add(prefix + fieldKey(key), `unknown key ${excerpt(key)}`, special ?? (guess ? `did you mean "${guess}"?` : `known keys: ${known.join(", ")}`));
    }
  }

  string(obj: Dict, key: string, field: string): string | undefined {
    const v = obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "string" || v === "") {
      this.add(field, `${show(v)} is not a non-empty string`, "write it as text, quoted if needed");
      return undefined;
    }
    return v;
  }

  boolean(obj: Dict, key: string, field: string, fallback: boolean): boolean {
    const v = obj[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== "boolean") {
      this.add(field, `${show(v)} is not a boolean`, "use true or false");
      return fallback;
    }
    return v;
  }

  /** A mapping of strings to strings; each key and value checked, every problem reported. */
  stringMap(obj: Dict, key: string, field: string, checkKey: (k: string) => string | undefined, checkValue?: (v: string) => string | undefined): Record<string, string> {
    const v = obj[key];
    if (v === undefined || v === null) return {};
    if (!isDict(v)) {
      this.add(field, `${show(v)} is not a mapping`, "write key: value pairs");
      return {};
    }
    const out: Record<string, string> = {};
    for (const [k, value] of Object.entries(v)) {
      const at = `${field}.${fieldKey(k)}`;
      const keyError = checkKey(k);
      if (keyError) this.add(at, keyError.startsWith("the ") ? `the key ${excerpt(k)} is invalid: ${keyError}` : keyError);
      if (typeof value !== "string") {
        const scalar = value !== null && !isDict(value) && !Array.isArray(value);
        this.add(at, `${show(value)} is a ${kindOf(value)}, not a string`, scalar ? `quote it: ${excerpt(String(value))}` : "values must be strings");
        continue;
      }
      const valueError = checkValue?.(value);
      if (valueError) this.add(at, `${show(value)}: ${valueError}`);
      out[k] = value;
    }
    return sortKeys(out);
  }

  /** A list of distinct Kubernetes object names. */
  nameList(obj: Dict, key: string, field: string, what: string, isName: (name: string) => boolean): string[] {
    const v = obj[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) {
      this.add(field, `${show(v)} is not a list`, `write a list of ${what} names, e.g. [my-${what.toLowerCase()}]`);
      return [];
    }
    const out: string[] = [];
    v.forEach((item, i) => {
      if (typeof item !== "string" || !isName(item)) {
        this.add(`${field}[${i}]`, `${show(item)} is not a Kubernetes ${what} name`, "use lowercase letters, digits, \"-\" and \".\", at most 253 characters");
      } else if (out.includes(item)) {
        this.add(`${field}[${i}]`, `"${item}" is listed twice`, "list each name once");
      } else {
        out.push(item);
      }
    });
    return out;
  }
}
