"""API tokens: ``token create``, ``token revoke``, ``token list``."""

from __future__ import annotations

import argparse
import json
import sys

from api import access, tokens
from api.access import Scope
from api.cli.common import Subcommands
from models import clock
from models.rules import timefmt
from models.settings import Settings
from models.storage import db


def add_token(sub: Subcommands) -> None:
    token = sub.add_parser("token", help="API tokens").add_subparsers(dest="token_command",
                                                                     required=True)
    _add_create(token)
    _add_revoke(token)
    _add_list(token)


def _add_create(token: Subcommands) -> None:
    create = token.add_parser("create", help="create a client if needed and a token")
    create.add_argument("--client", type=int, required=True)
    create.add_argument("--scopes", required=True,
                        help="comma-separated: " + ", ".join(s.value for s in Scope))
    create.add_argument("--expires-in", default=None,
                        help="valid for this long: 3600s, 90m, 12h or 30d")
    create.set_defaults(run=_create)


def _create(settings: Settings, args: argparse.Namespace) -> int:
    scopes = access.parse_scopes(args.scopes)
    now = clock.now()
    expires_at = None if args.expires_in is None else now + access.parse_duration(
        args.expires_in)
    token_id, token = tokens.create_token_with_id(
        db.create_engine(settings.database_url), args.client, scopes, now, expires_at)
    print(token)
    print(f"token id {token_id}" + (f", expires {timefmt.format(expires_at)} UTC"
                                     if expires_at else ""), file=sys.stderr)
    return 0


def _add_revoke(token: Subcommands) -> None:
    revoke = token.add_parser("revoke", help="revoke a token at once (by itself or its id)")
    revoke.add_argument("token", nargs="?", default=None)
    revoke.add_argument("--id", type=int, default=None)
    revoke.set_defaults(run=_revoke)


def _revoke(settings: Settings, args: argparse.Namespace) -> int:
    if (args.token is None) == (args.id is None):
        print("error: give the token or --id, one of them", file=sys.stderr)
        return 2
    revoked = tokens.revoke_token(db.create_engine(settings.database_url), clock.now(),
                                  token=args.token, token_id=args.id)
    if not revoked:
        print("error: no such token, or it was already revoked", file=sys.stderr)
        return 1
    print("revoked: requests with it are refused from now on")
    return 0


def _add_list(token: Subcommands) -> None:
    listing = token.add_parser("list", help="a client's tokens (ids, scopes, validity)")
    listing.add_argument("--client", type=int, required=True)
    listing.set_defaults(run=_list)


def _list(settings: Settings, args: argparse.Namespace) -> int:
    for row in tokens.list_tokens(db.create_engine(settings.database_url), args.client):
        print(json.dumps(row))
    return 0
