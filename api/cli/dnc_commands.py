"""``ringback dnc add|remove|list|import``: a client's do-not-call list (``--client``), or
the installation-wide one that applies to every client (``--global``)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from api import dnc, dnc_import
from api.cli.common import Subcommands
from models import clock
from models.rules import dnc as dnc_rules
from models.rules import timefmt
from models.settings import Settings
from models.storage import db


def add_dnc(sub: Subcommands) -> None:
    group = sub.add_parser("dnc", help="manage do-not-call lists").add_subparsers(
        dest="dnc_command", required=True)
    add = _with_list(group.add_parser("add", help="list numbers"))
    add.add_argument("numbers", nargs="+")
    _with_entry_options(add)
    add.set_defaults(run=_add)
    remove = _with_list(group.add_parser("remove", help="take a number off the list"))
    remove.add_argument("number")
    remove.set_defaults(run=_remove)
    show = _with_list(group.add_parser("list", help="print the list, or look one number up"))
    show.add_argument("--number")
    show.set_defaults(run=_list)
    imp = _with_list(group.add_parser("import", help="list the numbers of a CSV file"))
    imp.add_argument("file")
    imp.add_argument("--skip-bad", action="store_true",
                     help="store the good rows even when some are bad")
    _with_entry_options(imp)
    imp.set_defaults(run=_import)


def _with_list(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    whose = parser.add_mutually_exclusive_group(required=True)
    whose.add_argument("--client", type=int, help="the client whose list it is")
    whose.add_argument("--global", dest="installation", action="store_true",
                       help="the installation-wide list, which applies to every client")
    return parser


def _with_entry_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--expires", help="UTC 'YYYY-MM-DD HH:MM:SS': no longer blocks then")
    parser.add_argument("--region", help="ISO 3166 code: how numbers without + are read")


def _owner(args: argparse.Namespace) -> int:
    return dnc_rules.INSTALLATION if args.installation else int(args.client)


def _add(settings: Settings, args: argparse.Namespace) -> int:
    added = dnc.add_numbers(db.create_engine(settings.database_url), _owner(args),
                            {"numbers": args.numbers, "expires_at": args.expires}, clock.now(),
                            region=args.region)
    print(json.dumps(added))
    return 0


def _remove(settings: Settings, args: argparse.Namespace) -> int:
    try:
        dnc.remove_number(db.create_engine(settings.database_url), _owner(args), args.number)
    except dnc.UnknownEntry as missing:
        print(f"error: {missing}", file=sys.stderr)
        return 1
    return 0


def _list(settings: Settings, args: argparse.Namespace) -> int:
    engine, now = db.create_engine(settings.database_url), clock.now()
    if args.number is not None:
        print(json.dumps(dnc.look_up(engine, _owner(args), args.number, now)))
        return 0
    cursor: str | None = ""
    while cursor is not None:
        page = dnc.page(engine, _owner(args), cursor, 1000, now)
        for entry in page["entries"]:
            print(json.dumps(entry))
        cursor = page["next_cursor"]
    return 0


def _import(settings: Settings, args: argparse.Namespace) -> int:
    expires_at = dnc.parse_expiry(args.expires, clock.now())
    report = dnc_import.import_file(
        db.create_engine(settings.database_url), Path(args.file), _owner(args),
        region=args.region, expires_at=expires_at, skip_bad=args.skip_bad, now=clock.now(),
        out=sys.stdout)
    if report.unreadable:
        print("the file cannot be read as CSV: nothing stored")
        return 2
    if report.bad_rows and not args.skip_bad:
        print(f"{len(report.bad_rows)} bad rows: nothing stored (--skip-bad stores the rest)")
        return 2
    print(json.dumps({"stored": report.stored, "skipped": len(report.bad_rows),
                      "expires_at": timefmt.format(expires_at)}))
    return 0
