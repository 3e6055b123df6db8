/**
 * The reaper's Snowflake access: the branch objects LIST_BRANCHES reports and DROP_BRANCH for one
 * pull request, the procedures of snowflake/branch_admin.sql (CI's role may call them and nothing
 * else). Implemented on the SQL REST API with key-pair JWT auth (node:crypto only), so CI needs no
 * driver. The client is bound to one production database.
 */
import * as crypto from "crypto";
import { BRANCH_OBJECT_KINDS, BranchObjectKind, branchObjectNames, dropBranchCall, isBranchObjectNumber, listBranchesCall } from "../render/snowflakeCalls";
import { cloneDatabasePattern } from "./names";

/** One object LIST_BRANCHES reports: `DATABASE PRODUCTION_CLONE_7`, `ROLE DAGSTER_PR_7`, `USER DAGSTER_PR_7`. */
export interface BranchObject {
  pullRequest: number;
  kind: BranchObjectKind;
  name: string;
}

export interface SnowflakeClient {
  /** Every branch object of the production database's clones, as LIST_BRANCHES reports them. */
  listBranchObjects(): Promise<BranchObject[]>;
  /** DROP_BRANCH: the clone, user and role of one pull request; succeeds when they are gone. */
  dropBranch(pullRequest: number): Promise<void>;
}

/**
 * LIST_BRANCHES rows as branch objects. A row counts only when its name is exactly the one
 * CREATE_BRANCH gives that kind for that number, 0 included (no pull request has it: what carries
 * it is a leftover of the acceptance script, or of version 1 of the procedures, which made
 * branches for 0 for anyone holding CI's key). Anything else (a malformed row) is returned
 * apart, never acted on. LIST_BRANCHES itself leaves out the acceptance script's role and user
 * while it runs.
 */
export function branchObjectsFromRows(rows: Record<string, unknown>[], productionDatabase: string): { objects: BranchObject[]; ignored: string[] } {
  const objects: BranchObject[] = [];
  const ignored: string[] = [];
  for (const row of rows) {
    const get = (k: string) => String(row[k] ?? row[k.toLowerCase()] ?? "");
    const [prText, kind, name] = [get("PULL_REQUEST"), get("OBJECT_KIND"), get("OBJECT_NAME")];
    const pr = /^(0|[1-9][0-9]{0,8})$/.test(prText) ? Number(prText) : NaN;
    const known = (BRANCH_OBJECT_KINDS as readonly string[]).includes(kind) && isBranchObjectNumber(pr);
    if (known && branchObjectNames(productionDatabase, pr)[kind as BranchObjectKind] === name) {
      objects.push({ pullRequest: pr, kind: kind as BranchObjectKind, name });
    } else {
      ignored.push(`${kind || "?"} ${name || "?"} (pull request ${prText || "?"})`);
    }
  }
  return { objects, ignored };
}

function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString("base64url");
}

/** `SHA256:<base64 of the SHA-256 of the DER public key>`, as DESCRIBE USER shows RSA_PUBLIC_KEY_FP. */
export function publicKeyFingerprint(privateKey: crypto.KeyObject): string {
  const der = crypto.createPublicKey(privateKey).export({ type: "spki", format: "der" });
  return `SHA256:${crypto.createHash("sha256").update(der).digest("base64")}`;
}

/**
 * The account part of a JWT's names: uppercase, and for a locator with a region
 * (xy12345.us-east-1) the locator alone. <org>-<account> identifiers pass through uppercased.
 */
export function jwtAccount(account: string): string {
  const upper = account.trim().toUpperCase();
  return upper.includes(".GLOBAL") ? upper : upper.split(".")[0];
}

export interface JwtInput {
  account: string;
  user: string;
  privateKey: crypto.KeyObject;
  now: Date;
  /** Snowflake accepts at most one hour. */
  lifetimeSeconds?: number;
}

export function snowflakeJwt(input: JwtInput): string {
  const qualified = `${jwtAccount(input.account)}.${input.user.trim().toUpperCase()}`;
  const iat = Math.floor(input.now.getTime() / 1000);
  const header = { alg: "RS256", typ: "JWT" };
  const claims = { iss: `${qualified}.${publicKeyFingerprint(input.privateKey)}`, sub: qualified, iat, exp: iat + (input.lifetimeSeconds ?? 3540) };
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  const signature = crypto.sign("sha256", Buffer.from(signingInput), input.privateKey);
  return `${signingInput}.${base64url(signature)}`;
}

/** CI secrets often hold a PEM with literal `\n`s; accept both. */
export function parsePrivateKey(pem: string, passphrase?: string): crypto.KeyObject {
  const text = pem.includes("\n") ? pem : pem.replace(/\\n/g, "\n");
  return crypto.createPrivateKey(passphrase ? { key: text, format: "pem", passphrase } : { key: text, format: "pem" });
}

/** https://<account>.snowflakecomputing.com; URLs want hyphens where account names have underscores. */
export function snowflakeBaseUrl(account: string): string {
  return `https://${account.trim().toLowerCase().replace(/_/g, "-")}.snowflakecomputing.com`;
}

