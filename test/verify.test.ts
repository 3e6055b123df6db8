/**
 * The workspace verifier (verify/verify_workspace.py): its Python unit tests, and the real script
 * run end to end against local HTTP servers that replay recorded GraphQL responses: one standing
 * for the webserver Service, or several standing for the webserver replicas behind the headless
 * Service (reached through the test-only VERIFY_PEER_ADDRESSES, since a real DNS name cannot
 * resolve to several local ports).
 */
import { strict as assert } from "assert";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import { AddressInfo } from "net";
import * as path from "path";

const ROOT = path.join(__dirname, "..");
const SCRIPT = path.join(ROOT, "verify", "verify_workspace.py");
const FIXTURES = path.join(ROOT, "test", "fixtures", "graphql");
const EXPECTED = "finance-reporting,marketing-etl";
/** Small enough that a replayed sequence takes a fraction of a second. */
const FAST_BACKOFF = "0.05";
/** The headless Service's name: sent as the Host header, never resolved in these tests. */
const PEERS = "dagster-webserver-pods.dagster.svc.cluster.local";

interface Recorded {
  description: string;
  status: number;
  contentType: string;
  body?: unknown;
  rawBody?: string;
}

interface Received {
  method: string;
  url: string;
  host: string;
  contentType: string;
  body: string;
}

