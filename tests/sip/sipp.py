"""A sipp process on 127.0.0.1 (or a test's own address): a scenario from tests/sip/scenarios,
its trace and statistics."""

from __future__ import annotations

import csv
import shutil
import subprocess
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from tests.sip import net, trace

SCENARIOS = Path(__file__).resolve().parent / "scenarios"
READY_TIMEOUT_S = 10.0
SOCKET_BUFFER_BYTES = 4 * 1024 * 1024
# Options a scenario needs whoever runs it. a_answer_twice: sipp would take the controller's
# second ACK (identical to the first) for a retransmission and answer it with the 200 again.
SCENARIO_OPTIONS: dict[str, tuple[str, ...]] = {"a_answer_twice.xml": ("-nr",)}


def require(binary: str) -> str:
    path = shutil.which(binary)
    if path is None:
        raise net.PeerError(f"{binary} is not installed: run scripts/install-sip-peers.sh")
    return path


@dataclass(frozen=True)
class SippStats:
    """Cumulative counts from sipp's statistics file (-trace_stat)."""

    created: int
    successful: int
    failed: int
    current: int
    retransmissions: int
    unexpected: int


_STATS_COLUMNS = {
    "created": "TotalCallCreated",
    "successful": "SuccessfulCall(C)",
    "failed": "FailedCall(C)",
    "current": "CurrentCall",
    "retransmissions": "Retransmissions(C)",
    "unexpected": "FailedUnexpectedMessage(C)",
}


