"""Schedulers and tasks from the command line: ``create-scheduler``, ``add-tasks``,
``show-task``, ``import`` (CSV) and ``demo``."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path

from api import enqueue
from api.cli.common import Subcommands
from api.nudge import Nudger
from models import clock
from models.settings import Settings
from models.storage import db


def add_create_scheduler(sub: Subcommands) -> None:
    create = sub.add_parser("create-scheduler", help="create a task scheduler for a client")
    create.add_argument("--client", type=int, required=True)
    create.add_argument("--name", required=True)
    create.set_defaults(run=_create_scheduler)


def _create_scheduler(settings: Settings, args: argparse.Namespace) -> int:
    engine = db.create_engine(settings.database_url)
    scheduler = enqueue.create_scheduler(engine, args.client, {"name": args.name}, clock.now())
    print(json.dumps(scheduler))
    return 0


def add_add_tasks(sub: Subcommands) -> None:
    add = sub.add_parser("add-tasks", help='add tasks from a JSON file ({"tasks": [...]}, or -)')
    add.add_argument("--client", type=int, required=True)
    add.add_argument("--scheduler", type=int, required=True)
    add.add_argument("file")
    add.set_defaults(run=_add_tasks)


def _add_tasks(settings: Settings, args: argparse.Namespace) -> int:
    engine = db.create_engine(settings.database_url)
    raw = json.loads(Path(args.file).read_text() if args.file != "-" else sys.stdin.read())
    with contextlib.closing(Nudger(settings.broker_url)) as nudger:
        added = enqueue.add_tasks(
            engine, args.client, args.scheduler, raw.get("tasks") if isinstance(raw, dict) else raw,
            clock.now(), max_tasks=settings.max_tasks_per_request, nudge=nudger,
            dialer=settings.dialer,
        )
    print(json.dumps({"job_id": added.job_id, "tasks": added.tasks}, indent=2))
    return 0


def add_show_task(sub: Subcommands) -> None:
    show = sub.add_parser("show-task", help="print one task as the API returns it")
    show.add_argument("--client", type=int, required=True)
    show.add_argument("task", type=int)
    show.set_defaults(run=_show_task)


def _show_task(settings: Settings, args: argparse.Namespace) -> int:
    task = enqueue.get_task(db.create_engine(settings.database_url), args.client, args.task)
    if task is None:
        print(f"task {args.task} not found for client {args.client}", file=sys.stderr)
        return 1
    print(json.dumps(task, indent=2))
    return 0


def add_demo(sub: Subcommands) -> None:
    demo = sub.add_parser("demo", help="place a few hundred demo calls and watch them")
    demo.add_argument("--client", type=int, default=1)
    demo.add_argument("--tasks", type=int, default=300)
    demo.add_argument("--timeout", type=float, default=600)
    demo.set_defaults(run=_demo)


def _demo(settings: Settings, args: argparse.Namespace) -> int:
    from api import demo

    with contextlib.closing(Nudger(settings.broker_url)) as nudger:
        demo.run_demo(db.create_engine(settings.database_url), args.client, args.tasks,
                      nudge=nudger, out=sys.stdout, timeout_s=args.timeout)
    return 0


def add_import(sub: Subcommands) -> None:
    imp = sub.add_parser("import", help="add tasks from a CSV file (header: task fields)")
    imp.add_argument("file")
    imp.add_argument("--client", type=int, required=True)
    imp.add_argument("--scheduler", type=int, required=True)
    imp.add_argument("--skip-bad", action="store_true",
                     help="store the good rows even when some are bad")
    imp.set_defaults(run=_import)


def _import(settings: Settings, args: argparse.Namespace) -> int:
    from api import csv_import

    with contextlib.closing(Nudger(settings.broker_url)) as nudger:
        report = csv_import.import_file(
            db.create_engine(settings.database_url), Path(args.file), args.client,
            args.scheduler, skip_bad=args.skip_bad, max_tasks=settings.max_tasks_per_request,
            nudge=nudger, out=sys.stdout, dialer=settings.dialer)
    if report.unreadable:
        print("the file cannot be read as CSV: nothing stored")
        return 2
    if report.bad_rows and not args.skip_bad:
        print(f"{len(report.bad_rows)} bad rows: nothing stored (--skip-bad stores the rest)")
        return 2
    print(json.dumps({"job_id": report.job_id, "stored": report.stored,
                      "skipped": len(report.bad_rows)}))
    return 0


def add_why(sub: Subcommands) -> None:
    why = sub.add_parser("why", help="say what holds a task now and when it may be dialled")
    why.add_argument("task", type=int)
    why.add_argument("--client", type=int, help="only this client's task")
    why.add_argument("--json", action="store_true", help="print the API's document")
    why.set_defaults(run=_why)


def _why(settings: Settings, args: argparse.Namespace) -> int:
    from datetime import timedelta

    from api import why

    engine = db.create_engine(settings.database_url)
    task = why.find(engine, args.client, args.task)
    if task is None:
        print(f"task {args.task} not found", file=sys.stderr)
        return 1
    document = why.explain_task(engine, task, clock.now(),
                                timedelta(seconds=settings.calling_window_margin_s))
    if args.json:
        print(json.dumps(document, indent=2))
        return 0
    eligible = document["next_eligible_at"] or "not known"
    print(f"task {task.id} ({document['status']}), next eligible: {eligible}")
    for cause in document["causes"]:
        until = f" (until {cause['until']} UTC)" if cause["until"] else ""
        print(f"  {cause['cause']}: {cause['detail']}{until}")
    return 0
