"""Unit tests of the workspace verifier, offline, against the answers in test/fixtures/graphql
(most recorded from dagster-webserver 1.13.19; see its README).

Run from the repository root: python3 -B -m unittest discover -s verify -p 'test_*.py'
(test/e2e/12-verifier.e2e.ts runs exactly that under mocha, in `npm run test:e2e`).
"""

import ast
import hashlib
import io
import json
import socket
import unittest
import urllib.error
from pathlib import Path

import verify_workspace as vw

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parent / "test" / "fixtures" / "graphql"
SCRIPT = HERE / "verify_workspace.py"
EXPECTED = "finance-reporting,marketing-etl"
SERVICE_URL = "http://dagster-dagster-webserver.dagster.svc.cluster.local:80/graphql"
PEERS = "dagster-webserver-pods.dagster.svc.cluster.local"
A, B = "10.8.0.9", "10.8.0.12"
WORKSPACE_YAML = b"load_from:\n  - grpc_server:\n      host: marketing-etl\n"
SHA = hashlib.sha256(WORKSPACE_YAML).hexdigest()


def recorded(name):
    """(status, body bytes) of a fixture, as the webserver sends them."""
    data = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    body = data["rawBody"] if "rawBody" in data else json.dumps(data["body"])
    return data["status"], body.encode("utf-8")


class FakeTime:
    """A clock that moves only when the verifier sleeps or a request takes time."""

    def __init__(self):
        self.now = 5000.0

    def clock(self):
        return self.now

    def sleep(self, seconds):
        assert seconds >= 0, seconds
        self.now += seconds


class FakeWebserver:
    """One replica: answers reloadWorkspace and workspaceOrError each from its own script of steps
    (a fixture name, an exception, or (step, seconds it takes)), repeating the last step."""

    def __init__(self, time_, reloads, workspaces):
        self.time, self.scripts = time_, {"reload": list(reloads), "query": list(workspaces)}
        self.calls = []

    def answer(self, request, timeout):
        kind = "reload" if b"reloadWorkspace" in request.body else "query"
        self.calls.append((kind, self.time.now, timeout, request.headers.get("Host")))
        script = self.scripts[kind]
        step = script.pop(0) if len(script) > 1 else script[0]
        if isinstance(step, tuple):
            step, cost = step
            self.time.now += cost
        if isinstance(step, BaseException):
            raise step
        return recorded(step)

    def sent(self, kind):
        return [call for call in self.calls if call[0] == kind]


class Cluster:
    def __init__(self, time_, servers):
        self.time, self.servers = time_, servers

    def post(self, request, timeout):
        server = self.servers.get(request.url)
        if server is None:
            raise urllib.error.URLError(ConnectionRefusedError(111, "Connection refused"))
        return server.answer(request, timeout)


def peer_url(address):
    return f"http://{address}:80/graphql"


def service_env(timeout=120, expected=EXPECTED, **extra):
    env = {"DAGSTER_GRAPHQL_URL": SERVICE_URL, "EXPECTED_LOCATIONS": expected, "VERIFY_TIMEOUT_SECONDS": str(timeout), "VERIFY_POLL_SECONDS": "1"}
    env.update(extra)
    return env


def peers_env(replicas=2, timeout=120, **extra):
    return service_env(timeout, **{"DAGSTER_WEBSERVER_PEERS": PEERS, "DAGSTER_WEBSERVER_REPLICAS": str(replicas), **extra})


def run(env, servers, time_=None, dns=None, read_sha=None):
    time_ = time_ or FakeTime()
    cluster = Cluster(time_, servers)
    out, err = io.StringIO(), io.StringIO()
    code = vw.main(
        env=env, post=cluster.post, sleep=time_.sleep, clock=time_.clock, out=out, err=err,
        resolve=dns or (lambda name: [A, B]), read_sha=read_sha or (lambda path: SHA),
    )
    return code, out.getvalue(), err.getvalue()


def single(time_, reloads=("reload-workspace.json",), workspaces=("workspace-loaded.json",)):
    return {SERVICE_URL: FakeWebserver(time_, reloads, workspaces)}


