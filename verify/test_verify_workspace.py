"""Unit tests of the workspace verifier, offline, against the responses in test/fixtures/graphql.

Run from the repository root: python3 -B -m unittest discover -s verify -p 'test_*.py'
(test/verify.test.ts runs exactly that under mocha).
"""

import ast
import io
import json
import socket
import sys
import unittest
import urllib.error
from pathlib import Path
from unittest import mock

import verify_workspace as vw

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parent / "test" / "fixtures" / "graphql"
SCRIPT = HERE / "verify_workspace.py"
EXPECTED = frozenset({"finance-reporting", "marketing-etl"})


def recorded(name):
    """(status, body bytes) of a fixture, as the webserver would send them."""
    data = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    body = data["rawBody"] if "rawBody" in data else json.dumps(data["body"])
    return data["status"], body.encode("utf-8")


def observe(name):
    return vw.parse_response(*recorded(name))


class FakeTime:
    """A clock that only moves when the verifier sleeps or a request takes time."""

    def __init__(self):
        self.now = 5000.0
        self.sleeps = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        assert seconds >= 0, seconds
        self.sleeps.append(seconds)
        self.now += seconds


class FakeServer:
    """Answers with the given steps in order, repeating the last; a step is a fixture name, an
    exception to raise, or (fixture name, seconds the request takes)."""

    def __init__(self, time_, steps):
        self.time = time_
        self.steps = list(steps)
        self.calls = []

    def post(self, request, timeout):
        self.calls.append((request, timeout, self.time.now))
        step = self.steps.pop(0) if len(self.steps) > 1 else self.steps[0]
        cost = 0.0
        if isinstance(step, tuple):
            step, cost = step
        self.time.now += cost
        if isinstance(step, BaseException):
            raise step
        return recorded(step)


PEERS = "dagster-webserver-pods.dagster.svc.cluster.local"
A, B = "10.8.0.9", "10.8.0.12"


def url_of(address, port=80):
    return str(vw.peer_url(vw.Peer(address, port)))


class FakeCluster:
    """Webserver replicas by URL, each answering like FakeServer; calls land in one shared list."""

    def __init__(self, time_, steps_by_url):
        self.time = time_
        self.servers = {url: FakeServer(time_, steps) for url, steps in steps_by_url.items()}
        self.calls = []

    def post(self, request, timeout):
        self.calls.append((request.url, request.headers.get("Host"), timeout, self.time.now))
        if request.url not in self.servers:
            raise urllib.error.URLError(ConnectionRefusedError(111, "Connection refused"))
        return self.servers[request.url].post(request, timeout)

    def urls(self):
        return [url for url, _, _, _ in self.calls]


class FakeDns:
    """Answers each lookup with the next step (a list of addresses, or an exception), repeating the last."""

    def __init__(self, steps):
        self.steps = list(steps)
        self.lookups = []

    def resolve(self, name):
        self.lookups.append(name)
        step = self.steps.pop(0) if len(self.steps) > 1 else self.steps[0]
        if isinstance(step, BaseException):
            raise step
        return list(step)


def run_peers(steps_by_address, dns, timeout=60, replicas="2", expected="finance-reporting,marketing-etl", extra=None):
    time_ = FakeTime()
    cluster = FakeCluster(time_, {url_of(address): steps for address, steps in steps_by_address.items()})
    fake_dns = FakeDns(dns)
    out, err = io.StringIO(), io.StringIO()
    env = {
        "DAGSTER_GRAPHQL_URL": "http://dagster-dagster-webserver.dagster.svc.cluster.local:80/graphql",
        "DAGSTER_WEBSERVER_PEERS": PEERS,
        "DAGSTER_WEBSERVER_PORT": "80",
        "DAGSTER_WEBSERVER_REPLICAS": replicas,
        "EXPECTED_LOCATIONS": expected,
        "VERIFY_TIMEOUT_SECONDS": str(timeout),
        "VERIFY_BACKOFF_BASE_SECONDS": "1",
        **(extra or {}),
    }
    code = vw.main(env=env, post=cluster.post, sleep=time_.sleep, clock=time_.clock, jitter=lambda: 0.0,
                   out=out, err=err, resolve=fake_dns.resolve)
    return code, out.getvalue(), err.getvalue(), cluster, fake_dns, time_


def run_main(steps, timeout=60, expected="finance-reporting,marketing-etl", base="1"):
    time_ = FakeTime()
    server = FakeServer(time_, steps)
    out, err = io.StringIO(), io.StringIO()
    env = {
        "DAGSTER_GRAPHQL_URL": "http://dagster-dagster-webserver.dagster.svc.cluster.local:80/graphql",
        "EXPECTED_LOCATIONS": expected,
        "VERIFY_TIMEOUT_SECONDS": str(timeout),
        "VERIFY_BACKOFF_BASE_SECONDS": base,
    }
    code = vw.main(env=env, post=server.post, sleep=time_.sleep, clock=time_.clock, jitter=lambda: 0.0, out=out, err=err)
    return code, out.getvalue(), err.getvalue(), server, time_


