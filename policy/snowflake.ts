import { SNOWFLAKE_SECRET_NAME } from "../render/snowflake";
import { holdsTo } from "./deployment";
import { at, keysOf, record, text } from "./props";
import { BranchCall, parseBranchCall, referencesDatabase } from "./snowflakeNames";
import { describe, Props, StackResource, StackViolation } from "./types";

const GRANT_TYPE = /^snowflake:index\/grant[A-Za-z]*:/;
const EXECUTE_TYPE = "snowflake:index/execute:Execute";
const SECRET_TYPE = "kubernetes:core/v1:Secret";

/**
 * Grant properties that hold a role, a user, a privilege or an object kind, never an object in a
 * database. Skipped without being read, so an unknown role name in a preview does not matter.
 */
const NOT_OBJECT_REFERENCES = new Set([
  "accountRoleName", "roleName", "parentRoleName", "userName", "privileges", "allPrivileges", "withGrantOption",
  "alwaysApply", "alwaysApplyTrigger", "objectType", "objectTypePlural", "outboundPrivileges", "id", "urn",
]);

/** Every string under a grant that may name a Snowflake object, with its property path. */
function objectReferences(value: unknown, path: string): { path: string; reference: string }[] {
  if (typeof value === "string") return [{ path, reference: value }];
  return keysOf(value)
    .filter((k) => !NOT_OBJECT_REFERENCES.has(k))
    .flatMap((k) => objectReferences((value as Props)[k], path ? `${path}.${k}` : k));
}

/**
 * A branch role gets rights on its clone and the warehouse, nothing in production. Every grant
 * type is read (to an account role, a database role, ownership, shares): any of them naming the
 * production database would hand production to a branch.
 */
export function branchProductionGrantViolations(resources: readonly StackResource[], productionDatabase: string): StackViolation[] {
  if (!holdsTo(resources, "branch")) return [];
  return resources
    .filter((r) => GRANT_TYPE.test(r.type))
    .flatMap((r) =>
      objectReferences(r.props, "")
        .filter(({ reference }) => referencesDatabase(reference, productionDatabase))
        .map(({ path, reference }) => ({
          urn: r.urn,
          message: `${describe(r)}: ${path} = ${JSON.stringify(reference)} names the production database ${productionDatabase}; a branch may only be granted its clone`,
        })),
    );
}

/**
 * A credential as the policy sees it: `stringData` (plaintext; the engine reveals secrets to
 * policies) over `data` (base64). undefined when the value is not visible, e.g. only in a plan.
 */
function credential(props: Props, key: string): string | undefined {
  const plain = text(record(props.stringData)?.[key]);
  if (plain !== undefined) return plain;
  const encoded = text(record(props.data)?.[key]);
  return encoded === undefined ? undefined : Buffer.from(encoded, "base64").toString("utf8");
}

const CLONE_SUFFIX = /_CLONE_([1-9][0-9]*)$/;
const BRANCH_USER = /^DAGSTER_PR_([1-9][0-9]*)$/;

function branchCredentialProblems(props: Props): string[] {
  if (!record(props.stringData) && !record(props.data)) return [];
  const database = credential(props, "SNOWFLAKE_DATABASE")?.toUpperCase();
  const user = credential(props, "SNOWFLAKE_USER")?.toUpperCase();
  const problems: string[] = [];
  const clone = database === undefined ? null : CLONE_SUFFIX.exec(database);
  if (!clone) problems.push(`SNOWFLAKE_DATABASE is ${JSON.stringify(database ?? null)}: a branch must use its clone <production>_CLONE_<N>`);
  if (!user?.startsWith("DAGSTER_PR_")) problems.push(`SNOWFLAKE_USER is ${JSON.stringify(user ?? null)}: a branch must use its own DAGSTER_PR_<N> user`);
  const pr = user === undefined ? null : BRANCH_USER.exec(user);
  if (clone && pr && clone[1] !== pr[1]) problems.push(`SNOWFLAKE_USER ${user} and SNOWFLAKE_DATABASE ${database} belong to different pull requests`);
  return problems;
}

