/**
 * The contract between the CI files and the lifecycle CLI: run the real scripts with `npm` (and
 * the tools around it) stubbed, and hand every captured `npm run branch|dr:drill` argument vector
 * to the CLI's own parser. Plus the shared facts: bash syntax, the locked pulumi version, npm
 * scripts that exist.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { BranchCommand, parseBranchArgs, parseDrillArgs } from "../../../lifecycle/args";
import { Job, Step, Workflow, workflowFiles } from "./workflows";
import { GITLAB_FILE, ROOT, str } from "./yaml";

export const SAMPLE_SHA = "0123456789abcdef0123456789abcdef01234567";
/** Values for env entries that are `${{ … }}` expressions (or CI variables) when a script is run here. */
export const SAMPLE_ENV: Record<string, string> = {
  PR_NUMBER: "42",
  HEAD_SHA: SAMPLE_SHA,
  HEAD_REF: "feature/new-asset",
  OPENED_AT: "2025-02-27T09:30:00Z",
  BASE_PLAN: "success",
  HEAD_PLAN: "success",
  FAILED_STEP: "up",
  DRY_RUN: "true",
  DROP_ORPHANS: "true",
  MAX_AGE_DAYS: "7",
  REASON: "rehearsal",
  DRILL_POSTGRES_HOST: "10.20.0.5",
  DRILL_POSTGRES_PASSWORD: "drill-password",
  CI_MERGE_REQUEST_IID: "42",
  CI_MERGE_REQUEST_SOURCE_BRANCH_NAME: "feature/new-asset",
  CI_MERGE_REQUEST_TARGET_BRANCH_NAME: "main",
  CI_COMMIT_SHA: SAMPLE_SHA,
  CI_DEFAULT_BRANCH: "main",
  CI_PROJECT_DIR: "/builds/acme/dagster-platform",
};

/** Runs a script with npm, pulumi, git and cd stubbed out; returns the `npm run …` argument vectors. */
export function npmRunCalls(script: string, env: Record<string, string>): string[][] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ci-cli-"));
  const calls = path.join(dir, "calls");
  const stubs = [
    `npm() { if [[ "$1" == run ]]; then printf '%s\\x1f' "$@" >> "$CALLS"; printf '\\n' >> "$CALLS"; fi; }`,
    "pulumi() { :; }",
    "git() { :; }",
    "cd() { :; }",
    // The trusted-policy link: the checkouts it points into do not exist here.
    "ln() { :; }",
    "test() { :; }",
    "",
  ].join("\n");
  try {
    const r = spawnSync("bash", ["-eo", "pipefail", "-c", stubs + script.replace(/\$\{\{[\s\S]*?\}\}/g, "EXPR")], {
      encoding: "utf8",
      cwd: dir,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, GITHUB_WORKSPACE: dir, RUNNER_TEMP: dir, ...env, CALLS: calls },
    });
    assert.equal(r.status, 0, `the script failed here: ${r.stderr}`);
    return fs.existsSync(calls)
      ? fs
          .readFileSync(calls, "utf8")
          .split("\n")
          .filter((l) => l.length > 0)
          .map((l) => l.split("\x1f").slice(0, -1))
      : [];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The env a step sees, with expressions replaced by sample values. */
export function sampleStepEnv(wf: Workflow, job: Job, step: Step, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...wf.env, ...job.env, ...step.env })) env[k] = /\$\{\{/.test(str(v)) ? (SAMPLE_ENV[k] ?? "x") : str(v);
  return { ...env, ...extra };
}

/** What the CLI makes of one captured call; throws the CLI's own UsageError when it would refuse it. */
export function parseCliCall(call: string[], env: Record<string, string>): BranchCommand | { command: "drill" } | undefined {
  const [run, script, dashes, ...args] = call;
  if (run !== "run" || (script !== "branch" && script !== "dr:drill")) return undefined;
  assert.equal(dashes, "--", `npm run ${script} needs -- before its arguments: ${call.join(" ")}`);
  if (script === "branch") return parseBranchArgs(args);
  const drill = parseDrillArgs(args, env);
  assert.notEqual(drill, "help");
  return { command: "drill" };
}

// ---------------------------------------------------------------------------------------------
// Shared facts

/** `bash -n` on a script, with `${{ … }}` expressions replaced (they are substituted before bash runs). */
export function bashSyntaxProblems(where: string, script: string): string[] {
  const r = spawnSync("bash", ["-n"], { input: script.replace(/\$\{\{[\s\S]*?\}\}/g, "EXPR"), encoding: "utf8" });
  return r.status === 0 ? [] : [`${where}: ${r.stderr.trim()}`];
}

export function lockedPulumiVersion(): string {
  const lock = JSON.parse(fs.readFileSync(path.join(ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, { version?: string }> };
  const version = lock.packages["node_modules/@pulumi/pulumi"]?.version;
  assert.ok(version, "package-lock.json has no @pulumi/pulumi");
  return version;
}

export function npmScriptProblems(file: string, text: string, scripts: Record<string, string>): string[] {
  const problems: string[] = [];
  for (const m of text.matchAll(/\bnpm run ([A-Za-z0-9:_.-]+)/g)) if (!(m[1] in scripts)) problems.push(`${file}: npm run ${m[1]}: no such script in package.json`);
  if (/\bnpm test\b/.test(text) && !("test" in scripts)) problems.push(`${file}: npm test: no test script in package.json`);
  return problems;
}

export function allCiFiles(): { file: string; text: string }[] {
  return [...workflowFiles(), GITLAB_FILE].map((f) => ({ file: path.relative(ROOT, f), text: fs.readFileSync(f, "utf8") }));
}

