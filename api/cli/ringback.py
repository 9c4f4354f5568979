"""``ringback``'s parser, built from each group's subcommands, and ``main``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from api import exceptions
from api.cli import dnc_commands, service_commands, task_commands, token_commands
from api.cli.common import Subcommands
from models import settings as settings_module
from models.rules.errors import InvalidInput

# In the order ``ringback --help`` lists them.
SUBCOMMANDS: tuple[Callable[[Subcommands], None], ...] = (
    service_commands.add_migrate,
    task_commands.add_create_scheduler,
    task_commands.add_add_tasks,
    task_commands.add_show_task,
    task_commands.add_why,
    service_commands.add_run,
    task_commands.add_demo,
    task_commands.add_import,
    service_commands.add_sip,
    service_commands.add_api,
    token_commands.add_token,
    dnc_commands.add_dnc,
)


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ringback", description="Outbound-callback scheduler")
    sub = parser.add_subparsers(dest="command", required=True)
    for add in SUBCOMMANDS:
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    settings = settings_module.load()
    try:
        return int(args.run(settings, args))
    except (InvalidInput, exceptions.UnknownScheduler, exceptions.DuplicateScheduler) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