class ParseRecordedAnswers(unittest.TestCase):
    def test_reload_answers(self):
        self.assertEqual(vw.parse_reload_answer(*recorded("reload-workspace.json")).kind, vw.RELOADED)
        # The reload ran and raised: it is over, so it may be sent again later.
        failed = vw.parse_reload_answer(*recorded("reload-python-error.json"))
        self.assertEqual(failed.kind, vw.RELOADED)
        self.assertIn("FileNotFoundError", failed.detail)
        self.assertEqual(vw.parse_reload_answer(*recorded("reload-unauthorized.json")).kind, vw.REFUSED)
        self.assertEqual(vw.parse_reload_answer(*recorded("graphql-validation-error.json")).kind, vw.REFUSED)
        # Not the webserver's answer: a reload may be running behind the proxy.
        self.assertEqual(vw.parse_reload_answer(*recorded("html-bad-gateway.json")).kind, vw.UNSURE)

    def test_workspace_answers(self):
        loaded = vw.parse_workspace_answer(*recorded("workspace-loaded.json"))
        self.assertEqual([l.name for l in loaded.locations], ["finance-reporting", "marketing-etl"])
        self.assertTrue(all(l.loaded for l in loaded.locations))
        self.assertEqual(vw.parse_workspace_answer(*recorded("workspace-location-not-found.json")).kind, vw.TRANSIENT)
        self.assertEqual(vw.parse_workspace_answer(*recorded("truncated-json.json")).kind, vw.TRANSIENT)
        self.assertEqual(vw.parse_workspace_answer(*recorded("graphql-validation-error.json")).kind, vw.FATAL)
        self.assertEqual(vw.parse_workspace_answer(*recorded("workspace-empty.json")).locations, ())

    def test_a_load_error_keeps_its_cause(self):
        broken = vw.parse_workspace_answer(*recorded("workspace-import-error.json")).locations[1]
        self.assertIn("DagsterUserCodeLoadError", broken.error_message)
        self.assertIn("caused by: RuntimeError: marketing credentials are not configured", broken.error_message)
        self.assertFalse(broken.waitable_error)

    def test_judge(self):
        expected = frozenset(EXPECTED.split(","))
        verdict = lambda name: vw.judge(expected, vw.parse_workspace_answer(*recorded(name)))
        self.assertEqual(verdict("workspace-loaded.json").kind, vw.RIGHT)
        stale = verdict("workspace-stale.json")
        self.assertEqual(stale.kind, vw.STALE)
        self.assertTrue(any("missing" in p and "marketing-etl" in p for p in stale.problems))
        self.assertTrue(any("unexpected" in p and "legacy-ingest" in p for p in stale.problems))
        self.assertEqual(verdict("workspace-unreachable.json").kind, vw.WAIT)
        self.assertEqual(verdict("workspace-loading.json").kind, vw.WAIT)
        self.assertEqual(verdict("workspace-import-error.json").kind, vw.BROKEN)

    def test_a_location_not_found_yet_is_waited_for(self):
        entry = vw.LocationStatus("marketing-etl", "LOADED", "PythonError", "dagster._core.errors.DagsterCodeLocationNotFoundError: Location marketing-etl is still loading")
        observation = vw.Observation(vw.WORKSPACE, (vw.LocationStatus("finance-reporting", "LOADED", "RepositoryLocation"), entry))
        self.assertEqual(vw.judge(frozenset(EXPECTED.split(",")), observation).kind, vw.WAIT)


class MountedWorkspaceFile(unittest.TestCase):
    def env(self, timeout=60):
        return service_env(timeout, WORKSPACE_FILE="/dagster-workspace/workspace.yaml", EXPECTED_WORKSPACE_SHA256=SHA)

    def test_no_reload_before_the_mounted_file_has_the_new_content(self):
        time_ = FakeTime()
        servers = single(time_)
        answers = [None, "0" * 64, "0" * 64, SHA]
        seen_at = []

        def read_sha(path):
            seen_at.append(time_.now)
            self.assertEqual(path, "/dagster-workspace/workspace.yaml")
            return answers.pop(0) if len(answers) > 1 else answers[0]

        code, out, err = run(self.env(), servers, time_, read_sha=read_sha)
        self.assertEqual(code, 0, err)
        first_reload = servers[SERVICE_URL].sent("reload")[0][1]
        self.assertGreaterEqual(first_reload, seen_at[3])
        self.assertIn("waiting for /dagster-workspace/workspace.yaml", err)

    def test_times_out_without_reloading_when_the_file_never_changes(self):
        time_ = FakeTime()
        servers = single(time_)
        code, _, err = run(self.env(timeout=5), servers, time_, read_sha=lambda path: "0" * 64)
        self.assertEqual(code, 1)
        self.assertEqual(servers[SERVICE_URL].calls, [])
        self.assertIn("never got the expected content", err)

    def test_reads_the_real_file(self):
        import tempfile

        with tempfile.NamedTemporaryFile() as f:
            f.write(WORKSPACE_YAML)
            f.flush()
            self.assertEqual(vw.file_sha256(f.name), SHA)
        self.assertIsNone(vw.file_sha256("/nonexistent/workspace.yaml"))


