-- dagster-platform: acceptance check of snowflake/branch_admin.sql (version 2) on your account,
-- run once as ACCOUNTADMIN after installing it (all at once, or statement by statement). It builds
-- a throwaway source shaped like a production database (a managed access schema, a column masked
-- by a policy kept in a separate governance database, an external stage, a pipe on it, a task),
-- clones it for pull request 0 exactly as CI does, checks what CI and the branch role can and
-- cannot do, then drops everything it made. Every check answers one row starting with "ok";
-- "FAIL" or an error means the set-up does not hold on this account (README, "Branch
-- deployments", lists the expected output). Masking policies need Enterprise Edition: on
-- Standard Edition leave out the three statements marked (Enterprise).
SET warehouse = 'DAGSTER_WH';
SET public_key = '<body of an RSA public key, e.g. the CI key: dagster_ci.pub without its armour>';
SET me = CURRENT_USER();
USE ROLE ACCOUNTADMIN;
-- The checks must see one role's privileges at a time, not the union of all your roles.
USE SECONDARY ROLES NONE;
USE WAREHOUSE IDENTIFIER($warehouse);

-- 1. The throwaway source: one row whose SECRET a masking policy hides from every role but
--    ACCOUNTADMIN (the policy lives in a governance database, as production's must), an external
--    stage (its bucket needs not exist), a pipe on it and a task.
CREATE OR REPLACE DATABASE DAGSTER_BRANCH_ACCEPTANCE;
CREATE SCHEMA DAGSTER_BRANCH_ACCEPTANCE.APP WITH MANAGED ACCESS;
CREATE TABLE DAGSTER_BRANCH_ACCEPTANCE.APP.ITEMS (ID INTEGER, SECRET VARCHAR);
INSERT INTO DAGSTER_BRANCH_ACCEPTANCE.APP.ITEMS VALUES (1, 'hidden');
CREATE STAGE DAGSTER_BRANCH_ACCEPTANCE.APP.OUTSIDE URL = 's3://dagster-branch-acceptance-example/';
CREATE PIPE DAGSTER_BRANCH_ACCEPTANCE.APP.LOAD AS COPY INTO DAGSTER_BRANCH_ACCEPTANCE.APP.ITEMS FROM @DAGSTER_BRANCH_ACCEPTANCE.APP.OUTSIDE;
CREATE TASK DAGSTER_BRANCH_ACCEPTANCE.APP.NIGHTLY SCHEDULE = '60 MINUTE' AS SELECT 1;
CREATE OR REPLACE DATABASE DAGSTER_BRANCH_ACCEPTANCE_GOV;
CREATE SCHEMA DAGSTER_BRANCH_ACCEPTANCE_GOV.POLICIES;
-- (Enterprise)
CREATE MASKING POLICY DAGSTER_BRANCH_ACCEPTANCE_GOV.POLICIES.HIDE AS (V VARCHAR) RETURNS VARCHAR -> IFF(CURRENT_ROLE() = 'ACCOUNTADMIN', V, '***');
-- (Enterprise)
ALTER TABLE DAGSTER_BRANCH_ACCEPTANCE.APP.ITEMS MODIFY COLUMN SECRET SET MASKING POLICY DAGSTER_BRANCH_ACCEPTANCE_GOV.POLICIES.HIDE;

-- 2. It becomes a clone source for pull request 0 (ACCEPTANCE_ONLY), its branch users get a
--    network policy that admits no real address; a second source, not flagged, exists only to be
--    refused. The admin role reads it as the install grants it production; CI's role is yours.
CREATE NETWORK POLICY DAGSTER_BRANCH_ACCEPTANCE_NP ALLOWED_IP_LIST = ('192.0.2.1') COMMENT = 'dagster-platform acceptance script: admits no real address';
GRANT OWNERSHIP ON NETWORK POLICY DAGSTER_BRANCH_ACCEPTANCE_NP TO ROLE DAGSTER_BRANCH_ADMIN;
GRANT USAGE ON DATABASE DAGSTER_BRANCH_ACCEPTANCE TO ROLE DAGSTER_BRANCH_ADMIN;
GRANT USAGE ON ALL SCHEMAS IN DATABASE DAGSTER_BRANCH_ACCEPTANCE TO ROLE DAGSTER_BRANCH_ADMIN;
GRANT SELECT ON ALL TABLES IN DATABASE DAGSTER_BRANCH_ACCEPTANCE TO ROLE DAGSTER_BRANCH_ADMIN;
INSERT INTO DAGSTER_BRANCH_ADMIN.BRANCHES.CLONE_SOURCES (SOURCE_DATABASE, BRANCH_WAREHOUSE, IGNORE_INSUFFICIENT_RETENTION, IGNORE_HYBRID_TABLES, INCLUDE_INTERNAL_STAGES, KEEP_SOURCE_GRANTS, BRANCH_NETWORK_POLICY, ACCEPTANCE_ONLY)
  SELECT 'DAGSTER_BRANCH_ACCEPTANCE', $warehouse, TRUE, TRUE, FALSE, FALSE, 'DAGSTER_BRANCH_ACCEPTANCE_NP', TRUE
  UNION ALL
  SELECT 'DAGSTER_BRANCH_ACCEPTANCE_PLAIN', $warehouse, TRUE, TRUE, FALSE, FALSE, NULL, FALSE;
GRANT ROLE DAGSTER_BRANCH_DEPLOYER TO USER IDENTIFIER($me);

-- 3. As CI: pull request 0 is refused for a source not flagged, and the flagged source takes
--    nothing else (both before anything is made, so the key need not be real). Then the clone
--    for 0, its listing, and what CI cannot do.
USE ROLE DAGSTER_BRANCH_DEPLOYER;
EXECUTE IMMEDIATE $$
BEGIN
  CALL DAGSTER_BRANCH_ADMIN.BRANCHES.CREATE_BRANCH('DAGSTER_BRANCH_ACCEPTANCE_PLAIN', 0, NULL, 'MII');
  RETURN 'FAIL: pull request 0 was taken for a source not flagged ACCEPTANCE_ONLY';
EXCEPTION
  WHEN OTHER THEN RETURN 'ok: refused: ' || SQLERRM;
END;
$$;
EXECUTE IMMEDIATE $$
BEGIN
  CALL DAGSTER_BRANCH_ADMIN.BRANCHES.CREATE_BRANCH('DAGSTER_BRANCH_ACCEPTANCE', 1, NULL, 'MII');
  RETURN 'FAIL: the acceptance source took pull request 1';
EXCEPTION
  WHEN OTHER THEN RETURN 'ok: refused: ' || SQLERRM;
END;
$$;
CALL DAGSTER_BRANCH_ADMIN.BRANCHES.CREATE_BRANCH('DAGSTER_BRANCH_ACCEPTANCE', 0, NULL, $public_key);
CALL DAGSTER_BRANCH_ADMIN.BRANCHES.LIST_BRANCHES('DAGSTER_BRANCH_ACCEPTANCE', 0);
-- Another source's listing (the reaper's) leaves the running script's role and user out.
CALL DAGSTER_BRANCH_ADMIN.BRANCHES.LIST_BRANCHES('DAGSTER_BRANCH_ACCEPTANCE_PLAIN', NULL);
EXECUTE IMMEDIATE $$
BEGIN
  SELECT COUNT(*) FROM DAGSTER_BRANCH_ACCEPTANCE_CLONE_0.APP.ITEMS;
  RETURN 'FAIL: CI can read the clone';
EXCEPTION
  WHEN OTHER THEN RETURN 'ok: CI cannot read the clone';
END;
$$;
EXECUTE IMMEDIATE $$
BEGIN
  CREATE DATABASE DAGSTER_BRANCH_ACCEPTANCE_BY_CI;
  RETURN 'FAIL: CI can create databases';
EXCEPTION
  WHEN OTHER THEN RETURN 'ok: CI cannot create databases';
END;
$$;
EXECUTE IMMEDIATE $$
BEGIN
  CALL DAGSTER_BRANCH_ADMIN.BRANCHES.DROP_BRANCH('PRODUCTION_CLONE_0; DROP DATABASE DAGSTER_BRANCH_ACCEPTANCE', 0);
  RETURN 'FAIL: an unlisted source was accepted';
EXCEPTION
  WHEN OTHER THEN RETURN 'ok: refused: ' || SQLERRM;
END;
$$;

-- 4. As ACCOUNTADMIN: nothing in the clone reaches outside it, its schemas stay with the admin
--    role, and the branch user carries the source's network policy.
USE ROLE ACCOUNTADMIN;
SHOW STAGES IN DATABASE DAGSTER_BRANCH_ACCEPTANCE_CLONE_0;
SELECT IFF(COUNT_IF("type" NOT LIKE 'INTERNAL%') = 0, 'ok: the clone has no external stage', 'FAIL: the clone has ' || COUNT_IF("type" NOT LIKE 'INTERNAL%') || ' external stages') AS CHECK_RESULT FROM TABLE(RESULT_SCAN(LAST_QUERY_ID()));
SHOW PIPES IN DATABASE DAGSTER_BRANCH_ACCEPTANCE_CLONE_0;
SELECT IFF(COUNT(*) = 0, 'ok: the clone has no pipe', 'FAIL: the clone has ' || COUNT(*) || ' pipes') AS CHECK_RESULT FROM TABLE(RESULT_SCAN(LAST_QUERY_ID()));
SHOW SCHEMAS IN DATABASE DAGSTER_BRANCH_ACCEPTANCE_CLONE_0;
SELECT IFF(COUNT_IF("owner" <> 'DAGSTER_BRANCH_ADMIN') = 0, 'ok: the clone''s schemas stay with DAGSTER_BRANCH_ADMIN', 'FAIL: ' || COUNT_IF("owner" <> 'DAGSTER_BRANCH_ADMIN') || ' schemas of the clone have another owner') AS CHECK_RESULT FROM TABLE(RESULT_SCAN(LAST_QUERY_ID())) WHERE "name" <> 'INFORMATION_SCHEMA';
SHOW PARAMETERS LIKE 'NETWORK_POLICY' IN USER DAGSTER_PR_0;
SELECT IFF(MAX("value") = 'DAGSTER_BRANCH_ACCEPTANCE_NP', 'ok: the branch user has the source''s network policy', 'FAIL: the branch user''s network policy is ' || NVL(MAX("value"), 'none')) AS CHECK_RESULT FROM TABLE(RESULT_SCAN(LAST_QUERY_ID()));

-- 5. As the branch role: it writes its clone (creating in a schema it does not own), sees the
--    masked column masked and cannot lift the policy, cannot resume the cloned task, and cannot
--    read the source.
GRANT ROLE DAGSTER_PR_0 TO USER IDENTIFIER($me);
USE ROLE DAGSTER_PR_0;
INSERT INTO DAGSTER_BRANCH_ACCEPTANCE_CLONE_0.APP.ITEMS (ID) VALUES (2);
ALTER TABLE DAGSTER_BRANCH_ACCEPTANCE_CLONE_0.APP.ITEMS ADD COLUMN NOTE VARCHAR;
CREATE TABLE DAGSTER_BRANCH_ACCEPTANCE_CLONE_0.APP.COPIED AS SELECT ID FROM DAGSTER_BRANCH_ACCEPTANCE_CLONE_0.APP.ITEMS;
SELECT IFF(COUNT(*) = 2, 'ok: the branch role owns and writes its clone', 'FAIL: the clone has ' || COUNT(*) || ' rows') AS CHECK_RESULT FROM DAGSTER_BRANCH_ACCEPTANCE_CLONE_0.APP.COPIED;
-- (Enterprise)
SELECT IFF(MAX(SECRET) = '***', 'ok: the policy still masks the branch role''s reads', 'FAIL: the branch role reads ' || NVL(MAX(SECRET), 'NULL')) AS CHECK_RESULT FROM DAGSTER_BRANCH_ACCEPTANCE_CLONE_0.APP.ITEMS WHERE ID = 1;
EXECUTE IMMEDIATE $$
BEGIN
  ALTER TABLE DAGSTER_BRANCH_ACCEPTANCE_CLONE_0.APP.ITEMS MODIFY COLUMN SECRET UNSET MASKING POLICY;
  RETURN 'FAIL: the branch role lifted the masking policy';
EXCEPTION
  WHEN OTHER THEN RETURN 'ok: the branch role cannot lift the masking policy';
END;
$$;
EXECUTE IMMEDIATE $$
BEGIN
  ALTER TASK DAGSTER_BRANCH_ACCEPTANCE_CLONE_0.APP.NIGHTLY RESUME;
  RETURN 'FAIL: the branch role resumed a cloned task';
EXCEPTION
  WHEN OTHER THEN RETURN 'ok: the branch role cannot resume a cloned task';
END;
$$;
EXECUTE IMMEDIATE $$
BEGIN
  SELECT COUNT(*) FROM DAGSTER_BRANCH_ACCEPTANCE.APP.ITEMS;
  RETURN 'FAIL: the branch role can read the source';
EXCEPTION
  WHEN OTHER THEN RETURN 'ok: the branch role cannot read the source';
END;
$$;

-- 6. The source is as it was.
USE ROLE ACCOUNTADMIN;
SELECT IFF(COUNT(*) = 1, 'ok: the source is unchanged', 'FAIL: the source has ' || COUNT(*) || ' rows') AS CHECK_RESULT FROM DAGSTER_BRANCH_ACCEPTANCE.APP.ITEMS;

-- 7. As CI: drop it twice (the second call finds nothing and succeeds); nothing is listed after.
USE ROLE DAGSTER_BRANCH_DEPLOYER;
CALL DAGSTER_BRANCH_ADMIN.BRANCHES.DROP_BRANCH('DAGSTER_BRANCH_ACCEPTANCE', 0);
CALL DAGSTER_BRANCH_ADMIN.BRANCHES.DROP_BRANCH('DAGSTER_BRANCH_ACCEPTANCE', 0);
CALL DAGSTER_BRANCH_ADMIN.BRANCHES.LIST_BRANCHES('DAGSTER_BRANCH_ACCEPTANCE', NULL);

-- 8. Clean up (if the script stopped half-way, run this part: while an ACCEPTANCE_ONLY row
--    exists, the reaper leaves DAGSTER_PR_0 alone).
USE ROLE ACCOUNTADMIN;
DELETE FROM DAGSTER_BRANCH_ADMIN.BRANCHES.CLONE_SOURCES WHERE SOURCE_DATABASE IN ('DAGSTER_BRANCH_ACCEPTANCE', 'DAGSTER_BRANCH_ACCEPTANCE_PLAIN');
DROP DATABASE IF EXISTS DAGSTER_BRANCH_ACCEPTANCE;
DROP DATABASE IF EXISTS DAGSTER_BRANCH_ACCEPTANCE_GOV;
DROP NETWORK POLICY IF EXISTS DAGSTER_BRANCH_ACCEPTANCE_NP;
REVOKE ROLE DAGSTER_BRANCH_DEPLOYER FROM USER IDENTIFIER($me);
