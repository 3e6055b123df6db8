"""Proves that the Dagster webserver serves exactly the expected code locations, all loaded.

Run by the workspace verification Job (components/WorkspaceVerification.ts) after Pulumi edits
the workspace ConfigMap in place. Nothing restarts in that mode, so the only evidence that the
edit took effect is the webserver's own answer to `reloadWorkspace`; this script asks until the
answer is right or the time is up, and exits 1 with the reason so that `pulumi up` fails loudly.

It runs inside the Dagster system image with a read-only root filesystem: standard library
only, Python 3.9+, nothing written to disk.

Every webserver replica keeps its own workspace in memory, and a call through the webserver
Service reaches one of them. With DAGSTER_WEBSERVER_PEERS set (the DNS name of a headless
Service over the webserver pods), each attempt resolves that name to every ready replica and
reloads each one: the workspace is verified only when at least DAGSTER_WEBSERVER_REPLICAS
replicas answered and every replica found serves exactly the expected locations, all loaded.

Environment:
  DAGSTER_GRAPHQL_URL           the webserver Service's GraphQL endpoint (http or https); required
                                unless DAGSTER_WEBSERVER_PEERS is set, and then unused
  DAGSTER_WEBSERVER_PEERS       optional: DNS name of a headless Service over the webserver pods;
                                each of its addresses is reloaded at http://<address>:<port>/graphql
  DAGSTER_WEBSERVER_PORT        optional: the webserver pods' HTTP port (default 80)
  DAGSTER_WEBSERVER_REPLICAS    optional: how many replicas must answer, at least 1 (default 1);
                                more than 1 needs DAGSTER_WEBSERVER_PEERS
  EXPECTED_LOCATIONS            comma-separated location names; empty means none
  VERIFY_TIMEOUT_SECONDS        positive integer: total time allowed
  VERIFY_BACKOFF_BASE_SECONDS   optional, tests and tuning only: first retry delay (default 1)
  VERIFY_PEER_ADDRESSES         optional, tests only: comma-separated ADDRESS[:PORT] (IPv6 as
                                [ADDRESS]:PORT) used instead of resolving DAGSTER_WEBSERVER_PEERS,
                                because a real name cannot resolve to several local ports

Exit codes: 0 verified, 1 failed or timed out, 2 bad configuration.
"""

import http.client
import ipaddress
import json
import os
import random
import re
import socket
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Callable, Dict, FrozenSet, Iterable, List, Mapping, Optional, Sequence, TextIO, Tuple, Union

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
DEFAULT_WEBSERVER_PORT = 80
GRAPHQL_PATH = "/graphql"
# A DNS name as Kubernetes Services have them: dot-separated labels of letters, digits and
# hyphens, optionally fully qualified with a trailing dot.
_DNS_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DNS_NAME = re.compile(rf"{_DNS_LABEL}(?:\.{_DNS_LABEL})*\.?")

WORKSPACE = "workspace"
TRANSIENT = "transient"
FATAL = "fatal"

OK = "ok"
RETRY = "retry"
FAIL = "fail"


class ConfigError(Exception):
    pass


@dataclass(frozen=True)
class Peer:
    """One webserver replica: an address the peers name resolved to, and its port."""

    address: str
    port: int


@dataclass(frozen=True)
class Config:
    # The webserver Service's endpoint; "" when unset, which only peers mode allows.
    url: str
    expected: FrozenSet[str]
    timeout_seconds: int
    backoff_base_seconds: float
    # The headless Service's DNS name; None verifies through `url` alone, as one webserver.
    peers: Optional[str] = None
    port: int = DEFAULT_WEBSERVER_PORT
    replicas: int = 1
    # Test-only replacement for resolving `peers` (VERIFY_PEER_ADDRESSES); empty means resolve.
    peer_addresses: Tuple[Peer, ...] = ()


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
    # A FAIL that came from an answer waiting cannot fix, not from running out of time.
    fatal: bool = False


