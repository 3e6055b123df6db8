/**
 * Drift of a branch's Snowflake objects. `snowflake.Execute` never notices that what its CALL
 * made is gone: its refresh only re-runs the `query` (LIST_BRANCHES for the pull request) into
 * `queryResults`, and never deletes the resource (provider source, pkg/resources/execute.go,
 * ReadExecute). So after a refresh, `up` compares that listing with what CREATE_BRANCH makes and
 * replaces the Execute whose objects are missing: the clone (or role, or user) comes back.
 */
import { parseBranchCall } from "../policy/snowflakeNames";
import { BRANCH_OBJECT_KINDS, expectedBranchObjects, isCloneSource, isPullRequestNumber } from "../render/snowflakeCalls";

const EXECUTE_TYPE = "snowflake:index/execute:Execute";

/** A resource as `pulumi stack export` writes it (only the fields read here). */
export interface StateResource {
  urn: string;
  type: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
}

export interface MissingBranchObjects {
  urn: string;
  /** `DATABASE PRODUCTION_CLONE_7`, … as CREATE_BRANCH names them. */
  missing: string[];
}

/** LIST_BRANCHES rows as `KIND NAME` (column names as the provider stores them, any case). */
function listed(queryResults: unknown): Set<string> {
  const rows = Array.isArray(queryResults) ? queryResults : [];
  return new Set(
    rows.map((row: unknown) => {
      const r = (row ?? {}) as Record<string, unknown>;
      return `${String(r.OBJECT_KIND ?? r.object_kind ?? "")} ${String(r.OBJECT_NAME ?? r.object_name ?? "")}`;
    }),
  );
}

/**
 * Every branch Execute whose last refresh lists fewer objects than its CREATE_BRANCH makes. An
 * empty listing counts as all missing: the provider empties `queryResults` when the query fails,
 * and a CALL of CREATE_BRANCH that cannot run either says why on `up`.
 */
export function missingBranchObjects(resources: readonly StateResource[]): MissingBranchObjects[] {
  return resources.flatMap((r) => {
    if (r.type !== EXECUTE_TYPE) return [];
    const statement = r.outputs?.execute ?? r.inputs?.execute;
    const call = typeof statement === "string" ? parseBranchCall(statement) : undefined;
    if (call?.procedure !== "CREATE_BRANCH" || !isCloneSource(call.source) || !isPullRequestNumber(call.pullRequest)) return [];
    const expected = expectedBranchObjects({ sourceDatabase: call.source, pullRequest: call.pullRequest });
    const present = listed(r.outputs?.queryResults);
    const missing = BRANCH_OBJECT_KINDS.map((kind) => `${kind} ${expected[kind]}`).filter((o) => !present.has(o));
    return missing.length > 0 ? [{ urn: r.urn, missing }] : [];
  });
}
