"""Bad SIP input at the controller's socket (issue 14) while it holds connected calls:
generated messages (hypothesis: truncated, wrong Content-Length, huge headers, unknown
methods, bytes replaced, junk put in) built around the calls' real Call-IDs with tags that
are not theirs, answers to transactions it never sent, a flood of INVITEs from a stranger,
and TCP peers that never finish a message or break framing. The controller stays up and
answers; no call it holds changes (each talks to its end and is hung up by Ringback); the
phones see nothing of it; its memory stays bounded."""

from __future__ import annotations

import contextlib
import socket
import sys
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.storage.call_tables import call_legs, calls
from sip import transport
from tests import support
from tests.conftest import StackFactory
from tests.integration.test_core_flow import add, new_scheduler
from tests.sip.kamailio import ping
from tests.sip.peers import SipPeers

CALLS = 6
MAX_CALL_S = 25
FLOOD_INVITES = 20_000
SLOW_TCP_PEERS = transport.TCP_INBOUND_MAX + 40
# The controller's RSS may grow this much over the whole attack (its buffers, the
# allocator's slack), not with what it was sent.
RSS_GROWTH_MAX_KIB = 32 * 1024
METHODS = ["BYE", "INVITE", "CANCEL", "ACK", "OPTIONS", "INFO", "UPDATE", "PRACK", "REFER",
           "NOTIFY", "MESSAGE", "SUBSCRIBE", "X-UNKNOWN", "bye"]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


def held_dialogs(engine: sa.Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(d) for d in conn.execute(sa.select(call_legs.c.dialog).where(
            call_legs.c.dialog.is_not(None))).scalars()]


def legs_state(engine: sa.Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(
            call_legs.c.sip_call_id, call_legs.c.answered_at, call_legs.c.ended_at,
            call_legs.c.status_code, call_legs.c.hangup_by).order_by(call_legs.c.id)).all()]


def request(method: str, dialog: dict[str, Any], body: bytes = b"") -> bytes:
    """A request as if from the phone in this dialog, but its From tag is not the phone's."""
    head = [f"{method} sip:ringback@127.0.0.1 SIP/2.0",
            "Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKhostile",
            f"From: <{dialog['remote_uri']}>;tag=x{dialog['remote_tag']}",
            f"To: <{dialog['local_uri']}>;tag={dialog['local_tag']}",
            f"Call-ID: {dialog['call_id']}", f"CSeq: 99 {method.upper()}", "Max-Forwards: 70",
            f"Content-Length: {len(body)}"]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def response(status: int, method: str, dialog: dict[str, Any]) -> bytes:
    """An answer to a request of ours never sent: right Call-ID and our tag, a new branch
    and To tag, a Contact nobody listens at."""
    head = [f"SIP/2.0 {status} Whatever", "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKnever",
            f"From: <{dialog['local_uri']}>;tag={dialog['local_tag']}",
            f"To: <{dialog['remote_uri']}>;tag=x{dialog['remote_tag']}",
            f"Call-ID: {dialog['call_id']}", f"CSeq: 7 {method}",
            "Contact: <sip:nobody@127.0.0.1:9>", "Content-Length: 0"]
    return ("\r\n".join(head) + "\r\n\r\n").encode()


def mutated(data: st.DataObject, message: bytes) -> bytes:
    how = data.draw(st.sampled_from(["as is", "truncate", "replace", "insert", "length",
                                     "huge header", "many headers", "method"]))
    if how == "truncate":
        return message[:data.draw(st.integers(0, len(message)))]
    if how == "replace":
        at = data.draw(st.integers(0, len(message) - 1))
        return message[:at] + bytes([data.draw(st.integers(0, 255))]) + message[at + 1:]
    if how == "insert":
        at = data.draw(st.integers(0, len(message)))
        return message[:at] + data.draw(st.binary(min_size=1, max_size=64)) + message[at:]
    if how == "length":
        wrong = data.draw(st.sampled_from(["-1", "999999999999", "abc", "5", "0", ""]))
        return message.replace(b"Content-Length: 0", f"Content-Length: {wrong}".encode())
    if how == "huge header":
        return message.replace(b"\r\n\r\n", b"\r\nX-Huge: " + b"a" * 60_000 + b"\r\n\r\n", 1)
    if how == "many headers":
        return message.replace(b"\r\n\r\n", b"\r\n" + b"X-N: 1\r\n" * 3000 + b"\r\n", 1)
    if how == "method":
        return data.draw(st.sampled_from(METHODS)).encode() + message[message.index(b" "):]
    return message


