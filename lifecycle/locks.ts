/**
 * Waiting out a stack's state lock. CI runs one job per pull-request event, so a push and a close
 * can overlap, and a cancelled job leaves its lock behind. The CLI refuses a locked stack at once;
 * this waits (with backoff) for the holder to finish, then explains how to clear a lock that
 * nobody will ever release.
 */
import { ConcurrentUpdateError } from "@pulumi/pulumi/automation";

/** Self-managed backends (gs://, s3://, file://). */
const SELF_MANAGED_LOCKED = "the stack is currently locked";
/** Pulumi Cloud. */
const CLOUD_CONFLICT = "[409] Conflict: Another update is currently in progress";

export function isLockError(e: unknown): boolean {
  if (e instanceof ConcurrentUpdateError) return true;
  const text = e instanceof Error ? e.message : String(e);
  return text.includes(SELF_MANAGED_LOCKED) || text.includes(CLOUD_CONFLICT);
}

/** The lock file a self-managed backend names in its error, e.g. gs://b/.pulumi/locks/…/<id>.json. */
export function lockFileFromError(e: unknown): string | undefined {
  const text = e instanceof Error ? e.message : String(e);
  const m = /(\S+\/\.pulumi\/locks\/\S+\.json)/.exec(text);
  return m ? m[1] : undefined;
}

export interface LockWait {
  /** Give up once this much time has been spent waiting. */
  timeoutMs: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

/** Long enough for a running deploy to finish (Helm waits up to 10 minutes per release). */
export const DEFAULT_LOCK_WAIT: LockWait = { timeoutMs: 30 * 60_000, initialDelayMs: 5_000, maxDelayMs: 60_000 };

/** The pauses between attempts: doubling, capped, and never past the timeout in total. */
export function backoffDelays(wait: LockWait): number[] {
  const delays: number[] = [];
  let total = 0;
  let next = Math.max(1, wait.initialDelayMs);
  while (total < wait.timeoutMs) {
    const d = Math.min(next, wait.maxDelayMs, wait.timeoutMs - total);
    delays.push(d);
    total += d;
    next *= 2;
  }
  return delays;
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
}

/** What to do about a lock that outlived the wait. */
export function lockHelp(stack: string, waitedMs: number, lockFile?: string): string {
  return [
    `Stack ${stack} is still locked after waiting ${formatDuration(waitedMs)}: another pulumi process holds its state lock,`,
    `or a job that was cancelled or killed left the lock behind.`,
    `Check that no deploy of ${stack} is still running (CI runs, a colleague's terminal). If none is, clear the lock:`,
    `  - Pulumi Cloud: pulumi cancel --stack ${stack}   (ends the stuck update and releases the stack)`,
    `  - self-managed backend (gs://, s3://, file://): pulumi cancel --stack ${stack} deletes the lock file, or delete it yourself:`,
    `      ${lockFile ?? `<backend>/.pulumi/locks/organization/dagster-platform/${stack}/<id>.json`}`,
    `then run this command again: its refresh reconciles whatever the interrupted run left half-done.`,
  ].join("\n");
}

export class StackLockedError extends Error {
  constructor(
    readonly stack: string,
    readonly waitedMs: number,
    readonly lockFile?: string,
  ) {
    super(lockHelp(stack, waitedMs, lockFile));
    this.name = "StackLockedError";
  }
}

export interface RetryDeps {
  wait: LockWait;
  sleep: (ms: number) => Promise<void>;
  log: (message: string) => void;
}

/** Runs `op`; while it fails on the stack's lock, waits and tries again, up to the timeout. */
export async function retryOnLock<T>(stack: string, what: string, op: () => Promise<T>, deps: RetryDeps): Promise<T> {
  const delays = backoffDelays(deps.wait);
  let waited = 0;
  for (let attempt = 0; ; attempt++) {
    try {
      return await op();
    } catch (e) {
      if (!isLockError(e)) throw e;
      if (attempt >= delays.length) throw new StackLockedError(stack, waited, lockFileFromError(e));
      const d = delays[attempt];
      deps.log(`${stack} is locked by another pulumi process; ${what} again in ${formatDuration(d)} (waited ${formatDuration(waited)} of ${formatDuration(deps.wait.timeoutMs)})`);
      await deps.sleep(d);
      waited += d;
    }
  }
}
