/**
 * mikefarah yq v4, the yq the reusable code-location workflow runs (GitHub's Ubuntu runners ship
 * it). It is a Go module, so it is built here from the Go module proxy with `go install` into the
 * cache on first use; a second run reuses the binary. Not the Python `yq` (a jq wrapper that takes
 * the same arguments and does something else).
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { cacheDir } from "./cache";

export const YQ_MODULE = "github.com/mikefarah/yq/v4";
export const YQ_VERSION = "v4.54.3";

/** The path of the yq binary, built if it is not in the cache yet. `log` gets progress lines. */
export function ensureYq(log: (line: string) => void = () => undefined): string {
  const dir = cacheDir("yq", YQ_VERSION);
  const bin = path.join(dir, "yq");
  if (!fs.existsSync(bin)) {
    log(`building ${YQ_MODULE}@${YQ_VERSION} with go install (about 2 minutes, once)`);
    execFileSync("go", ["install", `${YQ_MODULE}@${YQ_VERSION}`], {
      stdio: "inherit",
      env: {
        ...process.env,
        GOBIN: dir,
        // Module downloads in the cache too; -modcacherw keeps them deletable.
        GOMODCACHE: cacheDir("go", "mod"),
        GOFLAGS: "-modcacherw -buildvcs=false",
      },
    });
  }
  const version = execFileSync(bin, ["--version"], { encoding: "utf8" });
  if (!version.includes(`version ${YQ_VERSION}`) || !/mikefarah/.test(version)) throw new Error(`${bin} is not mikefarah yq ${YQ_VERSION}: ${version}`);
  return bin;
}
