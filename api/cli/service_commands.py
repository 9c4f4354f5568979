"""The schema and the long-running processes: ``migrate``, ``run``, ``sip``, ``api``. What
each process needs is imported when it starts, so ``ringback --help`` stays quick."""

from __future__ import annotations

import argparse
import os
import sys

from api.cli.common import Subcommands
from models.settings import Settings
from models.storage import migrate


def add_migrate(sub: Subcommands) -> None:
    sub.add_parser("migrate", help="bring the database to the newest schema").set_defaults(
        run=_migrate)


def _migrate(settings: Settings, _args: argparse.Namespace) -> int:
    migrate.upgrade(settings.database_url)
    print("database is at the newest schema")
    return 0


def add_run(sub: Subcommands) -> None:
    run = sub.add_parser("run", help="migrate, then run API, worker, beat and Flower")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8000, help="the API's port")
    run.add_argument("--flower-port", type=int, default=5555)
    run.add_argument("--flower-auth", default=None,
                     help="refused: a command line is readable by every local user; set "
                     "FLOWER_BASIC_AUTH=user:password instead (without it Flower is not "
                     "started)")
    run.add_argument("--verbose", action="store_true",
                     help="every service writes to the console instead of logs/<name>.log")
    run.set_defaults(run=_run)


def _run(settings: Settings, args: argparse.Namespace) -> int:
    from api import run_all, run_private

    if args.flower_auth is not None:
        print("ringback: --flower-auth is refused: every local user can read a command line "
              f"(ps). Set {run_private.FLOWER_AUTH_ENV}=user:password in the environment "
              "instead.", file=sys.stderr)
        return 2
    return run_all.run(settings, run_all.RunOptions(
        host=args.host, api_port=args.port, flower_port=args.flower_port,
        flower_auth=os.environ.get(run_private.FLOWER_AUTH_ENV) or None,
        verbose=args.verbose))


def add_sip(sub: Subcommands) -> None:
    sub.add_parser("sip", help="run a SIP call controller (RINGBACK_DIALER=sip)").set_defaults(
        run=_sip)


def _sip(settings: Settings, _args: argparse.Namespace) -> int:
    from sip import service

    return service.main(settings)


def add_api(sub: Subcommands) -> None:
    serve = sub.add_parser("api", help="serve the HTTP API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(run=_api)


def _api(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from api.app import create_app

    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="info")
    return 0