class ParseRecordedResponses(unittest.TestCase):
    def test_success_lists_every_location_loaded(self):
        obs = observe("success.json")
        self.assertEqual(obs.kind, vw.WORKSPACE)
        self.assertEqual([l.name for l in obs.locations], ["finance-reporting", "marketing-etl"])
        self.assertTrue(all(l.loaded for l in obs.locations))

    def test_stale_set_is_a_workspace_with_the_old_names(self):
        obs = observe("not-yet-reloaded.json")
        self.assertEqual(obs.kind, vw.WORKSPACE)
        self.assertEqual({l.name for l in obs.locations}, {"finance-reporting", "legacy-ingest"})

    def test_loading_location_has_no_result_yet(self):
        obs = observe("loading.json")
        loading = [l for l in obs.locations if l.name == "marketing-etl"][0]
        self.assertEqual((loading.load_status, loading.result_type, loading.loaded), ("LOADING", None, False))

    def test_location_python_error_keeps_the_message(self):
        obs = observe("location-python-error.json")
        broken = [l for l in obs.locations if l.name == "marketing-etl"][0]
        self.assertTrue(broken.failed)
        self.assertIn("Could not reach user code server", broken.error_message)

    def test_top_level_python_error_is_transient_even_with_http_500(self):
        obs = observe("top-level-python-error.json")
        self.assertEqual(obs.kind, vw.TRANSIENT)
        self.assertIn("reloadWorkspace raised", obs.detail)
        self.assertIn("No such file or directory: '/dagster-workspace/workspace.yaml'", obs.detail)

    def test_html_page_is_transient_and_quoted(self):
        obs = observe("html-bad-gateway.json")
        self.assertEqual(obs.kind, vw.TRANSIENT)
        self.assertIn("HTTP 502", obs.detail)
        self.assertIn("502 Bad Gateway", obs.detail)

    def test_truncated_json_is_transient(self):
        obs = observe("truncated-json.json")
        self.assertEqual(obs.kind, vw.TRANSIENT)
        self.assertIn("not a GraphQL JSON response", obs.detail)

    def test_rejected_query_is_fatal(self):
        obs = observe("graphql-validation-error.json")
        self.assertEqual(obs.kind, vw.FATAL)
        self.assertIn("Cannot query field 'locationEntries' on type 'Workspace'", obs.detail)

    def test_unauthorized_is_fatal(self):
        obs = observe("unauthorized.json")
        self.assertEqual(obs.kind, vw.FATAL)
        self.assertIn("UnauthorizedError", obs.detail)

    def test_empty_workspace(self):
        obs = observe("empty-workspace.json")
        self.assertEqual((obs.kind, obs.locations), (vw.WORKSPACE, ()))

    def test_plain_5xx_without_json_is_transient(self):
        obs = vw.parse_response(503, b"upstream connect error")
        self.assertEqual(obs.kind, vw.TRANSIENT)
        self.assertIn("HTTP 503", obs.detail)

    def test_server_side_graphql_errors_are_transient(self):
        body = json.dumps({"data": None, "errors": [{"message": "database is locked"}]}).encode()
        obs = vw.parse_response(500, body)
        self.assertEqual(obs.kind, vw.TRANSIENT)
        self.assertIn("database is locked", obs.detail)

    def test_malformed_entries_are_transient(self):
        for result in (
            {"__typename": "Workspace"},
            {"__typename": "Workspace", "locationEntries": [{"loadStatus": "LOADED"}]},
            {"__typename": "SomethingNew"},
        ):
            body = json.dumps({"data": {"reloadWorkspace": result}}).encode()
            self.assertEqual(vw.parse_response(200, body).kind, vw.TRANSIENT, result)
        self.assertEqual(vw.parse_response(200, b"[1, 2]").kind, vw.TRANSIENT)


