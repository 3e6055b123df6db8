-- dagster-platform: Snowflake administration of branch deployments.
-- branch_admin version: 2
--
-- Installed once, and re-run unchanged to upgrade, by an account administrator (ACCOUNTADMIN).
-- Every statement is idempotent. What it sets up (docs/snowflake-branches.md explains why):
--
--   DAGSTER_BRANCH_ADMIN       role owning the procedures below; they run with its rights
--                              (EXECUTE AS OWNER). It may read the clone sources and
--                              ACCOUNT_USAGE.POLICY_REFERENCES, create databases, roles and users,
--                              and manage grants; it owns the branch network policy, if any. No
--                              user holds it: only the procedures' fixed code ever acts as it.
--   DAGSTER_BRANCH_DEPLOYER    CI's role: USAGE on the three procedures (and on the database and
--                              schema holding them) and on the branch warehouse. Nothing on any
--                              source database, no CREATE USER/ROLE/DATABASE, no grant option.
--   DAGSTER_BRANCH_ADMIN.BRANCHES
--     CLONE_SOURCES            which databases may be cloned, with the clone options of each
--     CREATE_BRANCH(source, pull request, clone-at time or NULL, public key)
--     DROP_BRANCH(source, pull request)
--     LIST_BRANCHES(source, pull request or NULL)     read-only
--
-- Per pull request N the procedures make, and remove: database <SOURCE>_CLONE_<N> (a zero-copy
-- clone without the objects that reach outside it, whose tables, views and other objects the
-- branch role owns; its schemas stay with DAGSTER_BRANCH_ADMIN), role DAGSTER_PR_<N> (that clone
-- and the branch warehouse, nothing else) and key-pair service user DAGSTER_PR_<N> (with the
-- source's network policy, if it names one). Object names are built inside the procedures from
-- the validated pull-request number and a source listed in CLONE_SOURCES; the only other caller
-- input reaching SQL text is a validated time and a validated base64 public key. Pull request 0
-- belongs to the acceptance script alone (a source row flagged ACCEPTANCE_ONLY).
--
-- Version 2 (docs/snowflake-branches.md, "Upgrading"): drops what reaches outside the clone
-- (external stages, pipes, external and Iceberg tables, external functions, functions and
-- procedures with external access), keeps the clone's schemas with the admin role, refuses
-- sources that hold masking/row-access/other policies, refuses pull request 0 for real sources,
-- applies CLONE_SOURCES.BRANCH_NETWORK_POLICY to branch users.

-- 1. Edit these two lines: the production database branches clone, and the warehouse branch
--    roles (and CI, to call the procedures) run on.
SET production_database = 'PRODUCTION';
SET branch_warehouse = 'DAGSTER_WH';

USE ROLE ACCOUNTADMIN;
USE WAREHOUSE IDENTIFIER($branch_warehouse);

-- 2. The two roles. The admin role sits under ACCOUNTADMIN only: granting it to SYSADMIN would
--    hand SYSADMIN's users MANAGE GRANTS.
CREATE ROLE IF NOT EXISTS DAGSTER_BRANCH_ADMIN COMMENT = 'Owns the dagster-platform branch procedures; no user holds it';
CREATE ROLE IF NOT EXISTS DAGSTER_BRANCH_DEPLOYER COMMENT = 'CI: may call the dagster-platform branch procedures, nothing else';
GRANT ROLE DAGSTER_BRANCH_ADMIN TO ROLE ACCOUNTADMIN;

-- 3. What the procedures need. MANAGE GRANTS: a clone's schemas and tables keep their production
--    owners, and only their owner or MANAGE GRANTS may hand them to the branch role (GRANT
--    OWNERSHIP); it also lets the transfer target a role that is not active in the session
--    (behaviour change 2395). Reading the source is what CREATE ... CLONE requires.
GRANT CREATE DATABASE, CREATE ROLE, CREATE USER, MANAGE GRANTS ON ACCOUNT TO ROLE DAGSTER_BRANCH_ADMIN;
GRANT USAGE ON WAREHOUSE IDENTIFIER($branch_warehouse) TO ROLE DAGSTER_BRANCH_ADMIN;
GRANT USAGE ON DATABASE IDENTIFIER($production_database) TO ROLE DAGSTER_BRANCH_ADMIN;
GRANT USAGE ON ALL SCHEMAS IN DATABASE IDENTIFIER($production_database) TO ROLE DAGSTER_BRANCH_ADMIN;
GRANT USAGE ON FUTURE SCHEMAS IN DATABASE IDENTIFIER($production_database) TO ROLE DAGSTER_BRANCH_ADMIN;
GRANT SELECT ON ALL TABLES IN DATABASE IDENTIFIER($production_database) TO ROLE DAGSTER_BRANCH_ADMIN;
GRANT SELECT ON FUTURE TABLES IN DATABASE IDENTIFIER($production_database) TO ROLE DAGSTER_BRANCH_ADMIN;
GRANT SELECT ON ALL VIEWS IN DATABASE IDENTIFIER($production_database) TO ROLE DAGSTER_BRANCH_ADMIN;
GRANT SELECT ON FUTURE VIEWS IN DATABASE IDENTIFIER($production_database) TO ROLE DAGSTER_BRANCH_ADMIN;
-- CREATE_BRANCH refuses a source that holds policies, read from ACCOUNT_USAGE.POLICY_REFERENCES
-- (SNOWFLAKE database roles: GOVERNANCE_VIEWER grants SELECT on it).
GRANT DATABASE ROLE SNOWFLAKE.GOVERNANCE_VIEWER TO ROLE DAGSTER_BRANCH_ADMIN;

-- 4. Where the procedures live, owned by the admin role.
CREATE DATABASE IF NOT EXISTS DAGSTER_BRANCH_ADMIN COMMENT = 'dagster-platform branch procedures';
GRANT OWNERSHIP ON DATABASE DAGSTER_BRANCH_ADMIN TO ROLE DAGSTER_BRANCH_ADMIN COPY CURRENT GRANTS;
USE ROLE DAGSTER_BRANCH_ADMIN;
CREATE SCHEMA IF NOT EXISTS DAGSTER_BRANCH_ADMIN.BRANCHES WITH MANAGED ACCESS;

-- 5. The clone sources and their options (one row each). Defaults, and why:
--    IGNORE_INSUFFICIENT_RETENTION TRUE: tables whose Time Travel no longer reaches the clone's
--      point in time (transient tables, DATA_RETENTION_TIME_IN_DAYS = 0 or 1) are left out of the
--      clone instead of failing it.
--    IGNORE_HYBRID_TABLES TRUE: a database clone copies hybrid tables' row store (not zero-copy,
--      uses compute); branches get none.
--    INCLUDE_INTERNAL_STAGES FALSE: named internal stages (and their files) are not cloned.
--    KEEP_SOURCE_GRANTS FALSE: the clone's objects lose the grants they carried over from
--      production (REVOKE CURRENT GRANTS); TRUE keeps them (COPY CURRENT GRANTS), so whoever may
--      read a production table may read its branch copies too.
--    BRANCH_NETWORK_POLICY NULL: the network policy set on every DAGSTER_PR_<N> user of this
--      source (ALTER USER ... SET NETWORK_POLICY), e.g. one allowing only the preview cluster's
--      Cloud NAT addresses. DAGSTER_BRANCH_ADMIN must own it (docs/snowflake-branches.md).
--    ACCEPTANCE_ONLY FALSE: TRUE marks the acceptance script's throwaway source, the only one
--      CREATE_BRANCH clones for pull request 0, and for no other number.
CREATE TABLE IF NOT EXISTS DAGSTER_BRANCH_ADMIN.BRANCHES.CLONE_SOURCES (
  SOURCE_DATABASE VARCHAR NOT NULL PRIMARY KEY,
  BRANCH_WAREHOUSE VARCHAR NOT NULL,
  IGNORE_INSUFFICIENT_RETENTION BOOLEAN NOT NULL,
  IGNORE_HYBRID_TABLES BOOLEAN NOT NULL,
  INCLUDE_INTERNAL_STAGES BOOLEAN NOT NULL,
  KEEP_SOURCE_GRANTS BOOLEAN NOT NULL,
  BRANCH_NETWORK_POLICY VARCHAR,
  ACCEPTANCE_ONLY BOOLEAN DEFAULT FALSE
);
-- A version 1 table gets the version 2 columns (NULL counts as FALSE).
ALTER TABLE DAGSTER_BRANCH_ADMIN.BRANCHES.CLONE_SOURCES ADD COLUMN IF NOT EXISTS BRANCH_NETWORK_POLICY VARCHAR;
ALTER TABLE DAGSTER_BRANCH_ADMIN.BRANCHES.CLONE_SOURCES ADD COLUMN IF NOT EXISTS ACCEPTANCE_ONLY BOOLEAN DEFAULT FALSE;
MERGE INTO DAGSTER_BRANCH_ADMIN.BRANCHES.CLONE_SOURCES AS t
  USING (SELECT $production_database AS SOURCE_DATABASE, $branch_warehouse AS BRANCH_WAREHOUSE) AS s
  ON t.SOURCE_DATABASE = s.SOURCE_DATABASE
  WHEN MATCHED THEN UPDATE SET BRANCH_WAREHOUSE = s.BRANCH_WAREHOUSE
  WHEN NOT MATCHED THEN INSERT (SOURCE_DATABASE, BRANCH_WAREHOUSE, IGNORE_INSUFFICIENT_RETENTION, IGNORE_HYBRID_TABLES, INCLUDE_INTERNAL_STAGES, KEEP_SOURCE_GRANTS, BRANCH_NETWORK_POLICY, ACCEPTANCE_ONLY)
    VALUES (s.SOURCE_DATABASE, s.BRANCH_WAREHOUSE, TRUE, TRUE, FALSE, FALSE, NULL, FALSE);