class Sipp:
    """One sipp instance. A UAS when remote is None; a UAC sending to remote otherwise.

    pause_ms is sipp's -d: the length of every bare <pause/> in the scenario (ring or talk time).
    calls is -m: sipp exits after that many calls (wait() then returns its exit code).
    auth is (username, password) for [authentication] (-au/-ap).
    """

    def __init__(
        self,
        scenario: str | Path,
        workdir: Path,
        *,
        name: str | None = None,
        remote: str | None = None,
        service: str | None = None,
        calls: int | None = None,
        rate_cps: int = 50,
        pause_ms: int | None = None,
        auth: tuple[str, str] | None = None,
        transport: str = "u1",
        extra_args: Sequence[str] = (),
        port: int | None = None,
        trace: bool = True,
        host: str = net.HOST,
    ) -> None:
        # A name without .xml is one of sipp's built-in scenarios (-sn), e.g. "uac".
        self.builtin = not str(scenario).endswith(".xml")
        self.scenario = Path(scenario) if Path(scenario).is_absolute() else SCENARIOS / scenario
        self.name = name or self.scenario.stem
        self.workdir = workdir
        self._host = host
        # A port given: this phone takes over from one that stopped there (a retry test).
        self.port = port or net.free_port(host=host)
        # No message trace: a benchmark's phone must not spend its time writing one.
        self.trace = trace
        self.media_port = net.free_media_block(host)
        self.control_port = net.free_port(host=host)
        self.proc: subprocess.Popen[bytes] | None = None
        self.message_log = workdir / f"{self.name}.messages.log"
        self.stats_file = workdir / f"{self.name}.stats.csv"
        self.error_log = workdir / f"{self.name}.errors.log"
        self.output_log = workdir / f"{self.name}.out.log"
        self._argv = self._command(
            remote, service, calls, rate_cps, pause_ms, auth, transport, extra_args
        )

    @property
    def host(self) -> str:
        return self._host

    @property
    def address(self) -> str:
        return f"{self._host}:{self.port}"

    def _command(
        self,
        remote: str | None,
        service: str | None,
        calls: int | None,
        rate_cps: int,
        pause_ms: int | None,
        auth: tuple[str, str] | None,
        transport: str,
        extra_args: Sequence[str],
    ) -> list[str]:
        # -bind_local and -ci keep every socket on its host (sipp binds 0.0.0.0 otherwise);
        # -aa answers in-dialog OPTIONS/INFO/UPDATE/NOTIFY with 200 instead of failing the call.
        source = ["-sn", self.scenario.name] if self.builtin else ["-sf", str(self.scenario)]
        argv = [require("sipp"), *source, "-i", self._host, "-bind_local",
                "-p", str(self.port), "-mp", str(self.media_port), "-cp", str(self.control_port),
                "-ci", self._host, "-t", transport, "-nostdin", "-aa",
                # Bigger socket buffers: a burst of calls must queue, not be dropped.
                "-buff_size", str(SOCKET_BUFFER_BYTES),
                *(["-trace_msg", "-message_file", str(self.message_log)] if self.trace else []),
                "-trace_err", "-error_file", str(self.error_log),
                "-trace_stat", "-stf", str(self.stats_file), "-fd", "1"]
        if remote is not None:
            argv += ["-r", str(rate_cps), "-s", service or "service", remote]
        if calls is not None:
            argv += ["-m", str(calls)]
        if pause_ms is not None:
            argv += ["-d", str(pause_ms)]
        if auth is not None:
            argv += ["-au", auth[0], "-ap", auth[1]]
        return argv + list(SCENARIO_OPTIONS.get(self.scenario.name, ())) + list(extra_args)

    def start(self) -> Sipp:
        self.workdir.mkdir(parents=True, exist_ok=True)
        for stale in (self.stats_file, self.message_log, self.error_log):
            stale.unlink(missing_ok=True)  # a restart must not look ready from the last run
        self.proc = net.spawn(self._argv, self.output_log, self.workdir)
        # sipp writes its first statistics row when its traffic loop starts, after binding every
        # socket: from then on, datagrams sent to it wait in its socket until it reads them.
        net.wait_until(self._started, READY_TIMEOUT_S, f"sipp {self.name} on {self.address}")
        return self

    def _started(self) -> bool:
        if self.stats_file.exists() and self.stats_file.stat().st_size > 0:
            return True
        proc = self._running()
        if proc.poll() is not None:
            raise net.PeerError(
                f"sipp {self.name} exited with {proc.returncode} before it was ready:\n"
                f"{' '.join(self._argv)}\n{net.tail(self.output_log)}"
            )
        return False

    def _running(self) -> subprocess.Popen[bytes]:
        if self.proc is None:
            raise net.PeerError(f"sipp {self.name} was not started")
        return self.proc

    def wait(self, timeout_s: float) -> int:
        """Waits for sipp to exit by itself (calls= reached); returns its exit code
        (0: every call succeeded, 1: some failed)."""
        try:
            return self._running().wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            raise net.PeerError(
                f"sipp {self.name} still running after {timeout_s} s; stats {self.stats()}"
            ) from None

    def stop(self) -> int | None:
        """Ends sipp (SIGTERM makes it write its final statistics); returns its exit code."""
        return None if self.proc is None else net.stop_process(self.proc)

    def __enter__(self) -> Sipp:
        return self.start()

    def __exit__(
        self, exc: type[BaseException] | None, val: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def messages(self) -> list[trace.SipMessage]:
        return trace.parse_trace(self.message_log)

    def wait_for(
        self, predicate: Callable[[list[trace.SipMessage]], bool], timeout_s: float, what: str
    ) -> list[trace.SipMessage]:
        """Polls the trace until predicate(messages) holds; returns those messages."""
        seen: list[trace.SipMessage] = []

        def check() -> bool:
            seen[:] = self.messages()
            return predicate(seen)

        net.wait_until(check, timeout_s, f"sipp {self.name}: {what}")
        return seen

    def invite_transactions(self) -> dict[str, int]:
        return trace.invite_transactions(self.messages())

    def invites_per_number(self) -> Counter[str]:
        return trace.invites_per_number(self.messages())

    def statuses(self, method: str = "INVITE") -> list[int]:
        """Status codes of the responses to method that this sipp received, in order."""
        return [m.status for m in self.messages() if m.direction == "received"
                and m.status is not None and m.cseq_method == method]

    def stats(self) -> SippStats:
        """The last row of the statistics file: final after stop() or wait(), else at most
        one second old (-fd 1)."""
        try:
            with self.stats_file.open(newline="") as rows:
                # A row sipp is still writing lacks its last columns: take the last whole one.
                whole = [row for row in csv.DictReader(rows, delimiter=";")
                         if all(row.get(column) for column in _STATS_COLUMNS.values())]
        except FileNotFoundError:
            whole = []
        if not whole:
            return SippStats(0, 0, 0, 0, 0, 0)
        return SippStats(**{key: int(whole[-1][col]) for key, col in _STATS_COLUMNS.items()})

    def errors(self) -> str:
        """sipp's error log: unexpected messages and failed checks, for assertion messages."""
        return net.tail(self.error_log, 4000)