class Decide(unittest.TestCase):
    def test_success_is_ok_with_one_line_per_location(self):
        decision = vw.decide(EXPECTED, observe("success.json"), out_of_time=False)
        self.assertEqual(decision.action, vw.OK)
        self.assertEqual(
            decision.message.splitlines(),
            ["  finance-reporting: LOADED (RepositoryLocation)", "  marketing-etl: LOADED (RepositoryLocation)"],
        )

    def test_stale_set_retries_naming_missing_and_unexpected(self):
        decision = vw.decide(EXPECTED, observe("not-yet-reloaded.json"), out_of_time=False)
        self.assertEqual(decision.action, vw.RETRY)
        self.assertRegex(decision.message, r"missing \(.*\): marketing-etl")
        self.assertRegex(decision.message, r"unexpected \(.*\): legacy-ingest")

    def test_stale_set_fails_once_out_of_time(self):
        decision = vw.decide(EXPECTED, observe("not-yet-reloaded.json"), out_of_time=True)
        self.assertEqual(decision.action, vw.FAIL)
        self.assertIn("expected exactly: finance-reporting, marketing-etl", decision.message)
        self.assertRegex(decision.message, r"missing .*: marketing-etl")
        self.assertRegex(decision.message, r"unexpected .*: legacy-ingest")

    def test_a_superset_is_not_done(self):
        decision = vw.decide(frozenset({"finance-reporting"}), observe("success.json"), out_of_time=False)
        self.assertEqual(decision.action, vw.RETRY)
        self.assertRegex(decision.message, r"unexpected .*: marketing-etl")

    def test_loading_retries(self):
        decision = vw.decide(EXPECTED, observe("loading.json"), out_of_time=False)
        self.assertEqual((decision.action, decision.message), (vw.RETRY, "still loading: marketing-etl"))

    def test_location_error_is_retried_until_the_timeout(self):
        early = vw.decide(EXPECTED, observe("location-python-error.json"), out_of_time=False)
        self.assertEqual(early.action, vw.RETRY)
        self.assertIn("failed to load: marketing-etl (dagster._core.errors.DagsterUserCodeUnreachableError", early.message)

        late = vw.decide(EXPECTED, observe("location-python-error.json"), out_of_time=True)
        self.assertEqual(late.action, vw.FAIL)
        self.assertIn("failed to load: marketing-etl; Python error:", late.message)
        self.assertIn("Could not reach user code server. gRPC Error code: UNAVAILABLE", late.message)
        self.assertNotIn("finance-reporting (", late.message)

    def test_multi_line_python_error_is_printed_whole_at_the_end(self):
        message = "ModuleNotFoundError: No module named 'marketing_etl'\n  File \"/opt/app/defs.py\", line 3\n"
        obs = vw.Observation(vw.WORKSPACE, locations=(
            vw.LocationStatus("finance-reporting", "LOADED", "RepositoryLocation"),
            vw.LocationStatus("marketing-etl", "LOADED", "PythonError", message),
        ))
        self.assertIn("(ModuleNotFoundError: No module named 'marketing_etl')", vw.decide(EXPECTED, obs, False).message)
        final = vw.decide(EXPECTED, obs, True).message
        self.assertIn("      ModuleNotFoundError: No module named 'marketing_etl'\n", final)
        self.assertIn('        File "/opt/app/defs.py", line 3', final)

    def test_loaded_without_location_or_error_is_not_loaded(self):
        obs = vw.Observation(vw.WORKSPACE, locations=(
            vw.LocationStatus("finance-reporting", "LOADED", "RepositoryLocation"),
            vw.LocationStatus("marketing-etl", "LOADED", None),
        ))
        decision = vw.decide(EXPECTED, obs, out_of_time=False)
        self.assertEqual(decision.action, vw.RETRY)
        self.assertIn("not loaded: marketing-etl (loadStatus=LOADED, locationOrLoadError=null)", decision.message)

    def test_errors_while_the_set_is_stale_are_reported_too(self):
        obs = vw.Observation(vw.WORKSPACE, locations=(
            vw.LocationStatus("legacy-ingest", "LOADED", "PythonError", "boom\n"),
            vw.LocationStatus("finance-reporting", "LOADED", "RepositoryLocation"),
        ))
        message = vw.decide(EXPECTED, obs, out_of_time=True).message
        self.assertRegex(message, r"missing .*: marketing-etl")
        self.assertRegex(message, r"unexpected .*: legacy-ingest")
        self.assertIn("failed to load: legacy-ingest; Python error:\n      boom", message)

    def test_transient_answers_retry_then_fail_with_the_last_workspace(self):
        top = observe("top-level-python-error.json")
        self.assertEqual(vw.decide(EXPECTED, top, out_of_time=False).action, vw.RETRY)
        final = vw.decide(EXPECTED, top, out_of_time=True, last_workspace=observe("location-python-error.json"))
        self.assertEqual(final.action, vw.FAIL)
        self.assertIn("last attempt: reloadWorkspace raised: FileNotFoundError", final.message)
        self.assertIn("last workspace the webserver reported:", final.message)
        self.assertIn("Could not reach user code server", final.message)

    def test_fatal_fails_at_once(self):
        for name in ("graphql-validation-error.json", "unauthorized.json"):
            self.assertEqual(vw.decide(EXPECTED, observe(name), out_of_time=False).action, vw.FAIL, name)

    def test_no_locations_expected(self):
        none = frozenset()
        self.assertEqual(vw.decide(none, observe("empty-workspace.json"), False).action, vw.OK)
        self.assertEqual(vw.decide(none, observe("success.json"), False).action, vw.RETRY)
        self.assertEqual(vw.decide(EXPECTED, observe("empty-workspace.json"), False).action, vw.RETRY)


def answer(label, name=None, observation=None, last=None):
    return vw.ReplicaAnswer(label, observation if observation is not None else observe(name), last)


