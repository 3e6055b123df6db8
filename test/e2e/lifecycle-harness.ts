/**
 * The world the lifecycle e2e scenarios run in: the real Pulumi CLI (tools/pulumiCli.ts), a
 * `file://` state backend, an AWS-KMS-compatible key server for the stacks' secrets provider
 * (tools/localKms.ts), a local GitHub API for the reaper, the test program
 * (test/fixtures/lifecycle-program) copied into "checkouts", `npm run branch` run as CI runs it, in
 * a separate process, and a fake `kubectl` (test/fixtures/fake-kubectl: there is no cluster here)
 * whose namespace dagster-pr-<N> is the world's pr-<N>.* files.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import { PROJECT_DIR } from "../../tools/cache";
import { LocalKms, startLocalKms } from "../../tools/localKms";
import { ensurePulumiCli, PulumiCli } from "../../tools/pulumiCli";
import { describeCall } from "../fixtures/fake-pulumi/harness";
import { describeKubectl, FAKE_KUBECTL_BIN, KubectlCall } from "../fixtures/fake-kubectl/harness";

const FIXTURE = path.join(PROJECT_DIR, "test", "fixtures", "lifecycle-program");
export const REPOSITORY = "acme/data-platform";

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A GitHub that knows pull requests' states: what `reap` asks before destroying. */
export class LocalGitHub {
  readonly pulls = new Map<number, { state: "open" | "closed"; merged: boolean }>();
  private server?: http.Server;
  url = "";

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const m = new RegExp(`^/repos/${REPOSITORY}/pulls/(\\d+)$`).exec(req.url ?? "");
      const pr = m ? this.pulls.get(Number(m[1])) : undefined;
      res.writeHead(pr ? 200 : 404, { "Content-Type": "application/json" });
      res.end(JSON.stringify(pr && m ? { number: Number(m[1]), ...pr } : { message: "Not Found" }));
    });
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => (this.server ? this.server.close(resolve) : resolve(undefined)));
  }
}

export class LifecycleWorld {
  readonly root = fs.mkdtempSync(path.join(os.tmpdir(), "dp-lifecycle-"));
  readonly backendDir = path.join(this.root, "state");
  /** Where the test program's resources appear, one file per resource. */
  readonly worldDir = path.join(this.root, "world");
  readonly github = new LocalGitHub();
  /** Every `pulumi` command the lifecycle runs, one line each (see shim()). */
  readonly callLog = path.join(this.root, "pulumi-calls.log");
  /** Every `kubectl` command, as the fake logs it. */
  readonly kubectlLog = path.join(this.root, "kubectl-calls.log");
  private readonly shimDir = path.join(this.root, "shim");
  private seenCalls = 0;
  cli!: PulumiCli;
  kms!: LocalKms;

  async start(log: (line: string) => void): Promise<void> {
    this.cli = ensurePulumiCli(log);
    this.shim();
    this.kms = await startLocalKms(log);
    await this.github.start();
    fs.mkdirSync(this.backendDir);
    fs.mkdirSync(this.worldDir);
  }

  async stop(): Promise<void> {
    await this.kms?.stop();
    await this.github.stop();
    fs.rmSync(this.root, { recursive: true, force: true });
  }

  /**
   * A `pulumi` first on PATH that records its arguments, then becomes the real CLI (exec), so the
   * tests see the exact commands the lifecycle runs. The real CLI still finds its plugins beside
   * its own executable.
   */
  private shim(): void {
    fs.mkdirSync(this.shimDir);
    const script = ["#!/bin/sh", `for a in "$@"; do printf '%s\\037' "$a"; done >> "${this.callLog}"`, `printf '\\n' >> "${this.callLog}"`, `exec "${this.cli.pulumi}" "$@"`, ""].join("\n");
    fs.writeFileSync(path.join(this.shimDir, "pulumi"), script, { mode: 0o755 });
  }

  /** The commands run since the last call, as describeCall() abbreviates them; `version` left out. */
  calls(): string[] {
    const lines = fs.existsSync(this.callLog) ? fs.readFileSync(this.callLog, "utf8").split("\n").filter(Boolean) : [];
    const fresh = lines.slice(this.seenCalls);
    this.seenCalls = lines.length;
    return fresh.map((l) => l.split("\x1f").slice(0, -1)).filter((argv) => argv[0] !== "version").map(describeCall);
  }

