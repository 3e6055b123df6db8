/**
 * npm run branch -- up|down|reap|comment …   (see lifecycle/args.ts for the usage)
 *
 * The branch-deployment lifecycle CI runs on pull-request events, driven through the Pulumi
 * Automation API in the project root (or the project DAGSTER_PLATFORM_PROJECT_DIR names). This
 * file only wires the real world in: the `pulumi` and `kubectl` on PATH, GitHub from GITHUB_*,
 * Snowflake from SNOWFLAKE_*.
 */
import * as path from "path";
import { BranchCommand } from "../lifecycle/args";
import { productionDatabaseOf, runBranchCli } from "../lifecycle/cli";
import { LifecycleDeps, projectWorkspace, resolveProjectDir } from "../lifecycle/deps";
import { githubFromEnv } from "../lifecycle/github";
import { kubectlOnPath } from "../lifecycle/kubectl";
import { DEFAULT_LOCK_WAIT } from "../lifecycle/locks";
import { snowflakeFromEnv } from "../lifecycle/snowflake";

const env = process.env;

function deps(projectDir: string, cmd: BranchCommand): LifecycleDeps {
  const lockSeconds =
    "lockTimeoutSeconds" in cmd && cmd.lockTimeoutSeconds !== undefined
      ? cmd.lockTimeoutSeconds
      : env.BRANCH_LOCK_TIMEOUT
        ? Number(env.BRANCH_LOCK_TIMEOUT)
        : undefined;
  if (lockSeconds !== undefined && !(lockSeconds >= 0)) throw new Error(`BRANCH_LOCK_TIMEOUT ${JSON.stringify(env.BRANCH_LOCK_TIMEOUT)} is not a number of seconds`);
  const needsGithub = cmd.command === "reap" || cmd.command === "comment";
  const hasGithub = Boolean(env.GITHUB_TOKEN && env.GITHUB_REPOSITORY);
  const retires = cmd.command === "down" || cmd.command === "reap" || cmd.command === "retire";
  // Built now, so missing credentials fail the reap before it changes anything. Retiring drops a
  // branch's Snowflake objects when the project's branches have them (lifecycle/retire.ts says so
  // per stack when the credentials are missing); --drop-orphans always needs them.
  const wantsSnowflake = (cmd.command === "reap" && cmd.dropOrphans) || (retires && Boolean(env.SNOWFLAKE_ACCOUNT || env.SNOWFLAKE_USER || env.SNOWFLAKE_PRIVATE_KEY));
  const snowflake = retires && wantsSnowflake ? snowflakeFromEnv(env, ("productionDatabase" in cmd ? cmd.productionDatabase : undefined) ?? productionDatabaseOf(projectDir)) : undefined;
  return {
    workspace: projectWorkspace({ projectDir, secretsProvider: env.PULUMI_SECRETS_PROVIDER }),
    // `up` uses GitHub only to skip a deploy for a PR closed meanwhile; without a token it deploys.
    github: needsGithub || hasGithub ? githubFromEnv(env, `${cmd.command} asks GitHub about the pull request`) : undefined,
    snowflake: snowflake && (() => snowflake),
    kubectl: retires ? kubectlOnPath() : undefined,
    log: { info: (m) => console.log(m), warn: (m) => console.warn(`warning: ${m}`) },
    now: () => new Date(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    lockWait: lockSeconds === undefined ? DEFAULT_LOCK_WAIT : { ...DEFAULT_LOCK_WAIT, timeoutMs: lockSeconds * 1000 },
    output: (chunk) => process.stdout.write(chunk),
    errorOutput: (chunk) => process.stderr.write(chunk),
  };
}

async function main(): Promise<number> {
  let projectDir: string;
  try {
    projectDir = resolveProjectDir(env, path.resolve(__dirname, ".."));
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    return 1;
  }
  return runBranchCli(process.argv.slice(2), {
    projectDir,
    env,
    deps: (cmd) => deps(projectDir, cmd),
    stdout: (l) => console.log(l),
    stderr: (l) => console.error(l),
  });
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
    process.exit(1);
  },
);
