"""A kamailio proxy on 127.0.0.1 (or a test's own address) that plays the SIP trunk: routes
INVITEs by Request-URI prefix to sipp peers, optionally behind digest authentication,
statefully (tm), with record-route so that in-dialog requests come back through it."""

from __future__ import annotations

import re
import socket
import subprocess
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from tests.sip import net
from tests.sip.sipp import require

READY_TIMEOUT_S = 10.0
PING_WAIT_S = 0.2
SHM_MB = 32
PKG_MB = 4
_SAFE = re.compile(r"[0-9A-Za-z+*#._:-]*")
_TEMPLATE = Path(__file__).resolve().parent / "kamailio.cfg.tpl"


@dataclass(frozen=True)
class DigestAuth:
    """Digest authentication of initial INVITEs. No credentials: 407 with a challenge (qop=auth
    when qop). A wrong password or an unknown user: wrong_password_status, 403 by default;
    407 re-challenges instead, as some trunks do."""

    realm: str
    users: Mapping[str, str] = field(default_factory=dict)
    qop: bool = True
    wrong_password_status: int = 403


def _safe(value: str, what: str) -> str:
    # Values land inside double-quoted strings of the config: no quote, backslash or $.
    if not _SAFE.fullmatch(value):
        raise ValueError(f"{what} {value!r}: only letters, digits and +*#._:- are allowed")
    return value


def _prefix_route(routes: Mapping[str, str]) -> str:
    lines = []
    # Longest prefix first, so that +1555 and +15551 can both be routed.
    for prefix in sorted(routes, key=len, reverse=True):
        target = _safe(routes[prefix], "target")
        lines.append(
            f'    if ($(rU{{s.substr,0,{len(prefix)}}}) == "{_safe(prefix, "prefix")}") {{\n'
            f'        $du = "sip:{target}";\n'
            f'        xlog("L_INFO", "route $rU -> {target}\\n");\n'
            f"        route(RELAY);\n"
            f"    }}"
        )
    return "\n".join(lines)


def _auth_route(auth: DigestAuth | None) -> str:
    if auth is None:
        return "    return;"
    realm = _safe(auth.realm, "realm")
    users = "\n".join(
        f'    if ($au == "{_safe(user, "user")}") {{ $var(password) = "{_safe(pw, "password")}"; }}'
        for user, pw in auth.users.items()
    )
    flags = "1" if auth.qop else "0"
    if auth.wrong_password_status == 407:
        wrong = f'auth_challenge("{realm}", "{flags}");'
    else:
        wrong = f'sl_send_reply("{auth.wrong_password_status}", "Forbidden");'
    # An unknown user gets a password nobody sends, so that it fails like a wrong password
    # (an empty one would be a config error, -1, and be challenged again).
    return (
        '    if (!is_method("INVITE")) { return; }\n'
        f'    $var(password) = "{uuid.uuid4().hex}";\n'
        f"{users}\n"
        f'    if (pv_auth_check("{realm}", "$var(password)", "0", "0")) {{\n'
        "        consume_credentials();\n"
        "        return;\n"
        "    }\n"
        "    $var(rc) = $rc;\n"
        '    xlog("L_INFO", "auth failed rc=$var(rc) user=$au\\n");\n'
        # -2: credentials with a wrong password; -5 none; -4/-6 a stale or reused nonce.
        f"    if ($var(rc) == -2) {{ {wrong} exit; }}\n"
        f'    auth_challenge("{realm}", "{flags}");\n'
        "    exit;"
    )


def render_config(port: int, routes: Mapping[str, str], auth: DigestAuth | None,
                  host: str = net.HOST) -> str:
    return (
        _TEMPLATE.read_text()
        .replace("@HOST@", _safe(host, "host"))
        .replace("@PORT@", str(port))
        .replace("@AUTH@", _auth_route(auth))
        .replace("@ROUTES@", _prefix_route(routes))
    )


class Kamailio:
    """kamailio in the foreground (-DD -E) as a child, its config and log in workdir."""

    def __init__(
        self,
        workdir: Path,
        routes: Mapping[str, str],
        *,
        auth: DigestAuth | None = None,
        name: str = "kamailio",
        host: str = net.HOST,
    ) -> None:
        self.workdir = workdir
        self.name = name
        self._host = host
        self.port = net.free_port(tcp_too=True, host=host)
        self.config_path = workdir / f"{name}.cfg"
        self.log_path = workdir / f"{name}.log"
        self.routes = dict(routes)
        self.auth = auth
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def host(self) -> str:
        return self._host

    @property
    def address(self) -> str:
        return f"{self._host}:{self.port}"

    def start(self) -> Kamailio:
        binary = require("kamailio")
        run_dir = self.workdir / f"{self.name}-run"
        run_dir.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(render_config(self.port, self.routes, self.auth, self._host))
        argv = [binary, "-f", str(self.config_path), "-DD", "-E", "-Y", str(run_dir),
                "-m", str(SHM_MB), "-M", str(PKG_MB)]
        self.proc = net.spawn(argv, self.log_path, self.workdir)
        net.wait_until(self._answers_ping, READY_TIMEOUT_S, f"kamailio on {self.address}")
        return self

    def _answers_ping(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise net.PeerError(
                f"kamailio exited with {self.proc.returncode}:\n{net.tail(self.log_path)}"
            )
        return ping(self.port, self._host)

    def stop(self) -> int | None:
        return None if self.proc is None else net.stop_process(self.proc, group=True)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def __enter__(self) -> Kamailio:
        return self.start()

    def __exit__(
        self, exc: type[BaseException] | None, val: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def ping(port: int, host: str = net.HOST) -> bool:
    """Sends one OPTIONS to the proxy itself; whether a 200 came back within PING_WAIT_S."""
    call_id = f"ping-{uuid.uuid4().hex}"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((host, 0))
        sock.settimeout(PING_WAIT_S)
        local = sock.getsockname()[1]
        sock.sendto(
            (
                f"OPTIONS sip:{host}:{port} SIP/2.0\r\n"
                f"Via: SIP/2.0/UDP {host}:{local};branch=z9hG4bK-{call_id}\r\n"
                f"From: <sip:ping@{host}:{local}>;tag=ping\r\n"
                f"To: <sip:{host}:{port}>\r\nCall-ID: {call_id}\r\nCSeq: 1 OPTIONS\r\n"
                "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
            ).encode(),
            (host, port),
        )
        try:
            reply = sock.recv(65535).decode(errors="replace")
        except (TimeoutError, ConnectionRefusedError):
            return False
    return reply.startswith("SIP/2.0 200") and call_id in reply
