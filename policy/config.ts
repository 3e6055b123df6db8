/**
 * Policy configuration (`pulumi preview --policy-pack policy --policy-pack-config <file>`). Only
 * the grant rule is configurable: it needs the production database's name, which is
 * `snowflakeProductionDatabase` in the program's config.
 */
export const DEFAULT_PRODUCTION_DATABASE = "PRODUCTION";

/** JSON schema the engine validates the config against; same identifier rule as render/snowflake.ts. */
export const PRODUCTION_DATABASE_SCHEMA = {
  properties: {
    productionDatabase: {
      type: "string" as const,
      description: "The production Snowflake database, which no grant in a branch stack may name.",
      pattern: "^[A-Z][A-Z0-9_]{0,254}$",
      default: DEFAULT_PRODUCTION_DATABASE,
    },
  },
};

/** The production database from a policy's config, defaulted here too in case the engine does not apply the schema default. */
export function productionDatabaseOf(config: Record<string, unknown>): string {
  const value = config.productionDatabase;
  return typeof value === "string" && value !== "" ? value : DEFAULT_PRODUCTION_DATABASE;
}