def fuzz(sock: socket.socket, target: tuple[str, int], dialogs: list[dict[str, Any]]) -> None:
    @settings(max_examples=1500, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(st.data())
    def send_one(data: st.DataObject) -> None:
        dialog = data.draw(st.sampled_from(dialogs))
        if data.draw(st.booleans()):
            message = request(data.draw(st.sampled_from(METHODS)), dialog)
        else:
            message = response(data.draw(st.sampled_from([100, 180, 183, 200, 202, 404, 487])),
                               data.draw(st.sampled_from(["INVITE", "BYE", "CANCEL", "FOO"])),
                               dialog)
        sock.sendto(mutated(data, message)[:65_000], target)

    send_one()


def hung_up(peer: socket.socket) -> bool:
    peer.settimeout(0.2)
    try:
        return peer.recv(1) == b""
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True


def attack_over_tcp(target: tuple[str, int]) -> tuple[int, list[bytes]]:
    """Slow peers (half a message each, held open; more than the controller takes), one
    endless header block and one huge Content-Length: how many slow peers it hung up on,
    and what each broken peer got back before it was hung up on."""
    slow = [socket.create_connection(target, timeout=5) for _ in range(SLOW_TCP_PEERS)]
    for peer in slow:
        with contextlib.suppress(ConnectionResetError, BrokenPipeError):
            peer.sendall(b"OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1")
    refused = sum(hung_up(peer) for peer in slow[transport.TCP_INBOUND_MAX:])
    for peer in slow:
        peer.close()
    closed = []
    for attack in (b"OPTIONS sip:x SIP/2.0\r\n" + b"X-Endless: yes\r\n" * 20_000,
                   b"OPTIONS sip:x SIP/2.0\r\nContent-Length: 10000000000\r\n\r\nabc"):
        with socket.create_connection(target, timeout=10) as peer:
            try:
                peer.sendall(attack)
                closed.append(peer.recv(65_536))  # b"": the controller hung up on it
            except ConnectionResetError:
                closed.append(b"")
    return refused, closed


def test_hostile_input_changes_no_call_and_leaves_the_controller_up(
    engine: sa.Engine, stack_factory: StackFactory, tmp_path: Path
) -> None:
    with SipPeers(tmp_path / "peers") as peers:
        a = peers.uas("a_answer.xml", name="a")
        b = peers.uas("b_answer.xml", name="b")
        trunk = peers.kamailio({"+1555000": a.address, "+1555999": b.address})
        port = support.free_port()
        stack = stack_factory(dialer="sip", sip_trunk=f"sip:{trunk.address}",
                              sip_listen=f"127.0.0.1:{port}", sip_max_call_s=MAX_CALL_S,
                              log_format="text")
        controller = stack.start_command("sip", [sys.executable, "-m", "api.cli", "sip"])
        stack.start_worker()
        stack.start_beat()
        add(engine, new_scheduler(engine), [
            {"a_number": f"+1555000{i:04d}", "b_number": f"+1555999{i:04d}"}
            for i in range(CALLS)])
        stack.wait_for(lambda: len(held_dialogs(engine)) == 2 * CALLS, 60, "calls connected")
        dialogs, before, rss_before = held_dialogs(engine), legs_state(engine), rss_kib(
            controller.pid)
        target = ("127.0.0.1", port)

        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            fuzz(sock, target, dialogs)
            flood = request("INVITE", dialogs[0]).replace(
                f"Call-ID: {dialogs[0]['call_id']}".encode(), b"Call-ID: stranger@flood")
            for _ in range(FLOOD_INVITES):
                sock.sendto(flood, target)
        refused, closed = attack_over_tcp(target)

        stack.check_alive()
        assert ping(port), "the controller no longer answers OPTIONS"
        assert closed == [b"", b""]
        assert refused == SLOW_TCP_PEERS - transport.TCP_INBOUND_MAX
        assert legs_state(engine) == before, "a stranger changed a call"
        grown_kib = rss_kib(controller.pid) - rss_before
        assert grown_kib < RSS_GROWTH_MAX_KIB, f"RSS grew {grown_kib} KiB"
        with engine.connect() as conn:
            assert conn.execute(sa.select(sa.func.count()).where(
                calls.c.status == "placed")).scalar_one() == CALLS

        # Each call talks to its end and Ringback hangs it up; the phones saw no stranger.
        stack.wait_for(lambda: all(row[2] is not None for row in legs_state(engine)),
                       MAX_CALL_S + 30, "the calls to end")
        assert {row[4] for row in legs_state(engine)} == {"ringback"}
        for phone in (a, b):
            assert phone.stats().unexpected == 0, phone.errors()
    # Thousands of unreadable messages, a few log lines (at most one per 10 s).
    assert (tmp_path / "sip.log").read_text().count("that is not SIP") <= 4
