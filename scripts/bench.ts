/**
 * npm run bench [-- --sizes 10,100,1000,5000 --branch-sizes 1000,5000]
 *
 * Plans generated repos/ folders of 10 to 5,000 code locations with the real program under the
 * mock runtime, each plan in a fresh process, and prints the planning time, the whole process's
 * wall time and CPU time, and its peak memory (max RSS); then plans the branch stack pr-1 for the
 * same folders (its StackReference answered by a plan of the preview stack, made first in the same
 * process) and prints its cost relative to prod's. The machine's load average is printed with them:
 * other work on the machine slows every figure but the CPU time.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const PROJECT_DIR = path.resolve(__dirname, "..");
const SHA = "0123456789abcdef0123456789abcdef01234567";
/** As `npm run plan`: a larger young generation, since a plan allocates many short-lived promises. */
const PLAN_NODE_FLAGS = ["--max-semi-space-size=64"];

interface Sample {
  stack: string;
  locations: number;
  resources: number;
  planMs: number;
  processMs: number;
  cpuMs: number;
  maxRssMb: number;
}
type ChildSample = Omit<Sample, "processMs" | "locations" | "stack">;

/** A repos/ folder of n valid, distinct locations. */
function generateRepos(n: number): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `bench-${n}-`));
  for (let i = 0; i < n; i++) {
    fs.writeFileSync(
      path.join(dir, `location-${i}.yaml`),
      `image: europe-west4-docker.pkg.dev/acme/dagster/location-${i}:1.0.${i}\nmodule: location_${i}.definitions\nenv: {LOG_LEVEL: info}\n`,
    );
  }
  return dir;
}

/**
 * A branch namespace's quota must hold every location's code server (config/index.ts refuses a
 * branch that does not fit), so a branch of n locations is planned with a quota that does.
 */
function branchQuotaFor(n: number): string[] {
  return [`branchCpuQuota=${n + 10}`, `branchMemoryQuota=${2 * n + 20}Gi`, `branchPodQuota=${Math.min(10000, n + 20)}`];
}

/** CPU time of this process's finished children (cutime + cstime of /proc/self/stat, in clock ticks of 10 ms). */
function childrenCpuMs(): number {
  const fields = fs.readFileSync("/proc/self/stat", "utf8").split(") ")[1].split(" ");
  return (Number(fields[13]) + Number(fields[14])) * 10;
}

/** Child mode: plan once, print one JSON line. */
async function child(stack: string, repos: string): Promise<void> {
  const { planStack } = await import("../offline/plan");
  const start = process.hrtime.bigint();
  const overrides = stack.startsWith("pr-") ? [`commitSha=${SHA}`, ...branchQuotaFor(Number(process.argv[5]))] : [];
  const plan = await planStack({ projectDir: PROJECT_DIR, stack, reposDir: repos, overrides });
  const planMs = Number(process.hrtime.bigint() - start) / 1e6;
  const usage = process.resourceUsage();
  // CPU time includes the plan of the referenced stack, made in a child process (Linux: /proc).
  const cpuMs = (usage.userCPUTime + usage.systemCPUTime) / 1000 + childrenCpuMs();
  const sample: ChildSample = { resources: plan.resources.length, planMs, cpuMs, maxRssMb: usage.maxRSS / 1024 };
  process.stdout.write(JSON.stringify(sample) + "\n");
}

function measure(stack: string, n: number, repos: string): Sample {
  const start = process.hrtime.bigint();
  const args = [...PLAN_NODE_FLAGS, "-r", "ts-node/register/transpile-only", __filename, "--child", stack, repos, String(n)];
  const out = execFileSync(process.execPath, args, { cwd: PROJECT_DIR, encoding: "utf8", maxBuffer: 1 << 26 });
  const processMs = Number(process.hrtime.bigint() - start) / 1e6;
  const line = out.trim().split("\n").pop() as string;
  return { stack, locations: n, processMs, ...(JSON.parse(line) as ChildSample) };
}

function table(samples: Sample[], prod: Map<number, Sample>): string[] {
  const rows = samples.map((s) => {
    const base = prod.get(s.locations);
    const ratio = s.stack === "prod" || !base ? "" : `${(s.processMs / base.processMs).toFixed(2)}x / ${(s.cpuMs / base.cpuMs).toFixed(2)}x`;
    return [s.stack, s.locations.toLocaleString("en-US"), String(s.resources), (s.planMs / 1000).toFixed(2), (s.processMs / 1000).toFixed(2), (s.cpuMs / 1000).toFixed(2), s.maxRssMb.toFixed(0), (s.planMs / s.locations).toFixed(2), ratio];
  });
  const header = ["stack", "locations", "resources", "plan s", "process s", "cpu s", "max RSS MB", "plan ms/location", "vs prod (wall / cpu)"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (r: string[]) => r.map((c, i) => c.padStart(widths[i])).join("  ").trimEnd();
  return [fmt(header), ...rows.map(fmt)];
}

function parent(sizes: number[], branchSizes: number[]): void {
  const samples: Sample[] = [];
  const prod = new Map<number, Sample>();
  const load: string[] = [];
  for (const n of [...new Set([...sizes, ...branchSizes])].sort((a, b) => a - b)) {
    const repos = generateRepos(n);
    load.push(os.loadavg()[0].toFixed(1));
    if (sizes.includes(n) || branchSizes.includes(n)) {
      const p = measure("prod", n, repos);
      prod.set(n, p);
      samples.push(p);
    }
    if (branchSizes.includes(n)) samples.push(measure("pr-1", n, repos));
    fs.rmSync(repos, { recursive: true, force: true });
  }
  console.log(`Offline plans (${os.cpus().length} cores, Node ${process.version}, 1-minute load average before each size: ${load.join(", ")})`);
  for (const line of table(samples, prod)) console.log(line);
  const prodOnly = samples.filter((s) => s.stack === "prod");
  if (prodOnly.length >= 2) {
    const [a, b] = prodOnly.slice(-2);
    console.log(`marginal cost ${a.locations}->${b.locations}: ${((b.planMs - a.planMs) / (b.locations - a.locations)).toFixed(2)} ms/location`);
  }
}

const argv = process.argv.slice(2);
const list = (flag: string, fallback: string) => {
  const i = argv.indexOf(flag);
  return (i >= 0 ? argv[i + 1] : fallback).split(",").filter(Boolean).map(Number);
};
if (argv[0] === "--child") {
  child(argv[1], argv[2]).catch((e) => {
    console.error(e);
    process.exit(1);
  });
} else {
  parent(list("--sizes", "10,100,1000,5000"), list("--branch-sizes", "1000,5000"));
}
