/**
 * Command lines of `npm run branch` and `npm run dr:drill`. The branch contract is fixed (CI
 * workflows call it), so parsing is strict: an unknown flag or a malformed value is refused with
 * the usage, never guessed at.
 */
import { isCloneTime } from "../render/snowflakeCalls";
import { DEPLOY_STATES, DeployState } from "./comment";

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export const BRANCH_USAGE = `usage:
  npm run branch -- up --pr <N> --sha <commit sha> --branch <git branch> [--locations a,b]
                       [--opened-at <when the PR opened, ISO 8601>]
  npm run branch -- down --pr <N>                (retires the stack, as below)
  npm run branch -- reap [--max-age-days 7] [--drop-orphans] [--dry-run] [--production-database NAME]
    (retires the stacks of closed and stale pull requests without running their providers;
     --drop-orphans: also drop Snowflake clones, users and roles of closed or unknown pull requests)
  npm run branch -- retire --pr <N> [--production-database NAME]
    (what down and reap do to a stack: delete namespace dagster-pr-<N>, DROP_BRANCH, then
     pulumi stack rm --force; nothing the stack's state holds is ever run)
  npm run branch -- comment --pr <N> --state deploying|ready|failed [--failed-step <step>]
                            [--base-plan <dir>] [--head-plan <dir>] [--sha <commit sha>]
options for up, down, reap and retire:
  --lock-timeout <seconds>   how long to wait for a locked stack (default 1800; env BRANCH_LOCK_TIMEOUT)`;

interface RawArgs {
  flags: Map<string, string>;
  switches: Set<string>;
}

/** `--flag value`, `--flag=value`, and the named boolean switches. */
function lex(argv: string[], switchNames: readonly string[], usage: string): RawArgs {
  const flags = new Map<string, string>();
  const switches = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith("--") || arg === "--") throw new UsageError(`unexpected argument ${JSON.stringify(arg)}\n${usage}`);
    const eq = arg.indexOf("=");
    const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
    if (switchNames.includes(name)) {
      if (eq > 0) throw new UsageError(`--${name} takes no value\n${usage}`);
      switches.add(name);
      continue;
    }
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || (eq < 0 && value.startsWith("--"))) throw new UsageError(`--${name} needs a value\n${usage}`);
    if (flags.has(name)) throw new UsageError(`--${name} is given twice\n${usage}`);
    flags.set(name, value);
  }
  return { flags, switches };
}

function only(raw: RawArgs, allowed: readonly string[], command: string, usage: string): void {
  for (const name of raw.flags.keys()) {
    if (!allowed.includes(name)) throw new UsageError(`${command} does not take --${name}\n${usage}`);
  }
}

function required(raw: RawArgs, name: string, command: string, usage: string): string {
  const v = raw.flags.get(name);
  if (v === undefined || v === "") throw new UsageError(`${command} needs --${name}\n${usage}`);
  return v;
}

export function parsePr(value: string): number {
  if (!/^[1-9][0-9]{0,8}$/.test(value)) throw new UsageError(`--pr ${JSON.stringify(value)} is not a pull-request number`);
  return Number(value);
}

export function parseSha(value: string): string {
  if (!/^[0-9a-f]{7,40}$/.test(value)) throw new UsageError(`--sha ${JSON.stringify(value)} is not a git commit sha (7 to 40 lowercase hex characters)`);
  return value;
}

/** The same rule the program applies to the branch config key, so `up` fails before Pulumi would. */
export function parseBranch(value: string): string {
  if (/[\s~^:?*[\\\x00-\x1f]/.test(value) || value.length > 255) throw new UsageError(`--branch ${JSON.stringify(value)} is not a git branch name`);
  return value;
}

/** GitHub's `created_at`: the clone's point in time when snowflakeCloneFreshness is pull-request-opened. */
export function parseOpenedAt(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!isCloneTime(value)) throw new UsageError(`--opened-at ${JSON.stringify(value)} is not an ISO 8601 time with seconds and a zone (e.g. 2025-03-01T12:00:00Z)`);
  return value;
}