@dataclass(frozen=True)
class ReplicaAnswer:
    """One replica's answer in one attempt, with the last workspace it reported in any attempt."""

    label: str
    observation: Observation
    last_workspace: Optional[Observation] = None


@dataclass(frozen=True)
class Attempt:
    decision: Decision
    out_of_time: bool
    # What was verified, for the success line: "2 location(s) loaded", and on how many replicas.
    verified: str


def load_config(env: Mapping[str, str]) -> Config:
    peers = env.get("DAGSTER_WEBSERVER_PEERS", "").strip()
    if peers and (len(peers.rstrip(".")) > 253 or not _DNS_NAME.fullmatch(peers)):
        raise ConfigError(f"DAGSTER_WEBSERVER_PEERS must be a DNS name, without scheme, port or path, got {peers!r}")

    url = env.get("DAGSTER_GRAPHQL_URL", "").strip()
    if not url and not peers:
        raise ConfigError("DAGSTER_GRAPHQL_URL is not set (nor DAGSTER_WEBSERVER_PEERS)")
    if url:
        # Unused when the peers are set, but a malformed value still means a broken Job spec.
        parts = urllib.parse.urlsplit(url)
        try:
            port_ok = parts.port is None or parts.port > 0
        except ValueError:
            port_ok = False
        if parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
            raise ConfigError(f"DAGSTER_GRAPHQL_URL must be an http(s) URL with a host, got {url!r}")

    port = _int_setting(env, "DAGSTER_WEBSERVER_PORT", DEFAULT_WEBSERVER_PORT, 1, 65535)
    replicas = _int_setting(env, "DAGSTER_WEBSERVER_REPLICAS", 1, 1, 1000)
    if replicas > 1 and not peers:
        # Through the Service alone the script reaches one replica per call and cannot tell which:
        # passing would claim more than was checked.
        raise ConfigError(
            f"DAGSTER_WEBSERVER_REPLICAS is {replicas}, but without DAGSTER_WEBSERVER_PEERS only one replica can be verified"
        )
    peer_addresses: Tuple[Peer, ...] = ()
    raw_addresses = env.get("VERIFY_PEER_ADDRESSES", "").strip()
    if raw_addresses:
        if not peers:
            raise ConfigError("VERIFY_PEER_ADDRESSES (tests only) replaces resolving DAGSTER_WEBSERVER_PEERS, which is not set")
        peer_addresses = parse_peer_addresses(raw_addresses, port)

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
    return Config(
        url=url,
        expected=expected,
        timeout_seconds=int(raw_timeout),
        backoff_base_seconds=base,
        peers=peers or None,
        port=port,
        replicas=replicas,
        peer_addresses=peer_addresses,
    )


def _int_setting(env: Mapping[str, str], key: str, default: int, low: int, high: int) -> int:
    raw = env.get(key, "").strip()
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        raise ConfigError(f"{key} must be an integer from {low} to {high}, got {raw!r}")
    return int(raw)


def parse_peer_addresses(raw: str, default_port: int) -> Tuple[Peer, ...]:
    """VERIFY_PEER_ADDRESSES: IP[:PORT] entries, IPv6 as [IP]:PORT; de-duplicated and sorted."""
    peers = set()
    for entry in (e.strip() for e in raw.split(",")):
        peer = _parse_peer_address(entry, default_port)
        if peer is None:
            raise ConfigError(f"VERIFY_PEER_ADDRESSES entries must be IP[:PORT] or [IPv6]:PORT, got {entry!r} in {raw!r}")
        peers.add(peer)
    return tuple(sorted(peers, key=lambda p: (_address_key(p.address), p.port)))


def _parse_peer_address(entry: str, default_port: int) -> Optional[Peer]:
    try:
        parts = urllib.parse.urlsplit("//" + entry)
        port = parts.port
        address = str(ipaddress.ip_address(parts.hostname or ""))
    except ValueError:
        return None
    if not entry or parts.netloc != entry or "@" in entry or port == 0:
        return None
    if ":" in address and not entry.startswith("["):
        return None
    return Peer(address, default_port if port is None else port)


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


