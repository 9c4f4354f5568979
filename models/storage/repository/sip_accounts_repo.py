"""SIP accounts: the identity a client's calls are placed from, chosen by extension. Only
find_for_calls (the SIP controller's) reads the password; what the API reads leaves it out."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from models.shapes.account_input import NewAccount
from models.shapes.account_rows import AccountRow, AccountWithPassword
from models.storage.call_tables import sip_accounts
from models.storage.repository import common

PUBLIC_COLUMNS = (
    sip_accounts.c.id, sip_accounts.c.client_id, sip_accounts.c.extension_id,
    sip_accounts.c.username, sip_accounts.c.domain, sip_accounts.c.trunk,
    sip_accounts.c.created_at,
)


class AccountNotStored(RuntimeError):
    """The INSERT failed. SQLAlchemy's own error lists the statement's parameters, the
    password among them, and would put it in the log line of an unexpected error."""

    def __init__(self, error: sa.exc.StatementError) -> None:
        cause = error.orig if error.orig is not None else error
        sqlstate = getattr(cause, "sqlstate", None)
        super().__init__(f"storing a SIP account failed: {type(cause).__name__}"
                         + (f" (SQLSTATE {sqlstate})" if sqlstate else ""))


def insert(conn: sa.Connection, client_id: int, account: NewAccount,
           now: datetime) -> AccountRow | None:
    """The stored account, or None when the client already has the extension: the UNIQUE
    (client_id, extension_id) constraint decides, so two racing creates cannot both win.
    Any other failure is AccountNotStored, which does not carry the password."""
    dialect: Any = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = (
        dialect.insert(sip_accounts)
        .on_conflict_do_nothing(index_elements=[sip_accounts.c.client_id,
                                                sip_accounts.c.extension_id])
        .returning(*PUBLIC_COLUMNS)
    )
    try:
        stored = conn.execute(stmt, {
            "client_id": client_id, "extension_id": account.extension_id,
            "username": account.username, "password": account.password,
            "domain": account.domain, "trunk": account.trunk, "created_at": now,
        }).first()
    except sa.exc.StatementError as error:
        raise AccountNotStored(error) from None
    return common.optional(AccountRow, stored)


def list_accounts(conn: sa.Connection, client_id: int) -> list[AccountRow]:
    stmt = sa.select(*PUBLIC_COLUMNS).where(sip_accounts.c.client_id == client_id) \
        .order_by(sip_accounts.c.extension_id)
    return common.from_rows(AccountRow, conn.execute(stmt))


def find(conn: sa.Connection, client_id: int, extension_id: int) -> AccountRow | None:
    stmt = sa.select(*PUBLIC_COLUMNS).where(sip_accounts.c.client_id == client_id,
                                            sip_accounts.c.extension_id == extension_id)
    return common.optional(AccountRow, conn.execute(stmt).first())


def delete(conn: sa.Connection, client_id: int, extension_id: int) -> bool:
    """False when the client has no account for the extension."""
    stmt = sip_accounts.delete().where(sip_accounts.c.client_id == client_id,
                                       sip_accounts.c.extension_id == extension_id)
    return bool(conn.execute(stmt).rowcount)


def known_extensions(conn: sa.Connection, client_id: int,
                     extension_ids: Collection[int]) -> set[int]:
    """Which of ``extension_ids`` the client has accounts for, in one statement, locked
    (FOR KEY SHARE) until the caller's transaction ends: tasks added in it never name an
    account deleted meanwhile."""
    if not extension_ids:
        return set()
    stmt = (
        sa.select(sip_accounts.c.extension_id)
        .where(sip_accounts.c.client_id == client_id, _among(conn, extension_ids))
        .with_for_update(read=True, key_share=True)
    )
    found = {int(extension_id) for extension_id in conn.execute(stmt).scalars()}
    return found.intersection(extension_ids)


def find_for_calls(conn: sa.Connection, wanted: set[tuple[int, int]]
                   ) -> dict[tuple[int, int], AccountWithPassword]:
    """The accounts calls are placed from, password included, by (client id, extension id):
    one read for a batch of calls of any clients."""
    if not wanted:
        return {}
    stmt = sa.select(sip_accounts).where(
        sip_accounts.c.client_id.in_({client for client, _ in wanted}),
        sip_accounts.c.extension_id.in_({extension for _, extension in wanted}))
    found = common.from_rows(AccountWithPassword, conn.execute(stmt))
    return {(r.client_id, r.extension_id): r for r in found
            if (r.client_id, r.extension_id) in wanted}


def _among(conn: sa.Connection, extension_ids: Collection[int]) -> sa.ColumnElement[bool]:
    """extension_id among the given ones. On PostgreSQL one array parameter (a request's
    100,000 tasks would pass the 65,535 parameters a statement may carry as an IN list);
    SQLite, which has no arrays, reads all the client's accounts, to be narrowed in Python."""
    column = sip_accounts.c.extension_id
    if conn.dialect.name == "postgresql":
        ids = sa.bindparam("extension_ids", sorted(extension_ids),
                           type_=postgresql.ARRAY(sa.Integer))
        return column == sa.any_(ids)
    return sa.true()
