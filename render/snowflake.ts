/**
 * Snowflake names for branch deployments and the credentials Secret. Every identifier is built
 * from a validated uppercase identifier and the pull-request number, nothing else: no branch name
 * or other free text can reach SQL. The statements themselves are CALLs (snowflakeCalls.ts).
 */
const IDENTIFIER = /^[A-Z][A-Z0-9_]{0,254}$/;

export function isSnowflakeIdentifier(s: string): boolean {
  return IDENTIFIER.test(s);
}

function checked(id: string): string {
  if (!IDENTIFIER.test(id)) throw new Error(`refusing to build SQL with the identifier ${JSON.stringify(id)}`);
  return id;
}

function prNumber(pr: number): number {
  if (!Number.isSafeInteger(pr) || pr < 1) throw new Error(`refusing to build SQL for pull request ${pr}`);
  return pr;
}

export interface BranchSnowflakeNames {
  /** `PRODUCTION_CLONE_<N>` (the production database's name + `_CLONE_<N>`). */
  cloneDatabase: string;
  role: string;
  user: string;
}

export function branchSnowflakeNames(productionDatabase: string, pullRequest: number): BranchSnowflakeNames {
  const n = prNumber(pullRequest);
  return {
    cloneDatabase: checked(`${checked(productionDatabase)}_CLONE_${n}`),
    role: `DAGSTER_PR_${n}`,
    user: `DAGSTER_PR_${n}`,
  };
}

/** Keys of the credentials Secret every code location loads. */
export const SNOWFLAKE_ENV_KEYS = [
  "SNOWFLAKE_ACCOUNT",
  "SNOWFLAKE_DATABASE",
  "SNOWFLAKE_PRIVATE_KEY",
  "SNOWFLAKE_ROLE",
  "SNOWFLAKE_USER",
  "SNOWFLAKE_WAREHOUSE",
] as const;

/** The Secret's content: one shape for prod's service user and every branch's. */
export function snowflakeCredentials<T, S>(c: { account: T; database: T; privateKey: S; role: T; user: T; warehouse: T }): Record<(typeof SNOWFLAKE_ENV_KEYS)[number], T | S> {
  return {
    SNOWFLAKE_ACCOUNT: c.account,
    SNOWFLAKE_DATABASE: c.database,
    SNOWFLAKE_PRIVATE_KEY: c.privateKey,
    SNOWFLAKE_ROLE: c.role,
    SNOWFLAKE_USER: c.user,
    SNOWFLAKE_WAREHOUSE: c.warehouse,
  };
}

/** The Kubernetes Secret holding them, in prod and in every branch namespace. */
export const SNOWFLAKE_SECRET_NAME = "dagster-snowflake";

/** Snowflake wants the public key body only: no PEM armour, no line breaks. */
export function publicKeyBody(pem: string): string {
  return pem.replace(/-----(BEGIN|END) PUBLIC KEY-----/g, "").replace(/\s+/g, "");
}
