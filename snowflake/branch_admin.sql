-- dagster-platform: Snowflake administration of branch deployments.
-- branch_admin version: 1
--
-- Installed once, and re-run unchanged to upgrade, by an account administrator (ACCOUNTADMIN).
-- Every statement is idempotent. What it sets up (docs/snowflake-branches.md explains why):
--
--   DAGSTER_BRANCH_ADMIN       role owning the procedures below; they run with its rights
--                              (EXECUTE AS OWNER). It may read the clone sources, create databases,
--                              roles and users, and manage grants. No user holds it: only the
--                              procedures' fixed code ever acts as it.
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
-- clone whose every object is owned by the branch role), role DAGSTER_PR_<N> (that clone and
-- the branch warehouse, nothing else) and key-pair service user DAGSTER_PR_<N>. Object names are
-- built inside the procedures from the validated pull-request number and a source listed in
-- CLONE_SOURCES; the only other caller input reaching SQL text is a validated time and a
-- validated base64 public key.

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
CREATE TABLE IF NOT EXISTS DAGSTER_BRANCH_ADMIN.BRANCHES.CLONE_SOURCES (
  SOURCE_DATABASE VARCHAR NOT NULL PRIMARY KEY,
  BRANCH_WAREHOUSE VARCHAR NOT NULL,
  IGNORE_INSUFFICIENT_RETENTION BOOLEAN NOT NULL,
  IGNORE_HYBRID_TABLES BOOLEAN NOT NULL,
  INCLUDE_INTERNAL_STAGES BOOLEAN NOT NULL,
  KEEP_SOURCE_GRANTS BOOLEAN NOT NULL
);
MERGE INTO DAGSTER_BRANCH_ADMIN.BRANCHES.CLONE_SOURCES AS t
  USING (SELECT $production_database AS SOURCE_DATABASE, $branch_warehouse AS BRANCH_WAREHOUSE) AS s
  ON t.SOURCE_DATABASE = s.SOURCE_DATABASE
  WHEN MATCHED THEN UPDATE SET BRANCH_WAREHOUSE = s.BRANCH_WAREHOUSE
  WHEN NOT MATCHED THEN INSERT (SOURCE_DATABASE, BRANCH_WAREHOUSE, IGNORE_INSUFFICIENT_RETENTION, IGNORE_HYBRID_TABLES, INCLUDE_INTERNAL_STAGES, KEEP_SOURCE_GRANTS)
    VALUES (s.SOURCE_DATABASE, s.BRANCH_WAREHOUSE, TRUE, TRUE, FALSE, FALSE);