class DecideReplicas(unittest.TestCase):
    def decide(self, answers, out_of_time=False, want=2, resolve_error=None, expected=EXPECTED):
        return vw.decide_replicas(expected, answers, want, out_of_time, PEERS, resolve_error)

    def test_all_replicas_right_is_ok_listing_them_and_the_locations(self):
        decision = self.decide([answer(A, "success.json"), answer(B, "success.json")])
        self.assertEqual(decision.action, vw.OK)
        self.assertEqual(
            decision.message.splitlines(),
            [
                f"  replicas at {PEERS}: {A}, {B}",
                "  finance-reporting: LOADED (RepositoryLocation)",
                "  marketing-etl: LOADED (RepositoryLocation)",
            ],
        )

    def test_more_replicas_than_expected_all_right_is_ok(self):
        answers = [answer(a, "success.json") for a in (A, B, "10.8.0.13")]
        self.assertEqual(self.decide(answers).action, vw.OK)

    def test_one_stale_replica_retries_naming_it(self):
        decision = self.decide([answer(A, "success.json"), answer(B, "not-yet-reloaded.json")])
        self.assertEqual(decision.action, vw.RETRY)
        lines = decision.message.splitlines()
        self.assertEqual(lines[0], "1 of 2 webserver replica(s) serve the expected workspace")
        self.assertEqual(lines[1], f"  {A}: right")
        self.assertRegex(lines[2], rf"^  {B}: missing \(.*\): marketing-etl; unexpected \(.*\): legacy-ingest$")

    def test_one_stale_replica_fails_at_the_deadline_naming_it(self):
        decision = self.decide([answer(A, "success.json"), answer(B, "not-yet-reloaded.json")], out_of_time=True)
        self.assertEqual((decision.action, decision.fatal), (vw.FAIL, False))
        self.assertIn("  expected exactly: finance-reporting, marketing-etl\n", decision.message)
        self.assertIn(f"  {A}: right\n  {B}:\n    missing ", decision.message)
        self.assertRegex(decision.message, r"\n    unexpected .*: legacy-ingest")

    def test_too_few_replicas_retry_even_when_each_is_right(self):
        decision = self.decide([answer(A, "success.json")])
        self.assertEqual(decision.action, vw.RETRY)
        self.assertIn(f"1 webserver replica(s) found at {PEERS}, expecting at least 2", decision.message)
        self.assertIn(f"  {A}: right", decision.message)

    def test_too_few_replicas_fail_at_the_deadline(self):
        decision = self.decide([answer(A, "success.json")], out_of_time=True)
        self.assertEqual(decision.action, vw.FAIL)
        self.assertIn(f"1 webserver replica(s) found at {PEERS}, expecting at least 2", decision.message)

    def test_a_persistent_error_on_one_replica_is_retried_then_fails_with_the_python_error(self):
        answers = [answer(A, "success.json"), answer(B, "location-python-error.json")]
        early = self.decide(answers)
        self.assertEqual(early.action, vw.RETRY)
        self.assertIn(f"  {B}: failed to load: marketing-etl (dagster._core.errors.DagsterUserCodeUnreachableError", early.message)

        late = self.decide(answers, out_of_time=True)
        self.assertEqual((late.action, late.fatal), (vw.FAIL, False))
        self.assertIn(f"  {A}: right\n  {B}:\n    failed to load: marketing-etl; Python error:\n", late.message)
        self.assertIn("        dagster._core.errors.DagsterUserCodeUnreachableError: Could not reach user code server.", late.message)

    def test_an_unreachable_replica_reports_its_last_workspace_at_the_deadline(self):
        refused = vw.Observation(vw.TRANSIENT, detail="cannot connect: [Errno 111] Connection refused")
        late = self.decide(
            [answer(A, "success.json"), answer(B, observation=refused, last=observe("not-yet-reloaded.json"))],
            out_of_time=True,
        )
        self.assertEqual(late.action, vw.FAIL)
        self.assertIn(f"  {B}:\n    last attempt: cannot connect", late.message)
        self.assertIn("    last workspace the webserver reported:", late.message)
        self.assertRegex(late.message, r"missing .*: marketing-etl")

    def test_a_fatal_answer_from_any_replica_fails_at_once(self):
        decision = self.decide([answer(A, "success.json"), answer(B, "unauthorized.json")])
        self.assertEqual((decision.action, decision.fatal), (vw.FAIL, True))
        self.assertTrue(decision.message.startswith(f"{B}: the webserver refused reloadWorkspace (UnauthorizedError)"))

    def test_unresolvable_name_retries_then_fails(self):
        error = f"cannot resolve {PEERS}: [Errno -2] Name or service not known"
        self.assertEqual(self.decide([], resolve_error=error), vw.Decision(vw.RETRY, error))
        late = self.decide([], out_of_time=True, resolve_error=error)
        self.assertEqual(late.action, vw.FAIL)
        self.assertIn("  " + error, late.message)

    def test_no_locations_expected_on_any_replica(self):
        answers = [answer(A, "empty-workspace.json"), answer(B, "empty-workspace.json")]
        decision = self.decide(answers, expected=frozenset())
        self.assertEqual(decision.action, vw.OK)
        self.assertIn("no code locations expected, and no replica has any", decision.message)
        answers[1] = answer(B, "success.json")
        self.assertEqual(self.decide(answers, expected=frozenset()).action, vw.RETRY)