  /** The kubectl commands run so far, `--kubeconfig <file>` left out, with what that file was. */
  kubectlCalls(): { command: string; kubeconfig?: KubectlCall["kubeconfig"] }[] {
    if (!fs.existsSync(this.kubectlLog)) return [];
    return fs
      .readFileSync(this.kubectlLog, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as KubectlCall)
      .map((c) => ({ command: describeKubectl(c.argv), kubeconfig: c.kubeconfig }));
  }

  /**
   * A fresh checkout of the test program, as CI's runner has it: the project files, no
   * Pulumi.<stack>.yaml, and node_modules with just the SDK and the policy SDK (symlinked from
   * this repository; nothing with a provider plugin, so the CLI has nothing to download).
   */
  checkout(name: string): string {
    const dir = path.join(this.root, name);
    fs.cpSync(FIXTURE, dir, { recursive: true, filter: (src) => !/Pulumi\.[^/]+\.yaml$/.test(src) });
    const scope = path.join(dir, "node_modules", "@pulumi");
    fs.mkdirSync(scope, { recursive: true });
    for (const pkg of ["pulumi", "policy"]) fs.symlinkSync(path.join(PROJECT_DIR, "node_modules", "@pulumi", pkg), path.join(scope, pkg));
    return dir;
  }

  /** The environment of a CI job: backend, secrets provider, GitHub; never a passphrase. */
  env(checkout: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {
      PATH: [this.shimDir, this.cli.binDir, FAKE_KUBECTL_BIN, process.env.PATH ?? ""].join(path.delimiter),
      FAKE_KUBECTL_WORLD_DIR: this.worldDir,
      FAKE_KUBECTL_LOG: this.kubectlLog,
      HOME: process.env.HOME,
      PULUMI_HOME: path.join(this.root, "pulumi-home"),
      PULUMI_BACKEND_URL: `file://${this.backendDir}`,
      PULUMI_SECRETS_PROVIDER: this.kms.secretsProvider,
      PULUMI_SKIP_UPDATE_CHECK: "true",
      // The program is type-checked by `npm test`; the CLI only needs to run it.
      PULUMI_NODEJS_TRANSPILE_ONLY: "true",
      DAGSTER_PLATFORM_PROJECT_DIR: checkout,
      LIFECYCLE_WORLD_DIR: this.worldDir,
      GITHUB_TOKEN: "ghs_e2e",
      GITHUB_REPOSITORY: REPOSITORY,
      GITHUB_API_URL: this.github.url,
      ...this.kms.env,
      ...extra,
    };
    return env;
  }

  /**
   * `npm run branch -- <args>` from the project root, as CI runs it; `done` resolves when it
   * exits. `detached` puts it in a process group of its own, which a test can kill as a whole.
   */
  startBranch(args: string[], checkout: string, extra: Record<string, string> = {}, opts: { detached?: boolean } = {}): { child: ChildProcess; done: Promise<RunResult> } {
    const child = spawn("npm", ["run", "--silent", "branch", "--", ...args], { cwd: PROJECT_DIR, env: this.env(checkout, extra), detached: opts.detached });
    return { child, done: collect(child) };
  }

  branch(args: string[], checkout: string, extra: Record<string, string> = {}): Promise<RunResult> {
    return this.startBranch(args, checkout, extra).done;
  }

  /** The real CLI directly, in a checkout, with the same job environment. */
  pulumi(args: string[], checkout: string, extra: Record<string, string> = {}): Promise<RunResult> {
    const child = spawn(this.cli.pulumi, [...args, "--non-interactive"], { cwd: checkout, env: this.env(checkout, extra) });
    return collect(child);
  }

  /** The test program's resources that exist, as `<stack>.<kind>` → what they were deployed with. */
  resources(): Record<string, { commitSha: string; branch: string; locations: string }> {
    const out: Record<string, { commitSha: string; branch: string; locations: string }> = {};
    for (const f of fs.readdirSync(this.worldDir).sort()) out[f.replace(/\.json$/, "")] = JSON.parse(fs.readFileSync(path.join(this.worldDir, f), "utf8"));
    return out;
  }

  /** Stacks as the backend stores them (file names under .pulumi/stacks/<project>/). */
  stacks(): string[] {
    const dir = path.join(this.backendDir, ".pulumi", "stacks", "dagster-platform");
    return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith(".json")).map((f) => f.replace(/\.json$/, "")).sort() : [];
  }

  /** The lock files a running update holds on a stack. */
  locks(stack: string): string[] {
    const dir = path.join(this.backendDir, ".pulumi", "locks", "organization", "dagster-platform", stack);
    return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith(".json")) : [];
  }
}

function collect(child: ChildProcess): Promise<RunResult> {
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

export async function waitFor(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