def build_request(url: str, host: Optional[str] = None) -> Request:
    """The reloadWorkspace POST; `host`, when given, is sent as the Host header (a replica is
    addressed by IP, but named by the peers Service)."""
    body = json.dumps({"query": RELOAD_WORKSPACE_MUTATION, "variables": {}}).encode("utf-8")
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if host:
        headers["Host"] = host
    return Request(url=url, body=body, headers=headers)


def _address_key(address: str) -> Tuple[int, int, str]:
    """Numeric order, IPv4 before IPv6: 10.8.0.9 before 10.8.0.12."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return (9, 0, address)
    return (ip.version, int(ip), address)


def unique_sorted_addresses(addresses: Iterable[str]) -> List[str]:
    return sorted(set(addresses), key=_address_key)


def _host_in_url(address: str) -> str:
    return f"[{address}]" if ":" in address else address


def peer_url(peer: Peer) -> str:
    return f"http://{_host_in_url(peer.address)}:{peer.port}{GRAPHQL_PATH}"


def peer_label(peer: Peer, default_port: int) -> str:
    """How messages name a replica: its address, with the port only when it is not the usual one."""
    return peer.address if peer.port == default_port else f"{_host_in_url(peer.address)}:{peer.port}"


def host_header(peers: str, port: int) -> str:
    return peers if port == DEFAULT_WEBSERVER_PORT else f"{peers}:{port}"


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
        return Decision(FAIL, observation.detail, fatal=True)

    if observation.kind == WORKSPACE:
        problems = workspace_problems(expected, observation, full_errors=out_of_time)
        if not problems:
            if not observation.locations:
                return Decision(OK, "no code locations expected, and the webserver has none")
            lines = [f"  {l.name}: {l.load_status} ({l.result_type})" for l in observation.locations]
            return Decision(OK, "\n".join(lines))
        if not out_of_time:
            return Decision(RETRY, "; ".join(problems))
        return Decision(FAIL, "\n".join([_expected_line(expected)] + _failure_lines(expected, observation, last_workspace)))

    if not out_of_time:
        return Decision(RETRY, observation.detail)
    return Decision(FAIL, "\n".join([_expected_line(expected)] + _failure_lines(expected, observation, last_workspace)))


def _failure_lines(expected: FrozenSet[str], observation: Observation, last_workspace: Optional[Observation]) -> List[str]:
    """What was still wrong at the deadline, one indented entry per problem (an entry may span
    lines: a Python error is printed whole)."""
    if observation.kind == WORKSPACE:
        return ["  " + p for p in workspace_problems(expected, observation, full_errors=True)]
    lines = [f"  last attempt: {observation.detail}"]
    if last_workspace is not None:
        lines.append("  last workspace the webserver reported:")
        problems = workspace_problems(expected, last_workspace, full_errors=True) or ["(it was right then)"]
        lines.extend("    " + p.replace("\n", "\n  ") for p in problems)
    return lines


def _expected_line(expected: FrozenSet[str]) -> str:
    return "  expected exactly: " + (", ".join(sorted(expected)) if expected else "(no locations)")


def _indent(text: str, prefix: str = "  ") -> str:
    return prefix + text.replace("\n", "\n" + prefix)


def decide_replicas(
    expected: FrozenSet[str],
    answers: Sequence[ReplicaAnswer],
    want: int,
    out_of_time: bool,
    peers: str,
    resolve_error: Optional[str] = None,
) -> Decision:
    """The combined decision over every replica the peers name resolved to in one attempt: ok
    only when at least `want` replicas answered and each of them is ok by `decide`. A fatal
    answer from any replica fails at once; anything else wrong is retried until the deadline,
    and then fails naming each replica by its label."""
    verdicts = [(answer, decide(expected, answer.observation, out_of_time, answer.last_workspace)) for answer in answers]

    fatal = [f"{a.label}: {a.observation.detail}" for a, _ in verdicts if a.observation.kind == FATAL]
    if fatal:
        return Decision(FAIL, "\n".join(fatal), fatal=True)

    right = [a for a, d in verdicts if d.action == OK]
    if resolve_error is not None:
        summary = resolve_error
    elif len(answers) < want:
        summary = (
            f"{len(answers)} webserver replica(s) found at {peers}, expecting at least {want} "
            "(a rollout in progress, or DNS not updated yet)"
        )
    else:
        if len(right) == len(answers):
            listed = f"  replicas at {peers}: " + ", ".join(a.label for a in answers)
            if not expected:
                return Decision(OK, listed + "\n  no code locations expected, and no replica has any")
            return Decision(OK, listed + "\n" + verdicts[0][1].message)
        summary = f"{len(right)} of {len(answers)} webserver replica(s) serve the expected workspace"

    if not out_of_time:
        lines = [summary] + [f"  {a.label}: " + ("right" if d.action == OK else d.message) for a, d in verdicts]
        return Decision(RETRY, "\n".join(lines))
    lines = [_expected_line(expected), "  " + summary]
    for answer, verdict in verdicts:
        if verdict.action == OK:
            lines.append(f"  {answer.label}: right")
        else:
            lines.append(f"  {answer.label}:")
            lines.extend(_indent(line) for line in _failure_lines(expected, answer.observation, answer.last_workspace))
    return Decision(FAIL, "\n".join(lines))


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
# A DNS name to every address it has (answers may repeat; the caller de-duplicates and sorts).
ResolveFn = Callable[[str], Sequence[str]]


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


def resolve_addresses(host: str, port: int = DEFAULT_WEBSERVER_PORT) -> List[str]:
    """Every address of `host`, IPv4 and IPv6. A headless Service's name has one per ready pod.
    Raises OSError (socket.gaierror) when the name does not resolve, e.g. no pod is ready."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return unique_sorted_addresses(str(info[4][0]) for info in infos)