class PeerAddressing(unittest.TestCase):
    def test_urls_put_ipv6_in_brackets(self):
        self.assertEqual(vw.peer_url(vw.Peer("10.8.0.12", 80)), "http://10.8.0.12:80/graphql")
        self.assertEqual(vw.peer_url(vw.Peer("fd00:10:8::c", 8080)), "http://[fd00:10:8::c]:8080/graphql")

    def test_labels_show_the_port_only_when_it_is_not_the_configured_one(self):
        self.assertEqual(vw.peer_label(vw.Peer("10.8.0.12", 80), 80), "10.8.0.12")
        self.assertEqual(vw.peer_label(vw.Peer("127.0.0.1", 40001), 80), "127.0.0.1:40001")
        self.assertEqual(vw.peer_label(vw.Peer("::1", 40001), 80), "[::1]:40001")

    def test_addresses_are_deduplicated_and_sorted_numerically_ipv4_first(self):
        addresses = ["10.8.0.12", "fd00::2", "10.8.0.9", "10.8.0.12", "fd00::10", "10.8.0.9"]
        self.assertEqual(vw.unique_sorted_addresses(addresses), ["10.8.0.9", "10.8.0.12", "fd00::2", "fd00::10"])

    def test_resolve_asks_for_every_stream_address_of_both_families(self):
        infos = [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.8.0.12", 80)),
            (socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("fd00::2", 80, 0, 0)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.8.0.9", 80)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.8.0.12", 80)),
        ]
        with mock.patch.object(vw.socket, "getaddrinfo", return_value=infos) as getaddrinfo:
            self.assertEqual(vw.resolve_addresses(PEERS, 80), ["10.8.0.9", "10.8.0.12", "fd00::2"])
        getaddrinfo.assert_called_once_with(PEERS, 80, type=socket.SOCK_STREAM)

    def test_request_names_the_peers_service_as_host(self):
        self.assertEqual(vw.build_request(url_of(A), host=PEERS).headers["Host"], PEERS)
        self.assertNotIn("Host", vw.build_request(url_of(A)).headers)
        self.assertEqual(vw.host_header(PEERS, 80), PEERS)
        self.assertEqual(vw.host_header(PEERS, 3000), PEERS + ":3000")


class BuildRequest(unittest.TestCase):
    def test_posts_the_reload_mutation_as_json(self):
        request = vw.build_request("http://web/graphql")
        self.assertEqual(request.url, "http://web/graphql")
        self.assertEqual(request.headers["Content-Type"], "application/json")
        query = json.loads(request.body)["query"]
        compact = " ".join(query.split())
        self.assertTrue(compact.startswith("mutation"))
        for fragment in (
            "reloadWorkspace { __typename",
            "... on Workspace { locationEntries { name loadStatus locationOrLoadError { __typename ... on PythonError { message } } } }",
            "... on PythonError { message } } }",
        ):
            self.assertIn(fragment, compact)


class Backoff(unittest.TestCase):
    def test_doubles_from_the_base_up_to_the_cap(self):
        delays = [vw.backoff_delay(n, 1.0, cap=15.0, jitter=0.0) for n in range(7)]
        self.assertEqual(delays, [1.0, 2.0, 4.0, 8.0, 15.0, 15.0, 15.0])

    def test_jitter_only_shortens_by_at_most_ten_percent(self):
        for n in range(10):
            plain = vw.backoff_delay(n, 0.5, cap=15.0, jitter=0.0)
            jittered = vw.backoff_delay(n, 0.5, cap=15.0, jitter=0.999)
            self.assertLessEqual(jittered, plain)
            self.assertGreaterEqual(jittered, plain * 0.9)

    def test_large_attempt_numbers_stay_at_the_cap(self):
        self.assertEqual(vw.backoff_delay(10_000, 1.0, jitter=0.0), vw.BACKOFF_CAP_SECONDS)


