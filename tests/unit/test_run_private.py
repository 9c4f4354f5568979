"""`ringback run`'s files made private: what an earlier run left is brought to 0600/0700
without following links; the SQLite files of a database URL; the default Flower password."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from api import run_private


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_a_tree_left_open_is_made_private_and_links_are_not_followed(tmp_path: Path) -> None:
    run = tmp_path / "run"
    (run / "appendonlydir").mkdir(parents=True)
    (run / "appendonlydir" / "appendonly.aof").write_text("")
    (run / "run.lock").write_text("")
    tool = run / "tool"
    tool.write_text("")
    outside = tmp_path / "not-ours.txt"
    outside.write_text("")
    (run / "link").symlink_to(outside)
    for path, mode in ((run, 0o755), (run / "appendonlydir", 0o775),
                       (run / "appendonlydir" / "appendonly.aof", 0o644),
                       (run / "run.lock", 0o666), (tool, 0o755), (outside, 0o644)):
        path.chmod(mode)
    run_private.make_private([run, tmp_path / "absent"])
    assert _mode(run) == _mode(run / "appendonlydir") == 0o700
    assert _mode(run / "appendonlydir" / "appendonly.aof") == _mode(run / "run.lock") == 0o600
    assert _mode(tool) == 0o700  # the owner's bits stay
    assert _mode(outside) == 0o644


def test_the_files_of_a_sqlite_database_url(tmp_path: Path) -> None:
    database = tmp_path / "ringback.sqlite"
    assert run_private.sqlite_files(f"sqlite:///{database}") == [
        database, tmp_path / "ringback.sqlite-wal", tmp_path / "ringback.sqlite-shm",
        tmp_path / "ringback.sqlite-journal"]
    assert run_private.sqlite_files(f"sqla+sqlite:///{database}")[0] == database
    assert run_private.sqlite_files("sqlite://") == []
    assert run_private.sqlite_files("postgresql+psycopg://u:p@db/ringback") == []
    assert run_private.sqlite_files("redis+socket:///tmp/x/broker.sock") == []


def test_the_default_or_an_empty_flower_password_is_weak() -> None:
    assert run_private.weak_flower_password("admin:change-me")
    assert run_private.weak_flower_password("ops:s3cret,admin:change-me")
    assert run_private.weak_flower_password("admin:")
    assert not run_private.weak_flower_password("admin:change-me-please")


def test_only_flowers_environment_holds_its_password() -> None:
    env = {"PATH": os.defpath, run_private.FLOWER_AUTH_ENV: "a:b"}
    assert run_private.without_flower_auth(env) == {"PATH": os.defpath}
    assert run_private.flower_env("a:b") == {"FLOWER_BASIC_AUTH": "a:b"}