/** The branch's `dagster-snowflake` Secret carries the branch's identity and clone, never production's. */
export function branchCredentialViolations(resources: readonly StackResource[]): StackViolation[] {
  if (!holdsTo(resources, "branch")) return [];
  return resources
    .filter((r) => r.type === SECRET_TYPE && at(r.props, "metadata", "name") === SNOWFLAKE_SECRET_NAME)
    .flatMap((r) => branchCredentialProblems(r.props).map((p) => ({ urn: r.urn, message: `${describe(r)}: ${p}` })));
}

const CLONE = /\bCLONE\b/i;
const BRANCH_PROCEDURE = /\bDAGSTER_BRANCH_ADMIN\s*\.\s*BRANCHES\s*\./i;

/**
 * Prod never clones: a clone statement, or a CALL of the branch procedures, in prod would be a
 * branch's Execute planned in the wrong stack.
 */
export function prodCloneViolations(resources: readonly StackResource[]): StackViolation[] {
  if (!holdsTo(resources, "prod")) return [];
  return resources
    .filter((r) => r.type === EXECUTE_TYPE)
    .flatMap((r) =>
      (["execute", "revert"] as const)
        .filter((field) => CLONE.test(text(r.props[field]) ?? "") || BRANCH_PROCEDURE.test(text(r.props[field]) ?? ""))
        .map((field) => ({ urn: r.urn, message: `${describe(r)}: the ${field} statement clones a database or calls a branch procedure, which a prod stack never does` })),
    );
}

/** Which procedure each statement of a branch's Execute must call. */
const EXPECTED_CALLS = { execute: "CREATE_BRANCH", revert: "DROP_BRANCH", query: "LIST_BRANCHES" } as const;

/** The pull request of a branch stack's resource, from its URN (`urn:pulumi:pr-42::…`). */
function stackPullRequest(urn: string): number | undefined {
  const m = /^urn:pulumi:(?:[^:]*\/)?pr-([1-9][0-9]{0,8})::/.exec(urn);
  return m ? Number(m[1]) : undefined;
}

function executeProblems(r: StackResource): string[] {
  const problems: string[] = [];
  const calls: BranchCall[] = [];
  for (const [field, procedure] of Object.entries(EXPECTED_CALLS)) {
    const statement = r.props[field];
    // Unknown in a preview (the public key is an output): the engine judges it on `up`.
    if (statement !== undefined && typeof statement !== "string") continue;
    const call = statement === undefined ? undefined : parseBranchCall(statement);
    if (call?.procedure === procedure) calls.push(call);
    else problems.push(`${field} must be exactly CALL DAGSTER_BRANCH_ADMIN.BRANCHES.${procedure}(<literal arguments>), is ${JSON.stringify(statement ?? null)}`);
  }
  const pr = stackPullRequest(r.urn);
  for (const call of calls) {
    if (call.source !== calls[0].source) problems.push(`its CALLs name different source databases (${calls[0].source}, ${call.source})`);
    if (pr !== undefined && call.pullRequest !== pr) problems.push(`${call.procedure} is called for pull request ${call.pullRequest ?? "NULL (all)"} in the stack of pull request ${pr}`);
  }
  return [...new Set(problems)];
}

/**
 * A branch makes its Snowflake objects only through the admin procedures: every Snowflake
 * resource is an Execute whose statements are CALLs of CREATE_BRANCH, DROP_BRANCH and
 * LIST_BRANCHES for this stack's pull request. Grants (future or bulk ones included), users,
 * roles and databases declared directly would run as CI's role, which is allowed none of them;
 * and a production database can appear nowhere but as a CALL's source argument.
 */
export function branchSnowflakeCallViolations(resources: readonly StackResource[]): StackViolation[] {
  if (!holdsTo(resources, "branch")) return [];
  return resources
    .filter((r) => r.type.startsWith("snowflake:"))
    .flatMap((r) =>
      r.type === EXECUTE_TYPE
        ? executeProblems(r).map((p) => ({ urn: r.urn, message: `${describe(r)}: ${p}` }))
        : [{ urn: r.urn, message: `${describe(r)}: a branch makes Snowflake objects only by calling the DAGSTER_BRANCH_ADMIN.BRANCHES procedures (snowflake/branch_admin.sql); a ${r.type} would run as CI's role` }],
    );
}
