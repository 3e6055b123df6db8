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

    def test_refused(self):
        cases = {
            "DAGSTER_GRAPHQL_URL": [None, "", "web:80/graphql", "ftp://web/graphql", "http:///graphql", "http://web:notaport/graphql"],
            "EXPECTED_LOCATIONS": [None, "a,,b", "a,", "a,a"],
            "VERIFY_TIMEOUT_SECONDS": [None, "", "abc", "0", "-5", "1.5", "\u00b2"],
            "VERIFY_BACKOFF_BASE_SECONDS": ["0", "-1", "x", "100"],
        }
        for key, values in cases.items():
            for value in values:
                with self.subTest(key=key, value=value):
                    with self.assertRaises(vw.ConfigError) as raised:
                        self.config(**{key: value})
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
