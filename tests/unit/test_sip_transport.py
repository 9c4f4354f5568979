"""The controller's TCP side against misbehaving peers, on loopback: a peer that trickles
bytes and never finishes a message is hung up on; past the cap, more peers are refused;
a peer that breaks framing is hung up on at once."""

from __future__ import annotations

import asyncio
import errno
import socket

import pytest

from sip import transport
from sip.grammar import ParseError
from sip.message import Message
from sip.transport import Transport

OPTIONS = (b"OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bK1\r\n"
           b"From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:x@127.0.0.1>\r\nCall-ID: c1\r\n"
           b"CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n")


async def started(tcp_idle_s: float) -> tuple[Transport, list[object]]:
    got: list[object] = []

    def receive(item: Message | ParseError | bytes, source: object, wire: object) -> None:
        got.append(item)

    server = Transport(receive, tcp_idle_s=tcp_idle_s)
    await server.start("127.0.0.1", 0)
    return server, got


async def closed_by_peer(reader: asyncio.StreamReader, within_s: float) -> bool:
    try:
        return await asyncio.wait_for(reader.read(1), within_s) == b""
    except TimeoutError:
        return False


def test_a_peer_that_never_finishes_a_message_is_hung_up_on() -> None:
    async def main() -> None:
        server, got = await started(tcp_idle_s=0.3)
        reader, writer = await asyncio.open_connection(*server.address)
        loop = asyncio.get_running_loop()
        began = loop.time()
        hung_up = False
        while not hung_up and loop.time() - began < 3:
            try:  # bytes keep coming, a whole message never does
                writer.write(b"X")
                await writer.drain()
                hung_up = await closed_by_peer(reader, 0.1)
            except ConnectionResetError:
                hung_up = True
        assert hung_up and 0.3 <= loop.time() - began < 3
        assert got == []
        server.close()

    asyncio.run(main())


def test_whole_messages_keep_a_connection_open() -> None:
    async def main() -> None:
        server, got = await started(tcp_idle_s=0.3)
        reader, writer = await asyncio.open_connection(*server.address)
        for _ in range(5):
            writer.write(OPTIONS)
            await writer.drain()
            await asyncio.sleep(0.1)
        assert not await closed_by_peer(reader, 0.1)
        assert len(got) == 5
        server.close()

    asyncio.run(main())


def test_past_the_cap_more_peers_are_refused() -> None:
    async def main() -> None:
        server, _ = await started(tcp_idle_s=30)
        peers = [await asyncio.open_connection(*server.address)
                 for _ in range(transport.TCP_INBOUND_MAX + 20)]
        refused = [await closed_by_peer(reader, 0.5) for reader, _ in peers[-20:]]
        kept = [await closed_by_peer(reader, 0.01) for reader, _ in peers[:5]]
        assert all(refused) and not any(kept)
        assert server.refused_connections == 20
        server.close()
        for _, writer in peers:
            writer.close()

    asyncio.run(main())


def test_a_peer_that_breaks_framing_is_hung_up_on_at_once() -> None:
    async def main() -> None:
        server, _ = await started(tcp_idle_s=30)
        reader, writer = await asyncio.open_connection(*server.address)
        writer.write(b"OPTIONS sip:x SIP/2.0\r\nContent-Length: 10000000000\r\n\r\nabc")
        await writer.drain()
        assert await closed_by_peer(reader, 2.0)
        server.close()

    asyncio.run(main())


def test_a_picked_port_tcp_has_in_use_is_traded_for_another() -> None:
    """Port 0: the kernel picks a UDP port; when TCP has it in use, start picks again."""
    async def main() -> None:
        server = Transport(lambda *_: None, tcp_idle_s=30)
        blocker = socket.socket()
        blocker.bind(("127.0.0.1", 0))
        taken = blocker.getsockname()[1]
        tries: list[int] = []
        real_start_on = server._start_on

        async def first_port_taken(host: str, port: int) -> None:
            tries.append(port)
            if len(tries) == 1:  # as if the kernel had picked `taken` for UDP
                await real_start_on(host, port)
                server._close_udp()
                raise OSError(errno.EADDRINUSE, f"port {taken} in use")
            await real_start_on(host, port)

        server._start_on = first_port_taken  # type: ignore[method-assign]
        await server.start("127.0.0.1", 0)
        assert tries == [0, 0] and server.address[1] != 0
        server.close()
        blocker.close()
        with pytest.raises(OSError):  # a port asked for is not traded
            fixed = Transport(lambda *_: None, tcp_idle_s=30)
            blocker = socket.socket()
            blocker.bind(("127.0.0.1", 0))
            await fixed.start("127.0.0.1", blocker.getsockname()[1])
        blocker.close()

    asyncio.run(main())
