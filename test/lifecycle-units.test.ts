/**
 * The lifecycle's pure parts (argument parsing, lock backoff, naming, reap policy) and its two
 * HTTP clients against local servers: Snowflake's SQL API with a verified key-pair JWT, and
 * GitHub's REST API with pagination.
 */
import { strict as assert } from "assert";
import * as crypto from "crypto";
import * as http from "http";
import { AddressInfo } from "net";
import { parseBranchArgs, parseDrillArgs, UsageError } from "../lifecycle/args";
import { branchConfig, decideReap, ReapCandidate } from "../lifecycle/branch";
import { COMMENT_MARKER, upsertComment } from "../lifecycle/comment";
import * as path from "path";
import { briefError, PROJECT_DIR_ENV, resolveProjectDir } from "../lifecycle/deps";
import { nextPageUrl, RestGitHubClient } from "../lifecycle/github";
import { backoffDelays, isLockError, lockFileFromError, retryOnLock } from "../lifecycle/locks";
import { branchStackName, cloneDatabasePattern, pullRequestOfClone, pullRequestOfStack } from "../lifecycle/names";
import { jwtAccount, publicKeyFingerprint, snowflakeBaseUrl, snowflakeJwt, SqlApiSnowflakeClient } from "../lifecycle/snowflake";

const SHA = "0123456789abcdef0123456789abcdef01234567";

