"""Proves that the Dagster webserver serves exactly the expected code locations, all loaded.

Run by the workspace verification Job (components/WorkspaceVerification.ts) after Pulumi edits
the workspace ConfigMap in place. Nothing restarts in that mode, so the only evidence that the
edit took effect is the webserver's own answer to `reloadWorkspace`; this script asks until the
answer is right or the time is up, and exits 1 with the reason so that `pulumi up` fails loudly.

It runs inside the Dagster system image with a read-only root filesystem: standard library
only, Python 3.9+, nothing written to disk.

Environment:
  DAGSTER_GRAPHQL_URL           the webserver's GraphQL endpoint (http or https)
  EXPECTED_LOCATIONS            comma-separated location names; empty means none
  VERIFY_TIMEOUT_SECONDS        positive integer: total time allowed
  VERIFY_BACKOFF_BASE_SECONDS   optional, tests and tuning only: first retry delay (default 1)

Exit codes: 0 verified, 1 failed or timed out, 2 bad configuration.
"""

import http.client
import json
import os
import random
import socket
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Callable, Dict, FrozenSet, List, Mapping, Optional, TextIO, Tuple

# The mutation the Dagster UI itself sends (FACTS.md). Asking only for these fields keeps the
# response small and the query valid across Dagster versions that have reloadWorkspace.
RELOAD_WORKSPACE_MUTATION = """mutation VerifyWorkspace {
  reloadWorkspace {
    __typename
    ... on Workspace {
      locationEntries {
        name
        loadStatus
        locationOrLoadError {
          __typename
          ... on PythonError { message }
        }
      }
    }
    ... on PythonError { message }
  }
}"""

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_CONFIG = 2

DEFAULT_BACKOFF_BASE_SECONDS = 1.0
# Each attempt reloads every location on the webserver; 15 s keeps that load modest while a
# kubelet sync (typically under 2 minutes) is still noticed within a few seconds.
BACKOFF_CAP_SECONDS = 15.0
# Subtracted, never added, so the cap stays a true upper bound.
BACKOFF_JITTER_FRACTION = 0.1
# reloadWorkspace reconnects to every code server and fetches its definitions before answering;
# large locations take tens of seconds, so one request may legitimately take this long.
REQUEST_TIMEOUT_CAP_SECONDS = 120.0
SNIPPET_CHARS = 200

WORKSPACE = "workspace"
TRANSIENT = "transient"
FATAL = "fatal"

OK = "ok"
RETRY = "retry"
FAIL = "fail"


class ConfigError(Exception):
    pass


@dataclass(frozen=True)
class Config:
    url: str
    expected: FrozenSet[str]
    timeout_seconds: int
    backoff_base_seconds: float


@dataclass(frozen=True)
class Request:
    url: str
    body: bytes
    headers: Mapping[str, str]


@dataclass(frozen=True)
class LocationStatus:
    name: str
    load_status: str
    # __typename of locationOrLoadError; None when the webserver reported none.
    result_type: Optional[str]
    error_message: Optional[str] = None

    @property
    def loaded(self) -> bool:
        return self.load_status == "LOADED" and self.result_type == "RepositoryLocation"

    @property
    def failed(self) -> bool:
        return self.load_status == "LOADED" and self.result_type == "PythonError"


@dataclass(frozen=True)
class Observation:
    """What one attempt learnt: the workspace as the webserver sees it, or why it could not tell."""

    kind: str
    locations: Tuple[LocationStatus, ...] = ()
    detail: str = ""


@dataclass(frozen=True)
class Decision:
    action: str
    message: str


@dataclass
class _Run:
    attempts: int = 0
    last_workspace: Optional[Observation] = None


