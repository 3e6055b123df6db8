/**
 * A stand-in `gcloud` on PATH that records every call (one argument vector a line) and answers
 * the few questions the bootstrap scripts ask the way the real CLI does:
 * - `… describe …` exits 1 when the resource does not exist (gcloud prints NOT_FOUND and exits 1)
 *   and 0 when it does, as the test chooses;
 * - `projects describe P --format=value(projectNumber)` prints the project's number;
 * - everything else succeeds silently.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export interface FakeGcloud {
  dir: string;
  /** Every call so far, as argument vectors. */
  calls(): string[][];
  run(script: string, args: string[], opts?: { exists?: boolean }): { status: number | null; stdout: string; stderr: string };
  remove(): void;
}

const SCRIPT = `#!/usr/bin/env bash
printf '%s\\x1f' "$@" >> "$GCLOUD_CALLS"; printf '\\n' >> "$GCLOUD_CALLS"
if [[ "$1 $2" == "projects describe" ]]; then
  case "$3" in *preview*) echo 222222222222 ;; *) echo 111111111111 ;; esac
  exit 0
fi
for a in "$@"; do if [[ "$a" == describe ]]; then [[ "$GCLOUD_EXISTS" == 1 ]] && exit 0; echo "ERROR: (gcloud) NOT_FOUND" >&2; exit 1; fi; done
exit 0
`;

export function fakeGcloud(): FakeGcloud {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fake-gcloud-"));
  const callsFile = path.join(dir, "calls");
  fs.writeFileSync(path.join(dir, "gcloud"), SCRIPT, { mode: 0o755 });
  return {
    dir,
    calls: () =>
      fs.existsSync(callsFile)
        ? fs
            .readFileSync(callsFile, "utf8")
            .split("\n")
            .filter((l) => l !== "")
            .map((l) => l.split("\x1f").slice(0, -1))
        : [],
    run: (script, args, opts = {}) => {
      const r = spawnSync("bash", [script, ...args], {
        encoding: "utf8",
        env: { PATH: `${dir}:${process.env.PATH ?? "/usr/bin:/bin"}`, HOME: dir, GCLOUD_CALLS: callsFile, GCLOUD_EXISTS: opts.exists ? "1" : "0" },
      });
      return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    },
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** The argument vectors a dry run's `+ gcloud …` lines stand for, read back by bash itself. */
export function printedCommands(stdout: string): string[][] {
  const lines = stdout.split("\n").filter((l) => l.startsWith("+ "));
  const script = `gcloud() { printf '%s\\x1f' gcloud "$@"; printf '\\n'; }\n${lines.map((l) => l.slice(2)).join("\n")}\n`;
  const r = spawnSync("bash", ["-c", script], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`the printed commands are not valid shell: ${r.stderr}`);
  return r.stdout
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => l.split("\x1f").slice(1, -1));
}