/** undefined means all; names are checked against repos/ by the program itself. */
export function parseLocations(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const names = value.split(",").map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) throw new UsageError("--locations is empty: leave it out to run every location");
  if (names.length === 1 && names[0] === "all") return undefined;
  for (const n of names) {
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(n)) throw new UsageError(`--locations: ${JSON.stringify(n)} is not a code location name`);
  }
  return names;
}

function positiveNumber(value: string, flag: string, min: number): number {
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !Number.isFinite(n) || n < min) throw new UsageError(`--${flag} ${JSON.stringify(value)} must be a number ≥ ${min}`);
  return n;
}

function productionDatabaseFlag(raw: RawArgs): string | undefined {
  const value = raw.flags.get("production-database");
  if (value !== undefined && !/^[A-Z][A-Z0-9_]{0,254}$/.test(value)) {
    throw new UsageError(`--production-database ${JSON.stringify(value)} is not an unquoted uppercase Snowflake identifier`);
  }
  return value;
}

export type BranchCommand =
  | { command: "up"; pr: number; sha: string; branch: string; locations?: string[]; openedAt?: string; lockTimeoutSeconds?: number }
  | { command: "down"; pr: number; lockTimeoutSeconds?: number }
  | { command: "reap"; maxAgeDays: number; dropOrphans: boolean; dryRun: boolean; productionDatabase?: string; lockTimeoutSeconds?: number }
  | { command: "retire"; pr: number; productionDatabase?: string; lockTimeoutSeconds?: number }
  | { command: "comment"; pr: number; state: DeployState; failedStep?: string; basePlan?: string; headPlan?: string; sha?: string }
  | { command: "help" };

