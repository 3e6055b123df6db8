import { SNOWFLAKE_SECRET_NAME } from "../render/snowflake";
import { holdsTo } from "./deployment";
import { at, keysOf, record, text } from "./props";
import { referencesDatabase } from "./snowflakeNames";
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

/** Prod never clones: a clone statement in prod would be a branch's Execute planned in the wrong stack. */
export function prodCloneViolations(resources: readonly StackResource[]): StackViolation[] {
  if (!holdsTo(resources, "prod")) return [];
  return resources
    .filter((r) => r.type === EXECUTE_TYPE)
    .flatMap((r) =>
      (["execute", "revert"] as const)
        .filter((field) => CLONE.test(text(r.props[field]) ?? ""))
        .map((field) => ({ urn: r.urn, message: `${describe(r)}: the ${field} statement clones a database, which a prod stack never does` })),
    );
}
