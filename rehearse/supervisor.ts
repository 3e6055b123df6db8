/**
 * Starting, watching and stopping the rehearsal's processes: each with its own log file, its pid
 * and the kernel's record of when it started (so "the same process" survives pid reuse).
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { ProcessSpec } from "./chartProcesses";

export interface Running {
  spec: ProcessSpec;
  child: ChildProcess;
  pid: number;
  /** Field 22 of /proc/<pid>/stat: clock ticks after boot at which the process started. */
  startTicks: string;
  logFile: string;
  exited: Promise<number | null>;
  exitCode?: number | null;
}

/** The environment every process starts from: nothing of the caller's but the basics. */
function baseEnv(venvBin: string): Record<string, string> {
  const keep = ["HOME", "LANG", "LC_ALL", "TZ", "TMPDIR"];
  const env: Record<string, string> = { PATH: `${venvBin}:/usr/local/bin:/usr/bin:/bin`, PYTHONUNBUFFERED: "1" };
  for (const k of keep) if (process.env[k]) env[k] = process.env[k] as string;
  return env;
}

export function processStartTicks(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

/** True while the process that started as `r` is still running (not replaced, not exited). */
export function stillRunning(r: Running): boolean {
  return r.exitCode === undefined && processStartTicks(r.pid) === r.startTicks;
}

export function start(spec: ProcessSpec, venvBin: string, logDir: string): Running {
  const logFile = path.join(logDir, `${spec.label.replace(/[^a-z0-9-]+/gi, "-")}.log`);
  const log = fs.openSync(logFile, "a");
  const [program, ...args] = spec.argv;
  const child = spawn(path.join(venvBin, program), args, { cwd: spec.cwd, env: { ...baseEnv(venvBin), ...spec.env }, stdio: ["ignore", log, log] });
  fs.closeSync(log);
  if (child.pid === undefined) throw new Error(`could not start ${spec.label} (${spec.argv.join(" ")})`);
  const running: Running = { spec, child, pid: child.pid, startTicks: processStartTicks(child.pid) ?? "", logFile, exited: Promise.resolve(null) };
  running.exited = new Promise((resolve) =>
    child.on("exit", (code, signal) => {
      running.exitCode = code ?? (signal ? -1 : null);
      resolve(running.exitCode);
    }),
  );
  return running;
}

/** SIGTERM, then SIGKILL after `graceMs`: a pod's termination grace period. */
export async function stop(r: Running, graceMs = 10_000): Promise<void> {
  if (r.exitCode !== undefined) return;
  r.child.kill("SIGTERM");
  const killer = setTimeout(() => r.child.kill("SIGKILL"), graceMs);
  await r.exited;
  clearTimeout(killer);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function portOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
    socket.setTimeout(2000, () => done(false));
  });
}

/** Sentences Python prints between the tracebacks of one chained error. */
const CHAIN = ["The above exception was the direct cause of the following exception:", "During handling of the above exception, another exception occurred:"];

/**
 * The last Python error in a log: first its root cause (the user code's exception, with what it
 * was raised as), then the whole chain of tracebacks; or the log's last lines without one.
 */
export function lastPythonError(logFile: string): string {
  const lines = (fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8") : "").trimEnd().split("\n");
  const isStart = (l: string) => l.startsWith("Traceback (most recent call last)");
  let start = lines.map(isStart).lastIndexOf(true);
  if (start < 0) return lines.slice(-15).join("\n") || "(no output)";
  for (;;) {
    let before = start - 1;
    while (before >= 0 && lines[before].trim() === "") before--;
    if (before < 0 || !CHAIN.includes(lines[before].trim())) break;
    const previous = lines.slice(0, before).map(isStart).lastIndexOf(true);
    if (previous < 0) break;
    start = previous;
  }
  const block = lines.slice(start);
  const errors = block.filter((l) => /^[A-Za-z_][\w.]*(Error|Exception|Interrupt|Exit)\b.*?:/.test(l));
  const head = errors.length === 0 ? block[block.length - 1] : errors.length === 1 ? errors[0] : `${errors[0]} (raised as ${errors[errors.length - 1]})`;
  return [head, ...block].join("\n");
}

/** Resident memory of one process in kB (0 once it is gone). */
export function rssKb(pid: number | string): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Total resident memory of every process this namespace can see (its own /proc), in kB. */
export function totalRssKb(): number {
  return fs.readdirSync("/proc").filter((e) => /^\d+$/.test(e)).reduce((sum, pid) => sum + rssKb(pid), 0);
}