describe("lifecycle arguments", () => {
  it("parses the CI contract", () => {
    assert.deepEqual(parseBranchArgs(["up", "--pr", "42", "--sha", SHA, "--branch", "feat/x", "--locations", "b, a"]), {
      command: "up",
      pr: 42,
      sha: SHA,
      branch: "feat/x",
      locations: ["b", "a"],
      openedAt: undefined,
      lockTimeoutSeconds: undefined,
    });
    assert.equal((parseBranchArgs(["up", "--pr=42", `--sha=${SHA}`, "--branch=main", "--locations=all"]) as { locations?: string[] }).locations, undefined);
    assert.deepEqual(parseBranchArgs(["down", "--pr", "42", "--lock-timeout", "0"]), { command: "down", pr: 42, lockTimeoutSeconds: 0 });
    assert.deepEqual(parseBranchArgs(["retire", "--pr", "42", "--production-database", "ANALYTICS"]), { command: "retire", pr: 42, productionDatabase: "ANALYTICS", lockTimeoutSeconds: undefined });
    assert.deepEqual(parseBranchArgs(["reap"]), { command: "reap", maxAgeDays: 7, dropOrphans: false, dryRun: false, productionDatabase: undefined, lockTimeoutSeconds: undefined });
    assert.deepEqual(parseBranchArgs(["reap", "--max-age-days", "3", "--drop-orphans", "--dry-run"]), {
      command: "reap",
      maxAgeDays: 3,
      dropOrphans: true,
      dryRun: true,
      productionDatabase: undefined,
      lockTimeoutSeconds: undefined,
    });
    assert.deepEqual(parseBranchArgs(["comment", "--pr", "7", "--state", "failed", "--failed-step", "up", "--base-plan", "a", "--head-plan", "b"]), {
      command: "comment",
      pr: 7,
      state: "failed",
      failedStep: "up",
      basePlan: "a",
      headPlan: "b",
      sha: undefined,
    });
    assert.deepEqual(parseBranchArgs(["--help"]), { command: "help" });
  });

  const refused: [string[], RegExp][] = [
    [[], /no command given: up, down, reap, retire or comment/],
    [["up", "--pr", "42", "--sha", SHA], /needs --branch/],
    [["up", "--pr", "0", "--sha", SHA, "--branch", "b"], /not a pull-request number/],
    [["up", "--pr", "42", "--sha", "HEAD", "--branch", "b"], /not a git commit sha/],
    [["up", "--pr", "42", "--sha", SHA, "--branch", "a b"], /not a git branch name/],
    [["up", "--pr", "42", "--sha", SHA, "--branch", "b", "--locations", "Bad_Name"], /not a code location name/],
    [["up", "--pr", "42", "--sha", SHA, "--branch", "b", "--opened-at", "2025-03-01 12:00"], /--opened-at "2025-03-01 12:00" is not an ISO 8601 time/],
    [["up", "--pr", "42", "--sha", SHA, "--branch", "b", "--force"], /needs a value|does not take --force/],
    [["down", "--pr", "42", "--pr", "43"], /given twice/],
    [["down", "--pr"], /needs a value/],
    [["down", "42"], /unexpected argument/],
    [["reap", "--max-age-days", "0"], /must be a number ≥ 1/],
    [["reap", "--dry-run=yes"], /takes no value/],
    [["reap", "--production-database", "prod; drop"], /not an unquoted uppercase/],
    [["retire"], /retire needs --pr/],
    [["retire", "--pr", "7", "--dry-run"], /retire does not take --dry-run|needs a value/],
    [["retire", "--pr", "7", "--production-database", "x"], /not an unquoted uppercase/],
    [["comment", "--pr", "7", "--state", "done"], /not one of deploying, ready, failed/],
    [["comment", "--pr", "7", "--state", "ready", "--failed-step", "up"], /only goes with --state failed/],
    [["comment", "--pr", "7", "--state", "ready", "--base-plan", "a"], /go together/],
    [["deploy"], /unknown command/],
  ];
  for (const [argv, message] of refused) {
    it(`refuses: ${argv.join(" ")}`, () => {
      assert.throws(() => parseBranchArgs(argv), (e: unknown) => e instanceof UsageError && message.test(e.message));
    });
  }

  it("drill: flags or environment, password never required on the command line", () => {
    const env = { DRILL_POSTGRES_HOST: "pg.internal", DRILL_POSTGRES_PASSWORD: "s3cret", DRILL_POSTGRES_PORT: "6432" };
    assert.deepEqual(parseDrillArgs(["--stack", "drill-1", "--keep"], env), {
      stack: "drill-1",
      keep: true,
      postgresHost: "pg.internal",
      postgresPort: 6432,
      postgresUser: undefined,
      postgresDatabase: undefined,
      postgresPassword: "s3cret",
      kubeconfig: undefined,
      kubeContext: undefined,
      namespace: undefined,
    });
    assert.equal((parseDrillArgs(["--postgres-host", "other"], env) as { postgresHost: string }).postgresHost, "other");
    assert.throws(() => parseDrillArgs([], { DRILL_POSTGRES_HOST: "h" }), /password/);
    assert.throws(() => parseDrillArgs([], {}), /--postgres-host/);
  });

  it("branch config: the three keys, locations normalised, all by default", () => {
    assert.deepEqual(branchConfig({ pr: 1, sha: SHA, branch: "b", locations: ["b", "a", "b"] })["dagster-platform:branchLocations"], { value: "a,b" });
    assert.deepEqual(Object.keys(branchConfig({ pr: 1, sha: SHA, branch: "b" })), ["dagster-platform:commitSha", "dagster-platform:branch", "dagster-platform:branchLocations"]);
    assert.equal(branchConfig({ pr: 1, sha: SHA, branch: "b" })["dagster-platform:branchLocations"].value, "all");
  });
});

describe("lifecycle project folder", () => {
  const fixture = path.resolve(__dirname, "fixtures", "lifecycle-program");
  it("is this checkout unless DAGSTER_PLATFORM_PROJECT_DIR names a Pulumi project", () => {
    assert.equal(PROJECT_DIR_ENV, "DAGSTER_PLATFORM_PROJECT_DIR");
    assert.equal(resolveProjectDir({}, "/checkout"), "/checkout");
    assert.equal(resolveProjectDir({ DAGSTER_PLATFORM_PROJECT_DIR: path.relative(process.cwd(), fixture) }, "/checkout"), fixture);
    assert.throws(() => resolveProjectDir({ DAGSTER_PLATFORM_PROJECT_DIR: __dirname }, "/checkout"), /DAGSTER_PLATFORM_PROJECT_DIR=.*: there is no Pulumi\.yaml in .*unset it/);
  });
});

