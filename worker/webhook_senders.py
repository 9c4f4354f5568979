"""The webhook sender port: the HTTP sender, and a recording twin for tests without a network."""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlsplit

from models import clock
from models.rules import ssrf, webhooks

USER_AGENT = "Ringback-Webhooks/1"
# A receiver's answer body is read (so the connection can be kept) up to this, then dropped.
MAX_ANSWER_BYTES = 64 * 1024
# A kept-alive connection the receiver has closed meanwhile fails at once: such a failure
# is sent again on a new connection, once.
STALE_CONNECTION_ERRORS = (http.client.RemoteDisconnected, ConnectionResetError,
                           BrokenPipeError)


@dataclass(frozen=True)
class WebhookRequest:
    url: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class WebhookResponse:
    status_code: int | None  # None: no answer (refused, unreachable, timed out)
    retry_after_s: float | None = None
    error: str | None = None
    refused: bool = False  # the URL may never be called: no point retrying


class WebhookSender(Protocol):
    def send(self, request: WebhookRequest) -> WebhookResponse: ...


Resolver = Callable[[str, int], list[str]]
# (scheme, address, port, host name): one kept-alive connection per thread for each.
ConnectionKey = tuple[str, str, int, str]


def resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """TLS to an address already checked, verifying the certificate for the host name."""

    def __init__(self, address: str, port: int, host_name: str, timeout_s: float,
                 context: ssl.SSLContext) -> None:
        super().__init__(address, port, timeout=timeout_s, context=context)
        self.host_name = host_name
        self.tls_context = context

    def connect(self) -> None:
        http.client.HTTPConnection.connect(self)
        self.sock = self.tls_context.wrap_socket(self.sock, server_hostname=self.host_name)


class HttpWebhookSender:
    """POSTs with a timeout, never follows redirects, and connects only to an address it
    has checked (the request is pinned to it, so a second DNS answer cannot redirect it).
    Each thread keeps its connections alive between requests."""

    def __init__(self, timeout_s: float, allow_private: bool, resolver: Resolver = resolve,
                 tls_context: ssl.SSLContext | None = None) -> None:
        self.timeout_s = timeout_s
        self.allow_private = allow_private
        self.resolver = resolver
        self.tls_context = tls_context or ssl.create_default_context()
        self._local = threading.local()

    def send(self, request: WebhookRequest) -> WebhookResponse:
        try:
            target = ssrf.check_url(request.url)
            addresses = self.resolver(target.host, target.port)
            ssrf.check_addresses(addresses, self.allow_private)
        except ssrf.Refused as refused:
            return WebhookResponse(None, error=f"refused: {refused}", refused=True)
        except UnicodeError as error:
            # The name cannot be put into DNS form (IDNA): it will never resolve.
            return WebhookResponse(None, error=f"refused: the host name is not a valid DNS "
                                               f"name ({error})", refused=True)
        except OSError as error:
            return WebhookResponse(None, error=f"cannot resolve {request.url}: {error}")
        key = (target.scheme, addresses[0], target.port, target.host)
        headers = {**request.headers, "Host": _host_header(target), "User-Agent": USER_AGENT}
        try:
            return self._post(key, _path(request.url), headers, request.body)
        except (OSError, http.client.HTTPException) as error:
            self._drop(key)
            return WebhookResponse(None, error=f"{type(error).__name__}: {error}")

    def _post(self, key: ConnectionKey, path: str, headers: dict[str, str],
              body: bytes) -> WebhookResponse:
        reused = key in self._connections()
        try:
            answer = self._exchange(key, path, headers, body)
        except STALE_CONNECTION_ERRORS:
            if not reused:
                raise
            self._drop(key)
            answer = self._exchange(key, path, headers, body)
        status, retry_after = answer
        retry_after_s = webhooks.parse_retry_after(retry_after, clock.now())
        problem = None if 200 <= status < 300 else f"HTTP {status}"
        return WebhookResponse(status, retry_after_s, problem)

    def _exchange(self, key: ConnectionKey, path: str, headers: dict[str, str],
                  body: bytes) -> tuple[int, str | None]:
        conn = self._connection(key)
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        response.read(MAX_ANSWER_BYTES)
        if not response.isclosed() or response.will_close:
            self._drop(key)  # an answer too long to read, or the receiver closes
        return response.status, response.getheader("retry-after")

    def _connections(self) -> dict[ConnectionKey, http.client.HTTPConnection]:
        found: dict[ConnectionKey, http.client.HTTPConnection] | None = getattr(
            self._local, "connections", None)
        if found is None:
            found = self._local.connections = {}
        return found

    def _connection(self, key: ConnectionKey) -> http.client.HTTPConnection:
        connections = self._connections()
        if key not in connections:
            scheme, address, port, host = key
            connections[key] = (
                _PinnedHTTPSConnection(address, port, host, self.timeout_s, self.tls_context)
                if scheme == "https" else
                http.client.HTTPConnection(address, port, timeout=self.timeout_s))
        return connections[key]

    def _drop(self, key: ConnectionKey) -> None:
        conn = self._connections().pop(key, None)
        if conn is not None:
            conn.close()

    def close(self) -> None:
        for key in list(self._connections()):
            self._drop(key)


def _path(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def _host_header(target: ssrf.Target) -> str:
    default = 443 if target.scheme == "https" else 80
    host = f"[{target.host}]" if ":" in target.host else target.host  # an IPv6 literal
    return host if target.port == default else f"{host}:{target.port}"


@dataclass
class RecordingWebhookSender:
    """Keeps every request and answers from a script (the last answer repeats)."""

    answers: list[WebhookResponse] = field(
        default_factory=lambda: [WebhookResponse(200)])
    requests: list[WebhookRequest] = field(default_factory=list)

    def send(self, request: WebhookRequest) -> WebhookResponse:
        self.requests.append(request)
        return self.answers[min(len(self.requests), len(self.answers)) - 1]
