"""Proves that every Dagster webserver replica serves exactly the expected code locations, loaded.

Run by the workspace verification Job (components/WorkspaceVerification.ts) after Pulumi edits the
workspace ConfigMap in place, and by the rehearsal (npm run rehearse) exactly as the Job runs it.
Nothing restarts in that mode, so the only evidence that the edit took effect is the webservers'
own answer. Standard library only, Python 3.9+, nothing written to disk (read-only root); one
file, because the Job mounts it from one ConfigMap key.

What it does, in order (docs/zero-restart-rollout.md explains why each step is there):

1. Waits until the workspace file mounted into this pod (the same ConfigMap the webserver and
   daemon mount, WORKSPACE_FILE) has the expected content (EXPECTED_WORKSPACE_SHA256). Reloading
   before the kubelet has brought the new file makes the webserver re-read the old one.
2. Sends ONE `reloadWorkspace` to each webserver replica (each keeps its own workspace in memory).
   A reload re-reads the file and reloads every location one after another; on a
   `dagster code-server start` location it restarts the user-code process. So a reload is never
   sent while another may still be running on that replica: the next one is sent only after the
   previous answer arrived, and only when that replica demonstrably read an old file (its
   location names differ from the expected ones), after a delay that doubles
   (VERIFY_STALE_RELOAD_DELAY_SECONDS, at most 120 s). A reload whose answer never arrived
   (timeout, connection reset) may still be running: that replica is only polled from then on.
3. Polls the read-only `workspaceOrError` query (the reload answer's nested fields may describe
   the old workspace) until every expected location is LOADED as a `RepositoryLocation` and no
   other location is there. DagsterCodeLocationNotFoundError, an unreachable code server and a
   location still LOADING are waited for; any other load error fails at once, with its message.

Timeouts scale with the number of locations N: one reload request may take
VERIFY_RELOAD_BASE_SECONDS + VERIFY_RELOAD_SECONDS_PER_LOCATION x N, and the whole run
VERIFY_TIMEOUT_SECONDS (the Job sets verifyTimeoutSeconds + verifySecondsPerLocation x N x replicas).

Environment:
  DAGSTER_GRAPHQL_URL           the webserver Service's GraphQL endpoint (http or https); required
                                unless DAGSTER_WEBSERVER_PEERS is set, and then unused
  DAGSTER_WEBSERVER_PEERS       optional: DNS name of a headless Service over the webserver pods;
                                each address is a replica, at http://<address>:<port>/graphql
  DAGSTER_WEBSERVER_PORT        optional: the webserver pods' HTTP port (default 80)
  DAGSTER_WEBSERVER_REPLICAS    optional: how many replicas must be verified (default 1); more
                                than 1 needs DAGSTER_WEBSERVER_PEERS
  EXPECTED_LOCATIONS            comma-separated location names; empty means none
  WORKSPACE_FILE                optional, with EXPECTED_WORKSPACE_SHA256: the mounted workspace.yaml
  EXPECTED_WORKSPACE_SHA256     optional: sha256 (hex) of the workspace.yaml being rolled out
  VERIFY_TIMEOUT_SECONDS        positive integer: total time allowed
  VERIFY_RELOAD_BASE_SECONDS    optional: fixed part of one reload request's timeout (default 60)
  VERIFY_RELOAD_SECONDS_PER_LOCATION  optional: per-location part of it (default 10)
  VERIFY_POLL_SECONDS           optional: pause between polls (default 2)
  VERIFY_STALE_RELOAD_DELAY_SECONDS   optional: first wait before reloading again a replica that
                                read an old file (default 20)
  VERIFY_PEER_ADDRESSES         optional, tests only: comma-separated ADDRESS[:PORT] (IPv6 as
                                [ADDRESS]:PORT) used instead of resolving DAGSTER_WEBSERVER_PEERS

Exit codes: 0 verified, 1 failed or timed out, 2 bad configuration.
"""

import hashlib
import http.client
import ipaddress
import json
import os
import re
import socket
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Callable, Dict, FrozenSet, Iterable, List, Mapping, Optional, Sequence, TextIO, Tuple