describe("lifecycle locks", () => {
  const selfManaged = new Error(
    "code: 255\n stdout: \n stderr: Command failed with exit code 255: pulumi destroy --yes\nerror: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with `pulumi cancel`.\n  s3://state/.pulumi/locks/organization/dagster-platform/pr-3/6c1e.json: created by runner@ci (pid 7) at 2025-01-01T00:00:00Z\n err?: Error",
  );

  it("recognises both backends' lock errors and nothing else", () => {
    assert.ok(isLockError(selfManaged));
    assert.ok(isLockError(new Error("error: [409] Conflict: Another update is currently in progress.")));
    assert.ok(!isLockError(new Error("error: update failed")));
    assert.equal(lockFileFromError(selfManaged), "s3://state/.pulumi/locks/organization/dagster-platform/pr-3/6c1e.json");
    assert.equal(briefError(selfManaged), "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with `pulumi cancel`.");
  });

  it("backs off by doubling, capped, never past the limit", () => {
    assert.deepEqual(backoffDelays({ timeoutMs: 100_000, initialDelayMs: 5_000, maxDelayMs: 30_000 }), [5000, 10000, 20000, 30000, 30000, 5000]);
    assert.deepEqual(backoffDelays({ timeoutMs: 0, initialDelayMs: 5_000, maxDelayMs: 30_000 }), []);
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    assert.equal(sum(backoffDelays({ timeoutMs: 1_800_000, initialDelayMs: 5_000, maxDelayMs: 60_000 })), 1_800_000);
  });

  it("retries only lock errors", async () => {
    const sleeps: number[] = [];
    const deps = { wait: { timeoutMs: 60_000, initialDelayMs: 1_000, maxDelayMs: 60_000 }, sleep: async (ms: number) => void sleeps.push(ms), log: () => undefined };
    let n = 0;
    assert.equal(await retryOnLock("pr-3", "x", async () => (++n < 3 ? Promise.reject(selfManaged) : "done"), deps), "done");
    assert.deepEqual(sleeps, [1000, 2000]);
    await assert.rejects(
      retryOnLock("pr-3", "x", async () => Promise.reject(new Error("boom")), deps),
      /boom/,
    );
    assert.deepEqual(sleeps, [1000, 2000], "no wait for other errors");
    await assert.rejects(retryOnLock("pr-3", "x", async () => Promise.reject(selfManaged), { ...deps, wait: { ...deps.wait, timeoutMs: 0 } }), /still locked after waiting 0s/);
  });
});

