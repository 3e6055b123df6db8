/**
 * scripts/branch.ts as CI runs it: a separate process, the `pulumi` found on PATH (the fake),
 * GitHub reached through GITHUB_API_URL (a local server). Checks the wiring the in-process tests
 * cannot: environment, exit codes, output. In the e2e suite: each run starts a fresh ts-node
 * process, tens of seconds that `npm test` cannot afford.
 */
import { strict as assert } from "assert";
import { spawn } from "child_process";
import * as crypto from "crypto";
import * as http from "http";
import { AddressInfo } from "net";
import * as path from "path";
import { COMMENT_MARKER } from "../../lifecycle/comment";
import { FAKE_PULUMI_ROOT, FakePulumi } from "../fixtures/fake-pulumi/harness";
import { FAKE_KUBECTL_BIN, FakeKubectl } from "../fixtures/fake-kubectl/harness";
import { previewStack, PROJECT_DIR } from "../fixtures/lifecycle/fakes";

const SHA = "0123456789abcdef0123456789abcdef01234567";

function run(args: string[], env: Record<string, string | undefined>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(PROJECT_DIR, "scripts", "branch.ts"), ...args], {
      cwd: PROJECT_DIR,
      env: { PATH: [path.join(FAKE_PULUMI_ROOT, "bin"), FAKE_KUBECTL_BIN, process.env.PATH].join(path.delimiter), HOME: process.env.HOME, ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe("npm run branch (separate process)", function () {
  this.timeout(60000);
  let fake: FakePulumi;
  let server: http.Server;
  let apiUrl: string;
  const comments: { id: number; body: string }[] = [];
  const seen: string[] = [];
  const statements: string[] = [];
  const snowflakeKey = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();

  before(async () => {
    server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        seen.push(`${req.method} ${req.url} ${req.headers.authorization}`);
        const send = (status: number, value: unknown) => {
          res.writeHead(status, { "Content-Type": "application/json" });
          res.end(JSON.stringify(value));
        };
        if (req.url === "/repos/acme/data-platform/pulls/5") return send(200, { number: 5, state: "open", merged: false });
        // Snowflake's SQL API (SNOWFLAKE_API_URL), as lifecycle-units.test.ts's stand-in answers a CALL.
        if (req.url?.startsWith("/api/v2/statements?requestId=") && req.method === "POST") {
          statements.push(JSON.parse(body).statement);
          return send(200, { statementHandle: "h", resultSetMetaData: { rowType: [{ name: "DROP_BRANCH" }] }, data: [["dropped"]] });
        }
        if (req.url?.startsWith("/repos/acme/data-platform/issues/5/comments") && req.method === "GET") return send(200, comments);
        if (req.url === "/repos/acme/data-platform/issues/5/comments" && req.method === "POST") {
          comments.push({ id: 1, body: JSON.parse(body).body });
          return send(201, comments[0]);
        }
        return send(404, { message: "Not Found" });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    fake = new FakePulumi();
  });
  after(async () => {
    fake.cleanup();
    await new Promise((resolve) => server.close(resolve));
  });

  const env = () => ({ ...fake.env, GITHUB_TOKEN: "ghs_test", GITHUB_REPOSITORY: "acme/data-platform", GITHUB_API_URL: apiUrl, PULUMI_SECRETS_PROVIDER: "passphrase", PULUMI_CONFIG_PASSPHRASE: "x", PULUMI_BACKEND_URL: "gs://acme-pulumi-state" });

  it("up, comment, down, down again", async () => {
    const up = await run(["up", "--pr", "5", "--sha", SHA, "--branch", "feature/x", "--locations", "marketing-etl"], env());
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.stdout, /pr-5 is up: kubectl --namespace dagster-pr-5 port-forward/);
    assert.match(up.stdout, /Snowflake clone: PRODUCTION_CLONE_5/);
    assert.deepEqual(fake.calls(), [
      "stack select pr-5",
      "stack init pr-5 --secrets-provider passphrase",
      "config set-all pr-5 dagster-platform:commitSha,dagster-platform:branch,dagster-platform:branchLocations,dagster-platform:gitRepository",
      "refresh pr-5",
      "stack history pr-5 --show-secrets",
      "stack export pr-5 --show-secrets",
      "up pr-5",
      "stack output pr-5",
      "stack output pr-5 --show-secrets",
      "stack history pr-5 --show-secrets",
    ]);
    assert.equal(fake.state().stacks["pr-5"].config["dagster-platform:branchLocations"], "marketing-etl");
    assert.ok(fake.entries().every((e) => e.cwd === PROJECT_DIR));
    assert.ok(
      fake.entries().every((e) => e.argv[0] === "version" || (e.env.PULUMI_AUTOMATION_API === "true" && e.env.PULUMI_BACKEND_URL === "gs://acme-pulumi-state" && e.env.PULUMI_CONFIG_PASSPHRASE === "set")),
      "the CLI runs under the Automation API with the job's backend and secrets settings",
    );
    // A fresh checkout has no Pulumi.pr-5.yaml: only this makes the CLI take the secrets provider
    // from the state (test/e2e/20-lifecycle.e2e.ts shows the real CLI failing without it).
    assert.ok(
      fake.entries().every((e) => e.argv[0] === "version" || e.env.PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER === "true"),
      "every CLI command falls back to the state's secrets provider",
    );

    const comment = await run(["comment", "--pr", "5", "--state", "ready"], { ...env(), GITHUB_SERVER_URL: "https://github.com", GITHUB_RUN_ID: "77" });
    assert.equal(comment.code, 0, comment.stderr);
    assert.equal(comments.length, 1);
    assert.ok(comments[0].body.startsWith(COMMENT_MARKER));
    assert.match(comments[0].body, /`PRODUCTION_CLONE_5`/);
    assert.match(comments[0].body, /\[CI run\]\(https:\/\/github\.com\/acme\/data-platform\/actions\/runs\/77\)/);
    assert.ok(seen.every((s) => s.endsWith("Bearer ghs_test")));
    fake.calls();

    // down retires (lifecycle/retire.ts): with the kubectl on PATH, the preview stack's
    // kubeconfig and Snowflake's SQL API; never `destroy`.
    const kube = new FakeKubectl();
    kube.setState({ namespaces: ["dagster-pr-5"] });
    fake.setState({ ...fake.state(), stacks: { ...fake.state().stacks, preview: previewStack() } });
    const snowflakeEnv = { SNOWFLAKE_ACCOUNT: "acme-analytics", SNOWFLAKE_USER: "DAGSTER_CI", SNOWFLAKE_PRIVATE_KEY: snowflakeKey, SNOWFLAKE_API_URL: apiUrl };
    const down = await run(["down", "--pr", "5"], { ...fake.env, ...kube.env, ...snowflakeEnv });
    assert.equal(down.code, 0, down.stderr);
    assert.match(down.stdout, /pr-5 retired/);
    assert.deepEqual(fake.calls(), ["stack export pr-5", "stack output organization/dagster-platform/preview --show-secrets", "stack export pr-5", "stack rm pr-5 --force"]);
    assert.deepEqual(kube.calls(), ["delete namespace dagster-pr-5 --ignore-not-found --wait=true --timeout=900s", "get namespace dagster-pr-5 --ignore-not-found --output=name"]);
    assert.deepEqual(statements, ["CALL DAGSTER_BRANCH_ADMIN.BRANCHES.DROP_BRANCH('PRODUCTION', 5)"]);
    kube.cleanup();
    const again = await run(["down", "--pr", "5"], { ...fake.env });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /pr-5 does not exist: nothing to retire/);
  });

  it("exit codes: 1 when reap has no GitHub credentials, 2 on a usage error or no command", async () => {
    fake.calls();
    const reap = await run(["reap", "--dry-run"], { ...fake.env });
    assert.equal(reap.code, 1);
    assert.match(reap.stderr, /GITHUB_TOKEN and GITHUB_REPOSITORY must be set/);
    const usage = await run(["up", "--pr", "5"], { ...fake.env });
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /up needs --sha/);
    // lifecycle/README.md: no command is a usage error, not a silent success.
    const none = await run([], { ...fake.env });
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no command given/);
    assert.deepEqual(fake.calls(), [], "usage errors never reach pulumi");
  });
});