export interface SqlApiOptions {
  account: string;
  user: string;
  privateKey: crypto.KeyObject;
  role?: string;
  warehouse?: string;
  productionDatabase: string;
  /** Overrides snowflakeBaseUrl(account) (private link, tests). */
  baseUrl?: string;
  fetch?: typeof fetch;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  /** How long one statement may run, in seconds. */
  timeoutSeconds?: number;
}

interface ResultSet {
  statementHandle?: string;
  message?: string;
  code?: string;
  resultSetMetaData?: { rowType?: { name: string }[]; partitionInfo?: unknown[] };
  data?: unknown[][];
}

export class SqlApiSnowflakeClient implements SnowflakeClient {
  private readonly baseUrl: string;
  private readonly fetchFn: typeof fetch;
  private readonly now: () => Date;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly opts: SqlApiOptions) {
    cloneDatabasePattern(opts.productionDatabase);
    this.baseUrl = (opts.baseUrl ?? snowflakeBaseUrl(opts.account)).replace(/\/+$/, "");
    this.fetchFn = opts.fetch ?? fetch;
    this.now = opts.now ?? (() => new Date());
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  private headers(): Record<string, string> {
    return {
      Authorization: `Bearer ${snowflakeJwt({ account: this.opts.account, user: this.opts.user, privateKey: this.opts.privateKey, now: this.now() })}`,
      "X-Snowflake-Authorization-Token-Type": "KEYPAIR_JWT",
      "Content-Type": "application/json",
      Accept: "application/json",
      "User-Agent": "dagster-platform-lifecycle/1.0",
    };
  }

  private async call(url: string, body?: unknown): Promise<{ status: number; result: ResultSet }> {
    const res = await this.fetchFn(url, { method: body === undefined ? "GET" : "POST", headers: this.headers(), body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let result: ResultSet = {};
    try {
      result = text ? (JSON.parse(text) as ResultSet) : {};
    } catch {
      result = { message: text.slice(0, 200) };
    }
    if (res.status !== 200 && res.status !== 202) {
      throw new Error(`Snowflake SQL API ${res.status}${result.code ? ` (${result.code})` : ""}: ${result.message ?? "no message"}`);
    }
    return { status: res.status, result };
  }

  /** Runs one statement; rows as objects keyed by column name. */
  async execute(statement: string): Promise<Record<string, unknown>[]> {
    const timeout = this.opts.timeoutSeconds ?? 60;
    let { status, result } = await this.call(`${this.baseUrl}/api/v2/statements?requestId=${crypto.randomUUID()}`, {
      statement,
      timeout,
      ...(this.opts.role ? { role: this.opts.role } : {}),
      ...(this.opts.warehouse ? { warehouse: this.opts.warehouse } : {}),
    });
    // 202: still running; poll its handle.
    const deadline = this.now().getTime() + (timeout + 30) * 1000;
    while (status === 202) {
      if (!result.statementHandle) throw new Error("Snowflake SQL API answered 202 without a statement handle");
      if (this.now().getTime() > deadline) throw new Error(`Snowflake statement ${result.statementHandle} did not finish in ${timeout}s`);
      await this.sleep(1000);
      ({ status, result } = await this.call(`${this.baseUrl}/api/v2/statements/${result.statementHandle}`));
    }
    const columns = (result.resultSetMetaData?.rowType ?? []).map((c) => c.name.toLowerCase());
    const rows = [...(result.data ?? [])];
    const partitions = result.resultSetMetaData?.partitionInfo?.length ?? 1;
    for (let p = 1; p < partitions; p++) {
      const more = await this.call(`${this.baseUrl}/api/v2/statements/${result.statementHandle}?partition=${p}`);
      rows.push(...(more.result.data ?? []));
    }
    return rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i]])));
  }

  async listBranchObjects(): Promise<BranchObject[]> {
    const rows = await this.execute(listBranchesCall(this.opts.productionDatabase));
    return branchObjectsFromRows(rows, this.opts.productionDatabase).objects;
  }

  async dropBranch(pullRequest: number): Promise<void> {
    await this.execute(dropBranchCall({ sourceDatabase: this.opts.productionDatabase, pullRequest }));
  }
}

export function snowflakeFromEnv(env: NodeJS.ProcessEnv, productionDatabase: string): SnowflakeClient {
  const missing = ["SNOWFLAKE_ACCOUNT", "SNOWFLAKE_USER", "SNOWFLAKE_PRIVATE_KEY"].filter((k) => !env[k]);
  if (missing.length > 0) throw new Error(`Snowflake access (reap, retire) needs ${missing.join(", ")} (key-pair auth for the Snowflake SQL API, as CI's DAGSTER_BRANCH_DEPLOYER user)`);
  return new SqlApiSnowflakeClient({
    account: env.SNOWFLAKE_ACCOUNT as string,
    user: env.SNOWFLAKE_USER as string,
    privateKey: parsePrivateKey(env.SNOWFLAKE_PRIVATE_KEY as string, env.SNOWFLAKE_PRIVATE_KEY_PASSPHRASE || undefined),
    role: env.SNOWFLAKE_ROLE || undefined,
    warehouse: env.SNOWFLAKE_WAREHOUSE || undefined,
    productionDatabase,
    baseUrl: env.SNOWFLAKE_API_URL || undefined,
  });
}
