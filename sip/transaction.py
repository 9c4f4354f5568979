"""SIP transactions (RFC 3261 17), sans-IO: the public face of the transaction modules.

Every machine takes ``now`` (seconds, any monotonic origin) and returns a list of actions
(Send, PassUp, TimedOut, Terminated); ``next_deadline()`` says when to call ``on_timer``.
"""

from __future__ import annotations

from sip.client_transaction import (
    ClientInviteState,
    ClientInviteTransaction,
    ClientNonInviteState,
    ClientNonInviteTransaction,
)
from sip.server_transaction import (
    Invite2xxRetransmitter,
    ServerInviteState,
    ServerInviteTransaction,
    ServerNonInviteState,
    ServerNonInviteTransaction,
)
from sip.transaction_base import (
    DEFAULT_T1_S,
    DEFAULT_T2_S,
    DEFAULT_T4_S,
    TIMER_D_UNRELIABLE_S,
    Action,
    ClientKey,
    PassUp,
    ResponseClass,
    Send,
    ServerKey,
    Terminated,
    TimedOut,
    Timers,
    client_key,
    response_class,
    server_key,
)

__all__ = [
    "DEFAULT_T1_S",
    "DEFAULT_T2_S",
    "DEFAULT_T4_S",
    "TIMER_D_UNRELIABLE_S",
    "Action",
    "ClientInviteState",
    "ClientInviteTransaction",
    "ClientKey",
    "ClientNonInviteState",
    "ClientNonInviteTransaction",
    "Invite2xxRetransmitter",
    "PassUp",
    "ResponseClass",
    "Send",
    "ServerInviteState",
    "ServerInviteTransaction",
    "ServerKey",
    "ServerNonInviteState",
    "ServerNonInviteTransaction",
    "Terminated",
    "TimedOut",
    "Timers",
    "client_key",
    "response_class",
    "server_key",
]
