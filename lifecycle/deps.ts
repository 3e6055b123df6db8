/**
 * What the lifecycle commands need from the outside world, passed in so tests can substitute a
 * fake CLI, fake GitHub and fake Snowflake, a clock and a sleep that does not wait.
 */
import * as fs from "fs";
import * as path from "path";
import { LocalWorkspace, OutputMap, PulumiCommand, Workspace } from "@pulumi/pulumi/automation";
import { GitHubClient } from "./github";
import { Kubectl } from "./kubectl";
import { LockWait } from "./locks";
import { SnowflakeClient } from "./snowflake";

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
}

export interface LifecycleDeps {
  /** The project's workspace (memoised by the caller: one per command). */
  workspace: () => Promise<Workspace>;
  github?: GitHubClient;
  /** Built on first use: only `reap --drop-orphans` needs Snowflake credentials. */
  snowflake?: () => SnowflakeClient;
  /** Retiring a branch (reap, retire) deletes its namespace with kubectl. */
  kubectl?: Kubectl;
  log: Logger;
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
  lockWait: LockWait;
  /** Pulumi's own progress output and diagnostics (streamed to the CI log). */
  output?: (chunk: string) => void;
  errorOutput?: (chunk: string) => void;
}

export interface WorkspaceOptions {
  /** The project root: Pulumi.yaml and the program (index.ts) live there. */
  projectDir: string;
  /** The CLI to drive; default: `pulumi` on PATH. */
  pulumiCommand?: PulumiCommand;
  /** For stacks this workspace creates (`pulumi stack init --secrets-provider`). */
  secretsProvider?: string;
  /** Extra environment for every CLI invocation. */
  envVars?: Record<string, string>;
}

/**
 * What every lifecycle workspace sets for the CLI, over the caller's environment.
 *
 * PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER: a stack's secrets-provider settings (`secretsprovider`,
 * `encryptedkey`) live only in Pulumi.<stack>.yaml, which CI's throwaway checkout does not have
 * after the first deploy. Without the variable, `up`, `preview`, `refresh` and `config` then use
 * the backend's default provider, which on a self-managed backend is the passphrase one, and fail
 * ("passphrase must be set with PULUMI_CONFIG_PASSPHRASE …"). With it, the CLI uses the provider
 * recorded in the stack's state, which `stack init` writes there, and saves it back into the stack
 * file (pkg/cmd/pulumi/stack/secrets.go, SecretsManagerLoader.GetSecretsManager, at v3.248.0).
 * `destroy` always does this (pkg/cmd/pulumi/operations/destroy.go), which is why `down` worked.
 */
export const LIFECYCLE_CLI_ENV: Readonly<Record<string, string>> = { PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER: "true" };

export function projectWorkspace(opts: WorkspaceOptions): () => Promise<Workspace> {
  let ws: Promise<Workspace> | undefined;
  return () => {
    ws ??= LocalWorkspace.create({
      workDir: opts.projectDir,
      pulumiCommand: opts.pulumiCommand,
      secretsProvider: opts.secretsProvider || undefined,
      envVars: { ...opts.envVars, ...LIFECYCLE_CLI_ENV },
    });
    return ws;
  };
}

/** Points `npm run branch` and `npm run dr:drill` at another Pulumi project (the e2e tests' program). */
export const PROJECT_DIR_ENV = "DAGSTER_PLATFORM_PROJECT_DIR";

/** The project the lifecycle drives: `defaultDir` (this checkout), or the folder PROJECT_DIR_ENV names. */
export function resolveProjectDir(env: NodeJS.ProcessEnv, defaultDir: string): string {
  const dir = env[PROJECT_DIR_ENV];
  if (!dir) return defaultDir;
  const abs = path.resolve(dir);
  if (!fs.existsSync(path.join(abs, "Pulumi.yaml"))) {
    throw new Error(`${PROJECT_DIR_ENV}=${dir}: there is no Pulumi.yaml in ${abs}. Point it at a Pulumi project folder, or unset it to deploy this checkout.`);
  }
  return abs;
}

/** Outputs without the secret ones (the kubeconfig): the only ones the lifecycle ever prints. */
export function plainOutputs(outputs: OutputMap): Record<string, unknown> {
  return Object.fromEntries(Object.entries(outputs).filter(([, v]) => !v.secret).map(([k, v]) => [k, v.value]));
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * A CommandError's message is the CLI's whole stdout and stderr, which CI already streamed; the
 * stderr's error lines are what belongs in a one-line summary.
 */
export function briefError(e: unknown): string {
  const text = errorMessage(e);
  const stderr = /stderr: ([\s\S]*?)\n err\?:/.exec(text)?.[1] ?? text;
  const lines = stderr.split("\n").map((l) => l.trim()).filter(Boolean);
  const errors = lines.filter((l) => l.startsWith("error:"));
  return (errors.length > 0 ? errors : lines.slice(-3)).join(" / ").slice(0, 500);
}
