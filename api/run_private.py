"""What keeps `ringback run`'s files and secrets to the user who runs it. The database holds
SIP passwords and webhook secrets, the logs phone numbers: a umask set before anything is
written makes every file `ringback run` and its children create 0600 (folders 0700), and the
files an earlier run (or a command run under a looser umask) left are brought to that too.
Flower's credentials reach Flower through its environment (it reads FLOWER_BASIC_AUTH
itself), never a command line, which every local user can read (ps, /proc/<pid>/cmdline)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

PRIVATE_UMASK = 0o077
FLOWER_AUTH_ENV = "FLOWER_BASIC_AUTH"  # user:password[,user:password]; Flower reads it
# scripts/run-embedded.sh's password when FLOWER_PASSWORD is unset: known to everyone.
DEFAULT_FLOWER_PASSWORD = "change-me"
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def sqlite_files(url: str) -> list[Path]:
    """The files of a SQLite database URL (the database, its journal and WAL); none for
    any other database, or a database in memory."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return []
    if "sqlite" not in parsed.drivername or parsed.database in (None, "", ":memory:"):
        return []
    database = Path(str(parsed.database))
    return [database, *(database.with_name(database.name + side)
                        for side in SQLITE_SIDE_FILES)]


def make_private(paths: Iterable[Path]) -> None:
    """Each path that exists, and everything under a folder, loses its group and other
    permissions (folders 0700). Links are not followed: what they point at is not ours."""
    for path in paths:
        _make_private(path)
        if path.is_dir() and not path.is_symlink():
            for folder, dirs, files in os.walk(path):
                for name in (*dirs, *files):
                    _make_private(Path(folder) / name)


def _make_private(path: Path) -> None:
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return
    if stat.S_ISLNK(mode):
        return
    wanted = 0o700 if stat.S_ISDIR(mode) else stat.S_IMODE(mode) & 0o700
    if stat.S_IMODE(mode) != wanted:
        path.chmod(wanted)


def flower_env(auth: str) -> dict[str, str]:
    """What Flower's environment adds: its credentials, read by Flower itself."""
    return {FLOWER_AUTH_ENV: auth}


def without_flower_auth(env: dict[str, str]) -> dict[str, str]:
    """``env`` for a child that is not Flower: no reason to hold its password."""
    return {name: value for name, value in env.items() if name != FLOWER_AUTH_ENV}


def weak_flower_password(auth: str) -> bool:
    """Any of the credentials has the well-known default password, or none at all."""
    return any(credential.partition(":")[2] in ("", DEFAULT_FLOWER_PASSWORD)
               for credential in auth.split(","))


FLOWER_WARNING_SHORT = f"Flower's password is the default `{DEFAULT_FLOWER_PASSWORD}`"


def flower_warning(host: str, port: int) -> str:
    return (f"WARNING: {FLOWER_WARNING_SHORT}: anyone who can reach http://{host}:{port} "
            "logs in and sees every task. Set FLOWER_PASSWORD (scripts/run-embedded.sh) or "
            f"{FLOWER_AUTH_ENV}=user:password.")


def flower_refusal(host: str) -> str:
    return (f"Flower's password is the default `{DEFAULT_FLOWER_PASSWORD}` and --host {host} "
            f"is not a loopback address: set {FLOWER_AUTH_ENV}=user:password with a password "
            "of your own (or FLOWER_PASSWORD for scripts/run-embedded.sh).")
