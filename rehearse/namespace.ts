/**
 * Runs rehearse/inner.ts in its own mount, network and pid namespaces (util-linux `unshare`): its
 * /etc/hosts and loopback addresses are invisible outside, its servers cannot clash with anything
 * on the machine, and when it ends the kernel ends every process it started (--kill-child).
 */
import { spawn } from "child_process";
import * as path from "path";

export const UNSHARE_ARGS = ["--mount", "--net", "--pid", "--fork", "--kill-child", "--mount-proc", "--propagation", "private"];

export function runInNamespaces(projectDir: string, specFile: string, reportFile: string): Promise<number | null> {
  if (process.getuid?.() !== 0) {
    return Promise.reject(new Error("npm run rehearse needs root (e.g. sudo): it creates private mount, network and pid namespaces with unshare"));
  }
  const inner = path.join(projectDir, "rehearse", "inner.ts");
  const child = spawn("unshare", [...UNSHARE_ARGS, "--", process.execPath, "-r", "ts-node/register/transpile-only", inner, specFile, reportFile], {
    cwd: projectDir,
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "true" },
  });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on("SIGINT", forward);
  process.on("SIGTERM", forward);
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      process.off("SIGINT", forward);
      process.off("SIGTERM", forward);
      resolve(code);
    });
  });
}