-- 6. CREATE_BRANCH: (re)clones SOURCE_DATABASE as <SOURCE>_CLONE_<N>, now or as of CLONE_AT,
--    creates or updates role and user DAGSTER_PR_<N> (the user's key is PUBLIC_KEY), and hands
--    every object of the clone to the role. Idempotent: a second call replaces the clone and
--    leaves role and user as they are, with the key it is given.
CREATE OR REPLACE PROCEDURE DAGSTER_BRANCH_ADMIN.BRANCHES.CREATE_BRANCH(
  SOURCE_DATABASE VARCHAR, PULL_REQUEST NUMBER, CLONE_AT VARCHAR, PUBLIC_KEY VARCHAR)
RETURNS VARCHAR
LANGUAGE SQL
COMMENT = 'dagster-platform branch_admin v1: clone a source for one pull request, owned by its own role and key-pair user'
EXECUTE AS OWNER
AS
$$
DECLARE
  not_a_source EXCEPTION (-20101, 'SOURCE_DATABASE is not a row of DAGSTER_BRANCH_ADMIN.BRANCHES.CLONE_SOURCES');
  bad_pull_request EXCEPTION (-20102, 'PULL_REQUEST must be a whole number from 0 to 999999999');
  bad_clone_at EXCEPTION (-20103, 'CLONE_AT must be NULL or an ISO 8601 time with a zone, e.g. 2025-03-01T12:00:00Z, and not in the future');
  too_old EXCEPTION (-20104, 'CLONE_AT is older than the source database Time Travel retention: raise its DATA_RETENTION_TIME_IN_DAYS or clone its current state');
  bad_public_key EXCEPTION (-20105, 'PUBLIC_KEY must be the base64 body of an RSA public key (MII...), without PEM armour or line breaks');
  bad_setting EXCEPTION (-20106, 'CLONE_SOURCES holds a name that is not an unquoted uppercase identifier');
  source_rows INTEGER;
  source_db VARCHAR;
  warehouse VARCHAR;
  ignore_retention BOOLEAN;
  ignore_hybrid BOOLEAN;
  include_stages BOOLEAN;
  keep_grants BOOLEAN;
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
  stmt VARCHAR;
BEGIN
  SELECT COUNT(*) INTO :source_rows FROM DAGSTER_BRANCH_ADMIN.BRANCHES.CLONE_SOURCES WHERE SOURCE_DATABASE = :SOURCE_DATABASE;
  IF (source_rows <> 1) THEN
    RAISE not_a_source;
  END IF;
  SELECT SOURCE_DATABASE, BRANCH_WAREHOUSE, IGNORE_INSUFFICIENT_RETENTION, IGNORE_HYBRID_TABLES, INCLUDE_INTERNAL_STAGES, KEEP_SOURCE_GRANTS
    INTO :source_db, :warehouse, :ignore_retention, :ignore_hybrid, :include_stages, :keep_grants
    FROM DAGSTER_BRANCH_ADMIN.BRANCHES.CLONE_SOURCES WHERE SOURCE_DATABASE = :SOURCE_DATABASE;
  IF (NOT REGEXP_LIKE(source_db, '[A-Z][A-Z0-9_]{0,199}') OR NOT REGEXP_LIKE(warehouse, '[A-Z][A-Z0-9_]{0,254}')) THEN
    RAISE bad_setting;
  END IF;
  IF (PULL_REQUEST IS NULL OR PULL_REQUEST < 0 OR PULL_REQUEST > 999999999 OR PULL_REQUEST <> FLOOR(PULL_REQUEST)) THEN
    RAISE bad_pull_request;
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

  -- The role first: the clone's objects are handed to it. Granted to the admin role, so that the
  -- procedures can still see and drop what the role owns.
  stmt := 'CREATE ROLE IF NOT EXISTS ' || branch_role || ' COMMENT = ''dagster-platform branch deployment: its clone only''';
  EXECUTE IMMEDIATE :stmt;
  stmt := 'GRANT ROLE ' || branch_role || ' TO ROLE DAGSTER_BRANCH_ADMIN';
  EXECUTE IMMEDIATE :stmt;

  stmt := 'CREATE OR REPLACE DATABASE ' || clone_db || ' CLONE ' || source_db || at_clause || retention_option || hybrid_option || stages_option;
  EXECUTE IMMEDIATE :stmt;

  -- A clone keeps production's owners on its child objects: hand each kind to the branch role.
  -- Pipes (no bulk ownership grant exists), alerts, policies and tags stay with their owners.
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
  stmt := 'GRANT OWNERSHIP ON ALL SCHEMAS IN DATABASE ' || clone_db || ' TO ROLE ' || branch_role || grants_mode;
  EXECUTE IMMEDIATE :stmt;
  stmt := 'GRANT OWNERSHIP ON DATABASE ' || clone_db || ' TO ROLE ' || branch_role || grants_mode;
  EXECUTE IMMEDIATE :stmt;
  stmt := 'GRANT USAGE ON WAREHOUSE ' || warehouse || ' TO ROLE ' || branch_role;
  EXECUTE IMMEDIATE :stmt;

  -- The user: created once, then kept in step with the key the stack holds.
  stmt := 'CREATE USER IF NOT EXISTS ' || branch_user || ' TYPE = SERVICE DEFAULT_ROLE = ' || branch_role || ' DEFAULT_WAREHOUSE = ' || warehouse || ' DEFAULT_NAMESPACE = ' || clone_db || ' RSA_PUBLIC_KEY = ''' || PUBLIC_KEY || ''' COMMENT = ''dagster-platform branch deployment''';
  EXECUTE IMMEDIATE :stmt;
  stmt := 'ALTER USER ' || branch_user || ' SET TYPE = SERVICE DEFAULT_ROLE = ' || branch_role || ' DEFAULT_WAREHOUSE = ' || warehouse || ' DEFAULT_NAMESPACE = ' || clone_db || ' RSA_PUBLIC_KEY = ''' || PUBLIC_KEY || '''';
  EXECUTE IMMEDIATE :stmt;
  stmt := 'GRANT ROLE ' || branch_role || ' TO USER ' || branch_user;
  EXECUTE IMMEDIATE :stmt;
  RETURN clone_db || ' cloned from ' || source_db || ', owned by role ' || branch_role || ', user ' || branch_user;
END;
$$;

-- 7. DROP_BRANCH: drops clone, user and role of one pull request; whatever is already gone is
--    skipped, so it succeeds on a second call and after a half-finished CREATE_BRANCH.
CREATE OR REPLACE PROCEDURE DAGSTER_BRANCH_ADMIN.BRANCHES.DROP_BRANCH(SOURCE_DATABASE VARCHAR, PULL_REQUEST NUMBER)
RETURNS VARCHAR
LANGUAGE SQL
COMMENT = 'dagster-platform branch_admin v1: drop the clone, user and role of one pull request'
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
--    Roles and users count only when this set-up owns them.
CREATE OR REPLACE PROCEDURE DAGSTER_BRANCH_ADMIN.BRANCHES.LIST_BRANCHES(SOURCE_DATABASE VARCHAR, PULL_REQUEST NUMBER)
RETURNS TABLE (PULL_REQUEST VARCHAR, OBJECT_KIND VARCHAR, OBJECT_NAME VARCHAR)
LANGUAGE SQL
COMMENT = 'dagster-platform branch_admin v1: list branch clones, users and roles (read-only)'
EXECUTE AS OWNER
AS
$$
DECLARE
  not_a_source EXCEPTION (-20101, 'SOURCE_DATABASE is not a row of DAGSTER_BRANCH_ADMIN.BRANCHES.CLONE_SOURCES');
  bad_pull_request EXCEPTION (-20102, 'PULL_REQUEST must be a whole number from 0 to 999999999');
  source_rows INTEGER;
  wanted VARCHAR DEFAULT '';
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
    ) WHERE :wanted = '' OR PULL_REQUEST = :wanted
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
