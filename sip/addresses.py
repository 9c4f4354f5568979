"""Who and where a controller is: its id (naming the calls it holds), the address it binds,
the address peers reach it at, and the accounts it places calls from."""

from __future__ import annotations

import socket

from models.settings import Settings
from models.shapes.account_rows import AccountWithPassword
from sip.requests import Account, Trunk


def controller_id(settings: Settings) -> str:
    return settings.sip_controller_id or f"{socket.gethostname()}/{settings.sip_listen}"


def listen_address(settings: Settings) -> tuple[str, int]:
    host, _, port = settings.sip_listen.rpartition(":")
    return host.strip("[]") or "0.0.0.0", int(port)


def advertised(settings: Settings, bound: tuple[str, int], trunk: Trunk) -> tuple[str, int]:
    """The address peers reach us at: set, or bound, or (bound to every address) the one
    this host uses towards the trunk."""
    if settings.sip_advertise:
        host, _, port = settings.sip_advertise.rpartition(":")
        return host.strip("[]"), int(port)
    if bound[0] not in ("0.0.0.0", "::"):
        return bound
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect((trunk.host, trunk.port))
        return str(probe.getsockname()[0]), bound[1]


def default_account(settings: Settings, trunk: Trunk) -> Account:
    """The account of tasks with no extension: the settings' credentials."""
    return Account(settings.sip_username, settings.sip_password,
                   settings.sip_domain or trunk.host, trunk)


def account(row: AccountWithPassword, settings: Settings, default_trunk: Trunk) -> Account:
    """An extension's account; its own trunk and domain when it has them."""
    trunk = Trunk.parse(row.trunk) if row.trunk else default_trunk
    domain = row.domain if row.domain else settings.sip_domain or trunk.host
    return Account(row.username, row.password, domain, trunk)