class LoadConfig(unittest.TestCase):
    GOOD = {"DAGSTER_GRAPHQL_URL": "http://web:80/graphql", "EXPECTED_LOCATIONS": "b, a", "VERIFY_TIMEOUT_SECONDS": "600"}

    def config(self, **overrides):
        env = dict(self.GOOD)
        for key, value in overrides.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        return vw.load_config(env)

    def test_good(self):
        config = self.config()
        self.assertEqual(config.expected, frozenset({"a", "b"}))
        self.assertEqual((config.timeout_seconds, config.backoff_base_seconds), (600, vw.DEFAULT_BACKOFF_BASE_SECONDS))
        self.assertEqual(self.config(VERIFY_BACKOFF_BASE_SECONDS="0.05").backoff_base_seconds, 0.05)

    def test_empty_expected_means_none(self):
        self.assertEqual(self.config(EXPECTED_LOCATIONS="").expected, frozenset())

    def test_without_peers_only_the_service_is_verified(self):
        config = self.config()
        self.assertEqual((config.peers, config.port, config.replicas, config.peer_addresses), (None, 80, 1, ()))
        self.assertEqual(self.config(DAGSTER_WEBSERVER_REPLICAS="1").replicas, 1)

    def test_peers(self):
        config = self.config(DAGSTER_WEBSERVER_PEERS=f" {PEERS} ", DAGSTER_WEBSERVER_PORT="3000", DAGSTER_WEBSERVER_REPLICAS="2")
        self.assertEqual((config.peers, config.port, config.replicas), (PEERS, 3000, 2))
        self.assertEqual(self.config(DAGSTER_WEBSERVER_PEERS=PEERS, DAGSTER_WEBSERVER_PORT="").port, 80)
        # The Service URL is not used with peers, so it may be missing.
        self.assertEqual(self.config(DAGSTER_WEBSERVER_PEERS=PEERS, DAGSTER_GRAPHQL_URL=None).url, "")

    def test_test_only_peer_addresses(self):
        config = self.config(
            DAGSTER_WEBSERVER_PEERS=PEERS, VERIFY_PEER_ADDRESSES="127.0.0.1:40002, [::1]:40003,127.0.0.1:40001,127.0.0.1:40002,10.0.0.1"
        )
        self.assertEqual(
            config.peer_addresses,
            (vw.Peer("10.0.0.1", 80), vw.Peer("127.0.0.1", 40001), vw.Peer("127.0.0.1", 40002), vw.Peer("::1", 40003)),
        )

    def test_refused(self):
        cases = {
            "DAGSTER_GRAPHQL_URL": [None, "", "web:80/graphql", "ftp://web/graphql", "http:///graphql", "http://web:notaport/graphql"],
            "EXPECTED_LOCATIONS": [None, "a,,b", "a,", "a,a"],
            "VERIFY_TIMEOUT_SECONDS": [None, "", "abc", "0", "-5", "1.5", "\u00b2"],
            "VERIFY_BACKOFF_BASE_SECONDS": ["0", "-1", "x", "100"],
            "DAGSTER_WEBSERVER_PEERS": ["http://web-pods", "web-pods:80", "web-pods/graphql", "-web", "web..pods", "web_pods"],
            "DAGSTER_WEBSERVER_PORT": ["0", "65536", "http", "-1", "8.0"],
            # More than one replica cannot be verified through the Service alone.
            "DAGSTER_WEBSERVER_REPLICAS": ["0", "-1", "two", "1.5", "2"],
            # Replaces resolving the peers, so it needs them.
            "VERIFY_PEER_ADDRESSES": ["127.0.0.1:40001"],
        }
        for key, values in cases.items():
            for value in values:
                with self.subTest(key=key, value=value):
                    with self.assertRaises(vw.ConfigError) as raised:
                        self.config(**{key: value})
                    self.assertIn(key, str(raised.exception))

    def test_refused_with_peers(self):
        cases = {
            "DAGSTER_GRAPHQL_URL": ["web:80/graphql"],
            "DAGSTER_WEBSERVER_REPLICAS": ["0", "x"],
            "VERIFY_PEER_ADDRESSES": ["localhost:1", "127.0.0.1:x", "127.0.0.1:0", "::1", "127.0.0.1:1,,", "10.0.0.1:80/graphql"],
        }
        for key, values in cases.items():
            for value in values:
                with self.subTest(key=key, value=value):
                    with self.assertRaises(vw.ConfigError) as raised:
                        self.config(DAGSTER_WEBSERVER_PEERS=PEERS, **{key: value})
                    self.assertIn(key, str(raised.exception))