# The smallest reload: its nested fields may still describe the old workspace (upstream PR
# 33928), so the answer is read only for its type; the state comes from WORKSPACE_QUERY.
RELOAD_MUTATION = """mutation VerifyReloadWorkspace {
  reloadWorkspace {
    __typename
    ... on PythonError { message }
    ... on UnauthorizedError { message }
  }
}"""

WORKSPACE_QUERY = """query VerifyWorkspace {
  workspaceOrError {
    __typename
    ... on Workspace {
      locationEntries {
        name
        loadStatus
        locationOrLoadError {
          __typename
          ... on PythonError { message errorChain { error { message } } }
        }
      }
    }
    ... on PythonError { message }
  }
}"""

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_CONFIG = 2

DEFAULT_WEBSERVER_PORT = 80
DEFAULT_RELOAD_BASE_SECONDS = 60.0
DEFAULT_RELOAD_SECONDS_PER_LOCATION = 10.0
DEFAULT_POLL_SECONDS = 2.0
DEFAULT_STALE_RELOAD_DELAY_SECONDS = 20.0
STALE_RELOAD_DELAY_CAP_SECONDS = 120.0
# A read-only query answers in well under a second; this only bounds a hung connection.
QUERY_TIMEOUT_SECONDS = 30.0
SNIPPET_CHARS = 200
GRAPHQL_PATH = "/graphql"
# Errors a location entry or the query may carry while the workspace is still settling: waiting
# can fix these. Any other load error is the location's own, and waiting cannot.
WAITABLE_ERRORS = ("DagsterCodeLocationNotFoundError", "DagsterUserCodeUnreachableError")
_DNS_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DNS_NAME = re.compile(rf"{_DNS_LABEL}(?:\.{_DNS_LABEL})*\.?")
_SHA256 = re.compile(r"[0-9a-f]{64}")


class ConfigError(Exception):
    pass


# ---------------------------------------------------------------------------------------------
# Configuration


@dataclass(frozen=True)
class Peer:
    """One webserver replica: an address the peers name resolved to, and its port."""

    address: str
    port: int


@dataclass(frozen=True)
class Config:
    url: str
    expected: FrozenSet[str]
    timeout_seconds: int
    peers: Optional[str] = None
    port: int = DEFAULT_WEBSERVER_PORT
    replicas: int = 1
    workspace_file: str = ""
    workspace_sha256: str = ""
    reload_base_seconds: float = DEFAULT_RELOAD_BASE_SECONDS
    reload_seconds_per_location: float = DEFAULT_RELOAD_SECONDS_PER_LOCATION
    poll_seconds: float = DEFAULT_POLL_SECONDS
    stale_reload_delay_seconds: float = DEFAULT_STALE_RELOAD_DELAY_SECONDS
    peer_addresses: Tuple[Peer, ...] = ()

    @property
    def reload_timeout_seconds(self) -> float:
        """How long one reloadWorkspace may take: it reloads every location one after another."""
        return self.reload_base_seconds + self.reload_seconds_per_location * len(self.expected)