interface Replay {
  url: string;
  /** How VERIFY_PEER_ADDRESSES names this server, and how the verifier's messages name it. */
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

/** Answers each POST with the next fixture, repeating the last; "hang" never answers. */
async function replay(steps: string[]): Promise<Replay> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      received.push({
        method: req.method ?? "",
        url: req.url ?? "",
        host: req.headers.host ?? "",
        contentType: req.headers["content-type"] ?? "",
        body: Buffer.concat(chunks).toString("utf8"),
      });
      const step = steps[Math.min(received.length, steps.length) - 1];
      if (step === "hang") return;
      const recorded = fixture(step);
      const text = recorded.rawBody ?? JSON.stringify(recorded.body);
      res.writeHead(recorded.status, { "Content-Type": recorded.contentType });
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    address: `127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on: bound once, then released. */
async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Runs the script as the Job does: `python3 verify_workspace.py`, with only the Job's variables. */
function runVerifier(env: Record<string, string>): Promise<Outcome> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn("python3", [SCRIPT], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", PYTHONDONTWRITEBYTECODE: "1", ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr, seconds: (Date.now() - started) / 1000 }));
  });
}

function jobEnv(url: string, timeoutSeconds: number, expected = EXPECTED): Record<string, string> {
  return {
    DAGSTER_GRAPHQL_URL: url,
    EXPECTED_LOCATIONS: expected,
    VERIFY_TIMEOUT_SECONDS: String(timeoutSeconds),
    VERIFY_BACKOFF_BASE_SECONDS: FAST_BACKOFF,
  };
}

/** The Job's variables with the headless Service set, its addresses replaced by the local servers. */
function peersEnv(replicas: Replay[], expectedReplicas: number, timeoutSeconds: number): Record<string, string> {
  return {
    ...jobEnv("http://dagster-dagster-webserver.dagster.svc.cluster.local:80/graphql", timeoutSeconds),
    DAGSTER_WEBSERVER_PEERS: PEERS,
    DAGSTER_WEBSERVER_PORT: "80",
    DAGSTER_WEBSERVER_REPLICAS: String(expectedReplicas),
    VERIFY_PEER_ADDRESSES: replicas.map((r) => r.address).join(","),
  };
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function describeOutcome(o: Outcome): string {
  return `exit ${o.code} after ${o.seconds.toFixed(1)}s\n--- stdout\n${o.stdout}--- stderr\n${o.stderr}`;
}

describe("workspace verifier", () => {
  describe("recorded GraphQL responses", () => {
    const required = [
      "success.json",
      "not-yet-reloaded.json",
      "loading.json",
      "location-python-error.json",
      "top-level-python-error.json",
      "html-bad-gateway.json",
    ];

    it("has every required scenario, each a status plus exactly one of body and rawBody", () => {
      const files = fs.readdirSync(FIXTURES).filter((f) => f.endsWith(".json"));
      for (const name of required) assert.ok(files.includes(name), `missing fixture ${name}`);
      for (const name of files) {
        const r = fixture(name);
        assert.ok(r.description.length > 0, `${name}: description`);
        assert.ok(Number.isInteger(r.status) && r.status >= 100 && r.status < 600, `${name}: status`);
        assert.ok(r.contentType.length > 0, `${name}: contentType`);
        assert.equal((r.body === undefined) !== (r.rawBody === undefined), true, `${name}: exactly one of body and rawBody`);
      }
    });
  });

  describe("Python unit tests (verify/test_verify_workspace.py)", () => {
    it("pass", () => {
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
      assert.ok(ran && Number(ran[1]) >= 30, `expected the suite to run, got:\n${output}`);
    });
  });

  describe("end to end against a replaying server", () => {
    let server: Replay | undefined;
    afterEach(async () => {
      await server?.close();
      server = undefined;
    });

    it("waits through a stale set and a LOADING location, then exits 0 listing every location", async () => {
      server = await replay(["not-yet-reloaded.json", "loading.json", "success.json"]);
      const o = await runVerifier(jobEnv(server.url, 10));
      assert.equal(o.code, 0, describeOutcome(o));
      assert.equal(server.received.length, 3);
      assert.match(o.stdout, /workspace verified after 3 attempt\(s\)/);
      assert.match(o.stdout, /^ {2}finance-reporting: LOADED/m);
      assert.match(o.stdout, /^ {2}marketing-etl: LOADED/m);
      assert.match(o.stderr, /missing .*: marketing-etl/);
      assert.match(o.stderr, /unexpected .*: legacy-ingest/);
      assert.match(o.stderr, /still loading: marketing-etl/);
      assert.ok(o.seconds < 3, describeOutcome(o));
    });

    it("POSTs the reloadWorkspace mutation as JSON to the configured path", async () => {
      server = await replay(["success.json"]);
      const o = await runVerifier(jobEnv(server.url, 10));
      assert.equal(o.code, 0, describeOutcome(o));
      const [request] = server.received;
      assert.equal(request.method, "POST");
      assert.equal(request.url, "/graphql");
      assert.match(request.contentType, /^application\/json/);
      const query = (JSON.parse(request.body) as { query: string }).query.replace(/\s+/g, " ");
      assert.match(query, /^mutation\b/);
      assert.ok(
        query.includes("locationEntries { name loadStatus locationOrLoadError { __typename ... on PythonError { message } } }"),
        query,
      );
    });

    it("retries HTML, a top-level PythonError (HTTP 500) and truncated JSON, then succeeds", async () => {
      server = await replay(["html-bad-gateway.json", "top-level-python-error.json", "truncated-json.json", "location-python-error.json", "success.json"]);
      const o = await runVerifier(jobEnv(server.url, 10));
      assert.equal(o.code, 0, describeOutcome(o));
      assert.equal(server.received.length, 5);
      assert.match(o.stderr, /HTTP 502/);
      assert.match(o.stderr, /reloadWorkspace raised: FileNotFoundError/);
      assert.match(o.stderr, /failed to load: marketing-etl/);
    });

    it("fails with the location's Python error when it persists until the timeout", async () => {
      server = await replay(["location-python-error.json"]);
      const o = await runVerifier(jobEnv(server.url, 2));
      assert.equal(o.code, 1, describeOutcome(o));
      assert.equal(o.stdout, "");
      assert.match(o.stderr, /workspace verification timed out/);
      assert.match(o.stderr, /failed to load: marketing-etl; Python error:\n\s+dagster\._core\.errors\.DagsterUserCodeUnreachableError: Could not reach user code server\. gRPC Error code: UNAVAILABLE/);
      assert.ok(o.seconds >= 2 && o.seconds < 5, describeOutcome(o));
      assert.ok(server.received.length >= 4, `kept retrying: ${server.received.length} requests`);
    });

    it("times out naming what is missing and what is still there when the ConfigMap never syncs", async () => {
      server = await replay(["not-yet-reloaded.json"]);
      const o = await runVerifier(jobEnv(server.url, 1));
      assert.equal(o.code, 1, describeOutcome(o));
      assert.match(o.stderr, /expected exactly: finance-reporting, marketing-etl/);
      assert.match(o.stderr, /missing .*: marketing-etl/);
      assert.match(o.stderr, /unexpected .*: legacy-ingest/);
      assert.ok(o.seconds < 4, describeOutcome(o));
    });

    it("times out on a webserver that never answers", async () => {
      server = await replay(["hang"]);
      const o = await runVerifier(jobEnv(server.url, 1));
      assert.equal(o.code, 1, describeOutcome(o));
      assert.match(o.stderr, /last attempt: no response within 1s/);
      assert.ok(o.seconds < 5, describeOutcome(o));
    });

    it("times out when nothing listens", async () => {
      const port = await closedPort();
      const o = await runVerifier(jobEnv(`http://127.0.0.1:${port}/graphql`, 1));
      assert.equal(o.code, 1, describeOutcome(o));
      assert.match(o.stderr, /last attempt: cannot connect: .*Connection refused/);
      assert.ok(o.seconds < 4, describeOutcome(o));
    });

    it("stops at once when the webserver rejects the query", async () => {
      server = await replay(["graphql-validation-error.json"]);
      const o = await runVerifier(jobEnv(server.url, 30));
      assert.equal(o.code, 1, describeOutcome(o));
      assert.equal(server.received.length, 1);
      assert.match(o.stderr, /rejected the reloadWorkspace mutation: Cannot query field 'locationEntries'/);
      assert.ok(o.seconds < 2, describeOutcome(o));
    });

    it("accepts an empty workspace when no locations are expected", async () => {
      server = await replay(["empty-workspace.json"]);
      const o = await runVerifier(jobEnv(server.url, 5, ""));
      assert.equal(o.code, 0, describeOutcome(o));
      assert.match(o.stdout, /no code locations expected/);
    });

    it("exits 2 on bad configuration without calling the webserver", async () => {
      server = await replay(["success.json"]);
      const configs: Record<string, string>[] = [
        { ...jobEnv(server.url, 5), VERIFY_TIMEOUT_SECONDS: "ten" },
        { ...jobEnv(server.url, 5), DAGSTER_GRAPHQL_URL: "" },
        { DAGSTER_GRAPHQL_URL: server.url, VERIFY_TIMEOUT_SECONDS: "5" },
        { ...jobEnv(server.url, 5), DAGSTER_WEBSERVER_REPLICAS: "2" },
        { ...jobEnv(server.url, 5), VERIFY_PEER_ADDRESSES: server.address },
        { ...peersEnv([server], 1, 5), DAGSTER_WEBSERVER_PEERS: `http://${PEERS}` },
      ];
      for (const env of configs) {
        const o = await runVerifier(env);
        assert.equal(o.code, 2, describeOutcome(o));
        assert.match(o.stderr, /configuration error/);
      }
      assert.equal(server.received.length, 0);
    });
  });

  describe("end to end against two replaying replicas (headless Service)", () => {
    let replicas: Replay[] = [];
    afterEach(async () => {
      await Promise.all(replicas.map((r) => r.close()));
      replicas = [];
    });

    it("reloads every replica on every attempt until the stale one is updated too, then exits 0", async () => {
      const updated = await replay(["success.json"]);
      const stale = await replay(["not-yet-reloaded.json", "loading.json", "success.json"]);
      replicas = [updated, stale];
      const o = await runVerifier(peersEnv(replicas, 2, 10));
      assert.equal(o.code, 0, describeOutcome(o));
      assert.equal(updated.received.length, 3, "the updated replica is reloaded on every attempt too");
      assert.equal(stale.received.length, 3);
      for (const r of [...updated.received, ...stale.received]) {
        assert.equal(r.method, "POST");
        assert.equal(r.url, "/graphql");
        assert.equal(r.host, PEERS, "the Host header names the peers Service");
      }
      assert.match(o.stdout, /workspace verified after 3 attempt\(s\) .*: 2 location\(s\) loaded on each of 2 webserver replica\(s\)/);
      assert.match(o.stdout, /^ {2}marketing-etl: LOADED/m);
      assert.match(o.stderr, /1 of 2 webserver replica\(s\) serve the expected workspace/);
      assert.match(o.stderr, new RegExp(`^ {2}${escape(updated.address)}: right$`, "m"));
      assert.match(o.stderr, new RegExp(`^ {2}${escape(stale.address)}: missing .*: marketing-etl`, "m"));
      assert.match(o.stderr, new RegExp(`^ {2}${escape(stale.address)}: still loading: marketing-etl`, "m"));
      assert.ok(o.seconds < 3, describeOutcome(o));
    });

    it("fails at the timeout with the Python error of the one replica whose location never loads", async () => {
      const good = await replay(["success.json"]);
      const broken = await replay(["location-python-error.json"]);
      replicas = [good, broken];
      const o = await runVerifier(peersEnv(replicas, 2, 1));
      assert.equal(o.code, 1, describeOutcome(o));
      assert.equal(o.stdout, "");
      assert.match(o.stderr, /workspace verification timed out/);
      // Replicas are listed in address order, and the ports are random: match each on its own.
      assert.match(o.stderr, new RegExp(`^ {2}${escape(good.address)}: right$`, "m"));
      assert.match(
        o.stderr,
        new RegExp(
          `^ {2}${escape(broken.address)}:\n {4}failed to load: marketing-etl; Python error:\n` +
            " +dagster\\._core\\.errors\\.DagsterUserCodeUnreachableError: Could not reach user code server",
          "m",
        ),
      );
      assert.ok(broken.received.length >= 3, `kept retrying: ${broken.received.length} requests`);
      assert.ok(o.seconds >= 1 && o.seconds < 4, describeOutcome(o));
    });

    it("times out when fewer replicas answer than expected, even if each is right", async () => {
      const only = await replay(["success.json"]);
      replicas = [only];
      const o = await runVerifier(peersEnv(replicas, 2, 1));
      assert.equal(o.code, 1, describeOutcome(o));
      assert.match(o.stderr, new RegExp(`1 webserver replica\\(s\\) found at ${escape(PEERS)}, expecting at least 2`));
      assert.match(o.stderr, new RegExp(`^ {2}${escape(only.address)}: right$`, "m"));
      assert.ok(only.received.length >= 3, `kept retrying: ${only.received.length} requests`);
      assert.ok(o.seconds < 4, describeOutcome(o));
    });
  });
});
