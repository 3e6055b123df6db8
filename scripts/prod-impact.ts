/**
 * npm run plan:impact -- --base <plan dir> --head <plan dir> [--stack prod] [--out <file>] [--pr <N>]
 *
 * Compares two offline plans of one stack (scripts/impact.ts) and prints the Markdown. With
 * --out, writes it to that file too; with --pr, posts it as a pull-request comment (found by its
 * marker and edited in place on every push; GITHUB_TOKEN and GITHUB_REPOSITORY). Exit 0 done,
 * 1 failed, 2 usage error.
 */
import * as fs from "fs";
import { GitHubClient, githubFromEnv } from "../lifecycle/github";
import { readPlanDir } from "../lifecycle/planDiff";
import { compareProdPlans, IMPACT_MARKER, renderImpact } from "./impact";

const USAGE = "usage: npm run plan:impact -- --base <plan dir> --head <plan dir> [--stack prod] [--out <file>] [--pr <N>]";

export interface ImpactArgs {
  base: string;
  head: string;
  stack: string;
  out?: string;
  pr?: number;
}

export class UsageError extends Error {}

export function parseImpactArgs(argv: string[]): ImpactArgs {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (!["--base", "--head", "--stack", "--out", "--pr"].includes(flag)) throw new UsageError(`unknown argument ${flag}\n${USAGE}`);
    if (value === undefined || value.startsWith("--")) throw new UsageError(`${flag} needs a value\n${USAGE}`);
    if (flags.has(flag)) throw new UsageError(`${flag} given twice\n${USAGE}`);
    flags.set(flag, value);
  }
  const base = flags.get("--base");
  const head = flags.get("--head");
  if (!base || !head) throw new UsageError(`--base and --head are required\n${USAGE}`);
  const pr = flags.get("--pr");
  if (pr !== undefined && !/^[1-9][0-9]{0,9}$/.test(pr)) throw new UsageError(`--pr must be a pull-request number, not "${pr}"\n${USAGE}`);
  return { base, head, stack: flags.get("--stack") ?? "prod", out: flags.get("--out"), pr: pr === undefined ? undefined : Number(pr) };
}

/** Creates the impact comment, or edits the one that carries the marker. */
export async function upsertImpactComment(github: GitHubClient, pr: number, body: string): Promise<"created" | "updated" | "unchanged"> {
  const existing = (await github.listComments(pr)).find((c) => c.body.trimStart().startsWith(IMPACT_MARKER));
  if (!existing) {
    await github.createComment(pr, body);
    return "created";
  }
  if (existing.body === body) return "unchanged";
  await github.updateComment(existing.id, body);
  return "updated";
}

async function main(argv: string[]): Promise<number> {
  let args: ImpactArgs;
  try {
    args = parseImpactArgs(argv);
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  try {
    const body = renderImpact(compareProdPlans(readPlanDir(args.base), readPlanDir(args.head)), args.stack);
    console.log(body);
    if (args.out) fs.writeFileSync(args.out, `${body}\n`);
    if (args.pr !== undefined) {
      const action = await upsertImpactComment(githubFromEnv(process.env, "--pr posts the impact as a comment"), args.pr, body);
      console.error(`prod-impact comment on #${args.pr}: ${action}`);
    }
    return 0;
  } catch (e) {
    console.error(`plan:impact failed: ${(e as Error).message}`);
    return 1;
  }
}

if (require.main === module) main(process.argv.slice(2)).then((code) => process.exit(code));
