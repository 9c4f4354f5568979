"""UDP and TCP for the controller (asyncio). Bytes in and out, nothing else: a datagram is
one message; a TCP stream is cut into messages by sip.framer. A peer that breaks framing
loses its connection; nothing a peer sends can raise out of here."""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
from collections.abc import Callable
from typing import Literal

from sip.framer import StreamFramer
from sip.grammar import ParseError
from sip.message import Message

log = logging.getLogger(__name__)
Protocol = Literal["udp", "tcp"]
Address = tuple[str, int]
# Handler of what arrives: a message, or what could not be read of one (logged, dropped).
Receive = Callable[[Message | ParseError | bytes, Address, Protocol], None]
TCP_CONNECT_TIMEOUT_S = 5.0
TCP_READ_BYTES = 64 * 1024
# A burst of answers (hundreds of calls placed at once) must wait in the socket, not be
# dropped: the kernel charges ~2 KiB per datagram, so its default 208 KiB holds ~90. Asked
# for, and capped by the kernel at net.core.rmem_max / wmem_max (raise those for high rates).
UDP_BUFFER_BYTES = 8 * 1024 * 1024
MAX_DATAGRAM_BYTES = 65535
DATAGRAMS_PER_TURN = 64
# Connections peers open to us: at most this many at once, each hung up on once it has
# sent no whole message for TCP_IDLE_S (a trunk sends keep-alives, or opens another).
TCP_INBOUND_MAX = 512
# Ports the kernel picks for UDP (port 0) before one is found that TCP has free too.
PICK_PORT_TRIES = 20
TCP_IDLE_S = 120.0


class Transport:
    """One UDP socket (sent from and listened on, as peers answer to the source address)
    and TCP: a listening socket, and one connection per peer address, opened on demand."""

    def __init__(self, receive: Receive, tcp_idle_s: float = TCP_IDLE_S) -> None:
        self.receive = receive
        self.tcp_idle_s = tcp_idle_s
        self._inbound = 0
        self._udp: socket.socket | None = None
        self._server: asyncio.Server | None = None
        self._connections: dict[Address, asyncio.StreamWriter] = {}
        self._connecting: dict[Address, asyncio.Task[asyncio.StreamWriter]] = {}
        self.address: Address = ("0.0.0.0", 0)
        self.refused_connections = 0

    async def start(self, host: str, port: int) -> None:
        """UDP and TCP on one port. With port 0 the kernel picks the UDP port, which TCP may
        have in use (a connection's own port): then another is picked."""
        for _ in range(PICK_PORT_TRIES if port == 0 else 1):
            try:
                await self._start_on(host, port)
                return
            except OSError as busy:
                if port != 0 or busy.errno != errno.EADDRINUSE:
                    raise
                self._close_udp()
        raise OSError(errno.EADDRINUSE, f"no port free for both UDP and TCP on {host}")

    async def _start_on(self, host: str, port: int) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_DGRAM)
        sock.setblocking(False)
        for option in (socket.SO_RCVBUF, socket.SO_SNDBUF):
            sock.setsockopt(socket.SOL_SOCKET, option, UDP_BUFFER_BYTES)
        sock.bind((host, port))
        log.info("UDP buffers: %d bytes to receive, %d to send",
                 sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF),
                 sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF))
        self._udp = sock
        asyncio.get_running_loop().add_reader(sock.fileno(), self._read_datagrams)
        bound = sock.getsockname()
        self.address = (str(bound[0]), int(bound[1]))
        # TCP on the same port, so a peer's in-dialog request over TCP finds us.
        self._server = await asyncio.start_server(self._accepted, host, self.address[1])

    def _read_datagrams(self) -> None:
        """Everything waiting, up to a bound: one loop turn per datagram would spend more on
        the turn than on the message when a burst of answers arrives."""
        assert self._udp is not None
        for _ in range(DATAGRAMS_PER_TURN):
            try:
                data, source = self._udp.recvfrom(MAX_DATAGRAM_BYTES)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as error:  # an ICMP error of an earlier send, say
                log.debug("UDP receive error: %s", error)
                return
            self.receive(data, (str(source[0]), int(source[1])), "udp")

    def send(self, data: bytes, to: Address, protocol: Protocol) -> None:
        if protocol == "udp":
            assert self._udp is not None
            try:
                self._udp.sendto(data, to)
            except OSError as error:
                # Like a datagram lost on the way: the transaction retransmits or times out.
                log.warning("UDP send to %s:%s failed: %s", to[0], to[1], error)
            return
        writer = self._connections.get(to)
        if writer is not None and not writer.is_closing():
            writer.write(data)
            return
        asyncio.get_running_loop().create_task(self._send_when_connected(data, to))

    async def _send_when_connected(self, data: bytes, to: Address) -> None:
        try:
            writer = await self._connect(to)
        except (OSError, TimeoutError) as error:
            # Like a lost datagram: the transaction times out and says so.
            log.warning("cannot connect to %s:%s over TCP: %s", to[0], to[1], error)
            return
        writer.write(data)

    async def _connect(self, to: Address) -> asyncio.StreamWriter:
        pending = self._connecting.get(to)
        if pending is None:
            pending = asyncio.get_running_loop().create_task(self._open(to))
            self._connecting[to] = pending
            pending.add_done_callback(lambda _: self._connecting.pop(to, None))
        return await pending

    async def _open(self, to: Address) -> asyncio.StreamWriter:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(*to),
                                                TCP_CONNECT_TIMEOUT_S)
        self._connections[to] = writer
        asyncio.get_running_loop().create_task(self._read(reader, writer, to))
        return writer

    async def _accepted(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        address = (str(peer[0]), int(peer[1]))
        if self._inbound >= TCP_INBOUND_MAX:
            # Each connection holds a descriptor and a framing buffer: past the cap, more
            # peers are turned away (a flood of connections must not take every descriptor).
            self.refused_connections += 1
            writer.close()
            return
        self._inbound += 1
        self._connections.setdefault(address, writer)
        try:
            await self._read(reader, writer, address, idle_s=self.tcp_idle_s)
        finally:
            self._inbound -= 1

    async def _read(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                    address: Address, idle_s: float | None = None) -> None:
        """Messages until the peer closes or breaks framing; with ``idle_s``, also until it
        has sent no whole message for that long (a peer that trickles bytes is let go)."""
        loop = asyncio.get_running_loop()
        framer = StreamFramer()
        deadline = None if idle_s is None else loop.time() + idle_s
        try:
            while not framer.broken:
                wait_s = None if deadline is None else deadline - loop.time()
                data = await asyncio.wait_for(reader.read(TCP_READ_BYTES), wait_s)
                if not data:
                    break
                for item in framer.feed(data):
                    if idle_s is not None:
                        deadline = loop.time() + idle_s
                    self.receive(item, address, "tcp")
        except (OSError, ConnectionError, TimeoutError) as error:
            log.debug("TCP connection with %s:%s ended: %r", address[0], address[1], error)
        finally:
            if self._connections.get(address) is writer:
                del self._connections[address]
            writer.close()

    def _close_udp(self) -> None:
        if self._udp is not None:
            asyncio.get_running_loop().remove_reader(self._udp.fileno())
            self._udp.close()
            self._udp = None

    def close(self) -> None:
        self._close_udp()
        if self._server is not None:
            self._server.close()
        for writer in self._connections.values():
            writer.close()
        self._connections.clear()
