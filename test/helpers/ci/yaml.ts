/** YAML access without `any`, the project's CI file locations, and the two assertions every CI check uses. */
import { strict as assert } from "assert";
import * as path from "path";

export const ROOT = path.resolve(__dirname, "..", "..", "..");
export const WORKFLOW_DIR = path.join(ROOT, ".github", "workflows");
export const EXAMPLES_DIR = path.join(ROOT, "docs", "examples");
export const GITLAB_FILE = path.join(ROOT, ".gitlab-ci.yml");
export const CI_FIXTURES = path.join(ROOT, "test", "fixtures", "ci");

export type Dict = Record<string, unknown>;
export const isDict = (v: unknown): v is Dict => typeof v === "object" && v !== null && !Array.isArray(v);
export const asDict = (v: unknown): Dict => (isDict(v) ? v : {});
export const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);
export const str = (v: unknown): string => (typeof v === "string" ? v : v === undefined || v === null ? "" : String(v));

export const expectNone = (problems: string[]) => assert.deepEqual(problems, [], `\n${problems.join("\n")}`);
export const expectSome = (problems: string[], ...patterns: RegExp[]) => {
  assert.ok(problems.length > 0, "the checker found nothing wrong with a broken fixture");
  for (const p of patterns) assert.ok(problems.some((x) => p.test(x)), `no problem matches ${p}:\n${problems.join("\n")}`);
};