describe("lifecycle names and reap policy", () => {
  it("stack and clone names", () => {
    assert.equal(branchStackName(42), "pr-42");
    assert.throws(() => branchStackName(0));
    assert.equal(pullRequestOfStack("pr-42"), 42);
    assert.equal(pullRequestOfStack("acme/dagster-platform/pr-42"), 42);
    for (const s of ["prod", "pr-042", "pr-x", "pr-", "drill-pr-4"]) assert.equal(pullRequestOfStack(s), undefined, s);
    assert.equal(pullRequestOfClone("PRODUCTION", "PRODUCTION_CLONE_12"), 12);
    for (const db of ["PRODUCTION", "PRODUCTION_CLONE_", "PRODUCTION_CLONE_012", "PRODUCTION_CLONE_12_OLD", "XPRODUCTION_CLONE_1", "production_clone_1", "PRODUCTION_CLONE_1 "]) {
      assert.equal(pullRequestOfClone("PRODUCTION", db), undefined, db);
    }
    assert.throws(() => cloneDatabasePattern("PROD.*"), /not an unquoted uppercase Snowflake identifier/);
  });

  it("reap policy", () => {
    const now = new Date("2025-03-01T00:00:00Z");
    const c = (pr: number, extra: Partial<ReapCandidate>): ReapCandidate => ({ stack: `pr-${pr}`, pr, pullRequest: { number: pr, state: "open", merged: false }, ...extra });
    const decisions = decideReap(
      [
        c(1, { pullRequest: { number: 1, state: "closed", merged: false } }),
        c(2, { lastUpdate: "2025-02-20T00:00:00Z" }),
        c(3, { lastUpdate: "2025-02-25T00:00:00Z" }),
        c(4, { lastUpdate: "2025-01-01T00:00:00Z", updateInProgress: true, pullRequest: { number: 4, state: "closed", merged: true } }),
        c(5, { pullRequest: "missing", lastUpdate: "2025-02-28T00:00:00Z" }),
        c(6, { pullRequest: "missing", lastUpdate: "2025-01-01T00:00:00Z" }),
        c(7, {}),
        c(8, { lastUpdate: "yesterday" }),
      ],
      now,
      7,
    );
    assert.deepEqual(
      decisions.map((d) => `${d.pr}:${d.action}`),
      ["1:retire", "2:retire", "3:keep", "4:keep", "5:keep", "6:retire", "7:keep", "8:keep"],
    );
    assert.match(decisions[0].reason, /is closed/);
    assert.match(decisions[6].reason, /never updated/);
  });
});

// ---------------------------------------------------------------------------------------------

