/**
 * npm run bench:reload [-- --sizes 5,20,50 --stack prod]
 *
 * With real Dagster (the rehearsal, rehearse/README.md): for N running code locations, the time
 * from a workspace change (one location added: its release ready, then the ConfigMap volume swapped)
 * to the verifier's success on every webserver replica, the daemon's own pick-up, and the peak
 * memory of the whole rehearsal (every process in its namespaces). Each size is one rehearsal
 * with --then. Prints a table and the per-location cost fitted over the sizes.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { RehearsalReport } from "../rehearse/types";

const PROJECT_DIR = path.resolve(__dirname, "..");

interface Sample {
  locations: number;
  replicas: number;
  firstVerifySeconds: number;
  verifySeconds: number;
  daemonSeconds: number | null;
  peakMemoryMb: number;
  webserverMb: number;
  daemonMb: number;
  wallSeconds: number;
}

function writeLocation(repos: string, code: string, i: number): void {
  const name = `location-${i}`;
  fs.writeFileSync(path.join(repos, `${name}.yaml`), `image: registry.example.com/dagster/${name}:1.0.0\npackage: location_${i}\n`);
  const pkg = path.join(code, name, `location_${i}`);
  fs.mkdirSync(pkg, { recursive: true });
  fs.writeFileSync(path.join(pkg, "__init__.py"), `import dagster as dg\n\n@dg.asset\ndef table_${i}():\n    return ${i}\n\ndefs = dg.Definitions(assets=[table_${i}])\n`);
}

/** repos/ folders of n and n + 1 locations, and their code. */
function generate(n: number): { base: string; next: string; code: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `bench-reload-${n}-`));
  const [base, next, code] = ["base", "next", "code"].map((d) => path.join(root, d));
  for (const d of [base, next, code]) fs.mkdirSync(d);
  for (let i = 0; i < n; i++) {
    writeLocation(base, code, i);
    writeLocation(next, code, i);
  }
  writeLocation(next, code, n);
  return { base, next, code };
}

function measure(n: number, stack: string): Sample {
  const { base, next, code } = generate(n);
  const json = path.join(path.dirname(base), "report.json");
  const started = Date.now();
  const r = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "scripts/rehearse.ts", "--stack", stack, "--repos", base, "--then", next, "--code", code, "--json", json], { cwd: PROJECT_DIR, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0 || !fs.existsSync(json)) throw new Error(`rehearsal of ${n} locations failed (exit ${r.status}):\n${r.stdout}\n${r.stderr.slice(-3000)}`);
  const report = JSON.parse(fs.readFileSync(json, "utf8")) as RehearsalReport;
  const [first, second] = report.steps;
  return {
    locations: n,
    replicas: first.webserverPids.length,
    firstVerifySeconds: first.verifier.seconds,
    verifySeconds: second.verifier.seconds,
    daemonSeconds: second.daemonLoadedSeconds,
    peakMemoryMb: report.peakMemoryMb,
    webserverMb: report.peakWebserverMb,
    daemonMb: report.peakDaemonMb,
    wallSeconds: (Date.now() - started) / 1000,
  };
}

/** Least-squares line through (x, y). */
function fit(points: [number, number][]): { intercept: number; slope: number } {
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  const slope = sxx === 0 ? 0 : points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0) / sxx;
  return { intercept: my - slope * mx, slope };
}

function main(): void {
  const argv = process.argv.slice(2);
  const arg = (flag: string, fallback: string) => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : fallback);
  const sizes = arg("--sizes", "5,20,50").split(",").map(Number);
  const stack = arg("--stack", "prod");
  const samples = sizes.map((n) => {
    console.error(`rehearsing ${n} running locations + 1 added …`);
    return measure(n, stack);
  });
  const lines = [`Reload verification with Dagster 1.13.19, stack ${stack} (${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB)`];
  lines.push("locations  replicas  verify s (add 1)  verify s (first)  daemon s  peak MB  webserver MB  daemon MB  rehearsal s");
  for (const s of samples) {
    const cells = [s.locations, s.replicas, s.verifySeconds.toFixed(1), s.firstVerifySeconds.toFixed(1), s.daemonSeconds?.toFixed(1) ?? "-", s.peakMemoryMb, s.webserverMb, s.daemonMb, s.wallSeconds.toFixed(0)];
    const widths = [9, 8, 16, 16, 8, 7, 12, 9, 11];
    lines.push(cells.map((c, i) => String(c).padStart(widths[i])).join("  "));
  }
  const verify = fit(samples.map((s) => [s.locations, s.verifySeconds]));
  const memory = fit(samples.map((s) => [s.locations, s.peakMemoryMb]));
  const web = fit(samples.map((s) => [s.locations, s.webserverMb]));
  lines.push(`verify time ~ ${verify.intercept.toFixed(1)} s + ${(verify.slope * 1000).toFixed(0)} ms x locations (all replicas); at 1,000 locations: ~${(verify.intercept + verify.slope * 1000).toFixed(0)} s`);
  lines.push(`rehearsal memory ~ ${memory.intercept.toFixed(0)} MB + ${memory.slope.toFixed(0)} MB x locations (one code server process each)`);
  lines.push(`one webserver replica ~ ${web.intercept.toFixed(0)} MB + ${web.slope.toFixed(1)} MB x locations; at 1,000 locations: ~${(web.intercept + web.slope * 1000).toFixed(0)} MB`);
  console.log(lines.join("\n"));
}

main();
