/**
 * The rehearsal's stand-in for the cluster: code servers (one per release), webserver replicas
 * and the daemon, started from the rendered values (chartProcesses.ts) inside the namespaces the
 * rehearsal set up, the workspace ConfigMap volume, and the verification Job. Runs inside the
 * namespaces only (rehearse/inner.ts).
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { stringify } from "yaml";
import { AddressPlan } from "./addresses";
import { rehearsalInstance } from "./chartInstance";
import { codeServerProcess, daemonProcess, SystemContext, webserverPort, webserverProcess } from "./chartProcesses";
import { readWorkspace, webserverUp } from "./graphql";
import { ConfigMapVolume } from "./kubeletVolume";
import { lastPythonError, portOpen, Running, sleep, start, stop } from "./supervisor";
import { LocationPlan, LocationResult, RehearsalSpec, StepPlan } from "./types";

type Values = Record<string, unknown>;

/** How long a code server may take to listen: the chart's readiness probe gives up after 15 x 20 s. */
const CODE_SERVER_READY_MS = 300_000;
const WEBSERVER_READY_MS = 180_000;
const WORKSPACE_KEY = "workspace.yaml";

/** The error's first line, then what happened, then the rest (tracebacks). */
function withContext(error: string, what: string): string {
  const [first, ...rest] = error.split("\n");
  return [first, `(${what})`, ...rest].join("\n");
}

export class Cluster {
  readonly codeServers = new Map<string, { deployment: string; running: Running }>();
  webservers: Running[] = [];
  daemon?: Running;
  readonly volume: ConfigMapVolume;
  readonly venvBin: string;
  private readonly dirs: Record<"logs" | "home" | "codeHomes" | "computeLogs" | "defsState", string>;
  readonly probeFile: string;

  constructor(readonly spec: RehearsalSpec, readonly addresses: AddressPlan, readonly log: (line: string) => void) {
    const at = (name: string) => path.join(spec.runDir, name);
    this.dirs = { logs: at("logs"), home: at("dagster_home"), codeHomes: at("code-homes"), computeLogs: at("compute-logs"), defsState: at("defs-state") };
    for (const dir of Object.values(this.dirs)) fs.mkdirSync(dir, { recursive: true });
    this.volume = new ConfigMapVolume(at("dagster-workspace"));
    this.venvBin = path.join(spec.venvDir, "bin");
    this.probeFile = at("daemon-probe.json");
  }

  get workspaceFile(): string {
    return this.volume.file(WORKSPACE_KEY);
  }

  /** Starts the given releases' code servers together; returns each failure's Python error. */
  async startCodeServers(step: StepPlan, locations: LocationPlan[]): Promise<Record<string, string>> {
    const failures: Record<string, string> = {};
    await Promise.all(
      locations.map(async (loc) => {
        const codeDir = path.join(this.spec.codeDir, loc.name);
        if (!fs.existsSync(codeDir)) {
          failures[loc.name] = `no code for ${loc.name}: ${codeDir} does not exist (--code holds one folder per location, named after it)`;
          return;
        }
        const home = path.join(this.dirs.codeHomes, loc.name);
        fs.mkdirSync(home, { recursive: true });
        const address = this.addresses.locations[loc.name];
        const running = start(codeServerProcess(loc, { address, namespace: step.namespace, codeDir, home }), this.venvBin, this.dirs.logs);
        this.codeServers.set(loc.name, { deployment: JSON.stringify(loc.deployment), running });
        const error = await this.waitListening(running, address, Number(loc.deployment.port));
        if (error) failures[loc.name] = error;
      }),
    );
    return failures;
  }

  /** Ready as the chart's probe sees it: serving on its port (a gRPC server listens once its code loaded). */
  private async waitListening(r: Running, address: string, port: number): Promise<string | undefined> {
    const until = Date.now() + CODE_SERVER_READY_MS;
    while (Date.now() < until) {
      if (r.exitCode !== undefined) return withContext(lastPythonError(r.logFile), `the code server exited (code ${r.exitCode}) before serving`);
      if (await portOpen(address, port)) return undefined;
      await sleep(250);
    }
    return withContext(lastPythonError(r.logFile), `the code server did not listen on ${address}:${port} within ${CODE_SERVER_READY_MS / 1000}s`);
  }

  async stopCodeServer(name: string): Promise<void> {
    const server = this.codeServers.get(name);
    if (!server) return;
    this.codeServers.delete(name);
    await stop(server.running);
  }

  writeWorkspace(yaml: string): void {
    this.volume.write({ [WORKSPACE_KEY]: yaml });
  }

  private systemContext(address: string): SystemContext {
    return { address, workspaceFile: this.workspaceFile, home: this.dirs.home };
  }

