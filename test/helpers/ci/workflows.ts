/**
 * GitHub workflows as the checks see them: jobs, steps, what pulumi a job runs and on which stack.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { asDict, asList, Dict, EXAMPLES_DIR, ROOT, str, WORKFLOW_DIR } from "./yaml";

export interface Step {
  index: number;
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with: Dict;
  env: Dict;
  raw: Dict;
}

export interface Job {
  id: string;
  raw: Dict;
  env: Dict;
  steps: Step[];
  /** A job that calls a reusable workflow. */
  uses?: string;
}

export interface Workflow {
  file: string;
  text: string;
  doc: Dict;
  env: Dict;
  jobs: Job[];
}

const optionalString = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

function readStep(s: unknown, index: number): Step {
  const d = asDict(s);
  return {
    index,
    id: optionalString(d.id),
    name: optionalString(d.name),
    uses: optionalString(d.uses),
    run: optionalString(d.run),
    if: d.if === undefined ? undefined : str(d.if),
    with: asDict(d.with),
    env: asDict(d.env),
    raw: d,
  };
}

export function readWorkflow(file: string, text: string): Workflow {
  const doc = asDict(parse(text));
  const jobs = Object.entries(asDict(doc.jobs)).map(([id, value]): Job => {
    const raw = asDict(value);
    return { id, raw, env: asDict(raw.env), steps: asList(raw.steps).map(readStep), uses: optionalString(raw.uses) };
  });
  return { file, text, doc, env: asDict(doc.env), jobs };
}

export function workflowFiles(): string[] {
  const list = (dir: string) =>
    fs.existsSync(dir)
      ? fs
          .readdirSync(dir)
          .filter((n) => /\.ya?ml$/.test(n))
          .sort()
          .map((n) => path.join(dir, n))
      : [];
  return [...list(WORKFLOW_DIR), ...list(EXAMPLES_DIR)];
}

export function loadWorkflows(): Workflow[] {
  return workflowFiles().map((f) => readWorkflow(path.relative(ROOT, f), fs.readFileSync(f, "utf8")));
}

export function loadFixtureWorkflow(fixture: string, asFile: string): Workflow {
  return readWorkflow(asFile, fs.readFileSync(path.join(ROOT, "test", "fixtures", "ci", fixture), "utf8"));
}

export const byFile = (workflows: Workflow[], name: string): Workflow => {
  const wf = workflows.find((w) => w.file === name);
  assert.ok(wf, `${name} is missing`);
  return wf;
};

export const findJob = (wf: Workflow, id: string): Job => {
  const job = wf.jobs.find((j) => j.id === id);
  assert.ok(job, `${wf.file} has no job ${id}`);
  return job;
};
/** The workflow's `on:` as a map, whichever of its three forms (a name, a list, a map) it uses. */
export const triggers = (wf: Workflow): Dict => {
  const on = wf.doc.on;
  if (typeof on === "string") return { [on]: {} };
  if (Array.isArray(on)) return Object.fromEntries(on.map((e) => [str(e), {}]));
  return asDict(on);
};

export const BRANCH_CLI = /\bnpm run branch\b/;
export const DR_DRILL = /\bnpm run dr:drill\b/;
/** pulumi subcommands that write the state (and take its lock). */
export const PULUMI_WRITES = /(?:^|[\s;&|(])pulumi\s+(?:up|update|refresh|destroy|import|cancel|state\s+\w+|stack\s+(?:rm|init|import|change-secrets-provider))\b/m;
/** Any pulumi subcommand that talks to the backend. */
export const PULUMI_ANY = /(?:^|[\s;&|(])pulumi\s+(?:up|update|refresh|destroy|import|cancel|preview|state|stack|config|login)\b/m;
export const PULUMI_ACTION = /^pulumi\/actions@/;
export const PULUMI_OUTPUT = /\bpulumi\s+stack\s+output\b/;
export const AUTH_ACTION = /^google-github-actions\/auth@/;
const WRITE_COMMANDS = new Set(["up", "update", "refresh", "destroy"]);

export function pulumiActionCommand(step: Step): string | undefined {
  return step.uses !== undefined && PULUMI_ACTION.test(step.uses) ? str(step.with.command) : undefined;
}

export type PulumiKind = "writes" | "reads" | "none";

/** Whether a job changes a stack, only reads one (preview), or runs no pulumi at all. */
export function pulumiKind(job: Job): PulumiKind {
  let kind: PulumiKind = "none";
  for (const step of job.steps) {
    const run = step.run ?? "";
    const command = pulumiActionCommand(step);
    if (BRANCH_CLI.test(run) || DR_DRILL.test(run) || PULUMI_WRITES.test(run) || (command !== undefined && WRITE_COMMANDS.has(command))) return "writes";
    if (PULUMI_ANY.test(run) || (command !== undefined && command !== "")) kind = "reads";
  }
  return kind;
}

/** The value a `$NAME` in a step's script has: step env, then job env, then workflow env. */
export function resolveVar(wf: Workflow, job: Job, step: Step, name: string): string | undefined {
  for (const env of [step.env, job.env, wf.env]) if (name in env) return str(env[name]);
  return undefined;
}

function branchCliStacks(wf: Workflow, job: Job, step: Step, stacks: Set<string>, problems: string[]): void {
  const run = step.run ?? "";
  const where = `${wf.file} job ${job.id}`;
  for (const m of run.matchAll(/\bnpm run branch -- (up|down|comment)\b([^\n]*)/g)) {
    // On the same line, or earlier in the step when the arguments are built in a bash array.
    const args = /--pr\b/.test(m[2]) ? m[2] : run;
    const pr = /--pr\s+("?)\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?\1(?:[\s)]|$)/.exec(args);
    const literal = /--pr\s+(\S+)/.exec(args);
    if (pr) {
      const value = resolveVar(wf, job, step, pr[2]);
      if (value === undefined) problems.push(`${where}: --pr "$${pr[2]}" is not set in the step, job or workflow env`);
      else stacks.add(`pr-${value}`);
    } else if (literal) {
      stacks.add(`pr-${literal[1]}`);
    } else {
      problems.push(`${where}: \`npm run branch -- ${m[1]}\` without --pr`);
    }
  }
}

/** `pr-${{ github.event.pull_request.number }}` and the like: the stacks a job acts on. */
export function stacksOf(wf: Workflow, job: Job): { stacks: string[]; problems: string[] } {
  const stacks = new Set<string>();
  const problems: string[] = [];
  for (const step of job.steps) {
    const run = step.run ?? "";
    if (/\bnpm run branch -- reap\b/.test(run)) stacks.add("reaper");
    branchCliStacks(wf, job, step, stacks, problems);
    // The drill's stack is a fresh drill-<time> each run, in a shared namespace: one group, "drill".
    if (DR_DRILL.test(run)) stacks.add("drill");
    for (const line of run.split("\n")) {
      // Reading an output takes no lock, so it does not decide the job's group.
      if (!PULUMI_ANY.test(line) || PULUMI_OUTPUT.test(line)) continue;
      const s = /--stack[= ]"?([^"\s]+)"?/.exec(line);
      if (s) stacks.add(s[1]);
      else problems.push(`${wf.file} job ${job.id}: \`${line.trim()}\` does not name its --stack`);
    }
    const command = pulumiActionCommand(step);
    if (command) stacks.add(str(step.with["stack-name"]));
  }
  return { stacks: [...stacks], problems };
}
