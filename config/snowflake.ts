import { excerpt } from "../locations/problems";
import * as pulumi from "@pulumi/pulumi";
import { Deployment } from "../render/deployment";
import { isSnowflakeIdentifier } from "../render/snowflake";
import { isCloneSource, isCloneTime } from "../render/snowflakeCalls";
import { ConfigReader } from "./reader";
import { SnowflakeConfig } from "./types";

/** Snowflake: the account and warehouse; prod's credentials, which a branch may never hold. */
export function readSnowflake(c: ConfigReader, deployment: Deployment): SnowflakeConfig | undefined {
  if (!c.bool("snowflake")) return undefined;
  const why = "snowflake is true";
  const account = c.required("snowflakeAccount", why);
  if (account !== undefined && !/^[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*$/.test(account)) c.problem("snowflakeAccount", `${excerpt(account)} is not a Snowflake account identifier`, "<org>-<account>, e.g. acme-analytics");
  const warehouse = c.required("snowflakeWarehouse", why);
  const productionDatabase = c.string("snowflakeProductionDatabase") ?? "PRODUCTION";
  for (const [key, value] of [["snowflakeWarehouse", warehouse], ["snowflakeProductionDatabase", productionDatabase]] as const) {
    if (value !== undefined && !isSnowflakeIdentifier(value)) {
      c.problem(key, `${excerpt(value)} is not an unquoted uppercase Snowflake identifier`, "letters A-Z, digits and _, starting with a letter; it is spliced into SQL");
    }
  }
  if (isSnowflakeIdentifier(productionDatabase) && !isCloneSource(productionDatabase)) {
    c.problem("snowflakeProductionDatabase", `"${productionDatabase}" is longer than 200 characters`, "<name>_CLONE_<N> must fit Snowflake's 255");
  }
  const snowflake: SnowflakeConfig = { account: account ?? "", warehouse: warehouse ?? "", productionDatabase };
  if (deployment.kind === "branch") {
    for (const key of ["snowflakeUser", "snowflakeRole", "snowflakePrivateKey"] as const) {
      if (c.isSet(key)) c.problem(key, "is set on a branch stack", "branch stacks never hold production Snowflake credentials; they mint their own user and key. Unset it");
    }
    return { ...snowflake, cloneAt: readCloneAt(c) };
  }
  if (c.isSet("pullRequestOpenedAt")) c.problem("pullRequestOpenedAt", "is set on a non-branch stack", "only pr-<N> stacks clone production; unset it");
  c.enumValue("snowflakeCloneFreshness"); // only branches use it, but a typo in shared config is reported everywhere
  const user = c.required("snowflakeUser", why);
  const role = c.required("snowflakeRole", why);
  const privateKey = c.requiredSecret("snowflakePrivateKey", why);
  if (role !== undefined && !isSnowflakeIdentifier(role)) c.problem("snowflakeRole", `${excerpt(role)} is not an unquoted uppercase Snowflake identifier`);
  return { ...snowflake, prod: { user: user ?? "", role: role ?? "", privateKey: privateKey ?? pulumi.secret("") } };
}

/**
 * The clone's point in time: none (production as it is at each deploy) or, with freshness
 * pull-request-opened, the time CI says the pull request opened. The procedure refuses a time
 * beyond production's Time Travel retention; this only checks the format.
 */
function readCloneAt(c: ConfigReader): string | undefined {
  const freshness = c.enumValue<"push" | "pull-request-opened">("snowflakeCloneFreshness");
  const openedAt = c.string("pullRequestOpenedAt");
  if (openedAt !== undefined && !isCloneTime(openedAt)) {
    c.problem("pullRequestOpenedAt", `"${openedAt}" is not an ISO 8601 time with seconds and a zone`, "e.g. 2025-03-01T12:00:00Z, as GitHub's pull_request.created_at");
    return undefined;
  }
  if (freshness === "push") return undefined;
  if (openedAt === undefined) {
    c.problem("pullRequestOpenedAt", "is not set, and snowflakeCloneFreshness is pull-request-opened", "CI passes it: npm run branch -- up … --opened-at <pull request created_at>");
  }
  return openedAt;
}
