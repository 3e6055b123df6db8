/**
 * Where the end-to-end tools keep what they build or install (Python environments, the Pulumi
 * CLI): a git-ignored folder, so a second run reuses it. DAGSTER_PLATFORM_CACHE moves it (several
 * checkouts can share one cache).
 */
import * as fs from "fs";
import * as path from "path";

export const PROJECT_DIR = path.resolve(__dirname, "..");

export function cacheDir(...parts: string[]): string {
  const root = process.env.DAGSTER_PLATFORM_CACHE ? path.resolve(process.env.DAGSTER_PLATFORM_CACHE) : path.join(PROJECT_DIR, ".cache");
  const dir = path.join(root, ...parts);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}