def load_config(env: Mapping[str, str]) -> Config:
    peers = env.get("DAGSTER_WEBSERVER_PEERS", "").strip()
    if peers and (len(peers.rstrip(".")) > 253 or not _DNS_NAME.fullmatch(peers)):
        raise ConfigError(f"DAGSTER_WEBSERVER_PEERS must be a DNS name, without scheme, port or path, got {peers!r}")
    url = _graphql_url(env, peers)
    port = _int_setting(env, "DAGSTER_WEBSERVER_PORT", DEFAULT_WEBSERVER_PORT, 1, 65535)
    replicas = _int_setting(env, "DAGSTER_WEBSERVER_REPLICAS", 1, 1, 1000)
    if replicas > 1 and not peers:
        # Through the Service the script reaches one replica per call and cannot tell which.
        raise ConfigError(f"DAGSTER_WEBSERVER_REPLICAS is {replicas}, but without DAGSTER_WEBSERVER_PEERS only one replica can be verified")
    peer_addresses: Tuple[Peer, ...] = ()
    raw_addresses = env.get("VERIFY_PEER_ADDRESSES", "").strip()
    if raw_addresses:
        if not peers:
            raise ConfigError("VERIFY_PEER_ADDRESSES (tests only) replaces resolving DAGSTER_WEBSERVER_PEERS, which is not set")
        peer_addresses = parse_peer_addresses(raw_addresses, port)
    if "EXPECTED_LOCATIONS" not in env:
        raise ConfigError("EXPECTED_LOCATIONS is not set (set it to an empty value when no locations are expected)")
    workspace_file, workspace_sha256 = _workspace_file(env)
    raw_timeout = env.get("VERIFY_TIMEOUT_SECONDS", "").strip()
    if not (raw_timeout.isascii() and raw_timeout.isdigit()) or int(raw_timeout) <= 0:
        raise ConfigError(f"VERIFY_TIMEOUT_SECONDS must be a positive integer, got {raw_timeout!r}")
    return Config(
        url=url,
        expected=parse_expected_locations(env["EXPECTED_LOCATIONS"]),
        timeout_seconds=int(raw_timeout),
        peers=peers or None,
        port=port,
        replicas=replicas,
        workspace_file=workspace_file,
        workspace_sha256=workspace_sha256,
        reload_base_seconds=_seconds_setting(env, "VERIFY_RELOAD_BASE_SECONDS", DEFAULT_RELOAD_BASE_SECONDS),
        reload_seconds_per_location=_seconds_setting(env, "VERIFY_RELOAD_SECONDS_PER_LOCATION", DEFAULT_RELOAD_SECONDS_PER_LOCATION),
        poll_seconds=_seconds_setting(env, "VERIFY_POLL_SECONDS", DEFAULT_POLL_SECONDS),
        stale_reload_delay_seconds=_seconds_setting(env, "VERIFY_STALE_RELOAD_DELAY_SECONDS", DEFAULT_STALE_RELOAD_DELAY_SECONDS),
        peer_addresses=peer_addresses,
    )


def _graphql_url(env: Mapping[str, str], peers: str) -> str:
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
    return url


def _workspace_file(env: Mapping[str, str]) -> Tuple[str, str]:
    path = env.get("WORKSPACE_FILE", "").strip()
    sha = env.get("EXPECTED_WORKSPACE_SHA256", "").strip().lower()
    if bool(path) != bool(sha):
        raise ConfigError("WORKSPACE_FILE and EXPECTED_WORKSPACE_SHA256 go together: set both or neither")
    if sha and not _SHA256.fullmatch(sha):
        raise ConfigError(f"EXPECTED_WORKSPACE_SHA256 must be 64 hex characters, got {sha!r}")
    if path and not path.startswith("/"):
        raise ConfigError(f"WORKSPACE_FILE must be an absolute path, got {path!r}")
    return path, sha


def _int_setting(env: Mapping[str, str], key: str, default: int, low: int, high: int) -> int:
    raw = env.get(key, "").strip()
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        raise ConfigError(f"{key} must be an integer from {low} to {high}, got {raw!r}")
    return int(raw)


def _seconds_setting(env: Mapping[str, str], key: str, default: float) -> float:
    raw = env.get(key, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 < value <= 3600:
        raise ConfigError(f"{key} must be a number of seconds in (0, 3600], got {raw!r}")
    return value


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


def _address_key(address: str) -> Tuple[int, int, str]:
    """Numeric order, IPv4 before IPv6: 10.8.0.9 before 10.8.0.12."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return (9, 0, address)
    return (ip.version, int(ip), address)


def unique_sorted_addresses(addresses: Iterable[str]) -> List[str]:
    return sorted(set(addresses), key=_address_key)


# ---------------------------------------------------------------------------------------------
# GraphQL over HTTP


@dataclass(frozen=True)
class Request:
    url: str
    body: bytes
    headers: Mapping[str, str]


def build_request(url: str, query: str, host: Optional[str] = None) -> Request:
    """A GraphQL POST; `host`, when given, is sent as the Host header (a replica is addressed by
    IP, but named by the peers Service)."""
    body = json.dumps({"query": query, "variables": {}}).encode("utf-8")
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if host:
        headers["Host"] = host
    return Request(url=url, body=body, headers=headers)


PostFn = Callable[[Request, float], Tuple[int, bytes]]
ResolveFn = Callable[[str], Sequence[str]]


def http_post(request: Request, timeout: float) -> Tuple[int, bytes]:
    """POSTs and returns (status, body); raises only when no HTTP response arrived at all."""
    # The webserver is an in-cluster address: a proxy from the environment could only route around it.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    req = urllib.request.Request(request.url, data=request.body, headers=dict(request.headers), method="POST")
    try:
        with opener.open(req, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def resolve_addresses(host: str, port: int = DEFAULT_WEBSERVER_PORT) -> List[str]:
    """Every address of `host`; a headless Service's name has one per ready pod."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return unique_sorted_addresses(str(info[4][0]) for info in infos)


def request_not_delivered(exc: BaseException) -> bool:
    """True when the request certainly never reached the webserver (so it cannot be running)."""
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    return isinstance(reason, (ConnectionRefusedError, socket.gaierror))


def describe_exception(exc: BaseException, timeout: float) -> str:
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, (socket.timeout, TimeoutError)):
        return f"no response within {timeout:.0f}s"
    if isinstance(exc, urllib.error.URLError):
        return f"cannot connect: {reason}"
    return f"{type(exc).__name__}: {exc}"