class OneReloadThenPoll(unittest.TestCase):
    def test_one_reload_then_read_only_polls_until_loaded(self):
        time_ = FakeTime()
        servers = single(time_, workspaces=["workspace-unreachable.json", "workspace-location-not-found.json", "workspace-unreachable.json", "workspace-loaded.json"])
        code, out, err = run(service_env(), servers, time_)
        self.assertEqual(code, 0, err)
        self.assertEqual(len(servers[SERVICE_URL].sent("reload")), 1)
        self.assertEqual(len(servers[SERVICE_URL].sent("query")), 4)
        self.assertIn("workspace verified", out)
        self.assertIn("not reachable yet: marketing-etl", err)

    def test_a_load_error_of_the_code_fails_at_once_with_its_cause(self):
        time_ = FakeTime()
        servers = single(time_, workspaces=["workspace-import-error.json"])
        code, out, err = run(service_env(timeout=600), servers, time_)
        self.assertEqual(code, 1)
        self.assertLess(time_.now - 5000.0, 5, "no waiting for the timeout")
        self.assertIn("failed to load: marketing-etl", err)
        self.assertIn("caused by: RuntimeError: marketing credentials are not configured", err)

    def test_an_unreachable_location_is_waited_for_and_reported_in_full_at_the_timeout(self):
        time_ = FakeTime()
        servers = single(time_, workspaces=["workspace-unreachable.json"])
        code, _, err = run(service_env(timeout=30), servers, time_)
        self.assertEqual(code, 1)
        self.assertGreaterEqual(time_.now - 5000.0, 30)
        self.assertIn("timed out", err)
        self.assertIn("caused by: grpc._channel._InactiveRpcError", err)
        self.assertEqual(len(servers[SERVICE_URL].sent("reload")), 1)

    def test_the_reload_timeout_scales_with_the_number_of_locations(self):
        time_ = FakeTime()
        servers = single(time_)
        env = service_env(expected="a,b,c,d,e", VERIFY_RELOAD_BASE_SECONDS="30", VERIFY_RELOAD_SECONDS_PER_LOCATION="4")
        run(env, servers, time_)
        self.assertEqual(servers[SERVICE_URL].sent("reload")[0][2], 30 + 4 * 5)
        self.assertEqual(vw.load_config(service_env(expected="x,y")).reload_timeout_seconds, 60 + 10 * 2)

    def test_refused_reloads_and_rejected_queries_fail_at_once(self):
        for reloads, workspaces in [(["reload-unauthorized.json"], ["workspace-loaded.json"]), (["reload-workspace.json"], ["graphql-validation-error.json"])]:
            time_ = FakeTime()
            code, _, err = run(service_env(timeout=600), single(time_, reloads, workspaces), time_)
            self.assertEqual(code, 1)
            self.assertLess(time_.now - 5000.0, 5)

    def test_empty_workspace_when_none_expected(self):
        time_ = FakeTime()
        code, out, _ = run(service_env(expected=""), single(time_, workspaces=["workspace-empty.json"]), time_)
        self.assertEqual(code, 0)
        self.assertIn("no code locations expected", out)


class NeverTwoReloadsAtOnce(unittest.TestCase):
    def test_a_reload_without_answer_is_never_sent_again(self):
        time_ = FakeTime()
        timeout = socket.timeout("timed out")
        servers = single(time_, reloads=[(timeout, 80.0)], workspaces=["workspace-stale.json", "workspace-stale.json", "workspace-loaded.json"])
        code, _, err = run(service_env(timeout=600), servers, time_)
        self.assertEqual(code, 0, err)
        self.assertEqual(len(servers[SERVICE_URL].sent("reload")), 1)
        self.assertIn("may still be running", err)

    def test_a_stale_replica_is_reloaded_again_only_after_its_answer_and_a_doubling_delay(self):
        time_ = FakeTime()
        servers = single(time_, reloads=[("reload-workspace.json", 3.0)], workspaces=["workspace-stale.json", "workspace-stale.json", "workspace-loaded.json"])
        code, _, err = run(service_env(timeout=600, VERIFY_STALE_RELOAD_DELAY_SECONDS="20"), servers, time_)
        self.assertEqual(code, 0, err)
        starts = [at for _, at, _, _ in servers[SERVICE_URL].sent("reload")]
        self.assertEqual(len(starts), 3)
        # Each reload took 3 s; the next one started at least 20, then 40 s after the previous answer.
        self.assertGreaterEqual(starts[1] - (starts[0] + 3.0), 20)
        self.assertGreaterEqual(starts[2] - (starts[1] + 3.0), 40)
        self.assertIn("read an older workspace file", err)

    def test_a_reload_that_never_reached_the_webserver_is_sent_again(self):
        time_ = FakeTime()
        refused = urllib.error.URLError(ConnectionRefusedError(111, "Connection refused"))
        servers = single(time_, reloads=[refused, "reload-workspace.json"])
        code, _, err = run(service_env(), servers, time_)
        self.assertEqual(code, 0, err)
        self.assertEqual(len(servers[SERVICE_URL].sent("reload")), 2)


