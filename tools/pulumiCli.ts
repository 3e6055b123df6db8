/**
 * The real Pulumi CLI, at exactly the version CI pins, built here from its Go module so the e2e
 * lifecycle tests drive the same engine, backend and secrets code CI does.
 *
 * `pulumi` comes from github.com/pulumi/pulumi/pkg/v3 (cmd/pulumi). Its go.mod has `replace`
 * directives (the SDK from ../sdk, a clipboard fork), which `go install pkg@version` refuses, so
 * tools/pulumi-cli/ is a wrapper module that requires pkg/v3 and sdk/v3 at that version and copies
 * the clipboard replace; go.sum pins every dependency. Next to it go the two plugins a Node.js
 * program with dynamic resources needs, which the CLI looks for beside its own executable
 * (sdk/go/common/workspace/plugins.go, IsPluginBundled): the language host `pulumi-language-nodejs`
 * (this project's own, in the wrapper module: the upstream host's nested module is not served by
 * the Go module proxy this project can reach; see its main.go) and the dynamic-provider launcher
 * `pulumi-resource-pulumi-nodejs` (a shell script).
 *
 * Built once into the cache (tools/cache.ts), keyed by the version and by a hash of the wrapper's
 * files; a second call only checks the stamp. A cold build takes minutes (see lifecycle/README.md),
 * so CI's `.ci/run` budget allows for it.
 */
import { execFileSync, spawnSync } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { cacheDir, PROJECT_DIR } from "./cache";

export const PULUMI_CLI_VERSION = "3.248.0";

const WRAPPER_DIR = path.join(PROJECT_DIR, "tools", "pulumi-cli");
const CLI_PACKAGE = "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi";
/** The CLI prints this as its version (and checks plugins' required ranges against it). */
const VERSION_LDFLAG = `-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v${PULUMI_CLI_VERSION}`;
const LAUNCHER = "pulumi-resource-pulumi-nodejs";

export interface PulumiCli {
  /** Holds pulumi, pulumi-language-nodejs and pulumi-resource-pulumi-nodejs; put it first on PATH. */
  binDir: string;
  pulumi: string;
  /** What `pulumi version` printed, e.g. v3.248.0. */
  version: string;
  /** True when this call built it, false when the cache had it. */
  built: boolean;
  buildSeconds?: number;
}

/** A hash of everything the build reads from this repository; a change rebuilds. */
function wrapperHash(): string {
  const h = createHash("sha256");
  const walk = (dir: string): void => {
    for (const name of fs.readdirSync(dir).sort()) {
      const p = path.join(dir, name);
      if (fs.statSync(p).isDirectory()) walk(p);
      else h.update(path.relative(WRAPPER_DIR, p)).update("\0").update(fs.readFileSync(p)).update("\0");
    }
  };
  walk(WRAPPER_DIR);
  return h.digest("hex").slice(0, 16);
}

function goEnv(): NodeJS.ProcessEnv {
  // The machine's own Go (1.26) builds it; a go.mod toolchain line must not send it looking for another.
  return { ...process.env, GOTOOLCHAIN: "local", GOFLAGS: "-mod=readonly" };
}

function requireGo(): void {
  const r = spawnSync("go", ["version"], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`building the Pulumi CLI needs Go ≥ 1.25 on PATH (go version failed: ${r.error?.message ?? r.stderr})`);
}

function build(outDir: string, log: (line: string) => void): void {
  requireGo();
  log(`building the Pulumi CLI v${PULUMI_CLI_VERSION} and its Node.js language host from their Go modules (a cold build takes minutes)`);
  execFileSync("go", ["build", "-trimpath", "-buildvcs=false", "-ldflags", `-s -w ${VERSION_LDFLAG}`, "-o", `${outDir}${path.sep}`, CLI_PACKAGE, "./pulumi-language-nodejs"], {
    cwd: WRAPPER_DIR,
    env: goEnv(),
    stdio: ["ignore", "inherit", "inherit"],
  });
  fs.copyFileSync(path.join(WRAPPER_DIR, LAUNCHER), path.join(outDir, LAUNCHER));
  fs.chmodSync(path.join(outDir, LAUNCHER), 0o755);
}

export function pulumiVersion(pulumi: string): string {
  return execFileSync(pulumi, ["version"], { encoding: "utf8", env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" } }).trim();
}

/** The CLI and its plugins, built on first use; later calls return the cached build at once. */
export function ensurePulumiCli(log: (line: string) => void = () => undefined): PulumiCli {
  const stamp = wrapperHash();
  const root = cacheDir(`pulumi-cli-${PULUMI_CLI_VERSION}`);
  const binDir = path.join(root, stamp);
  const pulumi = path.join(binDir, "pulumi");
  const done = path.join(binDir, ".built");
  let built = false;
  let buildSeconds: number | undefined;
  if (!fs.existsSync(done)) {
    const started = Date.now();
    // Built aside and renamed into place: an interrupted build never looks finished, and a
    // checkout sharing the cache that finished first keeps its binaries (they may be running).
    const tmp = fs.mkdtempSync(path.join(root, ".build-"));
    try {
      build(tmp, log);
      fs.writeFileSync(path.join(tmp, ".built"), `${new Date().toISOString()}\n`);
      if (!fs.existsSync(done)) {
        fs.rmSync(binDir, { recursive: true, force: true });
        fs.renameSync(tmp, binDir);
      }
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
    built = true;
    buildSeconds = (Date.now() - started) / 1000;
    log(`built the Pulumi CLI in ${buildSeconds.toFixed(0)} s`);
  }
  const version = pulumiVersion(pulumi);
  if (version !== `v${PULUMI_CLI_VERSION}`) throw new Error(`${pulumi} reports ${version}, expected v${PULUMI_CLI_VERSION}: remove ${root} and run again`);
  return { binDir, pulumi, version, built, buildSeconds };
}
