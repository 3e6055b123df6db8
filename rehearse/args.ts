/** `npm run rehearse` arguments. */
export const USAGE =
  "usage: npm run rehearse -- --repos <dir> --code <dir> [--stack <name>] [--config key=value ...] [--then <dir> ...] [--json <file>] [--keep]";

export interface RehearseArgs {
  repos: string;
  code: string;
  stack: string;
  overrides: string[];
  /** Later repos/ folders, deployed one after another onto the running rehearsal. */
  then: string[];
  json?: string;
  /** Keep the run folder (logs, workspace volume, instance) even when everything passed. */
  keep: boolean;
}

export function parseArgs(argv: string[]): RehearseArgs {
  const args: Partial<RehearseArgs> & { overrides: string[]; then: string[]; keep: boolean } = { overrides: [], then: [], keep: false, stack: "prod" };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === "--keep") {
      args.keep = true;
      continue;
    }
    const value = argv[i + 1];
    if (value === undefined || value.startsWith("--")) throw new Error(`${flag} needs a value\n${USAGE}`);
    if (flag === "--repos") args.repos = value;
    else if (flag === "--code") args.code = value;
    else if (flag === "--stack") args.stack = value;
    else if (flag === "--config") args.overrides.push(value);
    else if (flag === "--then") args.then.push(value);
    else if (flag === "--json") args.json = value;
    else throw new Error(`unknown argument ${flag}\n${USAGE}`);
    i++;
  }
  if (!args.repos || !args.code) throw new Error(`--repos and --code are required\n${USAGE}`);
  return args as RehearseArgs;
}
