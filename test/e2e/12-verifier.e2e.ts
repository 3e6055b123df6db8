/**
 * The workspace verifier (verify/verify_workspace.py): its Python unit tests, and the real script
 * run as the Job runs it, against local HTTP servers that replay GraphQL answers recorded from
 * dagster-webserver 1.13.19 (test/fixtures/graphql): `reloadWorkspace` and `workspaceOrError`
 * each from their own sequence. Several servers stand for the webserver replicas behind the
 * headless Service (reached through the test-only VERIFY_PEER_ADDRESSES, since a real DNS name
 * cannot resolve to several local ports). The real Dagster is verified in 10-rehearse. In the
 * e2e suite, not `npm test`, because it needs python3 (the verifier is stdlib-only Python).
 */
import { strict as assert } from "assert";
import { spawn, spawnSync } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as http from "http";
import { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";

const ROOT = path.join(__dirname, "..", "..");
const SCRIPT = path.join(ROOT, "verify", "verify_workspace.py");
const FIXTURES = path.join(ROOT, "test", "fixtures", "graphql");
const EXPECTED = "finance-reporting,marketing-etl";
const PEERS = "dagster-webserver-pods.dagster.svc.cluster.local";

interface Recorded {
  description: string;
  status: number;
  contentType: string;
  body?: unknown;
  rawBody?: string;
}

interface Received {
  kind: "reload" | "query";
  host: string;
  path: string;
  body: string;
}

interface Replay {
  url: string;
  address: string;
  received: Received[];
  close(): Promise<void>;
}

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

function fixture(name: string): Recorded {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, name), "utf8")) as Recorded;
}

