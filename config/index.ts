/**
 * The stack configuration: read once, from the stack's config and the repos/ folder, into one
 * typed PlatformConfig. Each concern reads its own keys (config/*.ts); every problem of every
 * part is collected and reported at once, before a single resource is registered.
 */
import { InputError, Problem } from "../locations/problems";
import { notePlaceholders, offlinePlanEnabled } from "../offline/mode";
import { BRANCH_SIZE, PROD_SIZE } from "../render/resources";
import { readBranch } from "./branch";
import { readCloud } from "./cloud";
import { readDagster } from "./dagster";
import { readDeployment, readNamespace } from "./deployment";
import { readIngress } from "./ingress";
import { readLocations } from "./locations";
import { readPostgres } from "./postgres";
import { ConfigReader, readRawConfig } from "./reader";
import { readSnowflake } from "./snowflake";
import { PlatformConfig, RawConfig } from "./types";

export * from "./types";
export { SECRET_PLACEHOLDER_PREFIX, readRawConfig } from "./reader";

/** What the real program runs: the running stack's config, refusing everything on any problem. */
export function loadPlatformConfig(): PlatformConfig {
  const cfg = parsePlatformConfig({ ...readRawConfig(), secretPlaceholders: offlinePlanEnabled() });
  notePlaceholders(cfg.secretPlaceholders);
  return cfg;
}

/**
 * Parses and validates everything: stack config and the repos/ folder. Throws one InputError
 * listing every problem; returns only a fully valid configuration.
 */
export function parsePlatformConfig(raw: RawConfig): PlatformConfig {
  const c = new ConfigReader(raw);
  const fileProblems: Problem[] = [];
  const deployment = readDeployment(c);
  const namespace = readNamespace(c, deployment);
  const dagster = readDagster(c);
  const ingress = readIngress(c, deployment);
  const { cloudSql, ...cloud } = readCloud(c, deployment, ingress.mode === "internal" ? ingress.proxySubnetCidr : undefined);
  const postgres = readPostgres(c, deployment, cloudSql, cloud.gcp?.project);
  const snowflake = readSnowflake(c, deployment);
  const branch = readBranch(c, deployment);
  const locations = readLocations(c, deployment, snowflake !== undefined, fileProblems);
  const all = [...c.problems, ...fileProblems];
  if (all.length > 0) throw new InputError(`Refusing to plan stack "${raw.stack}"`, all);
  return {
    project: raw.project,
    deployment,
    namespace,
    ...dagster,
    locations,
    size: deployment.kind === "branch" ? BRANCH_SIZE : PROD_SIZE,
    ...cloud,
    postgres,
    ingress,
    snowflake,
    branch,
    secretPlaceholders: [...c.placeholders].sort(),
  };
}