-- 6. CREATE_BRANCH: (re)clones SOURCE_DATABASE as <SOURCE>_CLONE_<N>, now or as of CLONE_AT,
--    removes from the clone what reaches outside it, creates or updates role and user
--    DAGSTER_PR_<N> (the user's key is PUBLIC_KEY), and hands the clone's objects to the role.
--    Idempotent: a second call replaces the clone and leaves role and user as they are, with the
--    key it is given. Nothing is handed to the branch role before the clone is cleaned: until
--    then the clone and everything the sweep inspects belong to DAGSTER_BRANCH_ADMIN.
CREATE OR REPLACE PROCEDURE DAGSTER_BRANCH_ADMIN.BRANCHES.CREATE_BRANCH(
  SOURCE_DATABASE VARCHAR, PULL_REQUEST NUMBER, CLONE_AT VARCHAR, PUBLIC_KEY VARCHAR)
RETURNS VARCHAR
LANGUAGE SQL
COMMENT = 'dagster-platform branch_admin v2: clone a source for one pull request, without what reaches outside it, owned by its own role and key-pair user'
EXECUTE AS OWNER
AS
$$
DECLARE
  not_a_source EXCEPTION (-20101, 'SOURCE_DATABASE is not a row of DAGSTER_BRANCH_ADMIN.BRANCHES.CLONE_SOURCES');
  bad_pull_request EXCEPTION (-20102, 'PULL_REQUEST must be a whole number from 1 to 999999999 (0 only for an ACCEPTANCE_ONLY source)');
  bad_clone_at EXCEPTION (-20103, 'CLONE_AT must be NULL or an ISO 8601 time with a zone, e.g. 2025-03-01T12:00:00Z, and not in the future');
  too_old EXCEPTION (-20104, 'CLONE_AT is older than the source database Time Travel retention: raise its DATA_RETENTION_TIME_IN_DAYS or clone its current state');
  bad_public_key EXCEPTION (-20105, 'PUBLIC_KEY must be the base64 body of an RSA public key (MII...), without PEM armour or line breaks');
  bad_setting EXCEPTION (-20106, 'CLONE_SOURCES holds a name that is not an unquoted uppercase identifier');
  reserved_pull_request EXCEPTION (-20107, 'pull request 0 belongs to the acceptance script: only a CLONE_SOURCES row with ACCEPTANCE_ONLY = TRUE takes it, and such a row takes no other number');
  governed_source EXCEPTION (-20108, 'the source database holds masking, row access or other policies (SNOWFLAKE.ACCOUNT_USAGE.POLICY_REFERENCES): a branch would own their copies and the tables they read; keep policies in a database branches do not clone (docs/snowflake-branches.md)');
  unexpected_object EXCEPTION (-20109, 'the clone holds an object that reaches outside it under a name or signature CREATE_BRANCH cannot drop safely; the clone was dropped (docs/snowflake-branches.md)');
  source_rows INTEGER;
  source_db VARCHAR;
  warehouse VARCHAR;
  ignore_retention BOOLEAN;
  ignore_hybrid BOOLEAN;
  include_stages BOOLEAN;
  keep_grants BOOLEAN;
  network_policy VARCHAR;
  acceptance_only BOOLEAN;
  policy_count INTEGER;
  pr_text VARCHAR;
  clone_db VARCHAR;
  branch_role VARCHAR;
  branch_user VARCHAR;
  at_ts TIMESTAMP_TZ;
  clone_epoch INTEGER;
  retention_days INTEGER;
  at_clause VARCHAR DEFAULT '';
  retention_option VARCHAR DEFAULT '';
  hybrid_option VARCHAR DEFAULT '';
  stages_option VARCHAR DEFAULT '';
  grants_mode VARCHAR DEFAULT ' REVOKE CURRENT GRANTS';
  policy_option VARCHAR DEFAULT '';
  stages_query VARCHAR;
  pipes_query VARCHAR;
  external_tables_query VARCHAR;
  iceberg_query VARCHAR;
  functions_view VARCHAR;
  procedures_view VARCHAR;
  named RESULTSET;
  routines RESULTSET;
  named_kind VARCHAR;
  named_ref VARCHAR;
  routine_kind VARCHAR;
  routine_ref VARCHAR;
  routine_args VARCHAR;
  stmt VARCHAR;
BEGIN
  SELECT COUNT(*) INTO :source_rows FROM DAGSTER_BRANCH_ADMIN.BRANCHES.CLONE_SOURCES WHERE SOURCE_DATABASE = :SOURCE_DATABASE;
  IF (source_rows <> 1) THEN
    RAISE not_a_source;
  END IF;
  SELECT SOURCE_DATABASE, BRANCH_WAREHOUSE, IGNORE_INSUFFICIENT_RETENTION, IGNORE_HYBRID_TABLES, INCLUDE_INTERNAL_STAGES, KEEP_SOURCE_GRANTS, BRANCH_NETWORK_POLICY, COALESCE(ACCEPTANCE_ONLY, FALSE)
    INTO :source_db, :warehouse, :ignore_retention, :ignore_hybrid, :include_stages, :keep_grants, :network_policy, :acceptance_only
    FROM DAGSTER_BRANCH_ADMIN.BRANCHES.CLONE_SOURCES WHERE SOURCE_DATABASE = :SOURCE_DATABASE;
  IF (NOT REGEXP_LIKE(source_db, '[A-Z][A-Z0-9_]{0,199}') OR NOT REGEXP_LIKE(warehouse, '[A-Z][A-Z0-9_]{0,254}') OR NOT REGEXP_LIKE(COALESCE(network_policy, 'NONE'), '[A-Z][A-Z0-9_]{0,254}')) THEN
    RAISE bad_setting;
  END IF;
  IF (PULL_REQUEST IS NULL OR PULL_REQUEST < 0 OR PULL_REQUEST > 999999999 OR PULL_REQUEST <> FLOOR(PULL_REQUEST)) THEN
    RAISE bad_pull_request;
  END IF;
  -- Pull request 0 is no pull request: a real source never takes it (no reaper would ever ask
  -- GitHub about it), and the acceptance source takes nothing else.
  IF ((PULL_REQUEST = 0) <> acceptance_only) THEN
    RAISE reserved_pull_request;
  END IF;
  IF (PUBLIC_KEY IS NULL OR NOT REGEXP_LIKE(PUBLIC_KEY, 'MII[A-Za-z0-9+/]{200,1400}={0,2}')) THEN
    RAISE bad_public_key;
  END IF;
  pr_text := TO_VARCHAR(PULL_REQUEST);
  clone_db := source_db || '_CLONE_' || pr_text;
  branch_role := 'DAGSTER_PR_' || pr_text;
  branch_user := 'DAGSTER_PR_' || pr_text;

  IF (CLONE_AT IS NOT NULL AND CLONE_AT <> '') THEN
    IF (NOT REGEXP_LIKE(CLONE_AT, '[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(Z|[+-][0-9]{2}:[0-9]{2})')) THEN
      RAISE bad_clone_at;
    END IF;
    at_ts := TRY_TO_TIMESTAMP_TZ(REPLACE(CLONE_AT, 'Z', '+00:00'), 'YYYY-MM-DD"T"HH24:MI:SSTZH:TZM');
    IF (at_ts IS NULL OR at_ts > CURRENT_TIMESTAMP()) THEN
      RAISE bad_clone_at;
    END IF;
    SHOW DATABASES;
    SELECT TO_NUMBER("retention_time") INTO :retention_days FROM TABLE(RESULT_SCAN(LAST_QUERY_ID())) WHERE "name" = :source_db;
    IF (retention_days IS NULL OR DATEDIFF(second, at_ts, CURRENT_TIMESTAMP()) >= retention_days * 86400) THEN
      RAISE too_old;
    END IF;
    -- Spliced as a number only: the time itself never reaches the statement's text.
    clone_epoch := DATE_PART(EPOCH_SECOND, at_ts);
    at_clause := ' AT(TIMESTAMP => TO_TIMESTAMP_LTZ(' || TO_VARCHAR(clone_epoch) || '))';
  END IF;
  IF (ignore_retention) THEN
    retention_option := ' IGNORE TABLES WITH INSUFFICIENT DATA RETENTION';
  END IF;
  IF (ignore_hybrid) THEN
    hybrid_option := ' IGNORE HYBRID TABLES';
  END IF;
  IF (include_stages) THEN
    stages_option := ' INCLUDE INTERNAL STAGES';
  END IF;
  IF (keep_grants) THEN
    grants_mode := ' COPY CURRENT GRANTS';
  END IF;
  IF (network_policy IS NOT NULL) THEN
    policy_option := ' NETWORK_POLICY = ' || network_policy;
  END IF;

  -- Masking, row access, projection and aggregation policies stored in the source would be cloned
  -- with it, and so would the mapping tables they read, which the branch role would own and could
  -- rewrite. Policies kept in another (governance) database stay attached to the cloned columns,
  -- owned by their owners, and keep applying. POLICY_REFERENCES lags by up to two hours.
  SELECT COUNT(*) INTO :policy_count FROM SNOWFLAKE.ACCOUNT_USAGE.POLICY_REFERENCES WHERE POLICY_DB = :source_db;
  IF (policy_count > 0) THEN
    RAISE governed_source;
  END IF;

  -- The role first: the clone's objects are handed to it. Granted to the admin role, so that the
  -- procedures can still see and drop what the role owns.
  stmt := 'CREATE ROLE IF NOT EXISTS ' || branch_role || ' COMMENT = ''dagster-platform branch deployment: its clone only''';
  EXECUTE IMMEDIATE :stmt;
  stmt := 'GRANT ROLE ' || branch_role || ' TO ROLE DAGSTER_BRANCH_ADMIN';
  EXECUTE IMMEDIATE :stmt;

  stmt := 'CREATE OR REPLACE DATABASE ' || clone_db || ' CLONE ' || source_db || at_clause || retention_option || hybrid_option || stages_option;
  EXECUTE IMMEDIATE :stmt;

  -- A clone keeps production's owners on its child objects (Cloning considerations, "Access
  -- control privileges for cloned objects"). The admin role takes the schemas (they stay its own)
  -- and every kind the sweep below inspects, so that it may drop them; pipes are the cloning
  -- role's already.
  stmt := 'GRANT OWNERSHIP ON ALL SCHEMAS IN DATABASE ' || clone_db || ' TO ROLE DAGSTER_BRANCH_ADMIN' || grants_mode;
  EXECUTE IMMEDIATE :stmt;
  stmt := 'GRANT OWNERSHIP ON ALL TABLES IN DATABASE ' || clone_db || ' TO ROLE DAGSTER_BRANCH_ADMIN' || grants_mode;
  EXECUTE IMMEDIATE :stmt;
  stmt := 'GRANT OWNERSHIP ON ALL EXTERNAL TABLES IN DATABASE ' || clone_db || ' TO ROLE DAGSTER_BRANCH_ADMIN' || grants_mode;
  EXECUTE IMMEDIATE :stmt;
  stmt := 'GRANT OWNERSHIP ON ALL STAGES IN DATABASE ' || clone_db || ' TO ROLE DAGSTER_BRANCH_ADMIN' || grants_mode;
  EXECUTE IMMEDIATE :stmt;
  stmt := 'GRANT OWNERSHIP ON ALL FUNCTIONS IN DATABASE ' || clone_db || ' TO ROLE DAGSTER_BRANCH_ADMIN' || grants_mode;
  EXECUTE IMMEDIATE :stmt;
  stmt := 'GRANT OWNERSHIP ON ALL PROCEDURES IN DATABASE ' || clone_db || ' TO ROLE DAGSTER_BRANCH_ADMIN' || grants_mode;
  EXECUTE IMMEDIATE :stmt;

  -- What reaches outside the clone goes, before the branch role gets anything:
  -- - external stages: cloned with the database ("Cloning and stages"), still naming production's
  --   URL and storage integration; whoever may use one reads and writes production's bucket;
  -- - pipes: those on external stages are cloned ("Cloning and pipes"), owned by the cloning role;
  -- - external tables: not cloned today ("Cloning and stages"), dropped should that change;
  -- - Iceberg tables: their files live on an external volume in the source's cloud storage
  --   ("Storage for Apache Iceberg tables");
  -- - external functions (an API integration calls production's endpoint), functions and
  --   procedures with external access integrations or secrets, and any function or procedure
  --   in a handler language other than SQL, JavaScript, Python, Java or Scala (service functions).
  -- SHOW lists every object to a role with MANAGE GRANTS; INFORMATION_SCHEMA only what the role
  -- holds a privilege on (PROCEDURES view, usage notes), hence the transfers above.
  stmt := 'SHOW STAGES IN DATABASE ' || clone_db;
  EXECUTE IMMEDIATE :stmt;
  stages_query := LAST_QUERY_ID();
  stmt := 'SHOW PIPES IN DATABASE ' || clone_db;
  EXECUTE IMMEDIATE :stmt;
  pipes_query := LAST_QUERY_ID();
  stmt := 'SHOW EXTERNAL TABLES IN DATABASE ' || clone_db;
  EXECUTE IMMEDIATE :stmt;
  external_tables_query := LAST_QUERY_ID();
  stmt := 'SHOW ICEBERG TABLES IN DATABASE ' || clone_db;
  EXECUTE IMMEDIATE :stmt;
  iceberg_query := LAST_QUERY_ID();
  functions_view := clone_db || '.INFORMATION_SCHEMA.FUNCTIONS';
  procedures_view := clone_db || '.INFORMATION_SCHEMA.PROCEDURES';
  -- Every name leaves as a quoted identifier ("" for "), every signature as its types only.
  named := (
    SELECT 'STAGE' AS OBJECT_KIND, '"' || REPLACE("database_name", '"', '""') || '"."' || REPLACE("schema_name", '"', '""') || '"."' || REPLACE("name", '"', '""') || '"' AS OBJECT_REF
      FROM TABLE(RESULT_SCAN(:stages_query)) WHERE "type" NOT LIKE 'INTERNAL%'
    UNION ALL
    SELECT 'PIPE', '"' || REPLACE("database_name", '"', '""') || '"."' || REPLACE("schema_name", '"', '""') || '"."' || REPLACE("name", '"', '""') || '"'
      FROM TABLE(RESULT_SCAN(:pipes_query))
    UNION ALL
    SELECT 'EXTERNAL TABLE', '"' || REPLACE("database_name", '"', '""') || '"."' || REPLACE("schema_name", '"', '""') || '"."' || REPLACE("name", '"', '""') || '"'
      FROM TABLE(RESULT_SCAN(:external_tables_query))
    UNION ALL
    SELECT 'ICEBERG TABLE', '"' || REPLACE("database_name", '"', '""') || '"."' || REPLACE("schema_name", '"', '""') || '"."' || REPLACE("name", '"', '""') || '"'
      FROM TABLE(RESULT_SCAN(:iceberg_query))
  );
  routines := (
    SELECT 'FUNCTION' AS OBJECT_KIND, '"' || REPLACE(FUNCTION_CATALOG, '"', '""') || '"."' || REPLACE(FUNCTION_SCHEMA, '"', '""') || '"."' || REPLACE(FUNCTION_NAME, '"', '""') || '"' AS OBJECT_REF, REGEXP_REPLACE(ARGUMENT_SIGNATURE, '[^ ,()]+ ', '') AS OBJECT_ARGS
      FROM IDENTIFIER(:functions_view)
      WHERE IS_EXTERNAL = 'YES' OR NVL(TO_VARCHAR(EXTERNAL_ACCESS_INTEGRATIONS), '') NOT IN ('', '[]') OR NVL(TO_VARCHAR(SECRETS), '') NOT IN ('', '{}', '[]')
        OR UPPER(FUNCTION_LANGUAGE) NOT IN ('SQL', 'JAVASCRIPT', 'PYTHON', 'JAVA', 'SCALA')
    UNION ALL
    SELECT 'PROCEDURE', '"' || REPLACE(PROCEDURE_CATALOG, '"', '""') || '"."' || REPLACE(PROCEDURE_SCHEMA, '"', '""') || '"."' || REPLACE(PROCEDURE_NAME, '"', '""') || '"', REGEXP_REPLACE(ARGUMENT_SIGNATURE, '[^ ,()]+ ', '')
      FROM IDENTIFIER(:procedures_view)
      WHERE NVL(TO_VARCHAR(EXTERNAL_ACCESS_INTEGRATIONS), '') NOT IN ('', '[]') OR NVL(TO_VARCHAR(SECRETS), '') NOT IN ('', '{}', '[]')
        OR UPPER(PROCEDURE_LANGUAGE) NOT IN ('SQL', 'JAVASCRIPT', 'PYTHON', 'JAVA', 'SCALA')
  );
  -- Each row is checked again here, whatever the queries produced: a kind from the list, a
  -- three-part quoted name (every inner quote doubled), types only. Anything else drops the
  -- clone and stops.
  LET named_objects CURSOR FOR named;
  FOR named_object IN named_objects DO
    named_kind := named_object.OBJECT_KIND;
    named_ref := named_object.OBJECT_REF;
    IF (NOT REGEXP_LIKE(named_kind, 'STAGE|PIPE|EXTERNAL TABLE|ICEBERG TABLE') OR NOT REGEXP_LIKE(named_ref, '"([^"]|"")+"[.]"([^"]|"")+"[.]"([^"]|"")+"')) THEN
      stmt := 'DROP DATABASE IF EXISTS ' || clone_db;
      EXECUTE IMMEDIATE :stmt;
      RAISE unexpected_object;
    END IF;
    stmt := 'DROP ' || named_kind || ' IF EXISTS ' || named_ref;
    EXECUTE IMMEDIATE :stmt;
  END FOR;
  LET routine_objects CURSOR FOR routines;
  FOR routine_object IN routine_objects DO
    routine_kind := routine_object.OBJECT_KIND;
    routine_ref := routine_object.OBJECT_REF;
    routine_args := routine_object.OBJECT_ARGS;
    IF (NOT REGEXP_LIKE(routine_kind, 'FUNCTION|PROCEDURE') OR NOT REGEXP_LIKE(routine_ref, '"([^"]|"")+"[.]"([^"]|"")+"[.]"([^"]|"")+"') OR NOT REGEXP_LIKE(routine_args, '[(]([A-Z][A-Z0-9_]*([(][0-9, ]*[)])?(, [A-Z][A-Z0-9_]*([(][0-9, ]*[)])?)*)?[)]')) THEN
      stmt := 'DROP DATABASE IF EXISTS ' || clone_db;
      EXECUTE IMMEDIATE :stmt;
      RAISE unexpected_object;
    END IF;
    stmt := 'DROP ' || routine_kind || ' IF EXISTS ' || routine_ref || routine_args;
    EXECUTE IMMEDIATE :stmt;
  END FOR;

  -- The branch role owns what is left of each kind, and the database. Alerts, policies, tags,
  -- secrets and the other kinds without a bulk ownership grant stay with their owners.
  stmt := 'GRANT OWNERSHIP ON ALL TABLES IN DATABASE ' || clone_db || ' TO ROLE ' || branch_role || grants_mode;
  EXECUTE IMMEDIATE :stmt;
  stmt := 'GRANT OWNERSHIP ON ALL VIEWS IN DATABASE ' || clone_db || ' TO ROLE ' || branch_role || grants_mode;
  EXECUTE IMMEDIATE :stmt;
  stmt := 'GRANT OWNERSHIP ON ALL DYNAMIC TABLES IN DATABASE ' || clone_db || ' TO ROLE ' || branch_role || grants_mode;
  EXECUTE IMMEDIATE :stmt;
  stmt := 'GRANT OWNERSHIP ON ALL SEQUENCES IN DATABASE ' || clone_db || ' TO ROLE ' || branch_role || grants_mode;
  EXECUTE IMMEDIATE :stmt;
  stmt := 'GRANT OWNERSHIP ON ALL FILE FORMATS IN DATABASE ' || clone_db || ' TO ROLE ' || branch_role || grants_mode;
  EXECUTE IMMEDIATE :stmt;
  stmt := 'GRANT OWNERSHIP ON ALL STAGES IN DATABASE ' || clone_db || ' TO ROLE ' || branch_role || grants_mode;
  EXECUTE IMMEDIATE :stmt;
  stmt := 'GRANT OWNERSHIP ON ALL FUNCTIONS IN DATABASE ' || clone_db || ' TO ROLE ' || branch_role || grants_mode;
  EXECUTE IMMEDIATE :stmt;
  stmt := 'GRANT OWNERSHIP ON ALL PROCEDURES IN DATABASE ' || clone_db || ' TO ROLE ' || branch_role || grants_mode;
  EXECUTE IMMEDIATE :stmt;
  stmt := 'GRANT OWNERSHIP ON ALL STREAMS IN DATABASE ' || clone_db || ' TO ROLE ' || branch_role || grants_mode;
  EXECUTE IMMEDIATE :stmt;
  stmt := 'GRANT OWNERSHIP ON ALL TASKS IN DATABASE ' || clone_db || ' TO ROLE ' || branch_role || grants_mode;
  EXECUTE IMMEDIATE :stmt;
  -- The schemas stay the admin role's: a schema's owner (in a managed access schema) may grant
  -- privileges on every object in it, policies and tags included, and so could unmask what a
  -- policy hides. The branch role uses them and creates in them, which is all it needs.
  stmt := 'GRANT USAGE, CREATE TABLE, CREATE VIEW, CREATE DYNAMIC TABLE, CREATE SEQUENCE, CREATE FUNCTION, CREATE PROCEDURE, CREATE FILE FORMAT, CREATE STAGE, CREATE STREAM ON ALL SCHEMAS IN DATABASE ' || clone_db || ' TO ROLE ' || branch_role;
  EXECUTE IMMEDIATE :stmt;
  stmt := 'GRANT OWNERSHIP ON DATABASE ' || clone_db || ' TO ROLE ' || branch_role || grants_mode;
  EXECUTE IMMEDIATE :stmt;
  stmt := 'GRANT USAGE ON WAREHOUSE ' || warehouse || ' TO ROLE ' || branch_role;
  EXECUTE IMMEDIATE :stmt;

  -- The user: created once, then kept in step with the key the stack holds and the source's
  -- network policy (set in the same statement, so the user never exists without it).
  stmt := 'CREATE USER IF NOT EXISTS ' || branch_user || ' TYPE = SERVICE DEFAULT_ROLE = ' || branch_role || ' DEFAULT_WAREHOUSE = ' || warehouse || ' DEFAULT_NAMESPACE = ' || clone_db || ' RSA_PUBLIC_KEY = ''' || PUBLIC_KEY || '''' || policy_option || ' COMMENT = ''dagster-platform branch deployment''';
  EXECUTE IMMEDIATE :stmt;
  stmt := 'ALTER USER ' || branch_user || ' SET TYPE = SERVICE DEFAULT_ROLE = ' || branch_role || ' DEFAULT_WAREHOUSE = ' || warehouse || ' DEFAULT_NAMESPACE = ' || clone_db || ' RSA_PUBLIC_KEY = ''' || PUBLIC_KEY || '''' || policy_option;
  EXECUTE IMMEDIATE :stmt;
  stmt := 'GRANT ROLE ' || branch_role || ' TO USER ' || branch_user;
  EXECUTE IMMEDIATE :stmt;
  RETURN clone_db || ' cloned from ' || source_db || ', owned by role ' || branch_role || ', user ' || branch_user;
END;
$$;

-- 7. DROP_BRANCH: drops clone, user and role of one pull request; whatever is already gone is
--    skipped, so it succeeds on a second call and after a half-finished CREATE_BRANCH. It takes
--    pull request 0 for every source: the reaper drops what version 1 let CI make for 0.
CREATE OR REPLACE PROCEDURE DAGSTER_BRANCH_ADMIN.BRANCHES.DROP_BRANCH(SOURCE_DATABASE VARCHAR, PULL_REQUEST NUMBER)
RETURNS VARCHAR
LANGUAGE SQL
COMMENT = 'dagster-platform branch_admin v2: drop the clone, user and role of one pull request'
EXECUTE AS OWNER
AS
$$
DECLARE
  not_a_source EXCEPTION (-20101, 'SOURCE_DATABASE is not a row of DAGSTER_BRANCH_ADMIN.BRANCHES.CLONE_SOURCES');
  bad_pull_request EXCEPTION (-20102, 'PULL_REQUEST must be a whole number from 0 to 999999999');
  bad_setting EXCEPTION (-20106, 'CLONE_SOURCES holds a name that is not an unquoted uppercase identifier');
  source_rows INTEGER;
  source_db VARCHAR;
  pr_text VARCHAR;
  clone_db VARCHAR;
  branch_role VARCHAR;
  branch_user VARCHAR;
  stmt VARCHAR;
BEGIN
  SELECT COUNT(*) INTO :source_rows FROM DAGSTER_BRANCH_ADMIN.BRANCHES.CLONE_SOURCES WHERE SOURCE_DATABASE = :SOURCE_DATABASE;
  IF (source_rows <> 1) THEN
    RAISE not_a_source;
  END IF;
  SELECT SOURCE_DATABASE INTO :source_db FROM DAGSTER_BRANCH_ADMIN.BRANCHES.CLONE_SOURCES WHERE SOURCE_DATABASE = :SOURCE_DATABASE;
  IF (NOT REGEXP_LIKE(source_db, '[A-Z][A-Z0-9_]{0,199}')) THEN
    RAISE bad_setting;
  END IF;
  IF (PULL_REQUEST IS NULL OR PULL_REQUEST < 0 OR PULL_REQUEST > 999999999 OR PULL_REQUEST <> FLOOR(PULL_REQUEST)) THEN
    RAISE bad_pull_request;
  END IF;
  pr_text := TO_VARCHAR(PULL_REQUEST);
  clone_db := source_db || '_CLONE_' || pr_text;
  branch_role := 'DAGSTER_PR_' || pr_text;
  branch_user := 'DAGSTER_PR_' || pr_text;
  stmt := 'DROP DATABASE IF EXISTS ' || clone_db;
  EXECUTE IMMEDIATE :stmt;
  stmt := 'DROP USER IF EXISTS ' || branch_user;
  EXECUTE IMMEDIATE :stmt;
  stmt := 'DROP ROLE IF EXISTS ' || branch_role;
  EXECUTE IMMEDIATE :stmt;
  RETURN 'dropped ' || clone_db || ', user ' || branch_user || ' and role ' || branch_role || ' where they existed';
END;
$$;

-- 8. LIST_BRANCHES (read-only): the branch objects that exist, one row each, for one pull
--    request or (PULL_REQUEST NULL) all of them: the reaper's and the drift check's view.
--    Roles and users count only when this set-up owns them. While a source flagged
--    ACCEPTANCE_ONLY exists (the acceptance script is running, or stopped half-way), role and
--    user DAGSTER_PR_0 are the script's: other sources' listings leave them out, so the reaper
--    does not drop them from under it.
CREATE OR REPLACE PROCEDURE DAGSTER_BRANCH_ADMIN.BRANCHES.LIST_BRANCHES(SOURCE_DATABASE VARCHAR, PULL_REQUEST NUMBER)
RETURNS TABLE (PULL_REQUEST VARCHAR, OBJECT_KIND VARCHAR, OBJECT_NAME VARCHAR)
LANGUAGE SQL
COMMENT = 'dagster-platform branch_admin v2: list branch clones, users and roles (read-only)'
EXECUTE AS OWNER
AS
$$
DECLARE
  not_a_source EXCEPTION (-20101, 'SOURCE_DATABASE is not a row of DAGSTER_BRANCH_ADMIN.BRANCHES.CLONE_SOURCES');
  bad_pull_request EXCEPTION (-20102, 'PULL_REQUEST must be a whole number from 0 to 999999999');
  source_rows INTEGER;
  acceptance_rows INTEGER;
  wanted VARCHAR DEFAULT '';
  hidden_pull_request VARCHAR DEFAULT '';
  clone_pattern VARCHAR;
  databases_query VARCHAR;
  roles_query VARCHAR;
  users_query VARCHAR;
  rs RESULTSET;
BEGIN
  SELECT COUNT(*) INTO :source_rows FROM DAGSTER_BRANCH_ADMIN.BRANCHES.CLONE_SOURCES WHERE SOURCE_DATABASE = :SOURCE_DATABASE;
  IF (source_rows <> 1) THEN
    RAISE not_a_source;
  END IF;
  IF (PULL_REQUEST IS NOT NULL) THEN
    IF (PULL_REQUEST < 0 OR PULL_REQUEST > 999999999 OR PULL_REQUEST <> FLOOR(PULL_REQUEST)) THEN
      RAISE bad_pull_request;
    END IF;
    wanted := TO_VARCHAR(PULL_REQUEST);
  END IF;
  SELECT COUNT(*) INTO :acceptance_rows FROM DAGSTER_BRANCH_ADMIN.BRANCHES.CLONE_SOURCES WHERE COALESCE(ACCEPTANCE_ONLY, FALSE) AND SOURCE_DATABASE <> :SOURCE_DATABASE;
  IF (acceptance_rows > 0) THEN
    hidden_pull_request := '0';
  END IF;
  -- A regular expression, matched whole, used as a value: nothing is spliced into SQL here.
  clone_pattern := SOURCE_DATABASE || '_CLONE_(0|[1-9][0-9]{0,8})';
  SHOW DATABASES;
  databases_query := LAST_QUERY_ID();
  SHOW ROLES LIKE 'DAGSTER_PR_%';
  roles_query := LAST_QUERY_ID();
  SHOW USERS LIKE 'DAGSTER_PR_%';
  users_query := LAST_QUERY_ID();
  rs := (
    SELECT PULL_REQUEST, OBJECT_KIND, OBJECT_NAME FROM (
      SELECT REGEXP_SUBSTR("name", '[0-9]+$') AS PULL_REQUEST, 'DATABASE' AS OBJECT_KIND, "name" AS OBJECT_NAME
        FROM TABLE(RESULT_SCAN(:databases_query)) WHERE REGEXP_LIKE("name", :clone_pattern)
      UNION ALL
      SELECT REGEXP_SUBSTR("name", '[0-9]+$'), 'ROLE', "name"
        FROM TABLE(RESULT_SCAN(:roles_query)) WHERE REGEXP_LIKE("name", 'DAGSTER_PR_(0|[1-9][0-9]{0,8})') AND "owner" = 'DAGSTER_BRANCH_ADMIN'
      UNION ALL
      SELECT REGEXP_SUBSTR("name", '[0-9]+$'), 'USER', "name"
        FROM TABLE(RESULT_SCAN(:users_query)) WHERE REGEXP_LIKE("name", 'DAGSTER_PR_(0|[1-9][0-9]{0,8})') AND "owner" = 'DAGSTER_BRANCH_ADMIN'
    ) WHERE (:wanted = '' OR PULL_REQUEST = :wanted) AND NOT (OBJECT_KIND <> 'DATABASE' AND PULL_REQUEST = :hidden_pull_request)
    ORDER BY TO_NUMBER(PULL_REQUEST), OBJECT_KIND
  );
  RETURN TABLE(rs);
END;
$$;

-- 9. CI's role: it may call the three procedures and run them on the branch warehouse. That is
--    all: no privilege on any source database, no CREATE USER/ROLE/DATABASE, no grant option.
--    (CREATE OR REPLACE PROCEDURE dropped earlier grants; they are made again here.)
USE ROLE ACCOUNTADMIN;
GRANT USAGE ON DATABASE DAGSTER_BRANCH_ADMIN TO ROLE DAGSTER_BRANCH_DEPLOYER;
GRANT USAGE ON SCHEMA DAGSTER_BRANCH_ADMIN.BRANCHES TO ROLE DAGSTER_BRANCH_DEPLOYER;
GRANT USAGE ON PROCEDURE DAGSTER_BRANCH_ADMIN.BRANCHES.CREATE_BRANCH(VARCHAR, NUMBER, VARCHAR, VARCHAR) TO ROLE DAGSTER_BRANCH_DEPLOYER;
GRANT USAGE ON PROCEDURE DAGSTER_BRANCH_ADMIN.BRANCHES.DROP_BRANCH(VARCHAR, NUMBER) TO ROLE DAGSTER_BRANCH_DEPLOYER;
GRANT USAGE ON PROCEDURE DAGSTER_BRANCH_ADMIN.BRANCHES.LIST_BRANCHES(VARCHAR, NUMBER) TO ROLE DAGSTER_BRANCH_DEPLOYER;
GRANT USAGE ON WAREHOUSE IDENTIFIER($branch_warehouse) TO ROLE DAGSTER_BRANCH_DEPLOYER;
