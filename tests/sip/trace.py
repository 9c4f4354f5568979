"""sipp's message trace (-trace_msg) read into records, and counts taken from them.

Each entry of the trace is a dashed line with the local time, a line such as
"UDP message received [337] bytes :" or "UDP message sent (302 bytes):", an empty line, then
exactly that many bytes of the message and a newline. Other lines (sipp's own notes) are skipped.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

_ENTRY = re.compile(
    rb"-{47} (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+)\n"
    rb"(\w+) (?:control )?message (?:received \[(\d+)\] bytes :|sent \((\d+) bytes\):)\n\n"
)
# RFC 3261 7.3.3 compact header names.
_COMPACT = {"i": "call-id", "v": "via", "t": "to", "f": "from", "m": "contact",
            "l": "content-length", "c": "content-type", "k": "supported", "s": "subject",
            "e": "content-encoding"}
_PARAM = r"(?:^|;)\s*{}=([^;,\s>]+)"

Direction = Literal["sent", "received"]


@dataclass(frozen=True)
class SipMessage:
    """One SIP message as sipp sent or received it."""

    direction: Direction
    time: datetime
    transport: str
    raw: str

    @property
    def first_line(self) -> str:
        return self.raw.split("\r\n", 1)[0].split("\n", 1)[0]

    @property
    def is_request(self) -> bool:
        return not self.first_line.startswith("SIP/2.0 ")

    @property
    def method(self) -> str | None:
        return self.first_line.split(" ", 1)[0] if self.is_request else None

    @property
    def status(self) -> int | None:
        if self.is_request:
            return None
        code = self.first_line.split(" ")[1]
        return int(code) if code.isdigit() else None

    @property
    def request_uri(self) -> str | None:
        parts = self.first_line.split(" ")
        return parts[1] if self.is_request and len(parts) > 1 else None

    @property
    def number(self) -> str | None:
        """The user part of the Request-URI: the dialled number."""
        uri = self.request_uri
        if uri is None or "@" not in uri:
            return None
        return uri.split(":", 1)[1].split("@", 1)[0]

    def headers(self, name: str) -> list[str]:
        """Every value of a header (compact forms included), in order."""
        wanted = _COMPACT.get(name.lower(), name.lower())
        head = self.raw.replace("\r\n", "\n").split("\n\n", 1)[0]
        values = []
        for line in head.split("\n")[1:]:
            key, sep, value = line.partition(":")
            if sep and _COMPACT.get(key.strip().lower(), key.strip().lower()) == wanted:
                values.append(value.strip())
        return values

    def header(self, name: str) -> str | None:
        values = self.headers(name)
        return values[0] if values else None

    @property
    def body(self) -> str:
        parts = self.raw.replace("\r\n", "\n").split("\n\n", 1)
        return parts[1] if len(parts) > 1 else ""

    @property
    def call_id(self) -> str | None:
        return self.header("Call-ID")

    @property
    def cseq(self) -> str | None:
        """The CSeq value, e.g. "1 INVITE"."""
        value = self.header("CSeq")
        return " ".join(value.split()) if value else None

    @property
    def cseq_method(self) -> str | None:
        return self.cseq.split(" ")[-1] if self.cseq else None

    @property
    def via_branch(self) -> str | None:
        """The branch of the top Via (several Vias may share one header line)."""
        via = self.header("Via")
        return _param(via.split(",", 1)[0], "branch") if via else None

    @property
    def to_tag(self) -> str | None:
        to = self.header("To")
        return _param(to, "tag") if to else None


def _param(value: str, name: str) -> str | None:
    match = re.search(_PARAM.format(re.escape(name)), value)
    return match.group(1) if match else None


def parse_trace(path: Path) -> list[SipMessage]:
    """The messages of a sipp -trace_msg file, in the order sipp logged them."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    messages = []
    for entry in _ENTRY.finditer(data):
        size = int(entry.group(3) or entry.group(4))
        raw = data[entry.end() : entry.end() + size]
        messages.append(
            SipMessage(
                direction="received" if entry.group(3) else "sent",
                time=datetime.strptime(entry.group(1).decode(), "%Y-%m-%d %H:%M:%S.%f"),
                transport=entry.group(2).decode(),
                raw=raw.decode("utf-8", errors="replace"),
            )
        )
    return messages


def _initial_invites(messages: Iterable[SipMessage]) -> Iterable[SipMessage]:
    for msg in messages:
        if msg.direction == "received" and msg.method == "INVITE" and msg.to_tag is None:
            yield msg


def invite_transactions(messages: Iterable[SipMessage]) -> dict[str, int]:
    """Call-ID -> INVITE client transactions received: distinct top-Via branches of initial
    INVITEs (no To tag); retransmissions share their branch and are not counted."""
    branches: defaultdict[str, set[str | None]] = defaultdict(set)
    for msg in _initial_invites(messages):
        branches[msg.call_id or ""].add(msg.via_branch)
    return {call_id: len(seen) for call_id, seen in branches.items()}


def invites_per_number(messages: Iterable[SipMessage]) -> Counter[str]:
    """Request-URI number -> INVITE client transactions received for it."""
    seen = {(m.number or "", m.call_id, m.via_branch) for m in _initial_invites(messages)}
    return Counter(number for number, _, _ in seen)