def _snippet(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= SNIPPET_CHARS else flat[: SNIPPET_CHARS - 3] + "..."


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) and value.strip() else "(no message)"


def _graphql_errors(errors: object) -> str:
    if not isinstance(errors, list):
        return _snippet(json.dumps(errors))
    return "; ".join(e["message"] if isinstance(e, dict) and isinstance(e.get("message"), str) else _snippet(json.dumps(e)) for e in errors)


def _graphql_result(status: int, body: bytes, field_name: str) -> Tuple[Optional[dict], Optional[str], bool]:
    """(result of `field_name`, problem, rejected): rejected when the webserver refused the query
    itself (HTTP 4xx with GraphQL errors), which asking again can never fix."""
    try:
        payload = json.loads(body.decode("utf-8"))
    except ValueError:
        return None, f"HTTP {status}, not a GraphQL JSON response: {_snippet(body.decode('utf-8', 'replace'))!r}", False
    if not isinstance(payload, dict):
        return None, f"HTTP {status}, unexpected JSON: {_snippet(json.dumps(payload))!r}", False
    data = payload.get("data")
    result = data.get(field_name) if isinstance(data, dict) else None
    errors = payload.get("errors")
    if isinstance(result, dict):
        return result, None, False
    if errors and status < 500:
        return None, f"the webserver rejected the {field_name} query: {_graphql_errors(errors)}", True
    if errors:
        return None, f"HTTP {status}, GraphQL errors: {_graphql_errors(errors)}", False
    return None, f"HTTP {status}, no {field_name} result: {_snippet(json.dumps(payload))!r}", False


# ---------------------------------------------------------------------------------------------
# Answers


# What one reload request came to.
RELOADED = "reloaded"  # the webserver answered: the reload ran to its end (with or without error)
NOT_SENT = "not-sent"  # never reached the webserver: safe to send again
UNSURE = "unsure"  # no answer, but it may have arrived: a reload may still be running
REFUSED = "refused"  # the webserver refuses reloads for good


@dataclass(frozen=True)
class ReloadAnswer:
    kind: str
    detail: str = ""


def parse_reload_answer(status: int, body: bytes) -> ReloadAnswer:
    result, problem, rejected = _graphql_result(status, body, "reloadWorkspace")
    if result is None:
        # A body that is not the webserver's answer (a proxy's page) may hide a running reload.
        return ReloadAnswer(REFUSED if rejected else UNSURE, problem or "")
    typename = result.get("__typename")
    if typename == "UnauthorizedError":
        return ReloadAnswer(REFUSED, f"the webserver refused reloadWorkspace (UnauthorizedError): {_text(result.get('message'))}")
    if typename == "PythonError":
        # The reload ran and raised (e.g. the file was unreadable): it is over.
        return ReloadAnswer(RELOADED, f"reloadWorkspace raised: {_text(result.get('message'))}")
    return ReloadAnswer(RELOADED)


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
    def waitable_error(self) -> bool:
        return self.result_type == "PythonError" and any(e in (self.error_message or "") for e in WAITABLE_ERRORS)