def load_config(env: Mapping[str, str]) -> Config:
    url = env.get("DAGSTER_GRAPHQL_URL", "").strip()
    if not url:
        raise ConfigError("DAGSTER_GRAPHQL_URL is not set")
    parts = urllib.parse.urlsplit(url)
    try:
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        port_ok = False
    if parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
        raise ConfigError(f"DAGSTER_GRAPHQL_URL must be an http(s) URL with a host, got {url!r}")

    if "EXPECTED_LOCATIONS" not in env:
        # Unset is a broken Job spec, not "no locations": an empty value says that explicitly.
        raise ConfigError("EXPECTED_LOCATIONS is not set (set it to an empty value when no locations are expected)")
    expected = parse_expected_locations(env["EXPECTED_LOCATIONS"])

    raw_timeout = env.get("VERIFY_TIMEOUT_SECONDS", "").strip()
    if not (raw_timeout.isascii() and raw_timeout.isdigit()) or int(raw_timeout) <= 0:
        raise ConfigError(f"VERIFY_TIMEOUT_SECONDS must be a positive integer, got {raw_timeout!r}")

    base = DEFAULT_BACKOFF_BASE_SECONDS
    raw_base = env.get("VERIFY_BACKOFF_BASE_SECONDS", "").strip()
    if raw_base:
        try:
            base = float(raw_base)
        except ValueError:
            base = -1.0
        if not 0 < base <= BACKOFF_CAP_SECONDS:
            raise ConfigError(
                f"VERIFY_BACKOFF_BASE_SECONDS must be a number in (0, {BACKOFF_CAP_SECONDS:g}], got {raw_base!r}"
            )
    return Config(url=url, expected=expected, timeout_seconds=int(raw_timeout), backoff_base_seconds=base)


def parse_expected_locations(raw: str) -> FrozenSet[str]:
    if not raw.strip():
        return frozenset()
    names = [name.strip() for name in raw.split(",")]
    if any(not name for name in names):
        raise ConfigError(f"EXPECTED_LOCATIONS has an empty name: {raw!r}")
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ConfigError(f"EXPECTED_LOCATIONS lists {', '.join(duplicates)} more than once")
    return frozenset(names)


def build_request(url: str) -> Request:
    body = json.dumps({"query": RELOAD_WORKSPACE_MUTATION, "variables": {}}).encode("utf-8")
    return Request(url=url, body=body, headers={"Content-Type": "application/json", "Accept": "application/json"})


def _snippet(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= SNIPPET_CHARS else flat[: SNIPPET_CHARS - 3] + "..."


def _first_line(text: str) -> str:
    stripped = text.strip()
    return stripped.splitlines()[0] if stripped else ""


def parse_response(status: int, body: bytes) -> Observation:
    """Classifies one HTTP response. JSON is read whatever the status: Dagster answers a
    reloadWorkspace that raised with HTTP 500 and the PythonError in the body."""
    try:
        payload = json.loads(body.decode("utf-8"))
    except ValueError:
        text = body.decode("utf-8", "replace")
        # Not the webserver's GraphQL answer: a proxy, a pod still starting, or the UI's HTML page.
        return Observation(TRANSIENT, detail=f"HTTP {status}, not a GraphQL JSON response: {_snippet(text)!r}")

    if not isinstance(payload, dict):
        return Observation(TRANSIENT, detail=f"HTTP {status}, unexpected JSON: {_snippet(json.dumps(payload))!r}")

    data = payload.get("data")
    result = data.get("reloadWorkspace") if isinstance(data, dict) else None
    errors = payload.get("errors")
    if not isinstance(result, dict):
        if errors and status < 500:
            # The webserver rejected the query itself (HTTP 400 for parse/validation errors):
            # retrying the same query can never succeed, so stop now with the reason.
            return Observation(FATAL, detail="the webserver rejected the reloadWorkspace mutation: " + _graphql_errors(errors))
        if errors:
            return Observation(TRANSIENT, detail=f"HTTP {status}, GraphQL errors: {_graphql_errors(errors)}")
        return Observation(TRANSIENT, detail=f"HTTP {status}, no reloadWorkspace result: {_snippet(json.dumps(payload))!r}")

    typename = result.get("__typename")
    if typename == "Workspace":
        return _parse_workspace(status, result)
    if typename == "PythonError":
        return Observation(TRANSIENT, detail=f"reloadWorkspace raised: {_text(result.get('message'))}")
    if typename == "UnauthorizedError":
        # A webserver started read-only (or behind an auth layer) refuses reloads for good.
        return Observation(FATAL, detail=f"the webserver refused reloadWorkspace (UnauthorizedError): {_text(result.get('message'))}")
    return Observation(TRANSIENT, detail=f"HTTP {status}, unexpected reloadWorkspace result type {typename!r}")


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) and value.strip() else "(no message)"


