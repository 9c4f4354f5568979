"""A webhook receiver for tests: a real HTTP server on 127.0.0.1 that records every request
and answers each path from a script (status, headers, delay); the last answer repeats."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Answer:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0  # a slow receiver: the delay is what such a test is about


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() when it arrived


class Receiver:
    def __init__(self, port: int = 0) -> None:
        self.scripts: dict[str, list[Answer]] = {}
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._release = threading.Event()  # ends every delay at once when the test is done
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                answer = receiver._record(self.path, dict(self.headers.items()), body)
                if answer.delay_s:
                    receiver._release.wait(answer.delay_s)
                try:
                    self.send_response(answer.status)
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    self.send_header("content-length", "0")
                    self.end_headers()
                except OSError:
                    pass  # the sender gave up waiting; that is the slow test's point

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def script(self, path: str, *answers: Answer) -> None:
        self.scripts[path] = list(answers)

    def _record(self, path: str, headers: dict[str, str], body: bytes) -> Answer:
        with self._lock:
            self.received.append(Received(path, {k.lower(): v for k, v in headers.items()},
                                          body, time.monotonic()))
            seen = sum(1 for r in self.received if r.path == path)
            answers = self.scripts.get(path) or [Answer()]
            return answers[min(seen, len(answers)) - 1]

    def at(self, path: str) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.path == path]

    def at_prefix(self, prefix: str) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.path.startswith(prefix)]

    def stop(self) -> None:
        self._release.set()
        self.server.shutdown()
        self.server.server_close()