class Main(unittest.TestCase):
    def test_stale_then_loading_then_success(self):
        code, out, err, server, time_ = run_main(["not-yet-reloaded.json", "loading.json", "success.json"])
        self.assertEqual(code, vw.EXIT_OK, err)
        self.assertEqual(len(server.calls), 3)
        self.assertEqual(time_.sleeps, [1.0, 2.0])
        self.assertIn("workspace verified after 3 attempt(s)", out)
        self.assertIn("  finance-reporting: LOADED", out)
        self.assertIn("  marketing-etl: LOADED", out)
        self.assertIn("attempt 1", err)
        self.assertIn("still loading: marketing-etl", err)

    def test_connection_errors_and_5xx_are_retried(self):
        refused = urllib.error.URLError(ConnectionRefusedError(111, "Connection refused"))
        code, out, err, server, _ = run_main([refused, socket.timeout("timed out"), "html-bad-gateway.json", "success.json"])
        self.assertEqual(code, vw.EXIT_OK, err)
        self.assertEqual(len(server.calls), 4)
        self.assertIn("cannot connect: [Errno 111] Connection refused", err)
        self.assertIn("no response within", err)
        self.assertIn("HTTP 502", err)

    def test_a_location_that_recovers_passes(self):
        code, _, err, _, _ = run_main(["location-python-error.json", "success.json"])
        self.assertEqual(code, vw.EXIT_OK, err)

    def test_persistent_location_error_fails_at_the_deadline_with_the_message(self):
        code, out, err, server, time_ = run_main(["location-python-error.json"], timeout=60)
        self.assertEqual(code, vw.EXIT_FAILED)
        self.assertEqual(out, "")
        self.assertIn("workspace verification timed out", err)
        self.assertIn("Could not reach user code server. gRPC Error code: UNAVAILABLE", err)
        # The last sleep is cut to end exactly at the deadline, and one last attempt is made there.
        self.assertAlmostEqual(sum(time_.sleeps), 60.0)
        self.assertEqual(server.calls[-1][2], 5060.0)
        self.assertEqual(time_.sleeps[:6], [1.0, 2.0, 4.0, 8.0, 15.0, 15.0])

    def test_timeout_while_stale_names_missing_and_unexpected(self):
        code, _, err, _, _ = run_main(["not-yet-reloaded.json"], timeout=30)
        self.assertEqual(code, vw.EXIT_FAILED)
        self.assertRegex(err, r"missing .*: marketing-etl")
        self.assertRegex(err, r"unexpected .*: legacy-ingest")

    def test_unreachable_webserver_times_out(self):
        refused = urllib.error.URLError(ConnectionRefusedError(111, "Connection refused"))
        code, _, err, _, _ = run_main([refused], timeout=20)
        self.assertEqual(code, vw.EXIT_FAILED)
        self.assertIn("last attempt: cannot connect", err)
        self.assertNotIn("last workspace", err)

    def test_fatal_answer_fails_without_waiting(self):
        code, _, err, server, time_ = run_main(["graphql-validation-error.json"])
        self.assertEqual(code, vw.EXIT_FAILED)
        self.assertEqual((len(server.calls), time_.sleeps), (1, []))
        self.assertIn("workspace verification failed after 1 attempt(s)", err)

    def test_request_timeout_never_outlives_the_deadline_by_much(self):
        _, _, _, server, _ = run_main(["loading.json"], timeout=200)
        for _, timeout, at in server.calls:
            self.assertLessEqual(timeout, vw.REQUEST_TIMEOUT_CAP_SECONDS)
            self.assertLessEqual(timeout, max(1.0, 5200.0 - at))

    def test_a_slow_answer_that_is_right_still_counts(self):
        code, _, err, _, _ = run_main([("success.json", 90.0)], timeout=30)
        self.assertEqual(code, vw.EXIT_OK, err)

    def test_no_locations_expected_and_none_present(self):
        code, out, err, _, _ = run_main(["empty-workspace.json"], expected="")
        self.assertEqual(code, vw.EXIT_OK, err)
        self.assertIn("no code locations expected", out)

    def test_bad_configuration_exits_2_without_calling(self):
        time_ = FakeTime()
        server = FakeServer(time_, ["success.json"])
        err = io.StringIO()
        code = vw.main(env={"DAGSTER_GRAPHQL_URL": "http://web/graphql"}, post=server.post, sleep=time_.sleep,
                       clock=time_.clock, out=io.StringIO(), err=err)
        self.assertEqual(code, vw.EXIT_CONFIG)
        self.assertEqual(server.calls, [])
        self.assertIn("configuration error: EXPECTED_LOCATIONS is not set", err.getvalue())


