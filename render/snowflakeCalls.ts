/**
 * The only SQL a branch stack (and the reaper) sends to Snowflake: CALLs of the procedures that
 * snowflake/branch_admin.sql installs. Each argument is validated here before it is written into
 * a string literal, and validated again inside the procedure; names of databases, roles and
 * users are never passed, the procedures build them from the pull-request number.
 */
import { branchSnowflakeNames, isSnowflakeIdentifier } from "./snowflake";

/** Version of snowflake/branch_admin.sql these calls are written for (the file's header says it too). */
export const BRANCH_ADMIN_VERSION = 2;

/** Where the procedures live (fixed by branch_admin.sql). */
export const BRANCH_ADMIN_SCHEMA = "DAGSTER_BRANCH_ADMIN.BRANCHES";

export const BRANCH_PROCEDURES = {
  create: `${BRANCH_ADMIN_SCHEMA}.CREATE_BRANCH`,
  drop: `${BRANCH_ADMIN_SCHEMA}.DROP_BRANCH`,
  list: `${BRANCH_ADMIN_SCHEMA}.LIST_BRANCHES`,
} as const;

/** The largest pull-request number a stack name may carry (render/deployment: at most 9 digits). */
export const MAX_PULL_REQUEST = 999_999_999;

/**
 * A clone source: an unquoted uppercase identifier short enough that `<SOURCE>_CLONE_<N>` stays
 * within Snowflake's 255 characters for every N (the procedures apply the same bound).
 */
export function isCloneSource(name: string): boolean {
  return isSnowflakeIdentifier(name) && name.length <= 200;
}

export function isPullRequestNumber(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 1 && n <= MAX_PULL_REQUEST;
}

/**
 * A number branch objects may carry: a pull request's, or 0. CREATE_BRANCH makes objects for 0
 * only for the acceptance script's source (branch_admin.sql v2; v1 took 0 from anyone), so the
 * reaper lists and drops them; nothing ever creates a branch for 0.
 */
export function isBranchObjectNumber(n: number): boolean {
  return n === 0 || isPullRequestNumber(n);
}

const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:Z|[+-](\d{2}):(\d{2}))$/;

/**
 * An ISO 8601 time with seconds and a zone, as GitHub reports `created_at`
 * (2025-03-01T12:00:00Z), naming a real instant: 2025-02-30 is refused, not rolled over.
 */
export function isCloneTime(s: string): boolean {
  const m = ISO_TIME.exec(s);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const [zoneHours, zoneMinutes] = [m[7], m[8]].map((v) => (v === undefined ? 0 : Number(v)));
  if (hour > 23 || minute > 59 || second > 59 || zoneHours > 23 || zoneMinutes > 59) return false;
  const date = new Date(Date.UTC(year, month - 1, day));
  return year >= 1970 && date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** The body of a public key as Snowflake's RSA_PUBLIC_KEY takes it: base64, nothing else. */
export function isPublicKeyBody(s: string): boolean {
  return s.length >= 16 && s.length <= 4096 && s.length % 4 === 0 && /^[A-Za-z0-9+/]+={0,2}$/.test(s);
}

function refuseUnless(ok: boolean, what: string, value: unknown): void {
  if (!ok) throw new Error(`refusing to build a Snowflake CALL with ${what} ${JSON.stringify(value)}`);
}

export interface BranchRef {
  /** The database branches clone (config snowflakeProductionDatabase). */
  sourceDatabase: string;
  pullRequest: number;
}

function checkedRef(ref: BranchRef): BranchRef {
  refuseUnless(isCloneSource(ref.sourceDatabase), "the source database", ref.sourceDatabase);
  refuseUnless(isPullRequestNumber(ref.pullRequest), "the pull request", ref.pullRequest);
  return ref;
}

export interface CreateBranchArgs extends BranchRef {
  /** Clone production as of this time (AT(TIMESTAMP => …)); undefined: as it is now. */
  cloneAt?: string;
  /** Body of the branch user's RSA public key. */
  publicKey: string;
}

/** `CALL …CREATE_BRANCH('PRODUCTION', 42, NULL, 'MIIB…')`: clone, role and user of one pull request. */
export function createBranchCall(args: CreateBranchArgs): string {
  const { sourceDatabase, pullRequest } = checkedRef(args);
  if (args.cloneAt !== undefined) refuseUnless(isCloneTime(args.cloneAt), "the clone time", args.cloneAt);
  refuseUnless(isPublicKeyBody(args.publicKey), "the public key", args.publicKey);
  const cloneAt = args.cloneAt === undefined ? "NULL" : `'${args.cloneAt}'`;
  return `CALL ${BRANCH_PROCEDURES.create}('${sourceDatabase}', ${pullRequest}, ${cloneAt}, '${args.publicKey}')`;
}

/**
 * `CALL …DROP_BRANCH('PRODUCTION', 42)`: its revert, which succeeds when nothing is left. Also the
 * reaper's, which drops the objects of 0 too (isBranchObjectNumber).
 */
export function dropBranchCall(ref: BranchRef): string {
  refuseUnless(isCloneSource(ref.sourceDatabase), "the source database", ref.sourceDatabase);
  refuseUnless(isBranchObjectNumber(ref.pullRequest), "the pull request", ref.pullRequest);
  return `CALL ${BRANCH_PROCEDURES.drop}('${ref.sourceDatabase}', ${ref.pullRequest})`;
}

/** `CALL …LIST_BRANCHES('PRODUCTION', 42)` (one pull request) or `…('PRODUCTION', NULL)` (all). */
export function listBranchesCall(sourceDatabase: string, pullRequest?: number): string {
  refuseUnless(isCloneSource(sourceDatabase), "the source database", sourceDatabase);
  if (pullRequest !== undefined) refuseUnless(isPullRequestNumber(pullRequest), "the pull request", pullRequest);
  return `CALL ${BRANCH_PROCEDURES.list}('${sourceDatabase}', ${pullRequest ?? "NULL"})`;
}

/** What LIST_BRANCHES reports, one row per object. */
export type BranchObjectKind = "DATABASE" | "ROLE" | "USER";
export const BRANCH_OBJECT_KINDS: readonly BranchObjectKind[] = ["DATABASE", "ROLE", "USER"];

/** The objects CREATE_BRANCH makes for one pull request, by kind. */
export function expectedBranchObjects(ref: BranchRef): Record<BranchObjectKind, string> {
  const names = branchSnowflakeNames(checkedRef(ref).sourceDatabase, ref.pullRequest);
  return { DATABASE: names.cloneDatabase, ROLE: names.role, USER: names.user };
}

/** The names branch objects of number `n` carry (0 included, for the reaper), by kind. */
export function branchObjectNames(sourceDatabase: string, n: number): Record<BranchObjectKind, string> {
  refuseUnless(isCloneSource(sourceDatabase), "the source database", sourceDatabase);
  refuseUnless(isBranchObjectNumber(n), "the pull request", n);
  return { DATABASE: `${sourceDatabase}_CLONE_${n}`, ROLE: `DAGSTER_PR_${n}`, USER: `DAGSTER_PR_${n}` };
}
