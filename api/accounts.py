"""SIP accounts for the API and the CLI: create, list, read, delete. A password goes in and
never comes out: views.sip_account_object shows only that one is set."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from models.shapes import account_input, views
from models.storage.repository import clients_repo, sip_accounts_repo


class AccountError(Exception):
    """Names the field and rule, as every error of the API does."""

    field = "extension_id"

    def __init__(self, rule: str) -> None:
        super().__init__(f"{self.field}: {rule}")
        self.rule = rule


class DuplicateAccount(AccountError):
    def __init__(self, extension_id: int) -> None:
        super().__init__(f"this client already has a SIP account for extension {extension_id}")


class UnknownAccount(AccountError):
    def __init__(self, extension_id: int) -> None:
        super().__init__(f"no SIP account for extension {extension_id}")


def create_account(engine: sa.Engine, client_id: int, body: object,
                   now: datetime) -> dict[str, Any]:
    """InvalidInput naming each broken rule, or DuplicateAccount; neither stores anything."""
    account = account_input.new_account(body)
    with engine.begin() as conn:
        clients_repo.ensure_client(conn, client_id, now)
        row = sip_accounts_repo.insert(conn, client_id, account, now)
    if row is None:
        raise DuplicateAccount(account.extension_id)
    return views.sip_account_object(row)


def list_accounts(engine: sa.Engine, client_id: int) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = sip_accounts_repo.list_accounts(conn, client_id)
    return [views.sip_account_object(row) for row in rows]


def get_account(engine: sa.Engine, client_id: int, extension_id: int) -> dict[str, Any]:
    with engine.connect() as conn:
        row = sip_accounts_repo.find(conn, client_id, extension_id)
    if row is None:
        raise UnknownAccount(extension_id)
    return views.sip_account_object(row)


def delete_account(engine: sa.Engine, client_id: int, extension_id: int) -> None:
    with engine.begin() as conn:
        if not sip_accounts_repo.delete(conn, client_id, extension_id):
            raise UnknownAccount(extension_id)
