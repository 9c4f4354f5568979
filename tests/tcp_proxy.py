"""A TCP proxy on 127.0.0.1 that a test can freeze: bytes stop moving both ways and nothing
is closed, as when the link to a server is cut (a connection made meanwhile is accepted by
the kernel and then hears nothing). Thawed, everything held moves on."""

from __future__ import annotations

import selectors
import socket
import threading
from types import TracebackType

CHUNK_BYTES = 64 * 1024
SELECT_TIMEOUT_S = 0.05


class FreezableProxy:
    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._frozen = threading.Event()
        self._stopped = threading.Event()
        self._selector = selectors.DefaultSelector()
        self._peers: dict[socket.socket, socket.socket] = {}
        self._thread = threading.Thread(target=self._run, name="tcp-proxy", daemon=True)

    def start(self) -> FreezableProxy:
        self._selector.register(self._listener, selectors.EVENT_READ)
        self._thread.start()
        return self

    def freeze(self) -> None:
        self._frozen.set()

    def thaw(self) -> None:
        self._frozen.clear()

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)
        for sock in [self._listener, *self._peers]:
            sock.close()

    def _run(self) -> None:
        while not self._stopped.is_set():
            if self._frozen.is_set():
                self._stopped.wait(SELECT_TIMEOUT_S)
                continue
            for key, _ in self._selector.select(SELECT_TIMEOUT_S):
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                if sock is self._listener:
                    self._accept()
                else:
                    self._pump(sock)

    def _accept(self) -> None:
        client, _ = self._listener.accept()
        try:
            server = socket.create_connection(self.target, timeout=5)
        except OSError:
            client.close()
            return
        for sock in (client, server):
            sock.setblocking(True)
            self._selector.register(sock, selectors.EVENT_READ)
        self._peers[client], self._peers[server] = server, client

    def _pump(self, sock: socket.socket) -> None:
        other = self._peers[sock]
        try:
            data = sock.recv(CHUNK_BYTES)
            if data:
                other.sendall(data)
                return
        except OSError:
            pass
        for end in (sock, other):  # one side closed: close the other
            self._selector.unregister(end)
            self._peers.pop(end, None)
            end.close()

    def __enter__(self) -> FreezableProxy:
        return self.start()

    def __exit__(self, exc: type[BaseException] | None, val: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