# Kinds of a workspaceOrError answer.
WORKSPACE = "workspace"
TRANSIENT = "transient"
FATAL = "fatal"


@dataclass(frozen=True)
class Observation:
    kind: str
    locations: Tuple[LocationStatus, ...] = ()
    detail: str = ""


def parse_workspace_answer(status: int, body: bytes) -> Observation:
    result, problem, rejected = _graphql_result(status, body, "workspaceOrError")
    if result is None:
        return Observation(FATAL if rejected else TRANSIENT, detail=problem or "")
    typename = result.get("__typename")
    if typename == "PythonError":
        # e.g. DagsterCodeLocationNotFoundError while the workspace is being swapped: ask again.
        return Observation(TRANSIENT, detail=f"workspaceOrError raised: {_text(result.get('message'))}")
    entries = result.get("locationEntries")
    if typename != "Workspace" or not isinstance(entries, list):
        return Observation(TRANSIENT, detail=f"HTTP {status}, unexpected workspaceOrError result: {_snippet(json.dumps(result))!r}")
    locations = []
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not isinstance(entry.get("loadStatus"), str):
            return Observation(TRANSIENT, detail=f"HTTP {status}, malformed location entry: {_snippet(json.dumps(entry))!r}")
        outcome = entry.get("locationOrLoadError")
        result_type = outcome.get("__typename") if isinstance(outcome, dict) else None
        is_error = result_type == "PythonError"
        locations.append(
            LocationStatus(
                name=entry["name"],
                load_status=entry["loadStatus"],
                result_type=result_type if isinstance(result_type, str) else None,
                error_message=_error_text(outcome) if is_error and isinstance(outcome, dict) else None,
            )
        )
    return Observation(WORKSPACE, locations=tuple(sorted(locations, key=lambda l: l.name)))


def _error_text(error: dict) -> str:
    """The error's message and its causes (a load error's cause is the user code's exception)."""
    lines = [_text(error.get("message"))]
    chain = error.get("errorChain")
    for link in chain if isinstance(chain, list) else []:
        cause = link.get("error") if isinstance(link, dict) else None
        if isinstance(cause, dict):
            lines.append("caused by: " + _text(cause.get("message")))
    return "\n".join(lines)


# Verdicts on one replica's workspace.
RIGHT = "right"
STALE = "stale"  # the location names differ: the replica read an old workspace file
WAIT = "wait"  # the right names, still settling
BROKEN = "broken"  # the right names, and a location failed in a way waiting cannot fix


@dataclass(frozen=True)
class Verdict:
    kind: str
    problems: Tuple[str, ...] = ()


def judge(expected: FrozenSet[str], observation: Observation) -> Verdict:
    """What one replica's workspace says, with every problem named."""
    seen = {location.name for location in observation.locations}
    missing, unexpected = sorted(expected - seen), sorted(seen - expected)
    if missing or unexpected:
        problems = []
        if missing:
            problems.append("missing (the replica read an older workspace file): " + ", ".join(missing))
        if unexpected:
            problems.append("unexpected (the replica read an older workspace file): " + ", ".join(unexpected))
        return Verdict(STALE, tuple(problems))
    broken = [l for l in observation.locations if l.result_type == "PythonError" and not l.waitable_error]
    if broken:
        return Verdict(BROKEN, tuple(_error_lines(l) for l in broken))
    waiting = [_waiting_line(l) for l in observation.locations if not l.loaded]
    return Verdict(WAIT, tuple(waiting)) if waiting else Verdict(RIGHT)


def _error_lines(location: LocationStatus) -> str:
    message = (location.error_message or "(no message)").rstrip()
    indented = "\n".join("      " + line for line in message.splitlines())
    return f"failed to load: {location.name}; Python error:\n{indented}"


def _waiting_line(location: LocationStatus) -> str:
    if location.load_status == "LOADING":
        return f"still loading: {location.name}"
    if location.waitable_error:
        return "not reachable yet: " + _error_lines(location).split(": ", 1)[1]
    return f"not loaded: {location.name} (loadStatus={location.load_status}, locationOrLoadError={location.result_type or 'null'})"


# ---------------------------------------------------------------------------------------------
# One replica's progress


