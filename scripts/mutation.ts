/**
 * npm run test:mutation [-- stryker options, e.g. --mutate locations/quantity.ts]
 *
 * Runs StrykerJS (stryker.config.json) over locations/, config/ and render/, then prints the
 * mutation score per folder and the run time, and fails when locations/ or config/ score under
 * 85 %. Slow (minutes on 2 cores): it is not part of npm test.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

const PROJECT_DIR = path.resolve(__dirname, "..");
const REPORT = path.join(PROJECT_DIR, ".cache", "mutation", "report.json");
/** Folders whose rules must be tested well enough: the score they must reach. */
const REQUIRED: Record<string, number> = { "locations/": 85, "config/": 85 };

interface Mutant {
  status: string;
}
interface Report {
  files: Record<string, { mutants: Mutant[] }>;
}

type Counts = Record<"killed" | "survived" | "noCoverage" | "timeout" | "invalid", number>;

function count(mutants: Mutant[], into: Counts): void {
  for (const m of mutants) {
    if (m.status === "Killed") into.killed++;
    else if (m.status === "Timeout") into.timeout++;
    else if (m.status === "Survived") into.survived++;
    else if (m.status === "NoCoverage") into.noCoverage++;
    else into.invalid++;
  }
}

/** Stryker's mutation score: detected / (detected + undetected); compile errors do not count. */
function score(c: Counts): number {
  const detected = c.killed + c.timeout;
  const all = detected + c.survived + c.noCoverage;
  return all === 0 ? 100 : (100 * detected) / all;
}

function byFolder(report: Report): Map<string, Counts> {
  const folders = new Map<string, Counts>();
  for (const [file, { mutants }] of Object.entries(report.files)) {
    const rel = path.relative(PROJECT_DIR, path.resolve(PROJECT_DIR, file));
    const folder = `${rel.split(path.sep)[0]}/`;
    const c = folders.get(folder) ?? { killed: 0, survived: 0, noCoverage: 0, timeout: 0, invalid: 0 };
    count(mutants, c);
    folders.set(folder, c);
  }
  return folders;
}

function main(): number {
  const start = Date.now();
  const run = spawnSync("npx", ["stryker", "run", ...process.argv.slice(2)], {
    cwd: PROJECT_DIR,
    stdio: "inherit",
    env: { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --require=${path.join(PROJECT_DIR, "tools", "stryker-mocha12.cjs")}`.trim() },
  });
  const minutes = (Date.now() - start) / 60000;
  if (run.status !== 0) return run.status ?? 1;
  const folders = byFolder(JSON.parse(fs.readFileSync(REPORT, "utf8")) as Report);
  console.log(`\nMutation score by folder (run time ${minutes.toFixed(1)} min):`);
  console.log("folder        score  killed  timeout  survived  no coverage  compile errors");
  let failed = false;
  for (const [folder, c] of [...folders.entries()].sort()) {
    const s = score(c);
    const need = REQUIRED[folder];
    if (need !== undefined && s < need) failed = true;
    console.log(`${folder.padEnd(12)} ${s.toFixed(1).padStart(6)}  ${String(c.killed).padStart(6)}  ${String(c.timeout).padStart(7)}  ${String(c.survived).padStart(8)}  ${String(c.noCoverage).padStart(11)}  ${String(c.invalid).padStart(14)}${need !== undefined ? `   (must be ≥ ${need})` : ""}`);
  }
  return failed ? 1 : 0;
}

process.exit(main());