def _request_timeout(deadline: float, clock: Callable[[], float]) -> float:
    return max(1.0, min(REQUEST_TIMEOUT_CAP_SECONDS, deadline - clock()))


def _ask(post: PostFn, request: Request, timeout: float) -> Observation:
    try:
        status, body = post(request, timeout)
        return parse_response(status, body)
    except (OSError, http.client.HTTPException) as exc:
        return Observation(TRANSIENT, detail=describe_exception(exc, timeout))


class _ServiceRun:
    """Verification through DAGSTER_GRAPHQL_URL: whichever replica the Service picks."""

    def __init__(self, config: Config, post: PostFn, clock: Callable[[], float], deadline: float):
        self.config, self.post, self.clock, self.deadline = config, post, clock, deadline
        self.request = build_request(config.url)
        self.last_workspace: Optional[Observation] = None

    def target(self) -> str:
        return self.config.url

    def attempt(self) -> Attempt:
        observation = _ask(self.post, self.request, _request_timeout(self.deadline, self.clock))
        if observation.kind == WORKSPACE:
            self.last_workspace = observation
        out_of_time = self.clock() >= self.deadline
        decision = decide(self.config.expected, observation, out_of_time, self.last_workspace)
        return Attempt(decision, out_of_time, f"{len(observation.locations)} location(s) loaded")


