import { excerpt } from "../locations/problems";
import * as path from "path";
import { CHART_SET_ENV, reservedServiceNames } from "../chart/names";
import { parseLocations, readLocationFiles } from "../locations/load";
import { Problem } from "../locations/problems";
import { didYouMean } from "../locations/suggest";
import { CodeLocation } from "../locations/types";
import { ValidationContext } from "../locations/validate";
import { CONTAINER_CONTEXT_ENV } from "../render/containerContext";
import { DAGSTER_CLOUD_ENV_KEYS, Deployment } from "../render/deployment";
import { SNOWFLAKE_ENV_KEYS } from "../render/snowflake";
import { ConfigReader } from "./reader";

/**
 * The code locations of repos/ (every file's problems go to `problems`), narrowed for a branch
 * to `branchLocations` when it names a subset.
 */
export function readLocations(c: ConfigReader, deployment: Deployment, snowflakeOn: boolean, problems: Problem[]): CodeLocation[] {
  const ctx: ValidationContext = {
    reservedEnv: new Set<string>([...DAGSTER_CLOUD_ENV_KEYS, ...Object.values(CONTAINER_CONTEXT_ENV), ...CHART_SET_ENV, ...(snowflakeOn ? SNOWFLAKE_ENV_KEYS : [])]),
    reservedEnvPrefixes: ["DAGSTER_CLOUD_"],
    reservedServiceNames: new Set(reservedServiceNames()),
  };
  const reposDir = c.string("reposDir") ?? "repos";
  const read = readLocationFiles(path.resolve(c.raw.projectDir, reposDir), reposDir);
  problems.push(...read.problems);
  const parsed = parseLocations(read.files, ctx);
  problems.push(...parsed.problems);
  if (deployment.kind !== "branch" || parsed.problems.length > 0) return parsed.locations;
  const filter = (c.string("branchLocations") ?? "all").trim();
  if (filter === "all") return parsed.locations;
  const wanted = filter.split(",").map((s) => s.trim()).filter(Boolean);
  const known = parsed.locations.map((l) => l.name);
  for (const w of wanted) {
    if (known.includes(w)) continue;
    const guess = didYouMean(w, known);
    c.problem("branchLocations", `${excerpt(w)} is not a location in ${reposDir}/`, guess ? `did you mean "${guess}"?` : `known: ${known.join(", ") || "none"}`);
  }
  return parsed.locations.filter((l) => wanted.includes(l.name));
}
