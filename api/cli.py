"""The ``ringback`` command."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from api import access, enqueue, exceptions, tokens
from api.access import Scope
from api.nudge import Nudger
from models import clock
from models import settings as settings_module
from models.rules import timefmt
from models.settings import Settings
from models.shapes.validation import InvalidInput
from models.storage import db, migrate


def _cmd_migrate(settings: Settings, _args: argparse.Namespace) -> int:
    migrate.upgrade(settings.database_url)
    print("database is at the newest schema")
    return 0


def _cmd_create_scheduler(settings: Settings, args: argparse.Namespace) -> int:
    engine = db.create_engine(settings.database_url)
    scheduler = enqueue.create_scheduler(engine, args.client, {"name": args.name}, clock.now())
    print(json.dumps(scheduler))
    return 0


def _cmd_add_tasks(settings: Settings, args: argparse.Namespace) -> int:
    engine = db.create_engine(settings.database_url)
    raw = json.loads(Path(args.file).read_text() if args.file != "-" else sys.stdin.read())
    nudger = Nudger(settings.broker_url)
    try:
        added = enqueue.add_tasks(
            engine, args.client, args.scheduler, raw.get("tasks") if isinstance(raw, dict) else raw,
            clock.now(), max_tasks=settings.max_tasks_per_request, nudge=nudger,
            dialer=settings.dialer,
        )
    finally:
        nudger.close()
    print(json.dumps({"job_id": added.job_id, "tasks": added.tasks}, indent=2))
    return 0


def _cmd_show_task(settings: Settings, args: argparse.Namespace) -> int:
    task = enqueue.get_task(db.create_engine(settings.database_url), args.client, args.task)
    if task is None:
        print(f"task {args.task} not found for client {args.client}", file=sys.stderr)
        return 1
    print(json.dumps(task, indent=2))
    return 0


def _cmd_api(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from api.app import create_app

    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="info")
    return 0


def _cmd_token_create(settings: Settings, args: argparse.Namespace) -> int:
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


def _cmd_token_revoke(settings: Settings, args: argparse.Namespace) -> int:
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


def _cmd_token_list(settings: Settings, args: argparse.Namespace) -> int:
    for row in tokens.list_tokens(db.create_engine(settings.database_url), args.client):
        print(json.dumps(row))
    return 0


def _cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    from api import run_all

    return run_all.run(settings, run_all.RunOptions(
        host=args.host, api_port=args.port, flower_port=args.flower_port,
        flower_auth=args.flower_auth))


def _cmd_sip(settings: Settings, _args: argparse.Namespace) -> int:
    from sip import service

    return service.main(settings)


def _cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    from api import demo

    nudger = Nudger(settings.broker_url)
    try:
        demo.run_demo(db.create_engine(settings.database_url), args.client, args.tasks,
                      nudge=nudger, out=sys.stdout, timeout_s=args.timeout)
    finally:
        nudger.close()
    return 0


def _cmd_import(settings: Settings, args: argparse.Namespace) -> int:
    from api import csv_import

    nudger = Nudger(settings.broker_url)
    try:
        report = csv_import.import_file(
            db.create_engine(settings.database_url), Path(args.file), args.client,
            args.scheduler, skip_bad=args.skip_bad, max_tasks=settings.max_tasks_per_request,
            nudge=nudger, out=sys.stdout, dialer=settings.dialer)
    finally:
        nudger.close()
    if report.unreadable:
        print("the file cannot be read as CSV: nothing stored")
        return 2
    if report.bad_rows and not args.skip_bad:
        print(f"{len(report.bad_rows)} bad rows: nothing stored (--skip-bad stores the rest)")
        return 2
    print(json.dumps({"job_id": report.job_id, "stored": report.stored,
                      "skipped": len(report.bad_rows)}))
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ringback", description="Outbound-callback scheduler")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="bring the database to the newest schema").set_defaults(
        run=_cmd_migrate)
    create = sub.add_parser("create-scheduler", help="create a task scheduler for a client")
    create.add_argument("--client", type=int, required=True)
    create.add_argument("--name", required=True)
    create.set_defaults(run=_cmd_create_scheduler)
    add = sub.add_parser("add-tasks", help='add tasks from a JSON file ({"tasks": [...]}, or -)')
    add.add_argument("--client", type=int, required=True)
    add.add_argument("--scheduler", type=int, required=True)
    add.add_argument("file")
    add.set_defaults(run=_cmd_add_tasks)
    show = sub.add_parser("show-task", help="print one task as the API returns it")
    show.add_argument("--client", type=int, required=True)
    show.add_argument("task", type=int)
    show.set_defaults(run=_cmd_show_task)
    run = sub.add_parser("run", help="migrate, then run API, worker, beat and Flower")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8000, help="the API's port")
    run.add_argument("--flower-port", type=int, default=5555)
    run.add_argument("--flower-auth", default=None,
                     help="user:password for Flower; without it Flower is not started")
    run.set_defaults(run=_cmd_run)
    demo = sub.add_parser("demo", help="place a few hundred demo calls and watch them")
    demo.add_argument("--client", type=int, default=1)
    demo.add_argument("--tasks", type=int, default=300)
    demo.add_argument("--timeout", type=float, default=600)
    demo.set_defaults(run=_cmd_demo)
    imp = sub.add_parser("import", help="add tasks from a CSV file (header: task fields)")
    imp.add_argument("file")
    imp.add_argument("--client", type=int, required=True)
    imp.add_argument("--scheduler", type=int, required=True)
    imp.add_argument("--skip-bad", action="store_true",
                     help="store the good rows even when some are bad")
    imp.set_defaults(run=_cmd_import)
    sub.add_parser("sip", help="run a SIP call controller (RINGBACK_DIALER=sip)").set_defaults(
        run=_cmd_sip)
    serve = sub.add_parser("api", help="serve the HTTP API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(run=_cmd_api)
    token = sub.add_parser("token", help="API tokens").add_subparsers(dest="token_command",
                                                                     required=True)
    create_token = token.add_parser("create", help="create a client if needed and a token")
    create_token.add_argument("--client", type=int, required=True)
    create_token.add_argument("--scopes", required=True,
                              help="comma-separated: " + ", ".join(s.value for s in Scope))
    create_token.add_argument("--expires-in", default=None,
                              help="valid for this long: 3600s, 90m, 12h or 30d")
    create_token.set_defaults(run=_cmd_token_create)
    revoke = token.add_parser("revoke", help="revoke a token at once (by itself or its id)")
    revoke.add_argument("token", nargs="?", default=None)
    revoke.add_argument("--id", type=int, default=None)
    revoke.set_defaults(run=_cmd_token_revoke)
    listing = token.add_parser("list", help="a client's tokens (ids, scopes, validity)")
    listing.add_argument("--client", type=int, required=True)
    listing.set_defaults(run=_cmd_token_list)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = settings_module.load()
    try:
        return int(args.run(settings, args))
    except (InvalidInput, exceptions.UnknownScheduler, exceptions.DuplicateScheduler) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