interface Recorded {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

async function serve(handler: (req: Recorded, res: http.ServerResponse) => void): Promise<{ url: string; requests: Recorded[]; close: () => Promise<void> }> {
  const requests: Recorded[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      const r = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body };
      requests.push(r);
      handler(r, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "Content-Type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

describe("Snowflake SQL API client", () => {
  const { privateKey, publicKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
  const now = new Date("2025-03-01T12:00:00Z");

  it("fingerprints the key the way Snowflake's DESCRIBE USER shows it", () => {
    // Snowflake documents: openssl rsa -pubout -outform DER | openssl dgst -sha256 -binary | base64.
    // The PEM body of the public key is that DER, so this derives it independently.
    const pem = publicKey.export({ type: "spki", format: "pem" }).toString();
    const der = Buffer.from(pem.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, ""), "base64");
    assert.equal(publicKeyFingerprint(privateKey), `SHA256:${crypto.createHash("sha256").update(der).digest("base64")}`);
  });

  it("signs a JWT with iss ACCOUNT.USER.SHA256:<fingerprint>, sub ACCOUNT.USER, at most an hour", () => {
    const jwt = snowflakeJwt({ account: "acme-analytics", user: "dagster_reaper", privateKey, now });
    const [h, c, s] = jwt.split(".");
    assert.ok(crypto.verify("sha256", Buffer.from(`${h}.${c}`), publicKey, Buffer.from(s, "base64url")), "RS256 signature verifies");
    assert.deepEqual(JSON.parse(Buffer.from(h, "base64url").toString()), { alg: "RS256", typ: "JWT" });
    const claims = JSON.parse(Buffer.from(c, "base64url").toString());
    assert.equal(claims.sub, "ACME-ANALYTICS.DAGSTER_REAPER");
    assert.equal(claims.iss, `ACME-ANALYTICS.DAGSTER_REAPER.${publicKeyFingerprint(privateKey)}`);
    assert.equal(claims.iat, now.getTime() / 1000);
    assert.ok(claims.exp - claims.iat <= 3600 && claims.exp > claims.iat);
    assert.equal(jwtAccount("xy12345.us-east-1"), "XY12345");
    assert.equal(snowflakeBaseUrl("acme-data_eng"), "https://acme-data-eng.snowflakecomputing.com");
  });

  it("lists branch objects through LIST_BRANCHES (following a 202 and partitions) and drops through DROP_BRANCH", async () => {
    const server = await serve((req, res) => {
      const [h, c, s] = String(req.headers.authorization).replace(/^Bearer /, "").split(".");
      if (req.headers["x-snowflake-authorization-token-type"] !== "KEYPAIR_JWT" || !crypto.verify("sha256", Buffer.from(`${h}.${c}`), publicKey, Buffer.from(s ?? "", "base64url"))) {
        return json(res, 401, { message: "JWT token is invalid", code: "390144" });
      }
      // A CALL of a table procedure answers with the table's columns, as RETURNS TABLE names them.
      const rowType = [{ name: "PULL_REQUEST" }, { name: "OBJECT_KIND" }, { name: "OBJECT_NAME" }];
      if (req.method === "POST" && req.url?.startsWith("/api/v2/statements?requestId=")) {
        const body = JSON.parse(req.body);
        if (body.statement === "CALL DAGSTER_BRANCH_ADMIN.BRANCHES.LIST_BRANCHES('PRODUCTION', NULL)") return json(res, 202, { statementHandle: "h-1", message: "Asynchronous execution in progress." });
        if (body.statement === "CALL DAGSTER_BRANCH_ADMIN.BRANCHES.DROP_BRANCH('PRODUCTION', 12)") return json(res, 200, { statementHandle: "h-2", resultSetMetaData: { rowType: [{ name: "DROP_BRANCH" }] }, data: [["dropped PRODUCTION_CLONE_12, user DAGSTER_PR_12 and role DAGSTER_PR_12 where they existed"]] });
        return json(res, 422, { message: "SQL compilation error", code: "002003" });
      }
      if (req.url === "/api/v2/statements/h-1") {
        return json(res, 200, { statementHandle: "h-1", resultSetMetaData: { rowType, partitionInfo: [{}, {}] }, data: [["12", "DATABASE", "PRODUCTION_CLONE_12"], ["12", "ROLE", "DAGSTER_PR_12"]] });
      }
      if (req.url === "/api/v2/statements/h-1?partition=1") return json(res, 200, { data: [["0", "DATABASE", "PRODUCTION_CLONE_0"], ["13", "DATABASE", "PRODUCTION_CLONE_14"]] });
      return json(res, 404, { message: "not found" });
    });
    try {
      const client = new SqlApiSnowflakeClient({ account: "acme-analytics", user: "DAGSTER_CI", privateKey, role: "DAGSTER_BRANCH_DEPLOYER", productionDatabase: "PRODUCTION", baseUrl: server.url, now: () => now, sleep: async () => undefined });
      // 0 counts (no pull request has it: a leftover the reaper drops); a row whose name is not its PR's is never acted on.
      assert.deepEqual(await client.listBranchObjects(), [
        { pullRequest: 12, kind: "DATABASE", name: "PRODUCTION_CLONE_12" },
        { pullRequest: 12, kind: "ROLE", name: "DAGSTER_PR_12" },
        { pullRequest: 0, kind: "DATABASE", name: "PRODUCTION_CLONE_0" },
      ]);
      assert.equal(JSON.parse(server.requests[0].body).role, "DAGSTER_BRANCH_DEPLOYER");
      assert.ok(server.requests[0].headers["user-agent"], "the SQL API wants a User-Agent");

      await client.dropBranch(12);
      assert.equal(JSON.parse(server.requests[server.requests.length - 1].body).statement, "CALL DAGSTER_BRANCH_ADMIN.BRANCHES.DROP_BRANCH('PRODUCTION', 12)");
      const sent = server.requests.length;
      for (const bad of [-1, 1.5, 1e10]) await assert.rejects(client.dropBranch(bad), /refusing to build a Snowflake CALL/, String(bad));
      assert.equal(server.requests.length, sent, "refused numbers never reach Snowflake");
      await assert.rejects(client.execute("SELECT nonsense"), /Snowflake SQL API 422 \(002003\): SQL compilation error/);
    } finally {
      await server.close();
    }
  });
});

describe("GitHub REST client", () => {
  it("reads pull requests, pages through comments, and upserts the deployment comment", async () => {
    const comments = Array.from({ length: 3 }, (_, i) => ({ id: i + 1, body: `chatter ${i}` }));
    const server = await serve((req, res) => {
      if (req.headers.authorization !== "Bearer t0ken" || req.headers["x-github-api-version"] !== "2022-11-28") return json(res, 401, { message: "Bad credentials" });
      const base = "/api/v3/repos/acme/data-platform";
      if (req.url === `${base}/pulls/7`) return json(res, 200, { number: 7, state: "closed", merged: true, updated_at: "2025-02-01T00:00:00Z" });
      if (req.url === `${base}/pulls/8`) return json(res, 200, { number: 8, state: "open", merged: false });
      if (req.url?.startsWith(`${base}/issues/7/comments?`)) {
        // Two per page, whatever per_page asked: the client must follow Link.
        const page = Number(new URL(req.url, "http://x").searchParams.get("page") ?? "1");
        const next = page * 2 < comments.length ? `<${server.url}${base}/issues/7/comments?per_page=100&page=${page + 1}>; rel="next", <${server.url}${base}/issues/7/comments?page=2>; rel="last"` : "";
        return json(res, 200, comments.slice((page - 1) * 2, page * 2), next ? { Link: next } : {});
      }
      if (req.method === "POST" && req.url === `${base}/issues/7/comments`) {
        const c = { id: 99, body: JSON.parse(req.body).body };
        comments.push(c);
        return json(res, 201, c);
      }
      if (req.method === "PATCH" && req.url === `${base}/issues/comments/99`) {
        comments[comments.length - 1].body = JSON.parse(req.body).body;
        return json(res, 200, comments[comments.length - 1]);
      }
      return json(res, 404, { message: "Not Found" });
    });
    try {
      const gh = new RestGitHubClient({ token: "t0ken", repository: "acme/data-platform", apiUrl: `${server.url}/api/v3/` });
      assert.deepEqual(await gh.getPullRequest(7), { number: 7, state: "closed", merged: true, updatedAt: "2025-02-01T00:00:00Z" });
      assert.equal((await gh.getPullRequest(8))?.state, "open");
      assert.equal(await gh.getPullRequest(9), undefined);
      assert.equal((await gh.listComments(7)).length, 3);

      const first = await upsertComment(gh, 7, `${COMMENT_MARKER}\nv1`);
      assert.equal(first.action, "created");
      const second = await upsertComment(gh, 7, `${COMMENT_MARKER}\nv2`);
      assert.deepEqual(second, { id: 99, action: "updated" });
      assert.equal(comments.length, 4, "one deployment comment, edited in place");
      assert.equal(comments[3].body, `${COMMENT_MARKER}\nv2`);
      assert.equal((await upsertComment(gh, 7, `${COMMENT_MARKER}\nv2`)).action, "unchanged");
      assert.deepEqual(comments.slice(0, 3).map((c) => c.body), ["chatter 0", "chatter 1", "chatter 2"], "other comments untouched");

      const bad = new RestGitHubClient({ token: "wrong", repository: "acme/data-platform", apiUrl: `${server.url}/api/v3` });
      await assert.rejects(bad.getPullRequest(7), /401 Bad credentials/);
    } finally {
      await server.close();
    }
  });

  it("Link header parsing", () => {
    assert.equal(nextPageUrl('<https://api.github.com/x?page=2>; rel="next", <https://api.github.com/x?page=5>; rel="last"'), "https://api.github.com/x?page=2");
    assert.equal(nextPageUrl('<https://api.github.com/x?page=1>; rel="prev"'), undefined);
    assert.equal(nextPageUrl(null), undefined);
    assert.throws(() => new RestGitHubClient({ token: "t", repository: "not a repo" }), /owner\/repo/);
  });
});