def _graphql_errors(errors: object) -> str:
    if not isinstance(errors, list):
        return _snippet(json.dumps(errors))
    messages = [e.get("message") if isinstance(e, dict) else None for e in errors]
    return "; ".join(m if isinstance(m, str) else _snippet(json.dumps(e)) for m, e in zip(messages, errors))


def _parse_workspace(status: int, result: Dict[str, object]) -> Observation:
    entries = result.get("locationEntries")
    if not isinstance(entries, list):
        return Observation(TRANSIENT, detail=f"HTTP {status}, Workspace without a locationEntries list")
    locations = []
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not isinstance(entry.get("loadStatus"), str):
            return Observation(TRANSIENT, detail=f"HTTP {status}, malformed location entry: {_snippet(json.dumps(entry))!r}")
        outcome = entry.get("locationOrLoadError")
        result_type = outcome.get("__typename") if isinstance(outcome, dict) else None
        message = outcome.get("message") if isinstance(outcome, dict) and result_type == "PythonError" else None
        locations.append(
            LocationStatus(
                name=entry["name"],
                load_status=entry["loadStatus"],
                result_type=result_type if isinstance(result_type, str) else None,
                error_message=_text(message) if result_type == "PythonError" else None,
            )
        )
    return Observation(WORKSPACE, locations=tuple(sorted(locations, key=lambda l: l.name)))


def workspace_problems(expected: FrozenSet[str], observation: Observation, full_errors: bool) -> List[str]:
    """Everything that keeps the workspace from being exactly right; empty when it is."""
    seen = {location.name for location in observation.locations}
    problems = []
    missing = sorted(expected - seen)
    unexpected = sorted(seen - expected)
    if missing:
        problems.append("missing (not in the webserver's workspace yet; the ConfigMap may not have synced): " + ", ".join(missing))
    if unexpected:
        problems.append("unexpected (still in the webserver's workspace; the removal has not been picked up): " + ", ".join(unexpected))
    loading = [l.name for l in observation.locations if l.load_status == "LOADING"]
    if loading:
        problems.append("still loading: " + ", ".join(loading))
    odd = [
        f"{l.name} (loadStatus={l.load_status}, locationOrLoadError={l.result_type or 'null'})"
        for l in observation.locations
        if l.load_status != "LOADING" and not l.loaded and not l.failed
    ]
    if odd:
        problems.append("not loaded: " + ", ".join(odd))
    for location in observation.locations:
        if location.failed:
            message = location.error_message or "(no message)"
            if full_errors:
                indented = "\n".join("      " + line for line in message.splitlines())
                problems.append(f"failed to load: {location.name}; Python error:\n{indented}")
            else:
                problems.append(f"failed to load: {location.name} ({_first_line(message)})")
    return problems


def decide(
    expected: FrozenSet[str],
    observation: Observation,
    out_of_time: bool,
    last_workspace: Optional[Observation] = None,
) -> Decision:
    """ok when the workspace is exactly right; fail on a fatal answer or, once out of time, on
    anything else; otherwise retry. A location that failed to load is only retried: a code
    server that has just started may refuse the first connections."""
    if observation.kind == FATAL:
        return Decision(FAIL, observation.detail)

    if observation.kind == WORKSPACE:
        problems = workspace_problems(expected, observation, full_errors=out_of_time)
        if not problems:
            if not observation.locations:
                return Decision(OK, "no code locations expected, and the webserver has none")
            lines = [f"  {l.name}: {l.load_status} ({l.result_type})" for l in observation.locations]
            return Decision(OK, "\n".join(lines))
        if not out_of_time:
            return Decision(RETRY, "; ".join(problems))
        return Decision(FAIL, _expected_line(expected) + "\n" + "\n".join("  " + p for p in problems))

    if not out_of_time:
        return Decision(RETRY, observation.detail)
    lines = [_expected_line(expected), f"  last attempt: {observation.detail}"]
    if last_workspace is not None:
        lines.append("  last workspace the webserver reported:")
        problems = workspace_problems(expected, last_workspace, full_errors=True) or ["(it was right then)"]
        lines.extend("    " + p.replace("\n", "\n  ") for p in problems)
    return Decision(FAIL, "\n".join(lines))


