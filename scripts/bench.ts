/**
 * npm run bench [-- --sizes 10,100,1000,5000 --branch-sizes 1000,5000]
 *
 * Plans generated repos/ folders of 10 to 5,000 code locations with the real program under the
 * mock runtime, each plan in a fresh process, and prints the planning time, the whole process's
 * wall time and CPU time, and its peak memory (max RSS); then plans the branch stack pr-1 for the
 * same folders (its StackReference answered by a plan of the preview stack in a child process, beside
 * it) and prints its cost relative to prod's. The machine's load average is printed with them:
 * other work on the machine slows every figure but the CPU time.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PLAN_NODE_FLAGS } from "../offline/reference";

const PROJECT_DIR = path.resolve(__dirname, "..");
const SHA = "0123456789abcdef0123456789abcdef01234567";

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

/** Child mode: plan once, print one JSON line. */
async function child(stack: string, repos: string): Promise<void> {
  const { planStack } = await import("../offline/plan");
  const start = process.hrtime.bigint();
  const overrides = stack.startsWith("pr-") ? [`commitSha=${SHA}`] : [];
  const plan = await planStack({ projectDir: PROJECT_DIR, stack, reposDir: repos, overrides });
  const planMs = Number(process.hrtime.bigint() - start) / 1e6;
  const usage = process.resourceUsage();
  const sample: ChildSample = { resources: plan.resources.length, planMs, cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000, maxRssMb: usage.maxRSS / 1024 };
  process.stdout.write(JSON.stringify(sample) + "\n");
}

function measure(stack: string, n: number, repos: string): Sample {
  const start = process.hrtime.bigint();
  const args = [...PLAN_NODE_FLAGS, "-r", "ts-node/register/transpile-only", __filename, "--child", stack, repos];
  const out = execFileSync(process.execPath, args, { cwd: PROJECT_DIR, encoding: "utf8", maxBuffer: 1 << 26 });
  const processMs = Number(process.hrtime.bigint() - start) / 1e6;
  const line = out.trim().split("\n").pop() as string;
  return { stack, locations: n, processMs, ...(JSON.parse(line) as ChildSample) };
}

function table(samples: Sample[], prod: Map<number, Sample>): string[] {
  const rows = samples.map((s) => {
    const base = prod.get(s.locations);
    const ratio = s.stack === "prod" || !base ? "" : `${(s.processMs / base.processMs).toFixed(2)}x`;
    return [s.stack, s.locations.toLocaleString("en-US"), String(s.resources), (s.planMs / 1000).toFixed(2), (s.processMs / 1000).toFixed(2), (s.cpuMs / 1000).toFixed(2), s.maxRssMb.toFixed(0), (s.planMs / s.locations).toFixed(2), ratio];
  });
  const header = ["stack", "locations", "resources", "plan s", "process s", "cpu s", "max RSS MB", "plan ms/location", "vs prod"];
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