@dataclass
class Replica:
    """A webserver replica: when it may be reloaded, whether a reload may be running, what it said."""

    peer: Peer
    label: str
    host_header: Optional[str]
    # The Service URL as configured (scheme, path) when there are no peers; else built from peer.
    service_url: Optional[str] = None
    reloads: int = 0
    # Sending is allowed from this time on; None once a reload may be running (never send again).
    reload_at: Optional[float] = 0.0
    reloaded: bool = False
    verdict: Verdict = field(default_factory=lambda: Verdict(WAIT, ("not reloaded yet",)))
    detail: str = ""

    @property
    def url(self) -> str:
        if self.service_url:
            return self.service_url
        host = f"[{self.peer.address}]" if ":" in self.peer.address else self.peer.address
        return f"http://{host}:{self.peer.port}{GRAPHQL_PATH}"

    def summary(self) -> str:
        if self.verdict.kind == RIGHT:
            return "right"
        lines = list(self.verdict.problems) + ([f"last answer: {self.detail}"] if self.detail else [])
        return "; ".join(line.splitlines()[0] for line in lines) or self.verdict.kind


class Clock:
    def __init__(self, now: Callable[[], float], deadline: float):
        self.now, self.deadline = now, deadline

    def left(self) -> float:
        return max(0.0, self.deadline - self.now())


