/**
 * npm run plan -- --stack <name> --out <dir> [--repos <dir>] [--config key=value ...] [--secret key=value ...]
 *
 * Evaluates the real program under Pulumi's mock runtime with the stack's configuration and
 * writes what it would deploy. No cloud account, no Pulumi CLI.
 */
import * as path from "path";
import { InputError } from "../locations/problems";
import { planStack, summarize, writePlan } from "../offline/plan";
import { OutDirError, checkOutDir, clearPlan } from "../offline/planFiles";
import { ReferencedPlanError } from "../offline/reference";
import { OfflineRunError } from "../offline/runtime";
import { parseOverride } from "../offline/stackConfig";
import { UsageError } from "../offline/usage";

const USAGE = "usage: npm run plan -- --stack <name> --out <dir> [--repos <dir>] [--config key=value ...] [--secret key=value ...]";

interface Args {
  stack: string;
  out: string;
  repos?: string;
  overrides: string[];
  secrets: string[];
}

/** The command line, checked completely before anything is planned or written. */
export function parseArgs(argv: readonly string[]): Args {
  const args: Partial<Args> & { overrides: string[]; secrets: string[] } = { overrides: [], secrets: [] };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (!["--stack", "--out", "--repos", "--config", "--secret"].includes(flag)) throw new UsageError(`unknown argument ${flag}`);
    if (value === undefined || value.startsWith("--")) throw new UsageError(`${flag} needs a value`);
    if (flag === "--stack") args.stack = value;
    else if (flag === "--out") args.out = value;
    else if (flag === "--repos") args.repos = value;
    else {
      parseOverride(flag, value);
      (flag === "--config" ? args.overrides : args.secrets).push(value);
    }
  }
  if (!args.stack) throw new UsageError("--stack is required");
  if (!args.out) throw new UsageError("--out is required");
  return args as Args;
}

/** What to print for a failure: the problems for bad input, the message for a known failure, else the trace. */
function failureText(e: unknown): string {
  const cause = e instanceof OfflineRunError ? e.cause : e;
  if (cause instanceof InputError || cause instanceof ReferencedPlanError || cause instanceof UsageError) return cause.message;
  return `plan failed: ${(cause as Error).stack ?? String(cause)}`;
}

async function main(): Promise<number> {
  let args: Args;
  const projectDir = path.resolve(__dirname, "..");
  try {
    args = parseArgs(process.argv.slice(2));
    checkOutDir(path.resolve(args.out));
  } catch (e) {
    if (!(e instanceof UsageError || e instanceof OutDirError)) throw e;
    console.error(`${e.message}\n${USAGE}`);
    return 2;
  }
  const out = path.resolve(args.out);
  try {
    const repos = args.repos && path.relative(projectDir, path.resolve(args.repos));
    const plan = await planStack({ projectDir, stack: args.stack, overrides: args.overrides, secrets: args.secrets, reposDir: repos });
    writePlan(plan, out);
    console.log(summarize(plan));
    console.log(`\nWrote ${path.relative(process.cwd(), out) || "."}/{resources.json,outputs.json,locations.json,workspace.yaml,values/}`);
    return 0;
  } catch (e) {
    clearPlan(out);
    console.error(failureText(e));
    const cause = e instanceof OfflineRunError ? e.cause : e;
    return cause instanceof UsageError ? 2 : 1;
  }
}

if (require.main === module) main().then((code) => process.exit(code));
