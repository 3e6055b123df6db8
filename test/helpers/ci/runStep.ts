/**
 * Runs one workflow step's `run:` script the way the runner does (bash -eo pipefail), with the
 * given env, optional bash functions standing in for tools (docker, gh) and a fresh
 * $GITHUB_OUTPUT, and returns what it wrote there.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Step } from "./workflows";

export interface StepRun {
  status: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
}

function readOutputs(file: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  if (!fs.existsSync(file)) return outputs;
  for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) outputs[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return outputs;
}

export function runStep(step: Step, env: Record<string, string>, opts: { stubs?: string; cwd?: string; path?: string } = {}): StepRun {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ci-step-"));
  const output = path.join(dir, "github_output");
  try {
    const script = `${opts.stubs ?? ""}\n${(step.run ?? "").replace(/\$\{\{[\s\S]*?\}\}/g, "EXPR")}`;
    const r = spawnSync("bash", ["-eo", "pipefail", "-c", script], {
      encoding: "utf8",
      cwd: opts.cwd ?? dir,
      env: { PATH: opts.path ?? process.env.PATH ?? "/usr/bin:/bin", HOME: dir, RUNNER_TEMP: dir, GITHUB_OUTPUT: output, GITHUB_ENV: path.join(dir, "github_env"), ...env },
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, outputs: readOutputs(output) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
