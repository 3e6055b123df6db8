/**
 * npm run rehearse -- --repos <dir> --code <dir> [--stack <name>] [--config key=value ...]
 *                     [--then <dir> ...] [--json <file>] [--keep]
 *
 * A deploy rehearsal without a cluster: plans the stack as `npm run plan` does, then runs real
 * Dagster at exactly the chart's version (a Python environment from requirements/, made on first
 * use) with the rendered values, a real PostgreSQL, and the real verifier (rehearse/README.md).
 * Exit 0 only when every location of every step loaded and the verifier agreed; 1 otherwise,
 * naming each failing location and its Python error; 2 on bad arguments.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { InputError } from "../locations/problems";
import { OfflineRunError } from "../offline/runtime";
import { parseArgs, RehearseArgs } from "../rehearse/args";
import { checkImageContract } from "../rehearse/imageContract";
import { runInNamespaces } from "../rehearse/namespace";
import { lockFileFor, planStep } from "../rehearse/planSteps";
import { failures, summary } from "../rehearse/report";
import { RehearsalReport, RehearsalSpec, StepPlan } from "../rehearse/types";
import { ensureVenv } from "../tools/python";

const PROJECT_DIR = path.resolve(__dirname, "..");

async function planAll(args: RehearseArgs): Promise<{ steps: StepPlan[]; chartVersion: string }> {
  const steps: StepPlan[] = [];
  let chartVersion = "";
  for (const repos of [args.repos, ...args.then]) {
    const planned = await planStep(PROJECT_DIR, args.stack, repos, args.overrides);
    steps.push(planned.step);
    chartVersion = planned.chartVersion;
  }
  return { steps, chartVersion };
}

async function rehearse(args: RehearseArgs): Promise<number> {
  const { steps, chartVersion } = await planAll(args);
  const venv = ensureVenv(`dagster-${chartVersion}`, lockFileFor(PROJECT_DIR, chartVersion), (line) => console.error(line));
  checkImageContract(venv.python, steps);
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), "rehearse-"));
  fs.chmodSync(runDir, 0o755);
  const spec: RehearsalSpec = { stack: args.stack, chartVersion, projectDir: PROJECT_DIR, codeDir: path.resolve(args.code), venvDir: venv.dir, runDir, steps };
  const specFile = path.join(runDir, "spec.json");
  const reportFile = path.join(runDir, "report.json");
  fs.writeFileSync(specFile, JSON.stringify(spec, null, 2));
  const code = await runInNamespaces(PROJECT_DIR, specFile, reportFile);
  if (!fs.existsSync(reportFile)) {
    console.error(`the rehearsal stopped without a report (exit ${code}); logs in ${runDir}/logs`);
    return 1;
  }
  const report = JSON.parse(fs.readFileSync(reportFile, "utf8")) as RehearsalReport;
  if (args.json) fs.writeFileSync(args.json, JSON.stringify(report, null, 2) + "\n");
  console.log(summary(report, steps.length));
  const failed = failures(report, steps.length).length > 0;
  if (failed || args.keep) console.log(`logs, workspace volume and instance: ${runDir}`);
  else fs.rmSync(runDir, { recursive: true, force: true });
  return failed ? 1 : 0;
}

async function main(): Promise<number> {
  let args: RehearseArgs;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  try {
    return await rehearse(args);
  } catch (e) {
    const cause = e instanceof OfflineRunError ? e.cause : e;
    console.error(cause instanceof InputError ? cause.message : `rehearsal failed: ${(cause as Error).message ?? cause}`);
    return 1;
  }
}

main().then((code) => process.exit(code));
