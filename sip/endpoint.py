"""The transaction layer on asyncio: sends requests through client transactions, absorbs
retransmissions through server transactions, runs every timer, and hands the transaction
user (the controller) only what is news. A message from the network that cannot be read,
or that matches nothing of ours, is dropped or answered statelessly, never raised."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Protocol as TypingProtocol

from sip.builders import build_response
from sip.client_transaction import ClientInviteTransaction, ClientNonInviteTransaction
from sip.codec import Message, Request, Response, serialize
from sip.grammar import ParseError
from sip.message import parse
from sip.routing import Hop
from sip.server_transaction import (
    Invite2xxRetransmitter,
    ServerInviteTransaction,
    ServerNonInviteTransaction,
)
from sip.transaction_base import (
    Action,
    PassUp,
    Send,
    Terminated,
    TimedMachine,
    TimedOut,
    Timers,
    client_key,
    server_key,
)
from sip.transport import Address, Transport
from sip.transport import Protocol as Wire

log = logging.getLogger(__name__)
ClientTransaction = ClientInviteTransaction | ClientNonInviteTransaction
ServerTransaction = ServerInviteTransaction | ServerNonInviteTransaction
DEFAULT_PORT = 5060
DROPPED_LOG_INTERVAL_S = 10.0


class TransactionUser(TypingProtocol):
    def on_response(self, context: object, response: Response) -> None: ...
    def on_timeout(self, context: object) -> None: ...
    def on_stray_response(self, response: Response) -> None: ...
    def on_request(self, request: Request) -> Response | None: ...


class Endpoint:
    def __init__(self, transport: Transport, timers: Timers, user: TransactionUser) -> None:
        self.transport = transport
        self.timers = timers
        self.user = user
        self.clients: dict[tuple[str, str], tuple[ClientTransaction, object, Address, Wire]] = {}
        self.servers: dict[tuple[str, str, int, str], tuple[ServerTransaction, Address, Wire]] \
            = {}
        self.retransmitters: dict[tuple[str, int], tuple[Invite2xxRetransmitter, Address, Wire]] \
            = {}
        self._handles: dict[int, asyncio.TimerHandle] = {}
        self.dropped = 0  # messages from the network that could not be read
        self._dropped_logged = 0
        self._next_drop_log_at = float("-inf")
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        return self._loop

    @property
    def now(self) -> float:
        return self.loop.time()

    # -- sending -------------------------------------------------------------------------

    def request(self, request: Request, hop: Hop, context: object) -> None:
        """Send through a new client transaction; its news reaches the user with ``context``."""
        to, wire = resolve(hop)
        reliable = wire == "tcp"
        transaction: ClientTransaction = (
            ClientInviteTransaction(request, reliable=reliable, timers=self.timers)
            if request.method == "INVITE" else
            ClientNonInviteTransaction(request, reliable=reliable, timers=self.timers))
        self.clients[transaction.key] = (transaction, context, to, wire)
        self._run_client(transaction, transaction.start(self.now))

    def abandon(self, contexts: Callable[[object], bool]) -> int:
        """Drop the client transactions whose context matches: they send nothing more (no
        retransmission) and report nothing; a late answer to one is a stray. How many."""
        dropped = [(key, transaction) for key, (transaction, context, _, _)
                   in self.clients.items() if contexts(context)]
        for key, transaction in dropped:
            del self.clients[key]
            self._disarm(transaction)
        return len(dropped)

    def send(self, message: Message, hop: Hop) -> None:
        """Send once, no transaction (an ACK for a 2xx)."""
        to, wire = resolve(hop)
        self.transport.send(serialize(message), to, wire)

    # -- receiving -----------------------------------------------------------------------

    def receive(self, item: Message | ParseError | bytes, source: Address, wire: Wire) -> None:
        try:
            message = parse(item) if isinstance(item, bytes) else item
            if isinstance(message, ParseError):
                raise message
            if isinstance(message, Response):
                self._on_response(message)
            else:
                self._on_request(message, source, wire)
        except ParseError as error:
            self._dropped(source, error)

    def _dropped(self, source: Address, error: ParseError) -> None:
        """Counted; logged at most once per DROPPED_LOG_INTERVAL_S, so a flood of junk does
        not become a flood of log lines."""
        self.dropped += 1
        if self.now < self._next_drop_log_at:
            return
        unlogged = self.dropped - self._dropped_logged - 1
        self._next_drop_log_at = self.now + DROPPED_LOG_INTERVAL_S
        self._dropped_logged = self.dropped
        log.info("dropped a message from %s:%s that is not SIP: %s%s", *source, error,
                 f" ({unlogged} more dropped since the last such line)" if unlogged else "")

    def _on_response(self, response: Response) -> None:
        found = self.clients.get(client_key(response))
        if found is None:
            self.user.on_stray_response(response)  # a 2xx retransmission, a stranger's
            return
        self._run_client(found[0], found[0].on_response(response, self.now))

    def _on_request(self, request: Request, source: Address, wire: Wire) -> None:
        if request.method == "ACK":
            self._on_ack(request)
            return
        key = server_key(request)
        known = self.servers.get(key)
        if known is not None:
            self._run_server(key, known[0].on_request(request, self.now))
            return
        answer = self.user.on_request(request)
        if answer is None:
            self._stateless(request, source, wire)
            return
        self._respond(request, answer, source, wire)

    def _on_ack(self, ack: Request) -> None:
        key = (ack.call_id, ack.cseq[0])
        found = self.retransmitters.get(key)
        if found is not None and found[0].matches_ack(ack):
            del self.retransmitters[key]
            self._apply(found[0], found[0].on_ack(self.now), found[1], found[2])
        server = self.servers.get(server_key(ack))
        if server is not None:
            self._run_server(server_key(ack), server[0].on_request(ack, self.now))

    def _respond(self, request: Request, answer: Response, source: Address, wire: Wire) -> None:
        reliable = wire == "tcp"
        if request.method == "INVITE":
            invite_tx = ServerInviteTransaction(request, reliable=reliable, timers=self.timers)
            self.servers[invite_tx.key] = (invite_tx, source, wire)
            self._run_server(invite_tx.key, invite_tx.respond(answer, self.now))
            if 200 <= answer.status < 300:
                again = Invite2xxRetransmitter(answer, timers=self.timers)
                self.retransmitters[(answer.call_id, answer.cseq[0])] = (again, source, wire)
                self._apply(again, again.start(self.now), source, wire)
            return
        server = ServerNonInviteTransaction(request, reliable=reliable, timers=self.timers)
        self.servers[server.key] = (server, source, wire)
        self._run_server(server.key, server.respond(answer, self.now))

    def _stateless(self, request: Request, source: Address, wire: Wire) -> None:
        """A request that is no business of ours: OPTIONS (a trunk's keep-alive) gets 200,
        an INVITE 403 (nobody calls in), anything else 481. Nothing is kept."""
        status, reason = {"OPTIONS": (200, "OK"), "INVITE": (403, "Forbidden")}.get(
            request.method, (481, "Call/Transaction Does Not Exist"))
        response = build_response(request, status, reason, to_tag="rbstateless")
        self.transport.send(serialize(response), source, wire)

    # -- running machines ------------------------------------------------------------------

    def _run_client(self, transaction: ClientTransaction, actions: list[Action]) -> None:
        _, context, to, wire = self.clients[transaction.key]
        for action in actions:
            if isinstance(action, Send):
                self.transport.send(serialize(action.message), to, wire)
            elif isinstance(action, PassUp):
                self.user.on_response(context, action.response)
            elif isinstance(action, TimedOut):
                self.user.on_timeout(context)
            elif isinstance(action, Terminated):
                self.clients.pop(transaction.key, None)
        self._arm(transaction, lambda: self._run_client(
            transaction, transaction.on_timer(self.now)) if transaction.key in self.clients
            else None)

    def _run_server(self, key: tuple[str, str, int, str], actions: list[Action]) -> None:
        found = self.servers.get(key)
        if found is None:
            return
        machine, source, wire = found
        self._apply(machine, actions, source, wire)
        if any(isinstance(a, Terminated) for a in actions):
            self.servers.pop(key, None)
            return
        self._arm(machine, lambda: self._run_server(key, machine.on_timer(self.now)))

    def _apply(self, machine: TimedMachine, actions: list[Action], to: Address,
               wire: Wire) -> None:
        for action in actions:
            if isinstance(action, Send):
                self.transport.send(serialize(action.message), to, wire)
        if isinstance(machine, Invite2xxRetransmitter) and not machine.finished:
            self._arm(machine, lambda: self._apply(machine, machine.on_timer(self.now), to,
                                                   wire))
        elif isinstance(machine, Invite2xxRetransmitter):
            self._disarm(machine)
            key = (machine.response.call_id, machine.response.cseq[0])
            if key in self.retransmitters and self.retransmitters[key][0] is machine:
                del self.retransmitters[key]

    def _arm(self, machine: TimedMachine, fire: Callable[[], object]) -> None:
        self._disarm(machine)
        deadline = machine.next_deadline()
        if deadline is not None:
            self._handles[id(machine)] = self.loop.call_at(deadline, fire)

    def _disarm(self, machine: TimedMachine) -> None:
        handle = self._handles.pop(id(machine), None)
        if handle is not None:
            handle.cancel()


def resolve(hop: Hop) -> tuple[Address, Wire]:
    """Where a hop is on the wire. Names are taken as given (the transport resolves them);
    a hop without a port is the default port."""
    wire: Wire = "tcp" if hop.transport.upper() == "TCP" else "udp"
    return (hop.host, hop.port or DEFAULT_PORT), wire
