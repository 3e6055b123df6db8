import { excerpt } from "../locations/problems";
import * as pulumi from "@pulumi/pulumi";
import { Deployment } from "../render/deployment";
import { isSnowflakeIdentifier } from "../render/snowflake";
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
  const snowflake: SnowflakeConfig = { account: account ?? "", warehouse: warehouse ?? "", productionDatabase };
  if (deployment.kind === "branch") {
    for (const key of ["snowflakeUser", "snowflakeRole", "snowflakePrivateKey"] as const) {
      if (c.isSet(key)) c.problem(key, "is set on a branch stack", "branch stacks never hold production Snowflake credentials; they mint their own user and key. Unset it");
    }
    return snowflake;
  }
  const user = c.required("snowflakeUser", why);
  const role = c.required("snowflakeRole", why);
  const privateKey = c.requiredSecret("snowflakePrivateKey", why);
  if (role !== undefined && !isSnowflakeIdentifier(role)) c.problem("snowflakeRole", `${excerpt(role)} is not an unquoted uppercase Snowflake identifier`);
  return { ...snowflake, prod: { user: user ?? "", role: role ?? "", privateKey: privateKey ?? pulumi.secret("") } };
}