class MainAcrossReplicas(unittest.TestCase):
    def test_one_replica_updated_one_stale_then_updated(self):
        code, out, err, cluster, dns, time_ = run_peers(
            {A: ["success.json"], B: ["not-yet-reloaded.json", "loading.json", "success.json"]}, dns=[[B, A]]
        )
        self.assertEqual(code, vw.EXIT_OK, err)
        # Every attempt resolves the name again and reloads every replica, in address order.
        self.assertEqual(dns.lookups, [PEERS] * 3)
        self.assertEqual(cluster.urls(), [url_of(A), url_of(B)] * 3)
        self.assertEqual({host for _, host, _, _ in cluster.calls}, {PEERS})
        self.assertEqual(time_.sleeps, [1.0, 2.0])
        self.assertIn("workspace verified after 3 attempt(s) in 3.0s: 2 location(s) loaded on each of 2 webserver replica(s)", out)
        self.assertIn(f"  replicas at {PEERS}: {A}, {B}\n  finance-reporting: LOADED", out)
        self.assertIn(f"attempt 1 (0.0s): waiting: 1 of 2 webserver replica(s) serve the expected workspace; next in 1.0s\n  {A}: right\n", err)
        self.assertRegex(err, rf"\n  {B}: missing .*: marketing-etl")
        self.assertIn(f"\n  {B}: still loading: marketing-etl", err)

    def test_waits_for_the_second_replica_to_appear_in_dns(self):
        gaierror = socket.gaierror(-2, "Name or service not known")
        code, out, err, cluster, _, _ = run_peers(
            {A: ["success.json"], B: ["success.json"]}, dns=[gaierror, [A], [A, B]]
        )
        self.assertEqual(code, vw.EXIT_OK, err)
        self.assertEqual(cluster.urls(), [url_of(A), url_of(A), url_of(B)])
        self.assertIn(f"waiting: cannot resolve {PEERS}: [Errno -2] Name or service not known", err)
        self.assertIn(f"waiting: 1 webserver replica(s) found at {PEERS}, expecting at least 2", err)
        self.assertIn("on each of 2 webserver replica(s)", out)

    def test_too_few_replicas_until_the_deadline_fails(self):
        code, out, err, _, _, _ = run_peers({A: ["success.json"]}, dns=[[A]], timeout=20)
        self.assertEqual(code, vw.EXIT_FAILED)
        self.assertEqual(out, "")
        self.assertIn(f"workspace verification timed out after", err)
        self.assertIn(f"({PEERS}):\n  expected exactly: finance-reporting, marketing-etl\n  1 webserver replica(s) found", err)

    def test_a_persistent_error_on_one_replica_fails_at_the_deadline_with_the_message(self):
        code, out, err, cluster, _, time_ = run_peers(
            {A: ["success.json"], B: ["location-python-error.json"]}, dns=[[A, B]], timeout=60
        )
        self.assertEqual(code, vw.EXIT_FAILED)
        self.assertEqual(out, "")
        self.assertIn("workspace verification timed out", err)
        self.assertIn(f"  {A}: right\n  {B}:\n    failed to load: marketing-etl; Python error:", err)
        self.assertIn("Could not reach user code server. gRPC Error code: UNAVAILABLE", err)
        self.assertAlmostEqual(sum(time_.sleeps), 60.0)
        self.assertEqual(cluster.calls[-1][3], 5060.0)

    def test_a_replica_that_refuses_connections_is_retried(self):
        # B is in DNS but nothing answers at its URL (FakeCluster refuses unknown URLs).
        code, _, err, _, _, _ = run_peers({A: ["success.json"]}, dns=[[A, B], [A, "10.8.0.13"]], extra={"VERIFY_TIMEOUT_SECONDS": "5"})
        self.assertEqual(code, vw.EXIT_FAILED)
        self.assertIn(f"  {B}: cannot connect: [Errno 111] Connection refused", err)

    def test_a_fatal_answer_from_one_replica_stops_at_once(self):
        code, _, err, cluster, _, time_ = run_peers({A: ["success.json"], B: ["graphql-validation-error.json"]}, dns=[[A, B]])
        self.assertEqual(code, vw.EXIT_FAILED)
        self.assertEqual((len(cluster.calls), time_.sleeps), (2, []))
        self.assertIn(f"workspace verification failed after 1 attempt(s) in 0.0s ({PEERS}):\n{B}: the webserver rejected", err)

    def test_a_slow_replica_leaves_the_next_one_at_least_a_second(self):
        code, _, err, cluster, _, _ = run_peers({A: [("success.json", 90.0)], B: ["success.json"]}, dns=[[A, B]], timeout=30)
        self.assertEqual(code, vw.EXIT_OK, err)
        self.assertEqual([timeout for _, _, timeout, _ in cluster.calls], [30.0, 1.0])

    def test_one_replica_expected_by_default(self):
        code, out, err, _, _, _ = run_peers({A: ["success.json"]}, dns=[[A]], replicas="")
        self.assertEqual(code, vw.EXIT_OK, err)
        self.assertIn("on each of 1 webserver replica(s)", out)

    def test_test_only_addresses_replace_dns(self):
        time_ = FakeTime()
        cluster = FakeCluster(time_, {"http://127.0.0.1:40001/graphql": ["success.json"], "http://[::1]:40002/graphql": ["success.json"]})
        dns = FakeDns([socket.gaierror(-2, "must not be asked")])
        out, err = io.StringIO(), io.StringIO()
        env = {
            "DAGSTER_WEBSERVER_PEERS": PEERS,
            "DAGSTER_WEBSERVER_REPLICAS": "2",
            "VERIFY_PEER_ADDRESSES": "[::1]:40002,127.0.0.1:40001",
            "EXPECTED_LOCATIONS": "finance-reporting,marketing-etl",
            "VERIFY_TIMEOUT_SECONDS": "10",
        }
        code = vw.main(env=env, post=cluster.post, sleep=time_.sleep, clock=time_.clock, jitter=lambda: 0.0,
                       out=out, err=err, resolve=dns.resolve)
        self.assertEqual(code, vw.EXIT_OK, err.getvalue())
        self.assertEqual(dns.lookups, [])
        self.assertIn("VERIFY_PEER_ADDRESSES (tests only) replaces DNS: 127.0.0.1:40001, [::1]:40002", err.getvalue())
        self.assertIn(f"replicas at {PEERS}: 127.0.0.1:40001, [::1]:40002", out.getvalue())


class RunsInTheSystemImage(unittest.TestCase):
    """The Job runs the file with the image's own python3: no packages, 3.9 syntax."""

    def test_parses_as_python_3_9(self):
        ast.parse(SCRIPT.read_text(encoding="utf-8"), feature_version=(3, 9))

    @unittest.skipUnless(hasattr(sys, "stdlib_module_names"), "needs Python 3.10+ to list the standard library")
    def test_imports_only_the_standard_library(self):
        tree = ast.parse(SCRIPT.read_text(encoding="utf-8"))
        imported = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                imported.add((node.module or "").split(".")[0])
        self.assertTrue(imported)
        self.assertEqual(sorted(imported - set(sys.stdlib_module_names)), [])


if __name__ == "__main__":
    unittest.main()
