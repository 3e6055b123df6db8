/**
 * Project-managed Python virtual environments, installed from a pinned requirements file on first
 * use and reused while that file is unchanged (its hash is stored beside the environment).
 */
import { execFileSync } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { cacheDir } from "./cache";

export interface PythonEnv {
  dir: string;
  python: string;
  /** The folder of the environment's console scripts (dagster, dagster-webserver, …). */
  bin: string;
}

function fileHash(file: string): string {
  return createHash("sha256").update(fs.readFileSync(file)).digest("hex").slice(0, 16);
}

/**
 * The virtual environment `name`, with exactly the packages of `requirementsFile` (a pinned lock:
 * every package `==`). Created with the machine's python3 the first time; a changed lock makes a
 * fresh one. `log` receives progress lines (installs take a minute or two).
 */
export function ensureVenv(name: string, requirementsFile: string, log: (line: string) => void = () => undefined): PythonEnv {
  const stamp = fileHash(requirementsFile);
  const dir = path.join(cacheDir("python"), `${name}-${stamp}`);
  const python = path.join(dir, "bin", "python");
  const done = path.join(dir, ".installed");
  if (!fs.existsSync(done)) {
    fs.rmSync(dir, { recursive: true, force: true });
    log(`creating Python environment ${path.basename(dir)} from ${path.basename(requirementsFile)}`);
    execFileSync(process.env.PYTHON ?? "python3", ["-m", "venv", dir], { stdio: "inherit" });
    execFileSync(python, ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-input", "-r", requirementsFile], {
      stdio: "inherit",
      env: { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: "1" },
    });
    fs.writeFileSync(done, `${new Date().toISOString()}\n`);
  }
  return { dir, python, bin: path.join(dir, "bin") };
}
