"""SIP test peers for Ringback: sipp phones and a kamailio trunk, all on 127.0.0.1.

    with SipPeers(tmp_path) as peers:
        busy = peers.uas("a_busy.xml")
        answer = peers.uas("b_answer.xml")
        trunk = peers.kamailio({"+1555000": busy.address, "+1555": answer.address},
                               auth=DigestAuth("ringback.test", {"ringback": "s3cret"}))
        ...  # point the controller at trunk.address, place calls
        answer.wait_for(lambda msgs: any(m.method == "BYE" for m in msgs), 5, "a BYE")
        assert busy.invites_per_number() == {"+15550001001": 1}

Every peer started through SipPeers is stopped when the block ends, even after a failure.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Any

from tests.sip import net
from tests.sip.kamailio import DigestAuth, Kamailio
from tests.sip.net import PeerError
from tests.sip.sipp import SCENARIOS, Sipp, SippStats
from tests.sip.trace import SipMessage, invite_transactions, invites_per_number, parse_trace

__all__ = [
    "SCENARIOS",
    "DigestAuth",
    "Kamailio",
    "PeerError",
    "SipMessage",
    "SipPeers",
    "Sipp",
    "SippStats",
    "invite_transactions",
    "invites_per_number",
    "parse_trace",
]


class SipPeers:
    """Starts peers whose files go to one folder, and stops them all in close()."""

    def __init__(self, workdir: Path, host: str = net.HOST) -> None:
        self.workdir = workdir
        self.host = host  # the address every peer listens on
        self._peers: list[Sipp | Kamailio] = []
        self._names: set[str] = set()

    def _name(self, wanted: str) -> str:
        # Each peer's logs are named after it: a second peer of the same name gets a suffix.
        name, n = wanted, 1
        while name in self._names:
            n += 1
            name = f"{wanted}-{n}"
        self._names.add(name)
        return name

    def uas(self, scenario: str, *, name: str | None = None, **options: Any) -> Sipp:
        """A started sipp UAS; options as for Sipp (calls, pause_ms, extra_args...)."""
        sipp = Sipp(scenario, self.workdir, name=self._name(name or Path(scenario).stem),
                    host=self.host, **options)
        self._peers.append(sipp)
        return sipp.start()

    def uac(
        self, scenario: str, remote: str, number: str, *, name: str | None = None,
        calls: int = 1, **options: Any,
    ) -> Sipp:
        """A started sipp UAC that places calls to sip:<number>@<remote>."""
        sipp = Sipp(scenario, self.workdir, name=self._name(name or Path(scenario).stem),
                    remote=remote, service=number, calls=calls, host=self.host, **options)
        self._peers.append(sipp)
        return sipp.start()

    def kamailio(
        self, routes: dict[str, str], *, auth: DigestAuth | None = None,
        name: str = "kamailio",
    ) -> Kamailio:
        proxy = Kamailio(self.workdir, routes, auth=auth, name=self._name(name), host=self.host)
        self._peers.append(proxy)
        return proxy.start()

    def close(self) -> None:
        errors = []
        for peer in reversed(self._peers):
            try:
                peer.stop()
            except Exception as exc:  # stop the others all the same
                errors.append(exc)
        self._peers.clear()
        if errors:
            raise errors[0]

    def __enter__(self) -> SipPeers:
        return self

    def __exit__(
        self, exc: type[BaseException] | None, val: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
