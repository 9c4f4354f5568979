"""The webhook sender port: the HTTP sender, and a recording twin for tests without a network."""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import httpx

from models import clock, ssrf, webhooks

USER_AGENT = "Ringback-Webhooks/1"


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


def resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class HttpWebhookSender:
    """POSTs with a timeout, never follows redirects, and connects only to an address it
    has checked (the request is pinned to it, so a second DNS answer cannot redirect it)."""

    def __init__(self, timeout_s: float, allow_private: bool, resolver: Resolver = resolve):
        self.allow_private = allow_private
        self.resolver = resolver
        self.client = httpx.Client(timeout=timeout_s, follow_redirects=False)

    def send(self, request: WebhookRequest) -> WebhookResponse:
        try:
            target = ssrf.check_url(request.url)
            addresses = self.resolver(target.host, target.port)
            ssrf.check_addresses(addresses, self.allow_private)
        except ssrf.Refused as refused:
            return WebhookResponse(None, error=f"refused: {refused}", refused=True)
        except OSError as error:
            return WebhookResponse(None, error=f"cannot resolve {request.url}: {error}")
        try:
            response = self.client.post(
                str(httpx.URL(request.url).copy_with(host=addresses[0])), content=request.body,
                headers={**request.headers, "Host": _host_header(target),
                         "User-Agent": USER_AGENT},
                extensions={"sni_hostname": target.host} if target.scheme == "https" else {},
            )
        except httpx.HTTPError as error:
            return WebhookResponse(None, error=f"{type(error).__name__}: {error}")
        retry_after = webhooks.parse_retry_after(response.headers.get("retry-after"),
                                                 clock.now())
        problem = None if response.is_success else f"HTTP {response.status_code}"
        return WebhookResponse(response.status_code, retry_after, problem)

    def close(self) -> None:
        self.client.close()


def _host_header(target: ssrf.Target) -> str:
    default = 443 if target.scheme == "https" else 80
    return target.host if target.port == default else f"{target.host}:{target.port}"


@dataclass
class RecordingWebhookSender:
    """Keeps every request and answers from a script (the last answer repeats)."""

    answers: list[WebhookResponse] = field(
        default_factory=lambda: [WebhookResponse(200)])
    requests: list[WebhookRequest] = field(default_factory=list)

    def send(self, request: WebhookRequest) -> WebhookResponse:
        self.requests.append(request)
        return self.answers[min(len(self.requests), len(self.answers)) - 1]
