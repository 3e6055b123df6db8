/**
 * npm run bench [-- --sizes 10,100,1000 --stack prod]
 *
 * Plans generated repos/ folders of 10, 100 and 1,000 code locations with the real program under
 * the mock runtime, each size in a fresh process, and prints the planning time, the whole
 * process's wall time and peak memory (max RSS), plus the cost per location.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const PROJECT_DIR = path.resolve(__dirname, "..");

interface Sample {
  locations: number;
  resources: number;
  planMs: number;
  processMs: number;
  maxRssMb: number;
}

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
  const plan = await planStack({ projectDir: PROJECT_DIR, stack, reposDir: repos });
  const planMs = Number(process.hrtime.bigint() - start) / 1e6;
  const sample: Omit<Sample, "processMs" | "locations"> = {
    resources: plan.resources.length,
    planMs,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  };
  process.stdout.write(JSON.stringify(sample) + "\n");
}

function parent(sizes: number[], stack: string): void {
  const samples: Sample[] = [];
  for (const n of sizes) {
    const repos = generateRepos(n);
    const start = process.hrtime.bigint();
    const out = execFileSync(process.execPath, ["-r", "ts-node/register/transpile-only", __filename, "--child", stack, repos], { cwd: PROJECT_DIR, encoding: "utf8", maxBuffer: 1 << 26 });
    const processMs = Number(process.hrtime.bigint() - start) / 1e6;
    const line = out.trim().split("\n").pop() as string;
    samples.push({ locations: n, processMs, ...(JSON.parse(line) as Omit<Sample, "processMs" | "locations">) });
    fs.rmSync(repos, { recursive: true, force: true });
  }
  const rows = samples.map((s) => [
    String(s.locations),
    String(s.resources),
    (s.planMs / 1000).toFixed(2),
    (s.processMs / 1000).toFixed(2),
    s.maxRssMb.toFixed(0),
    (s.planMs / s.locations).toFixed(2),
  ]);
  const header = ["locations", "resources", "plan s", "process s", "max RSS MB", "plan ms/location"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (r: string[]) => r.map((c, i) => c.padStart(widths[i])).join("  ");
  console.log(`Offline plan of stack ${stack} (${os.cpus().length} cores, Node ${process.version})`);
  console.log(fmt(header));
  for (const r of rows) console.log(fmt(r));
  if (samples.length >= 2) {
    const a = samples[samples.length - 2];
    const b = samples[samples.length - 1];
    const growth = (b.planMs - a.planMs) / (b.locations - a.locations);
    console.log(`marginal cost ${a.locations}->${b.locations}: ${growth.toFixed(2)} ms/location`);
  }
}

const argv = process.argv.slice(2);
if (argv[0] === "--child") {
  child(argv[1], argv[2]).catch((e) => {
    console.error(e);
    process.exit(1);
  });
} else {
  const sizesArg = argv.indexOf("--sizes");
  const stackArg = argv.indexOf("--stack");
  const sizes = (sizesArg >= 0 ? argv[sizesArg + 1] : "10,100,1000").split(",").map(Number);
  parent(sizes, stackArg >= 0 ? argv[stackArg + 1] : "prod");
}