def _expected_line(expected: FrozenSet[str]) -> str:
    return "  expected exactly: " + (", ".join(sorted(expected)) if expected else "(no locations)")


def backoff_delay(attempt: int, base: float, cap: float = BACKOFF_CAP_SECONDS, jitter: float = 0.0) -> float:
    """Delay after the attempt numbered `attempt` (0-based): base * 2**attempt, capped, then
    shortened by up to BACKOFF_JITTER_FRACTION (jitter in [0, 1)) so that Jobs started together
    do not stay in step."""
    exponent = min(attempt, 32)  # keeps 2**n finite; the cap has long applied by then
    return min(cap, base * (2 ** exponent)) * (1 - BACKOFF_JITTER_FRACTION * jitter)


def describe_exception(exc: BaseException, timeout: float) -> str:
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return f"no response within {timeout:.0f}s"
    if isinstance(exc, urllib.error.URLError):
        reason = exc.reason
        if isinstance(reason, (socket.timeout, TimeoutError)):
            return f"no response within {timeout:.0f}s"
        return f"cannot connect: {reason}"
    return f"{type(exc).__name__}: {exc}"


PostFn = Callable[[Request, float], Tuple[int, bytes]]


def http_post(request: Request, timeout: float) -> Tuple[int, bytes]:
    """POSTs and returns (status, body); raises only when no HTTP response arrived at all."""
    # The webserver is an in-cluster Service: a proxy inherited from the environment could only
    # route around it.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    req = urllib.request.Request(request.url, data=request.body, headers=dict(request.headers), method="POST")
    try:
        with opener.open(req, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def main(
    env: Optional[Mapping[str, str]] = None,
    post: PostFn = http_post,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    jitter: Callable[[], float] = random.random,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
) -> int:
    try:
        config = load_config(os.environ if env is None else env)
    except ConfigError as problem:
        print(f"workspace verification: configuration error: {problem}", file=err)
        return EXIT_CONFIG

    request = build_request(config.url)
    start = clock()
    deadline = start + config.timeout_seconds
    run = _Run()
    print(
        f"verifying {config.url}: expecting exactly [{', '.join(sorted(config.expected))}] "
        f"within {config.timeout_seconds}s",
        file=err,
        flush=True,
    )

    while True:
        remaining = deadline - clock()
        request_timeout = max(1.0, min(REQUEST_TIMEOUT_CAP_SECONDS, remaining))
        try:
            status, body = post(request, request_timeout)
            observation = parse_response(status, body)
        except (OSError, http.client.HTTPException) as exc:
            observation = Observation(TRANSIENT, detail=describe_exception(exc, request_timeout))
        run.attempts += 1
        if observation.kind == WORKSPACE:
            run.last_workspace = observation

        out_of_time = clock() >= deadline
        decision = decide(config.expected, observation, out_of_time, run.last_workspace)
        elapsed = clock() - start

        if decision.action == OK:
            print(
                f"workspace verified after {run.attempts} attempt(s) in {elapsed:.1f}s: "
                f"{len(observation.locations)} location(s) loaded",
                file=out,
            )
            print(decision.message, file=out, flush=True)
            return EXIT_OK
        if decision.action == FAIL:
            reason = "timed out" if out_of_time and observation.kind != FATAL else "failed"
            print(
                f"workspace verification {reason} after {run.attempts} attempt(s) in {elapsed:.1f}s "
                f"({config.url}):\n{decision.message}",
                file=err,
                flush=True,
            )
            return EXIT_FAILED

        delay = min(backoff_delay(run.attempts - 1, config.backoff_base_seconds, jitter=jitter()), max(0.0, deadline - clock()))
        print(f"attempt {run.attempts} ({elapsed:.1f}s): waiting: {decision.message}; next in {delay:.1f}s", file=err, flush=True)
        sleep(delay)


if __name__ == "__main__":
    sys.exit(main())
