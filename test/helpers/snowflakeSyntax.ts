/**
 * The documented syntax of the Snowflake statements snowflake/*.sql runs and sqlglot only
 * tokenizes (it falls back to an opaque Command for them): each shape is transcribed from the
 * syntax block of the page named beside it, narrowed to the forms these files use (unquoted
 * uppercase identifiers). A statement the files run must match one, in its documented order of
 * clauses. This is a transcription, not Snowflake: the acceptance script (README) is what runs
 * them for real.
 */
const ID = "[A-Z][A-Z0-9_]*";
const QID = `${ID}(?:\\.${ID}){0,2}`;
const VAR_ID = `(?:${ID}|IDENTIFIER\\(\\$[a-z_]+\\))`;
const STR = "'(?:[^']|'')*'";
/** A three-part quoted identifier, `"DB"."SCHEMA"."NAME"`, every inner quote doubled. */
const QUOTED_REF = '"(?:[^"]|"")+"\\."(?:[^"]|"")+"\\."(?:[^"]|"")+"';
/** The argument types of a function's or procedure's signature: `(NUMBER, VARCHAR(16))`. */
const TYPE = "[A-Z][A-Z0-9_]*(?:\\([0-9, ]*\\))?";
const SIGNATURE = `\\((?:${TYPE}(?:, ${TYPE})*)?\\)`;
const B64 = "'[A-Za-z0-9+/]+={0,2}'";

/** `object_type_plural` of GRANT OWNERSHIP … ON ALL (bulk grants on pipes are not allowed). */
const OWNERSHIP_PLURALS = ["SCHEMAS", "TABLES", "EXTERNAL TABLES", "DYNAMIC TABLES", "EVENT TABLES", "VIEWS", "MATERIALIZED VIEWS", "SEQUENCES", "FILE FORMATS", "STAGES", "FUNCTIONS", "PROCEDURES", "STREAMS", "TASKS", "ALERTS"];
const USER_PROPERTY = `(?:TYPE = (?:SERVICE|PERSON|LEGACY_SERVICE)|DEFAULT_ROLE = ${ID}|DEFAULT_WAREHOUSE = ${ID}|DEFAULT_NAMESPACE = ${QID}|RSA_PUBLIC_KEY = ${B64}|NETWORK_POLICY = ${ID}|COMMENT = ${STR})`;

export interface Shape {
  doc: string;
  pattern: RegExp;
}

const shape = (doc: string, source: string): Shape => ({ doc: `https://docs.snowflake.com/en/sql-reference/sql/${doc}`, pattern: new RegExp(`^${source}$`) });