/** A webserver replica: answers each kind of request with the next fixture of its own list. */
async function replay(reloads: string[], queries: string[]): Promise<Replay> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const kind = body.includes("reloadWorkspace") ? "reload" : "query";
      received.push({ kind, host: req.headers.host ?? "", path: req.url ?? "", body });
      const list = kind === "reload" ? reloads : queries;
      const step = list[Math.min(received.filter((r) => r.kind === kind).length, list.length) - 1];
      const recorded = fixture(step);
      res.writeHead(recorded.status, { "Content-Type": recorded.contentType });
      res.end(recorded.rawBody ?? JSON.stringify(recorded.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    address: `127.0.0.1:${port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * Runs the script as the Job does: `python3 verify_workspace.py`, with only the Job's variables;
 * `onStderr` sees everything it has logged so far, each time it logs.
 */
function runVerifier(env: Record<string, string>, onStderr: (text: string) => void = () => undefined): Promise<Outcome> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn("python3", [SCRIPT], { cwd: ROOT, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", PYTHONDONTWRITEBYTECODE: "1", ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
      onStderr(stderr);
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr, seconds: (Date.now() - started) / 1000 }));
  });
}

function jobEnv(url: string, timeoutSeconds: number, extra: Record<string, string> = {}): Record<string, string> {
  return { DAGSTER_GRAPHQL_URL: url, EXPECTED_LOCATIONS: EXPECTED, VERIFY_TIMEOUT_SECONDS: String(timeoutSeconds), VERIFY_POLL_SECONDS: "0.05", ...extra };
}

function describeOutcome(o: Outcome): string {
  return `exit ${o.code} after ${o.seconds.toFixed(1)}s\n--- stdout\n${o.stdout}--- stderr\n${o.stderr}`;
}

describe("workspace verifier", () => {
  it("has recorded answers for every scenario, each a status plus exactly one of body and rawBody", () => {
    const names = fs.readdirSync(FIXTURES).filter((f) => f.endsWith(".json"));
    for (const name of ["reload-workspace.json", "workspace-loaded.json", "workspace-stale.json", "workspace-unreachable.json", "workspace-import-error.json"]) {
      assert.ok(names.includes(name), `missing fixture ${name}`);
    }
    for (const name of names) {
      const r = fixture(name);
      assert.ok(r.description.length > 0 && Number.isInteger(r.status), name);
      assert.equal((r.body === undefined) !== (r.rawBody === undefined), true, `${name}: exactly one of body and rawBody`);
    }
  });

  it("passes its Python unit tests (verify/test_verify_workspace.py)", () => {
    const result = spawnSync("python3", ["-B", "-m", "unittest", "discover", "-s", "verify", "-p", "test_verify_workspace.py", "-v"], {
      cwd: ROOT,
      encoding: "utf8",
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", PYTHONDONTWRITEBYTECODE: "1" },
    });
    const output = `${result.stdout}${result.stderr}`;
    assert.equal(result.error, undefined, `could not start python3: ${result.error?.message}`);
    assert.equal(result.status, 0, output);
    // Python before 3.12 exits 0 when discovery finds nothing.
    const ran = /Ran (\d+) tests?/.exec(output);
    assert.ok(ran && Number(ran[1]) >= 20, `expected the suite to run, got:\n${output}`);
  });

  describe("the real script against replaying servers", () => {
    let servers: Replay[] = [];
    afterEach(async () => {
      await Promise.all(servers.map((s) => s.close()));
      servers = [];
    });

    it("waits for the mounted workspace file, reloads once, then polls read-only until loaded", async () => {
      const server = await replay(["reload-workspace.json"], ["workspace-unreachable.json", "workspace-loaded.json"]);
      servers = [server];
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "verify-"));
      const file = path.join(dir, "workspace.yaml");
      const content = "load_from: []\n";
      fs.writeFileSync(file, "load_from: old\n");
      const env = jobEnv(server.url, 10, { WORKSPACE_FILE: file, EXPECTED_WORKSPACE_SHA256: createHash("sha256").update(content).digest("hex") });
      // The kubelet's part: the new content arrives only once the verifier is waiting for it.
      const o = await runVerifier(env, (text) => {
        if (/waiting for /.test(text) && server.received.length === 0) fs.writeFileSync(file, content);
      });
      fs.rmSync(dir, { recursive: true, force: true });
      assert.equal(o.code, 0, describeOutcome(o));
      assert.deepEqual(server.received.map((r) => r.kind), ["reload", "query", "query"]);
      assert.ok(server.received.every((r) => r.path === "/graphql"));
      assert.match(JSON.parse(server.received[1].body).query, /^query VerifyWorkspace \{\s+workspaceOrError/);
      assert.match(o.stderr, /waiting for .*workspace\.yaml to get the new workspace/);
      assert.match(o.stdout, /workspace verified .*1 reloadWorkspace request/);
    });

    it("fails at once, naming the location and the user code's error, when a module raises on import", async () => {
      const server = await replay(["reload-workspace.json"], ["workspace-import-error.json"]);
      servers = [server];
      const o = await runVerifier(jobEnv(server.url, 300));
      assert.equal(o.code, 1, describeOutcome(o));
      assert.ok(o.seconds < 10, describeOutcome(o));
      assert.match(o.stderr, /failed to load: marketing-etl; Python error:\n\s+dagster\._core\.errors\.DagsterUserCodeLoadError/);
      assert.match(o.stderr, /caused by: RuntimeError: marketing credentials are not configured/);
    });

    it("reloads each replica once, naming the peers Service in the Host header", async () => {
      const a = await replay(["reload-workspace.json"], ["workspace-loaded.json"]);
      const b = await replay(["reload-workspace.json"], ["workspace-stale.json", "workspace-loaded.json"]);
      servers = [a, b];
      const env = jobEnv("http://dagster-dagster-webserver.dagster.svc.cluster.local/graphql", 10, {
        DAGSTER_WEBSERVER_PEERS: PEERS,
        DAGSTER_WEBSERVER_REPLICAS: "2",
        VERIFY_PEER_ADDRESSES: `${a.address},${b.address}`,
        VERIFY_STALE_RELOAD_DELAY_SECONDS: "0.2",
      });
      const o = await runVerifier(env);
      assert.equal(o.code, 0, describeOutcome(o));
      assert.equal(a.received.filter((r) => r.kind === "reload").length, 1);
      // b read an old file on its first reload: reloaded again after its answer and the delay.
      assert.equal(b.received.filter((r) => r.kind === "reload").length, 2);
      assert.ok([...a.received, ...b.received].every((r) => r.host === PEERS));
      assert.match(o.stdout, /on each of 2 webserver replica\(s\), 3 reloadWorkspace request\(s\)/);
    });

    it("exits 2 on bad configuration without calling the webserver", async () => {
      const server = await replay(["reload-workspace.json"], ["workspace-loaded.json"]);
      servers = [server];
      for (const env of [jobEnv(server.url, 5, { VERIFY_TIMEOUT_SECONDS: "ten" }), jobEnv(server.url, 5, { WORKSPACE_FILE: "/dagster-workspace/workspace.yaml" })]) {
        const o = await runVerifier(env);
        assert.equal(o.code, 2, describeOutcome(o));
        assert.match(o.stderr, /configuration error/);
      }
      assert.equal(server.received.length, 0);
    });
  });
});