class Verification:
    """Steps 2 and 3 over every replica; `step()` is one round, and returns (ok, message) at the end."""

    def __init__(self, config: Config, post: PostFn, clock: Clock, find: Callable[[], Tuple[List[Peer], Optional[str]]], err: TextIO):
        self.config, self.post, self.clock, self.find, self.err = config, post, clock, find, err
        self.replicas: Dict[Peer, Replica] = {}
        self.rounds = 0
        self.find_problem: Optional[str] = None
        self.last_report = ""

    def step(self) -> Optional[Tuple[bool, str]]:
        self.rounds += 1
        peers, self.find_problem = self.find()
        current = [self._replica(peer) for peer in peers]
        for replica in current:
            self._advance(replica)
        return self._conclude(current)

    def _replica(self, peer: Peer) -> Replica:
        if peer not in self.replicas:
            host = None if self.config.peers is None else _host_header(self.config.peers, self.config.port)
            label = self.config.url if self.config.peers is None else _peer_label(peer, self.config.port)
            self.replicas[peer] = Replica(peer, label, host, self.config.url if self.config.peers is None else None)
        return self.replicas[peer]

    def _advance(self, replica: Replica) -> None:
        if replica.verdict.kind in (RIGHT, BROKEN):
            return
        if replica.reload_at is not None and self.clock.now() >= replica.reload_at and not replica.reloaded:
            self._reload(replica)
        if replica.reloaded or replica.reload_at is None:
            self._poll(replica)

    def _reload(self, replica: Replica) -> None:
        timeout = min(self.config.reload_timeout_seconds, max(1.0, self.clock.left()))
        try:
            answer = parse_reload_answer(*self.post(build_request(replica.url, RELOAD_MUTATION, replica.host_header), timeout))
        except (OSError, http.client.HTTPException) as exc:
            answer = ReloadAnswer(NOT_SENT if request_not_delivered(exc) else UNSURE, describe_exception(exc, timeout))
        replica.detail = answer.detail
        if answer.kind == REFUSED:
            replica.verdict = Verdict(BROKEN, (answer.detail,))
        elif answer.kind == NOT_SENT:
            replica.reload_at = self.clock.now() + self.config.poll_seconds
        else:
            replica.reloads += 1
            replica.reloaded = answer.kind == RELOADED
            if answer.kind == UNSURE:
                replica.reload_at = None
                self._log(f"{replica.label}: no answer to reloadWorkspace ({answer.detail}); it may still be running, so it is not sent again")

    def _poll(self, replica: Replica) -> None:
        try:
            status, body = self.post(build_request(replica.url, WORKSPACE_QUERY, replica.host_header), min(QUERY_TIMEOUT_SECONDS, max(1.0, self.clock.left())))
            observation = parse_workspace_answer(status, body)
        except (OSError, http.client.HTTPException) as exc:
            observation = Observation(TRANSIENT, detail=describe_exception(exc, QUERY_TIMEOUT_SECONDS))
        if observation.kind == FATAL:
            replica.verdict, replica.detail = Verdict(BROKEN, (observation.detail,)), ""
            return
        if observation.kind == TRANSIENT:
            replica.detail = observation.detail
            return
        replica.detail = ""
        replica.verdict = judge(self.config.expected, observation)
        if replica.verdict.kind == STALE and replica.reloaded:
            self._schedule_reload_again(replica)

    def _schedule_reload_again(self, replica: Replica) -> None:
        """The reload is over and read an old file: the kubelet had not synced this pod yet."""
        delay = min(STALE_RELOAD_DELAY_CAP_SECONDS, self.config.stale_reload_delay_seconds * 2 ** (replica.reloads - 1))
        replica.reloaded = False
        replica.reload_at = self.clock.now() + delay
        self._log(f"{replica.label}: reload {replica.reloads} read an older workspace file ({replica.verdict.problems[0]}); reloading again in {delay:.0f}s")

    def _conclude(self, current: List[Replica]) -> Optional[Tuple[bool, str]]:
        broken = [r for r in current if r.verdict.kind == BROKEN]
        enough = len(current) >= self.config.replicas and self.find_problem is None
        if broken:
            return False, self._failure("failed", current)
        if enough and all(r.verdict.kind == RIGHT for r in current):
            return True, self._success(current)
        if self.clock.now() >= self.clock.deadline:
            return False, self._failure("timed out", current)
        self._report(current)
        return None

    def _counts(self, current: List[Replica]) -> str:
        reloads = sum(r.reloads for r in current)
        return f"{len(current)} webserver replica(s), {reloads} reloadWorkspace request(s)"

    def _success(self, current: List[Replica]) -> str:
        elapsed = self.clock.now() - (self.clock.deadline - self.config.timeout_seconds)
        lines = [f"workspace verified in {elapsed:.1f}s: {len(self.config.expected)} location(s) loaded on each of {self._counts(current)}"]
        if self.config.peers is not None:
            lines.append("  replicas: " + ", ".join(r.label for r in current))
        lines.extend(f"  {name}: LOADED (RepositoryLocation)" for name in sorted(self.config.expected))
        if not self.config.expected:
            lines.append("  no code locations expected, and no replica has any")
        return "\n".join(lines)

    def _failure(self, reason: str, current: List[Replica]) -> str:
        elapsed = self.clock.now() - (self.clock.deadline - self.config.timeout_seconds)
        target = self.config.peers or self.config.url
        lines = [f"workspace verification {reason} after {elapsed:.1f}s ({target}, {self._counts(current)}):"]
        lines.append("  expected exactly: " + (", ".join(sorted(self.config.expected)) or "(no locations)"))
        if self.find_problem:
            lines.append("  " + self.find_problem)
        elif len(current) < self.config.replicas:
            lines.append(f"  {len(current)} webserver replica(s) found at {target}, expecting at least {self.config.replicas}")
        for replica in current:
            if replica.verdict.kind == RIGHT:
                lines.append(f"  {replica.label}: right")
                continue
            lines.append(f"  {replica.label}:")
            lines.extend("    " + p.replace("\n", "\n  ") for p in replica.verdict.problems)
            if replica.detail:
                lines.append(f"    last answer: {replica.detail}")
        return "\n".join(lines)

    def _report(self, current: List[Replica]) -> None:
        """Logs the state only when it changed, so a long wait stays readable."""
        head = self.find_problem or (f"{len(current)} of {self.config.replicas} webserver replica(s) found" if len(current) < self.config.replicas else "")
        text = "\n".join(([head] if head else []) + [f"  {r.label}: {r.summary()}" for r in current])
        if text != self.last_report:
            self.last_report = text
            elapsed = self.clock.now() - (self.clock.deadline - self.config.timeout_seconds)
            self._log(f"waiting ({elapsed:.1f}s):\n{text}")

    def _log(self, message: str) -> None:
        print(message, file=self.err, flush=True)


def _host_header(peers: str, port: int) -> str:
    return peers if port == DEFAULT_WEBSERVER_PORT else f"{peers}:{port}"


