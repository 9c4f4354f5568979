"""The transaction layer with a recording transport (no sockets): what it tells the
controller, what it answers strangers, and that strangers leave nothing behind."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sip.address import parse_uri
from sip.codec import Request, Response, parse, serialize
from sip.digest import parse_challenge
from sip.endpoint import Endpoint
from sip.message import Message
from sip.requests import Account, Identity, Trunk, build_invite, with_credentials
from sip.transaction_base import Timers
from tests.unit.sip_samples import lines

TRUNK = Trunk("127.0.0.1", 5080, "udp")
ACCOUNT = Account("ringback", "s3cret", "example.org", TRUNK)
PEER = ("127.0.0.1", 5080)


@dataclass
class Wire:
    sent: list[tuple[Message, tuple[str, int], str]] = field(default_factory=list)

    def send(self, data: bytes, to: tuple[str, int], wire: str) -> None:
        self.sent.append((parse(data), to, wire))


@dataclass
class User:
    responses: list[Response] = field(default_factory=list)
    timeouts: list[object] = field(default_factory=list)
    strays: list[Response] = field(default_factory=list)
    timed_out: asyncio.Event = field(default_factory=asyncio.Event)

    def on_response(self, context: object, response: Response) -> None:
        self.responses.append(response)

    def on_timeout(self, context: object) -> None:
        self.timeouts.append(context)
        self.timed_out.set()

    def on_stray_response(self, response: Response) -> None:
        self.strays.append(response)

    def on_request(self, request: Request) -> Response | None:
        return None  # nothing of ours


def run(test: Callable[[Endpoint, Wire, User], Awaitable[None]]) -> None:
    async def main() -> None:
        wire, user = Wire(), User()
        await test(Endpoint(wire, Timers(t1=0.01), user), wire, user)  # type: ignore[arg-type]

    asyncio.run(main())


def invite() -> Request:
    return build_invite(number="+15550001001", account=ACCOUNT,
                        identity=Identity("+15559990000", 'Shop "A"'), call_id="rb1-A0@ringback",
                        from_tag="f1", branch="z9hG4bKb1", via_host="127.0.0.1", via_port=5060)


def reply(request: Request, status: int, reason: str, *extra: str) -> bytes:
    return lines(f"SIP/2.0 {status} {reason}", f"Via: {request.headers.get('Via')}",
                 f"From: {request.headers.get('From')}",
                 f"To: {request.headers.get('To')};tag=t1", f"Call-ID: {request.call_id}",
                 f"CSeq: {request.headers.get('CSeq')}", *extra, "Content-Length: 0")


def stranger(method: str) -> bytes:
    return lines(f"{method} sip:ringback@127.0.0.1 SIP/2.0",
                 "Via: SIP/2.0/UDP 203.0.113.9:5060;branch=z9hG4bKstranger",
                 "From: <sip:x@203.0.113.9>;tag=s1", "To: <sip:ringback@127.0.0.1>",
                 "Call-ID: not-ours@203.0.113.9", f"CSeq: 1 {method}", "Content-Length: 0")


def test_an_invite_shows_the_caller_and_carries_no_offer() -> None:
    request = invite()
    assert request.uri == "sip:+15550001001@127.0.0.1:5080"
    assert request.headers.get("From") == '"Shop \\"A\\"" <sip:+15559990000@example.org>;tag=f1'
    assert request.headers.get("P-Asserted-Identity") == (
        '"Shop \\"A\\"" <sip:+15559990000@example.org>')
    again = parse(serialize(request))
    assert request.body == b"" and again.headers.get("Content-Length") == "0"
    assert isinstance(again, Request) and again.from_ == request.from_


def test_a_username_goes_into_the_from_uri_escaped() -> None:
    """RFC 3261 25.1: unreserved and user-unreserved characters stay, the rest is %HH of its
    UTF-8 bytes, "%" included (issue 23, defect 5)."""
    account = Account("jo%sé#1[x]|^`{}&=+$/?!~*'()-_.", "pw", "example.org", TRUNK)
    request = build_invite(number="+15550001001", account=account,
                           identity=Identity(None, None), call_id="rb1-A0@ringback",
                           from_tag="f1", branch="z9hG4bKb1", via_host="127.0.0.1",
                           via_port=5060)
    user = "jo%25s%C3%A9%231%5Bx%5D%7C%5E%60%7B%7D&=+$/?!~*'()-_."
    assert request.headers.get("From") == f"<sip:{user}@example.org>;tag=f1"
    again = parse(serialize(request))
    assert isinstance(again, Request) and again.from_.uri == parse_uri(f"sip:{user}@example.org")
    assert request.uri == "sip:+15550001001@127.0.0.1:5080"  # numbers need no escaping


def test_a_display_name_shows_without_format_characters() -> None:
    """A caller_id_name stored before they were refused cannot reverse what the phone
    shows (U+202E), nor hide text; quotes and backslashes are escaped."""
    request = build_invite(number="+15550001001", account=ACCOUNT,
                           identity=Identity(None, 'Bank\u202eknaB \\"\u2066x\u2069'),
                           call_id="rb1-A0@ringback", from_tag="f1", branch="z9hG4bKb1",
                           via_host="127.0.0.1", via_port=5060)
    assert request.headers.get("From") == '"BankknaB \\\\\\"x" <sip:ringback@example.org>;tag=f1'
    again = parse(serialize(request))
    assert isinstance(again, Request) and again.from_.display_name == 'BankknaB \\"x'


def test_a_challenge_is_answered_with_the_next_cseq_and_a_new_branch() -> None:
    first = invite()
    challenge = parse(reply(first, 407, "Proxy Authentication Required",
                            'Proxy-Authenticate: Digest realm="r", nonce="n1", qop="auth"'))
    assert isinstance(challenge, Response)
    again = with_credentials(first, challenge, username="ringback", password="s3cret",
                             branch="z9hG4bKb2", cnonce="c1")
    assert again.cseq == (2, "INVITE") and again.top_via.branch == "z9hG4bKb2"
    assert (again.call_id, again.from_.tag) == (first.call_id, first.from_.tag)
    answer = again.headers.get("Proxy-Authorization") or ""
    assert 'username="ringback"' in answer and 'uri="sip:+15550001001@127.0.0.1:5080"' in answer
    assert parse_challenge('Digest realm="r", nonce="n1"').realm == "r"


def test_the_transactions_news_reaches_the_user_and_a_486_is_acked() -> None:
    async def test(endpoint: Endpoint, wire: Wire, user: User) -> None:
        request = invite()
        endpoint.request(request, TRUNK.hop, "context")
        endpoint.receive(reply(request, 180, "Ringing"), PEER, "udp")
        endpoint.receive(reply(request, 486, "Busy Here"), PEER, "udp")
        assert [r.status for r in user.responses] == [180, 486]
        methods = [m.method for m, _, _ in wire.sent if isinstance(m, Request)]
        assert methods == ["INVITE", "ACK"] and all(to == PEER for _, to, _ in wire.sent)
        assert endpoint.clients == {} or all(
            tx[0].state == "completed" for tx in endpoint.clients.values())

    run(test)


def test_no_answer_at_all_times_out_after_64_t1() -> None:
    async def test(endpoint: Endpoint, wire: Wire, user: User) -> None:
        started = asyncio.get_running_loop().time()
        endpoint.request(invite(), TRUNK.hop, "context")
        await asyncio.wait_for(user.timed_out.wait(), 5)
        assert asyncio.get_running_loop().time() - started >= 64 * 0.01
        assert user.timeouts == ["context"]
        assert len(wire.sent) > 3  # Timer A retransmitted it meanwhile

    run(test)


def test_strangers_are_answered_statelessly_and_leave_nothing_behind() -> None:
    async def test(endpoint: Endpoint, wire: Wire, user: User) -> None:
        for _ in range(10_000):
            endpoint.receive(stranger("INVITE"), PEER, "udp")
        endpoint.receive(stranger("BYE"), PEER, "udp")
        endpoint.receive(stranger("OPTIONS"), PEER, "udp")
        endpoint.receive(stranger("ACK"), PEER, "udp")
        statuses = [m.status for m, _, _ in wire.sent if isinstance(m, Response)]
        assert statuses == [403] * 10_000 + [481, 200]
        assert endpoint.servers == {} and endpoint.clients == {} and endpoint.retransmitters == {}

    run(test)


def test_garbage_and_responses_to_nothing_are_dropped() -> None:
    async def test(endpoint: Endpoint, wire: Wire, user: User) -> None:
        for junk in (b"", b"\x00\xff" * 40, b"SIP/2.0 200 OK\r\n\r\n", b"INVITE x\r\n\r\n"):
            endpoint.receive(junk, PEER, "udp")
        endpoint.receive(reply(invite(), 200, "OK"), PEER, "udp")  # a transaction never sent
        assert endpoint.dropped == 4 and wire.sent == []
        assert [r.status for r in user.strays] == [200]

    run(test)


def test_an_abandoned_transaction_sends_nothing_more_and_its_answers_are_strays() -> None:
    async def test(endpoint: Endpoint, wire: Wire, user: User) -> None:
        request = invite()
        endpoint.request(request, TRUNK.hop, "let go")
        endpoint.request(invite_to("+15550001002"), TRUNK.hop, "kept")
        assert endpoint.abandon(lambda context: context == "let go") == 1
        sent_at_abandon = len([m for m, _, _ in wire.sent if m.call_id == request.call_id])
        await asyncio.wait_for(user.timed_out.wait(), 5)  # the kept one runs to Timer B
        assert user.timeouts == ["kept"]
        assert len([m for m, _, _ in wire.sent if m.call_id == request.call_id]) == (
            sent_at_abandon)  # no retransmission of the abandoned one
        endpoint.receive(reply(request, 180, "Ringing"), PEER, "udp")
        assert user.responses == [] and [r.status for r in user.strays] == [180]

    run(test)


def invite_to(number: str) -> Request:
    return build_invite(number=number, account=ACCOUNT, identity=Identity(None, None),
                        call_id=f"rb1-A1-{number}@ringback", from_tag="f2", branch="z9hG4bKb9",
                        via_host="127.0.0.1", via_port=5060)
