/** Running `npm run rehearse` from the e2e suites, and writing the scratch folders they use. */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { RehearsalReport } from "../../../rehearse/types";
import { PythonEnv, ensureVenv } from "../../../tools/python";

export const PROJECT_DIR = path.resolve(__dirname, "..", "..", "..");

export interface RehearsalRun {
  code: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
  report?: RehearsalReport;
}

/** `npm run rehearse -- <args> --json <tmp>`, as a user runs it; the report when one was written. */
export function rehearse(args: string[]): Promise<RehearsalRun> {
  const json = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "rehearse-json-")), "report.json");
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "scripts/rehearse.ts", ...args, "--json", json], { cwd: PROJECT_DIR, env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "true" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
    child.on("error", reject);
    child.on("close", (code) => {
      const report = fs.existsSync(json) ? (JSON.parse(fs.readFileSync(json, "utf8")) as RehearsalReport) : undefined;
      resolve({ code, stdout, stderr, seconds: (Date.now() - started) / 1000, report });
    });
  });
}

export function describeRun(r: RehearsalRun): string {
  return `exit ${r.code} after ${r.seconds.toFixed(0)}s\n--- stdout\n${r.stdout}\n--- stderr (last 4000 chars)\n${r.stderr.slice(-4000)}`;
}

/** A folder of files (relative path -> text). */
export function folder(prefix: string, files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

/** A minimal Dagster package `pkg` with one asset job; `extra` is added at the top of the module. */
export function definitions(extra = ""): string {
  return `import os\nimport dagster as dg\n${extra}\n@dg.asset\ndef events():\n    return 1\n\nnightly = dg.define_asset_job("nightly", selection=[events])\ndefs = dg.Definitions(assets=[events], jobs=[nightly])\n`;
}

export function dagsterVenv(): PythonEnv {
  return ensureVenv("dagster-1.13.19", path.join(PROJECT_DIR, "requirements", "dagster-1.13.19.txt"), (line) => console.log(`      ${line}`));
}