  /** The system release: its instance, then the webserver replicas (the first alone: it creates the schema) and the daemon. */
  async startSystem(step: StepPlan): Promise<string[]> {
    const instance = rehearsalInstance(step.system, step.namespace, { computeLogs: this.dirs.computeLogs, defsState: this.dirs.defsState });
    fs.writeFileSync(path.join(this.dirs.home, "dagster.yaml"), stringify(instance));
    const replicas = Number(((step.system.dagsterWebserver ?? {}) as Values).replicaCount ?? 1);
    const problems: string[] = [];
    for (let i = 0; i < replicas; i++) {
      const address = this.addresses.webservers[i];
      const r = start(webserverProcess(step.system, i + 1, this.systemContext(address)), this.venvBin, this.dirs.logs);
      this.webservers.push(r);
      if (i === 0) problems.push(...(await this.waitWebserver(r, this.url(address, step))));
    }
    const daemon = daemonProcess(this.systemContext(this.addresses.webservers[0]));
    daemon.env = { ...daemon.env, PYTHONPATH: path.join(this.spec.projectDir, "rehearse", "daemon_probe"), REHEARSAL_DAEMON_PROBE: this.probeFile };
    this.daemon = start(daemon, this.venvBin, this.dirs.logs);
    for (const [i, r] of this.webservers.entries()) if (i > 0) problems.push(...(await this.waitWebserver(r, this.url(this.addresses.webservers[i], step))));
    return problems;
  }

  async stopSystem(): Promise<void> {
    await Promise.all([...this.webservers, ...(this.daemon ? [this.daemon] : [])].map((r) => stop(r)));
    this.webservers = [];
    this.daemon = undefined;
  }

  url(address: string, step: StepPlan): string {
    return `http://${address}:${webserverPort(step.system)}/graphql`;
  }

  private async waitWebserver(r: Running, url: string): Promise<string[]> {
    const until = Date.now() + WEBSERVER_READY_MS;
    while (Date.now() < until) {
      if (r.exitCode !== undefined) return [`${r.spec.label} exited (code ${r.exitCode}):\n${lastPythonError(r.logFile)}`];
      if (await webserverUp(url)) return [];
      await sleep(250);
    }
    return [`${r.spec.label} did not answer at ${url} within ${WEBSERVER_READY_MS / 1000}s`];
  }

  /** The verification Job: verify/verify_workspace.py with the Job's environment. */
  async runVerifier(jobEnv: Record<string, string>): Promise<{ exitCode: number | null; seconds: number; output: string }> {
    const env = { ...jobEnv, WORKSPACE_FILE: jobEnv.WORKSPACE_FILE ? this.workspaceFile : "", PATH: `${this.venvBin}:/usr/bin:/bin` };
    const started = Date.now();
    const child = spawn(path.join(this.venvBin, "python"), [path.join(this.spec.projectDir, "verify", "verify_workspace.py")], { env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c.toString("utf8")));
    child.stderr.on("data", (c: Buffer) => (output += c.toString("utf8")));
    const exitCode = await new Promise<number | null>((resolve) => child.on("close", resolve));
    fs.appendFileSync(path.join(this.dirs.logs, "verifier.log"), output);
    return { exitCode, seconds: (Date.now() - started) / 1000, output };
  }

  /** Each expected location as every webserver replica serves it (an error on any replica wins). */
  async statuses(step: StepPlan): Promise<{ locations: Record<string, LocationResult>; problems: string[] }> {
    const locations: Record<string, LocationResult> = {};
    const problems: string[] = [];
    const expected = new Set(step.locations.map((l) => l.name));
    for (const [i] of this.webservers.entries()) {
      const seen = await readWorkspace(this.url(this.addresses.webservers[i], step));
      if (typeof seen === "string") {
        problems.push(`webserver ${i + 1}: ${seen}`);
        continue;
      }
      for (const name of expected) {
        const result: LocationResult = seen[name] ?? { status: "ERROR", error: `not in webserver ${i + 1}'s workspace` };
        const current = locations[name];
        if (!current || (current.status === "LOADED" && result.status === "ERROR")) locations[name] = result;
      }
      for (const name of Object.keys(seen)) if (!expected.has(name)) problems.push(`webserver ${i + 1} still serves ${name}, which is no longer in the workspace`);
    }
    return { locations, problems };
  }

  /** Seconds until the daemon has loaded exactly `names`, all without error, after `sinceMs`; null at the bound. */
  async waitForDaemon(names: string[], sinceMs: number, boundMs: number): Promise<number | null> {
    const want = [...names].sort().join(",");
    while (Date.now() - sinceMs < boundMs) {
      try {
        const probe = JSON.parse(fs.readFileSync(this.probeFile, "utf8")) as { time: number; locations: Record<string, { loaded: boolean }> };
        const loaded = Object.keys(probe.locations).sort().join(",") === want && Object.values(probe.locations).every((l) => l.loaded);
        if (probe.time * 1000 >= sinceMs && loaded) return (probe.time * 1000 - sinceMs) / 1000;
      } catch {
        // Not written yet.
      }
      await sleep(500);
    }
    return null;
  }

  async stopAll(): Promise<void> {
    await this.stopSystem();
    await Promise.all([...this.codeServers.keys()].map((name) => this.stopCodeServer(name)));
  }
}