class _PeersRun:
    """Verification of every replica the headless Service's name resolves to, one after the other."""

    def __init__(self, config: Config, peers: str, post: PostFn, resolve: ResolveFn, clock: Callable[[], float], deadline: float):
        self.peers = peers
        self.config, self.post, self.resolve, self.clock, self.deadline = config, post, resolve, clock, deadline
        self.host = host_header(self.peers, config.port)
        # Keyed by replica: a pod replaced between attempts comes back under a new address.
        self.last_workspace: Dict[Peer, Observation] = {}

    def target(self) -> str:
        return self.peers

    def _find(self) -> Tuple[List[Peer], Optional[str]]:
        if self.config.peer_addresses:
            return list(self.config.peer_addresses), None
        try:
            addresses = unique_sorted_addresses(self.resolve(self.peers))
        except (OSError, UnicodeError) as exc:
            return [], f"cannot resolve {self.peers}: {exc}"
        if not addresses:
            return [], f"{self.peers} resolved to no address"
        return [Peer(address, self.config.port) for address in addresses], None

    def attempt(self) -> Attempt:
        peers, resolve_error = self._find()
        answers = []
        for peer in peers:
            request = build_request(peer_url(peer), host=self.host)
            observation = _ask(self.post, request, _request_timeout(self.deadline, self.clock))
            if observation.kind == WORKSPACE:
                self.last_workspace[peer] = observation
            label = peer_label(peer, self.config.port)
            answers.append(ReplicaAnswer(label, observation, self.last_workspace.get(peer)))
        out_of_time = self.clock() >= self.deadline
        decision = decide_replicas(self.config.expected, answers, self.config.replicas, out_of_time, self.peers, resolve_error)
        verified = f"{len(self.config.expected)} location(s) loaded on each of {len(answers)} webserver replica(s)"
        return Attempt(decision, out_of_time, verified)


def _waiting_line(attempt: int, elapsed: float, message: str, delay: float) -> str:
    head, newline, rest = message.partition("\n")
    return f"attempt {attempt} ({elapsed:.1f}s): waiting: {head}; next in {delay:.1f}s{newline}{rest}"


def main(
    env: Optional[Mapping[str, str]] = None,
    post: PostFn = http_post,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    jitter: Callable[[], float] = random.random,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
    resolve: Optional[ResolveFn] = None,
) -> int:
    try:
        config = load_config(os.environ if env is None else env)
    except ConfigError as problem:
        print(f"workspace verification: configuration error: {problem}", file=err)
        return EXIT_CONFIG

    start = clock()
    deadline = start + config.timeout_seconds
    expecting = f"expecting exactly [{', '.join(sorted(config.expected))}] within {config.timeout_seconds}s"
    run: Union[_ServiceRun, _PeersRun]
    if config.peers is None:
        run = _ServiceRun(config, post, clock, deadline)
        print(f"verifying {config.url}: {expecting}", file=err, flush=True)
    else:
        port = config.port
        run = _PeersRun(config, config.peers, post, resolve or (lambda name: resolve_addresses(name, port)), clock, deadline)
        print(
            f"verifying every webserver replica at {config.peers} (port {config.port}, at least {config.replicas}): {expecting}",
            file=err,
            flush=True,
        )
        if config.peer_addresses:
            listed = ", ".join(peer_label(p, config.port) for p in config.peer_addresses)
            print(f"VERIFY_PEER_ADDRESSES (tests only) replaces DNS: {listed}", file=err, flush=True)

    attempts = 0
    while True:
        result = run.attempt()
        attempts += 1
        decision = result.decision
        elapsed = clock() - start

        if decision.action == OK:
            print(f"workspace verified after {attempts} attempt(s) in {elapsed:.1f}s: {result.verified}", file=out)
            print(decision.message, file=out, flush=True)
            return EXIT_OK
        if decision.action == FAIL:
            reason = "timed out" if result.out_of_time and not decision.fatal else "failed"
            print(
                f"workspace verification {reason} after {attempts} attempt(s) in {elapsed:.1f}s "
                f"({run.target()}):\n{decision.message}",
                file=err,
                flush=True,
            )
            return EXIT_FAILED

        delay = min(backoff_delay(attempts - 1, config.backoff_base_seconds, jitter=jitter()), max(0.0, deadline - clock()))
        print(_waiting_line(attempts, elapsed, decision.message, delay), file=err, flush=True)
        sleep(delay)


if __name__ == "__main__":
    sys.exit(main())
