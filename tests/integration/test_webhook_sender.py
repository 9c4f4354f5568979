"""The HTTP webhook sender against real servers on 127.0.0.1: kept-alive connections, a
receiver that closes them, pinning with TLS verified for the host name, no redirects."""

from __future__ import annotations

import ssl
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from worker.webhook_senders import HttpWebhookSender, WebhookRequest

HOOK_HOST = "hooks.example"


class Server:
    """Answers POSTs with a scripted status and headers; counts connections and requests."""

    def __init__(self, *, keep_alive: bool = True, status: int = 204,
                 headers: dict[str, str] | None = None, hang: bool = False,
                 drop_silently: bool = False) -> None:
        self.connections = 0
        self.requests: list[dict[str, str]] = []
        self.release = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1" if keep_alive else "HTTP/1.0"

            def setup(self) -> None:
                server.connections += 1
                super().setup()

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length", "0")))
                server.requests.append({k.lower(): v for k, v in self.headers.items()})
                if hang:
                    server.release.wait(10)
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("content-length", "0")
                self.end_headers()
                # Closed without saying so, as a receiver's idle timeout would.
                self.close_connection = drop_silently or self.close_connection

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = int(self.httpd.server_address[1])
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in started:
        server.stop()


def serve(servers: list[Server], **kwargs: Any) -> Server:
    server = Server(**kwargs)
    servers.append(server)
    return server


def post(sender: HttpWebhookSender, url: str) -> Any:
    return sender.send(WebhookRequest(url, {"content-type": "application/json"}, b"{}"))


def test_one_connection_carries_many_deliveries(servers: list[Server]) -> None:
    server = serve(servers)
    sender = HttpWebhookSender(5, allow_private=True)
    answers = [post(sender, f"http://127.0.0.1:{server.port}/hook?n={i}") for i in range(20)]
    assert [a.status_code for a in answers] == [204] * 20
    assert len(server.requests) == 20 and server.connections == 1


def test_a_receiver_that_closes_each_connection_gets_every_delivery(
    servers: list[Server],
) -> None:
    server = serve(servers, keep_alive=False)
    sender = HttpWebhookSender(5, allow_private=True)
    answers = [post(sender, f"http://127.0.0.1:{server.port}/hook") for _ in range(5)]
    assert [a.status_code for a in answers] == [204] * 5
    assert server.connections == 5


def test_a_kept_connection_the_receiver_dropped_is_replaced(servers: list[Server]) -> None:
    server = serve(servers, drop_silently=True)
    sender = HttpWebhookSender(5, allow_private=True)
    answers = [post(sender, f"http://127.0.0.1:{server.port}/hook") for _ in range(3)]
    assert [a.status_code for a in answers] == [204] * 3
    assert len(server.requests) == 3 and server.connections == 3


def test_redirects_are_answers_not_followed(servers: list[Server]) -> None:
    target = serve(servers)
    redirect = serve(servers, status=302,
                     headers={"location": f"http://127.0.0.1:{target.port}/elsewhere"})
    answer = post(HttpWebhookSender(5, allow_private=True),
                  f"http://127.0.0.1:{redirect.port}/hook")
    assert (answer.status_code, answer.error) == (302, "HTTP 302")
    assert target.requests == []


def test_retry_after_is_read_from_the_answer(servers: list[Server]) -> None:
    server = serve(servers, status=503, headers={"retry-after": "7"})
    answer = post(HttpWebhookSender(5, allow_private=True), f"http://127.0.0.1:{server.port}/")
    assert (answer.status_code, answer.retry_after_s) == (503, 7.0)


def test_a_receiver_that_never_answers_times_out(servers: list[Server]) -> None:
    server = serve(servers, hang=True)
    answer = post(HttpWebhookSender(0.5, allow_private=True),
                  f"http://127.0.0.1:{server.port}/hook")
    assert answer.status_code is None and "timed out" in str(answer.error)


def test_loopback_is_refused_unless_allowed_and_never_called(servers: list[Server]) -> None:
    server = serve(servers)
    answer = post(HttpWebhookSender(5, allow_private=False),
                  f"http://127.0.0.1:{server.port}/hook")
    assert answer.refused and "loopback" in str(answer.error)
    assert server.requests == []


def test_the_request_goes_to_the_checked_address_with_the_name_as_host(
    servers: list[Server],
) -> None:
    server = serve(servers)
    asked: list[tuple[str, int]] = []

    def resolver(host: str, port: int) -> list[str]:
        asked.append((host, port))
        return ["127.0.0.1"]

    sender = HttpWebhookSender(5, allow_private=True, resolver=resolver)
    answer = post(sender, f"http://{HOOK_HOST}:{server.port}/hook")
    assert answer.status_code == 204
    assert asked == [(HOOK_HOST, server.port)]
    assert server.requests[0]["host"] == f"{HOOK_HOST}:{server.port}"


def self_signed(folder: Path, name: str) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", f"/CN={name}", "-addext", f"subjectAltName=DNS:{name}",
                    "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    return cert, key


@pytest.mark.parametrize(("name_in_url", "verified"), [(HOOK_HOST, True),
                                                       ("other.example", False)])
def test_tls_to_a_pinned_address_is_verified_for_the_name_in_the_url(
    servers: list[Server], tmp_path: Path, name_in_url: str, verified: bool,
) -> None:
    cert, key = self_signed(tmp_path, HOOK_HOST)
    server = serve(servers)
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(cert, key)
    server.httpd.socket = server_tls.wrap_socket(server.httpd.socket, server_side=True)
    trusting = ssl.create_default_context(cafile=str(cert))
    sender = HttpWebhookSender(5, allow_private=True, resolver=lambda host, port: ["127.0.0.1"],
                               tls_context=trusting)

    answer = post(sender, f"https://{name_in_url}:{server.port}/hook")

    if verified:
        assert answer.status_code == 204 and server.requests[0]["host"].startswith(HOOK_HOST)
    else:
        assert answer.status_code is None and "CERTIFICATE_VERIFY_FAILED" in str(answer.error)
        assert server.requests == []
