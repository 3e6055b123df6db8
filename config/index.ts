/**
 * The stack configuration: read once, from the stack's config and the repos/ folder, into one
 * typed PlatformConfig. Each concern reads its own keys (config/*.ts); every problem of every
 * part is collected and reported at once, before a single resource is registered.
 */
import { InputError, Problem } from "../locations/problems";
import { notePlaceholders, offlinePlanEnabled } from "../offline/mode";
import { quantityNumber } from "../locations/quantity";
import { CodeLocation, ResourceRequirements } from "../locations/types";
import { BranchWorkload, quotaShortfall } from "../render/branchNamespace";
import { BRANCH_SIZE, PROD_SIZE } from "../render/resources";
import { readBranch } from "./branch";
import { unprovidedReferences } from "./branchObjects";
import { readCloud } from "./cloud";
import { readDagster } from "./dagster";
import { STACK_NAME_FIELD, readDeployment, readNamespace } from "./deployment";
import { readIngress } from "./ingress";
import { readLocations } from "./locations";
import { readPostgres } from "./postgres";
import { readPreview } from "./preview";
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
  // A stack whose name says nothing it may be (PR-1, staging undeclared) has no settings worth
  // checking: every name derived from it, and every default meant for prod, would only add noise.
  if (c.problems.some((p) => p.field === STACK_NAME_FIELD)) throw new InputError(`Refusing to plan stack "${raw.stack}"`, c.problems);
  const namespace = readNamespace(c, deployment);
  const dagster = readDagster(c);
  const isPreview = deployment.kind === "preview";
  // The preview stack runs no Dagster: no webserver to expose, no locations, no Snowflake.
  const ingress = isPreview ? ({ mode: "none" } as const) : readIngress(c, deployment);
  const { cloudSql, ...cloud } = readCloud(c, deployment, ingress.mode === "internal" ? ingress.proxySubnetCidr : undefined);
  const postgres = readPostgres(c, deployment, cloudSql);
  const preview = readPreview(c, deployment, cloud.gcp);
  const snowflake = isPreview ? undefined : readSnowflake(c, deployment);
  const branch = readBranch(c, deployment);
  const locations = preview ? [] : readLocations(c, deployment, snowflake !== undefined, fileProblems);
  if (branch && fileProblems.length === 0) {
    fileProblems.push(...unprovidedReferences(locations, branch.objects));
    const shortfall = quotaShortfall(branch.limits, branchWorkload(locations), quantityNumber);
    if (shortfall) c.problem("branchCpuQuota", shortfall, "raise branchCpuQuota/branchMemoryQuota/branchPodQuota in Pulumi.yaml (the preview stack enforces the same figures), lower branchMaxConcurrentRuns, or run fewer locations (branchLocations)");
  }
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
    preview,
    secretPlaceholders: [...c.placeholders].sort(),
  };
}

/** What a branch runs besides its runs: BRANCH_SIZE's pods, its PostgreSQL (components/BranchPostgres.ts) and the verification Job. */
function branchWorkload(locations: readonly CodeLocation[]): BranchWorkload {
  const one: ResourceRequirements = { requests: { cpu: "250m", memory: "512Mi" } };
  return {
    fixed: [...Array<ResourceRequirements>(BRANCH_SIZE.webserverReplicas).fill(BRANCH_SIZE.webserver), BRANCH_SIZE.daemon, one, one],
    codeServers: locations.map((l) => l.resources ?? BRANCH_SIZE.codeServer),
    run: BRANCH_SIZE.runs,
  };
}