export function parseBranchArgs(argv: string[]): BranchCommand {
  const [command, ...rest] = argv;
  const u = BRANCH_USAGE;
  // No command is a usage error (exit 2), so a CI step that lost its arguments fails instead of passing.
  if (command === undefined) throw new UsageError(`no command given: up, down, reap, retire or comment\n${u}`);
  if (command === "help" || command === "--help" || command === "-h") return { command: "help" };
  const lockTimeout = (raw: RawArgs) => (raw.flags.has("lock-timeout") ? positiveNumber(raw.flags.get("lock-timeout") as string, "lock-timeout", 0) : undefined);
  switch (command) {
    case "up": {
      const raw = lex(rest, [], u);
      only(raw, ["pr", "sha", "branch", "locations", "opened-at", "lock-timeout"], "up", u);
      return {
        command,
        pr: parsePr(required(raw, "pr", command, u)),
        sha: parseSha(required(raw, "sha", command, u)),
        branch: parseBranch(required(raw, "branch", command, u)),
        locations: parseLocations(raw.flags.get("locations")),
        openedAt: parseOpenedAt(raw.flags.get("opened-at")),
        lockTimeoutSeconds: lockTimeout(raw),
      };
    }
    case "down": {
      const raw = lex(rest, [], u);
      only(raw, ["pr", "lock-timeout"], "down", u);
      return { command, pr: parsePr(required(raw, "pr", command, u)), lockTimeoutSeconds: lockTimeout(raw) };
    }
    case "reap": {
      const raw = lex(rest, ["drop-orphans", "dry-run"], u);
      only(raw, ["max-age-days", "production-database", "lock-timeout"], "reap", u);
      return {
        command,
        maxAgeDays: raw.flags.has("max-age-days") ? positiveNumber(raw.flags.get("max-age-days") as string, "max-age-days", 1) : 7,
        dropOrphans: raw.switches.has("drop-orphans"),
        dryRun: raw.switches.has("dry-run"),
        productionDatabase: productionDatabaseFlag(raw),
        lockTimeoutSeconds: lockTimeout(raw),
      };
    }
    case "retire": {
      const raw = lex(rest, [], u);
      only(raw, ["pr", "production-database", "lock-timeout"], "retire", u);
      return { command, pr: parsePr(required(raw, "pr", command, u)), productionDatabase: productionDatabaseFlag(raw), lockTimeoutSeconds: lockTimeout(raw) };
    }
    case "comment": {
      const raw = lex(rest, [], u);
      only(raw, ["pr", "state", "failed-step", "base-plan", "head-plan", "sha"], "comment", u);
      const state = required(raw, "state", command, u);
      if (!(DEPLOY_STATES as readonly string[]).includes(state)) throw new UsageError(`--state ${JSON.stringify(state)} is not one of ${DEPLOY_STATES.join(", ")}`);
      const failedStep = raw.flags.get("failed-step");
      if (failedStep !== undefined && state !== "failed") throw new UsageError("--failed-step only goes with --state failed");
      const basePlan = raw.flags.get("base-plan");
      const headPlan = raw.flags.get("head-plan");
      if ((basePlan === undefined) !== (headPlan === undefined)) throw new UsageError("--base-plan and --head-plan go together: the change table compares the two");
      const sha = raw.flags.get("sha");
      return { command, pr: parsePr(required(raw, "pr", command, u)), state: state as DeployState, failedStep, basePlan, headPlan, sha: sha === undefined ? undefined : parseSha(sha) };
    }
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}\n${u}`);
  }
}

// ---------------------------------------------------------------------------------------------
// dr:drill

export const DRILL_USAGE = `usage: npm run dr:drill -- [--stack drill-<timestamp>] [--keep]
    --postgres-host <host> [--postgres-port 5432] [--postgres-user dagster] [--postgres-database dagster]
    [--postgres-password <password>]   (better: DRILL_POSTGRES_PASSWORD in the environment)
    [--kubeconfig <file>] [--kube-context <name>] [--namespace dagster-drill]
  Every --postgres-* flag may come from the environment instead: DRILL_POSTGRES_HOST, _PORT, _USER,
  _DATABASE, _PASSWORD.`;

export interface DrillArgs {
  stack?: string;
  keep: boolean;
  postgresHost: string;
  postgresPort?: number;
  postgresUser?: string;
  postgresDatabase?: string;
  postgresPassword: string;
  kubeconfig?: string;
  kubeContext?: string;
  namespace?: string;
}

export function parseDrillArgs(argv: string[], env: NodeJS.ProcessEnv): DrillArgs | "help" {
  if (argv.includes("--help") || argv.includes("-h")) return "help";
  const u = DRILL_USAGE;
  const raw = lex(argv, ["keep"], u);
  only(raw, ["stack", "postgres-host", "postgres-port", "postgres-user", "postgres-database", "postgres-password", "kubeconfig", "kube-context", "namespace"], "dr:drill", u);
  const pick = (flag: string, envName: string) => raw.flags.get(flag) ?? (env[envName] || undefined);
  const host = pick("postgres-host", "DRILL_POSTGRES_HOST");
  const password = pick("postgres-password", "DRILL_POSTGRES_PASSWORD");
  if (!host) throw new UsageError(`the drill needs an external PostgreSQL: --postgres-host or DRILL_POSTGRES_HOST\n${u}`);
  if (!password) throw new UsageError(`the drill needs the PostgreSQL password: DRILL_POSTGRES_PASSWORD (or --postgres-password)\n${u}`);
  const port = pick("postgres-port", "DRILL_POSTGRES_PORT");
  return {
    stack: raw.flags.get("stack"),
    keep: raw.switches.has("keep"),
    postgresHost: host,
    postgresPort: port === undefined ? undefined : positiveNumber(port, "postgres-port", 1),
    postgresUser: pick("postgres-user", "DRILL_POSTGRES_USER"),
    postgresDatabase: pick("postgres-database", "DRILL_POSTGRES_DATABASE"),
    postgresPassword: password,
    kubeconfig: raw.flags.get("kubeconfig"),
    kubeContext: raw.flags.get("kube-context"),
    namespace: raw.flags.get("namespace"),
  };
}