export const DOCUMENTED_SHAPES: readonly Shape[] = [
  shape("create-role", `CREATE ROLE IF NOT EXISTS ${ID}(?: COMMENT = ${STR})?`),
  shape("create-database", `CREATE DATABASE IF NOT EXISTS ${ID}(?: COMMENT = ${STR})?`),
  shape(
    "create-clone",
    `CREATE OR REPLACE DATABASE ${ID} CLONE ${ID}(?: AT\\(TIMESTAMP => TO_TIMESTAMP_LTZ\\([0-9]+\\)\\))?(?: IGNORE TABLES WITH INSUFFICIENT DATA RETENTION)?(?: IGNORE HYBRID TABLES)?(?: INCLUDE INTERNAL STAGES)?`,
  ),
  shape("create-schema", `CREATE SCHEMA (?:IF NOT EXISTS )?${QID}(?: WITH MANAGED ACCESS)?`),
  shape(
    "grant-ownership",
    `GRANT OWNERSHIP ON (?:ALL (?:${OWNERSHIP_PLURALS.join("|")}) IN (?:DATABASE ${ID}|SCHEMA ${QID})|(?:DATABASE|SCHEMA|TABLE|VIEW|PROCEDURE|NETWORK POLICY) ${QID}) TO ROLE ${ID}(?: (?:REVOKE|COPY) CURRENT GRANTS)?`,
  ),
  shape("grant-role", `GRANT ROLE ${ID} TO (?:ROLE|USER) ${VAR_ID}`),
  shape("grant-database-role", `GRANT DATABASE ROLE ${ID}\\.${ID} TO ROLE ${ID}`),
  shape("revoke-role", `REVOKE ROLE ${ID} FROM (?:ROLE|USER) ${VAR_ID}`),
  shape(
    "grant-privilege",
    `GRANT [A-Z ]+(?:, [A-Z ]+)* ON (?:ACCOUNT|(?:WAREHOUSE|DATABASE) ${VAR_ID}|SCHEMA ${QID}|(?:FUTURE|ALL) (?:SCHEMAS|TABLES|VIEWS) IN DATABASE ${VAR_ID}|PROCEDURE ${QID}\\([A-Z, ]*\\)) TO ROLE ${ID}`,
  ),
  shape("create-user", `CREATE USER IF NOT EXISTS ${ID}(?: ${USER_PROPERTY})+`),
  shape("alter-user", `ALTER USER (?:IF EXISTS )?${ID} SET(?: ${USER_PROPERTY})+`),
  shape("drop-database", `DROP DATABASE IF EXISTS ${ID}`),
  shape("drop-user", `DROP USER IF EXISTS ${ID}`),
  shape("drop-role", `DROP ROLE IF EXISTS ${ID}`),
  shape("drop-stage", `DROP STAGE IF EXISTS ${QUOTED_REF}`),
  shape("drop-pipe", `DROP PIPE IF EXISTS ${QUOTED_REF}`),
  shape("drop-external-table", `DROP EXTERNAL TABLE IF EXISTS ${QUOTED_REF}`),
  shape("drop-iceberg-table", `DROP ICEBERG TABLE IF EXISTS ${QUOTED_REF}`),
  shape("drop-function", `DROP FUNCTION IF EXISTS ${QUOTED_REF}${SIGNATURE}`),
  shape("drop-procedure", `DROP PROCEDURE IF EXISTS ${QUOTED_REF}${SIGNATURE}`),
  shape("drop-network-policy", `DROP NETWORK POLICY IF EXISTS ${ID}`),
  shape("call", `CALL ${QID}\\((?:(?:${STR}|[0-9]+|NULL|\\$[a-z_]+)(?:, (?:${STR}|[0-9]+|NULL|\\$[a-z_]+))*)?\\)`),
  shape("show-objects", `SHOW (?:DATABASES|ROLES|USERS)(?: LIKE ${STR})?`),
  shape("show-stages", `SHOW STAGES IN DATABASE ${ID}`),
  shape("show-pipes", `SHOW PIPES IN DATABASE ${ID}`),
  shape("show-external-tables", `SHOW EXTERNAL TABLES IN DATABASE ${ID}`),
  shape("show-iceberg-tables", `SHOW ICEBERG TABLES IN DATABASE ${ID}`),
  shape("show-schemas", `SHOW SCHEMAS IN DATABASE ${ID}`),
  shape("show-parameters", `SHOW PARAMETERS LIKE ${STR} IN USER ${ID}`),
  shape("create-network-policy", `CREATE NETWORK POLICY ${ID} ALLOWED_IP_LIST = \\(${STR}(?:, ${STR})*\\)(?: COMMENT = ${STR})?`),
  shape("create-pipe", `CREATE PIPE ${QID} AS COPY INTO ${QID} FROM @${QID}`),
  shape("create-task", `CREATE TASK ${QID} SCHEDULE = ${STR} AS SELECT 1`),
  shape("create-masking-policy", `CREATE MASKING POLICY ${QID} AS \\(${ID} VARCHAR\\) RETURNS VARCHAR -> .+`),
  shape("alter-table", `ALTER TABLE ${QID} MODIFY COLUMN ${ID} (?:SET MASKING POLICY ${QID}|UNSET MASKING POLICY)`),
  shape("alter-task", `ALTER TASK ${QID} RESUME`),
  shape("use-secondary-roles", "USE SECONDARY ROLES (?:ALL|NONE)"),
  shape("use-warehouse", `USE WAREHOUSE ${VAR_ID}`),
];

/** The documented shape a statement (whitespace collapsed) matches, or undefined. */
export function documentedShape(statement: string): Shape | undefined {
  const flat = statement.replace(/\s+/g, " ").trim();
  return DOCUMENTED_SHAPES.find((s) => s.pattern.test(flat));
}
