/**
 * npm run plan -- --stack <name> --out <dir> [--repos <dir>] [--config key=value ...]
 *
 * Evaluates the real program under Pulumi's mock runtime with the stack's configuration and
 * writes what it would deploy. No cloud account, no Pulumi CLI.
 */
import * as path from "path";
import { InputError } from "../locations/problems";
import { clearPlan, planStack, summarize, writePlan } from "../offline/plan";
import { OfflineRunError } from "../offline/runtime";

const USAGE = "usage: npm run plan -- --stack <name> --out <dir> [--repos <dir>] [--config key=value ...]";

function parseArgs(argv: string[]): { stack?: string; out?: string; repos?: string; overrides: string[] } {
  const args: { stack?: string; out?: string; repos?: string; overrides: string[] } = { overrides: [] };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (value === undefined || value.startsWith("--")) throw new Error(`${flag} needs a value\n${USAGE}`);
    if (flag === "--stack") args.stack = value;
    else if (flag === "--out") args.out = value;
    else if (flag === "--repos") args.repos = value;
    else if (flag === "--config") args.overrides.push(value);
    else throw new Error(`unknown argument ${flag}\n${USAGE}`);
    i++;
  }
  return args;
}

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  if (!args.stack || !args.out) {
    console.error(USAGE);
    return 2;
  }
  const projectDir = path.resolve(__dirname, "..");
  const out = path.resolve(args.out);
  try {
    const plan = await planStack({ projectDir, stack: args.stack, overrides: args.overrides, reposDir: args.repos && path.relative(projectDir, path.resolve(args.repos)) });
    writePlan(plan, out);
    console.log(summarize(plan));
    console.log(`\nWrote ${path.relative(process.cwd(), out) || "."}/{resources.json,outputs.json,locations.json,workspace.yaml,values/}`);
    return 0;
  } catch (e) {
    clearPlan(out);
    const cause = e instanceof OfflineRunError ? e.cause : e;
    console.error(cause instanceof InputError ? cause.message : `plan failed: ${(cause as Error).stack ?? cause}`);
    return 1;
  }
}

main().then((code) => process.exit(code));