class EveryReplica(unittest.TestCase):
    def servers(self, time_, a_workspaces, b_workspaces):
        return {
            peer_url(A): FakeWebserver(time_, ["reload-workspace.json"], a_workspaces),
            peer_url(B): FakeWebserver(time_, ["reload-workspace.json"], b_workspaces),
        }

    def test_each_replica_is_reloaded_once_and_must_be_right(self):
        time_ = FakeTime()
        servers = self.servers(time_, ["workspace-loaded.json"], ["workspace-unreachable.json", "workspace-loaded.json"])
        code, out, err = run(peers_env(), servers, time_)
        self.assertEqual(code, 0, err)
        self.assertEqual(len(servers[peer_url(A)].sent("query")), 1, "a replica that is right is not asked again")
        for server in servers.values():
            self.assertEqual(len(server.sent("reload")), 1)
            self.assertTrue(all(host == PEERS for _, _, _, host in server.calls))
        self.assertIn(f"replicas: {A}, {B}", out)
        self.assertIn("on each of 2 webserver replica(s), 2 reloadWorkspace request(s)", out)

    def test_waits_for_enough_replicas(self):
        time_ = FakeTime()
        servers = self.servers(time_, ["workspace-loaded.json"], ["workspace-loaded.json"])
        lookups = [[A], [A], [A, B]]
        dns = lambda name: lookups.pop(0) if len(lookups) > 1 else lookups[0]
        code, out, err = run(peers_env(), servers, time_, dns=dns)
        self.assertEqual(code, 0, err)
        self.assertIn("1 of 2 webserver replica(s) found", err)

    def test_times_out_naming_the_replica_that_is_not_right(self):
        time_ = FakeTime()
        servers = self.servers(time_, ["workspace-loaded.json"], ["workspace-unreachable.json"])
        code, _, err = run(peers_env(timeout=20), servers, time_)
        self.assertEqual(code, 1)
        self.assertIn(f"  {A}: right", err)
        self.assertIn(f"  {B}:\n    not reachable yet: marketing-etl", err)

    def test_unresolvable_peers_time_out_with_the_reason(self):
        time_ = FakeTime()

        def dns(name):
            raise socket.gaierror(-2, "Name or service not known")

        code, _, err = run(peers_env(timeout=10), {}, time_, dns=dns)
        self.assertEqual(code, 1)
        self.assertIn(f"cannot resolve {PEERS}", err)


class Configuration(unittest.TestCase):
    def test_bad_configuration_exits_2_without_calling_anyone(self):
        bad = [
            service_env(VERIFY_TIMEOUT_SECONDS="ten"),
            {**service_env(), "DAGSTER_GRAPHQL_URL": ""},
            {k: v for k, v in service_env().items() if k != "EXPECTED_LOCATIONS"},
            service_env(DAGSTER_WEBSERVER_REPLICAS="2"),
            service_env(VERIFY_PEER_ADDRESSES="127.0.0.1:1"),
            peers_env(DAGSTER_WEBSERVER_PEERS="http://x"),
            service_env(WORKSPACE_FILE="/dagster-workspace/workspace.yaml"),
            service_env(WORKSPACE_FILE="relative/workspace.yaml", EXPECTED_WORKSPACE_SHA256=SHA),
            service_env(WORKSPACE_FILE="/w.yaml", EXPECTED_WORKSPACE_SHA256="abc"),
            service_env(VERIFY_POLL_SECONDS="0"),
            service_env(EXPECTED_LOCATIONS="a,,b"),
            service_env(EXPECTED_LOCATIONS="a,a"),
        ]
        for env in bad:
            time_ = FakeTime()
            servers = single(time_)
            code, _, err = run(env, servers, time_)
            self.assertEqual(code, 2, env)
            self.assertIn("configuration error", err)
            self.assertEqual(servers[SERVICE_URL].calls, [])

    def test_peer_addresses(self):
        peers = vw.parse_peer_addresses("10.0.0.12:8080,10.0.0.9,[::1]:80", 80)
        self.assertEqual([(p.address, p.port) for p in peers], [("10.0.0.9", 80), ("10.0.0.12", 8080), ("::1", 80)])
        for bad in ["::1", "host:80", "10.0.0.1:0", ""]:
            with self.assertRaises(vw.ConfigError):
                vw.parse_peer_addresses(bad, 80)


class StandardLibraryOnly(unittest.TestCase):
    def test_imports_only_the_standard_library(self):
        import sys

        tree = ast.parse(SCRIPT.read_text(encoding="utf-8"))
        modules = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        modules |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
        self.assertEqual({m for m in modules if m not in sys.stdlib_module_names}, set())


if __name__ == "__main__":
    unittest.main()
