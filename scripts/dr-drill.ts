/**
 * npm run dr:drill -- [--stack drill-<timestamp>] [--keep] --postgres-host <host> …
 *
 * Deploys the platform from empty state into a scratch stack on an existing cluster, waits for
 * the workspace verification Job, reports how long each phase took, and destroys the stack again.
 * Needs the Pulumi CLI (logged in to the state backend) and a cluster; see lifecycle/drill.ts.
 */
import * as fs from "fs";
import * as path from "path";
import { DRILL_USAGE, parseDrillArgs, UsageError } from "../lifecycle/args";
import { projectWorkspace, resolveProjectDir } from "../lifecycle/deps";
import { defaultDrillStack, DRILL_NAMESPACE, formatDrillReport, runDrill } from "../lifecycle/drill";

async function main(): Promise<number> {
  let args;
  try {
    args = parseDrillArgs(process.argv.slice(2), process.env);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(e.message);
      return 2;
    }
    throw e;
  }
  if (args === "help") {
    console.log(DRILL_USAGE);
    return 0;
  }
  const report = await runDrill(
    {
      workspace: projectWorkspace({ projectDir: resolveProjectDir(process.env, path.resolve(__dirname, "..")), secretsProvider: process.env.PULUMI_SECRETS_PROVIDER }),
      log: { info: (m) => console.log(m), warn: (m) => console.warn(`warning: ${m}`) },
      now: () => new Date(),
      output: (chunk) => process.stdout.write(chunk),
      errorOutput: (chunk) => process.stderr.write(chunk),
    },
    {
      stack: args.stack ?? defaultDrillStack(new Date()),
      keep: args.keep,
      postgres: { host: args.postgresHost, port: args.postgresPort, user: args.postgresUser, database: args.postgresDatabase, password: args.postgresPassword },
      kubeconfig: args.kubeconfig ? fs.readFileSync(args.kubeconfig, "utf8") : undefined,
      kubeContext: args.kubeContext,
      namespace: args.namespace ?? DRILL_NAMESPACE,
    },
  );
  console.log(`\n${formatDrillReport(report)}`);
  return report.ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`drill failed: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