def _peer_label(peer: Peer, default_port: int) -> str:
    host = f"[{peer.address}]" if ":" in peer.address else peer.address
    return peer.address if peer.port == default_port else f"{host}:{peer.port}"


def replica_finder(config: Config, resolve: Optional[ResolveFn]) -> Callable[[], Tuple[List[Peer], Optional[str]]]:
    """How each round finds the replicas: the Service URL as one, or every address of the peers name."""
    if config.peers is None:
        parts = urllib.parse.urlsplit(config.url)
        single = Peer(parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80))
        return lambda: ([single], None)
    if config.peer_addresses:
        return lambda: (list(config.peer_addresses), None)
    peers_name, port = config.peers, config.port
    lookup = resolve or (lambda name: resolve_addresses(name, port))

    def find() -> Tuple[List[Peer], Optional[str]]:
        try:
            addresses = unique_sorted_addresses(lookup(peers_name))
        except (OSError, UnicodeError) as exc:
            return [], f"cannot resolve {peers_name}: {exc}"
        if not addresses:
            return [], f"{peers_name} resolved to no address"
        return [Peer(address, port) for address in addresses], None

    return find


# ---------------------------------------------------------------------------------------------
# Main


def file_sha256(path: str) -> Optional[str]:
    """The file's sha256, or None while it cannot be read."""
    try:
        with open(path, "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()
    except OSError:
        return None


def wait_for_mounted_workspace(config: Config, clock: Clock, sleep: Callable[[float], None], read_sha: Callable[[str], Optional[str]], err: TextIO) -> bool:
    """Step 1: True once the mounted file has the expected content, False at the deadline."""
    if not config.workspace_file:
        return True
    waiting = False
    while True:
        found = read_sha(config.workspace_file)
        if found == config.workspace_sha256:
            print(f"{config.workspace_file} has the expected content (sha256 {found[:12]})", file=err, flush=True)
            return True
        if clock.now() >= clock.deadline:
            print(
                f"workspace verification timed out: {config.workspace_file} never got the expected content "
                f"(sha256 {config.workspace_sha256[:12]}, found {found[:12] if found else 'no readable file'}); "
                "the ConfigMap edit has not reached this pod, so no webserver was reloaded",
                file=err,
                flush=True,
            )
            return False
        if not waiting:
            print(f"waiting for {config.workspace_file} to get the new workspace (sha256 {config.workspace_sha256[:12]})", file=err, flush=True)
            waiting = True
        sleep(min(config.poll_seconds, clock.left()))


def describe(config: Config) -> str:
    expecting = f"expecting exactly [{', '.join(sorted(config.expected))}] within {config.timeout_seconds}s"
    bound = f"one reload may take {config.reload_timeout_seconds:.0f}s"
    if config.peers is None:
        return f"verifying {config.url}: {expecting}; {bound}"
    head = f"verifying every webserver replica at {config.peers} (port {config.port}, at least {config.replicas}): {expecting}; {bound}"
    if config.peer_addresses:
        head += "\nVERIFY_PEER_ADDRESSES (tests only) replaces DNS: " + ", ".join(_peer_label(p, config.port) for p in config.peer_addresses)
    return head


def main(
    env: Optional[Mapping[str, str]] = None,
    post: PostFn = http_post,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
    resolve: Optional[ResolveFn] = None,
    read_sha: Callable[[str], Optional[str]] = file_sha256,
) -> int:
    try:
        config = load_config(os.environ if env is None else env)
    except ConfigError as problem:
        print(f"workspace verification: configuration error: {problem}", file=err)
        return EXIT_CONFIG
    timing = Clock(clock, clock() + config.timeout_seconds)
    print(describe(config), file=err, flush=True)
    if not wait_for_mounted_workspace(config, timing, sleep, read_sha, err):
        return EXIT_FAILED
    verification = Verification(config, post, timing, replica_finder(config, resolve), err)
    while True:
        outcome = verification.step()
        if outcome is not None:
            ok, message = outcome
            print(message, file=out if ok else err, flush=True)
            return EXIT_OK if ok else EXIT_FAILED
        sleep(min(config.poll_seconds, timing.left()))


if __name__ == "__main__":
    sys.exit(main())
