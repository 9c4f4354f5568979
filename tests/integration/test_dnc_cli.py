"""`ringback dnc` on a test database: an import names every bad line and stores nothing
unless --skip-bad, numbers are read as E.164 (one entry for two spellings), a progress line
is printed when the output is no terminal; add, list and remove, for a client and for the
installation. And the reaper forgets Idempotency-Keys past their day."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from models import clock
from models.rules import dnc
from models.storage.intake_tables import dnc_entries, idempotency_keys
from models.storage.repository import idempotency_repo
from scheduler import reaper
from tests import support


def ringback(database_url: str, *args: str, check: bool = True
             ) -> subprocess.CompletedProcess[str]:
    env = support.with_this_checkout({**{k: v for k, v in os.environ.items()
                                         if not k.startswith("RINGBACK_")},
                                      "RINGBACK_DATABASE_URL": database_url})
    return subprocess.run([sys.executable, "-m", "api.cli", *args], env=env, text=True,
                          capture_output=True, timeout=120, check=check)


def entries(engine: sa.Engine) -> list[tuple[int, str]]:
    with engine.connect() as conn:
        return sorted((int(c), str(n)) for c, n in conn.execute(
            sa.select(dnc_entries.c.client_id, dnc_entries.c.number)))


def test_an_import_names_bad_lines_and_stores_only_when_told(
    engine: sa.Engine, database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "optouts.csv"
    path.write_text("name,number\nAda,+1 (555) 010-0001\nBob,not a number\n"
                    "Cy,+15550100001\nDee,+44 20 7123 4567\n\n")
    refused = ringback(database_url, "dnc", "import", "--client", "7", str(path), check=False)
    assert refused.returncode == 2
    assert f"line 3: number: {dnc.NUMBER_RULE}" in refused.stdout
    assert entries(engine) == []

    stored = ringback(database_url, "dnc", "import", "--client", "7", "--skip-bad", str(path))
    assert "numbers listed: 2/2" in stored.stdout  # plain lines: no terminal here
    assert json.loads(stored.stdout.splitlines()[-1]) == {
        "stored": 2, "skipped": 1, "expires_at": None}
    assert entries(engine) == [(7, "+15550100001"), (7, "+442071234567")]


def test_a_file_that_is_not_valid_csv_or_utf8_stores_nothing_even_with_skip_bad(
    engine: sa.Engine, database_url: str, tmp_path: Path
) -> None:
    """As `ringback import` refuses it (issue 23, defect 5): an unterminated quote would
    swallow the rows after it."""
    unterminated = tmp_path / "quote.csv"
    unterminated.write_text('number\n+15550100001\n"+15550100002\n+15550100003\n')
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("number\n+15550100001\n+15550100002,caf\xe9\n".encode("latin-1"))
    for path, said in ((unterminated, "line 3: file: is not valid CSV"),
                       (latin1, "line 3: file: is not UTF-8 text")):
        for skip_bad in ([], ["--skip-bad"]):
            refused = ringback(database_url, "dnc", "import", "--client", "7", *skip_bad,
                               str(path), check=False)
            assert refused.returncode == 2, refused.stdout + refused.stderr
            assert said in refused.stdout and "nothing stored" in refused.stdout
    assert entries(engine) == []


def test_add_list_and_remove_for_a_client_and_the_installation(
    engine: sa.Engine, database_url: str
) -> None:
    ringback(database_url, "dnc", "add", "--global", "+1 555 010 0009", "+15550100008")
    ringback(database_url, "dnc", "add", "--client", "7", "(555) 010-0007", "--region", "US")
    assert entries(engine) == [(0, "+15550100008"), (0, "+15550100009"), (7, "+15550100007")]
    looked_up = json.loads(ringback(database_url, "dnc", "list", "--client", "7", "--number",
                                    "+15550100009").stdout)
    assert (looked_up["blocked"], looked_up["blocked_by"]) == (True, "installation")
    listed = ringback(database_url, "dnc", "list", "--global").stdout.splitlines()
    assert [json.loads(line)["number"] for line in listed] == ["+15550100008", "+15550100009"]
    ringback(database_url, "dnc", "remove", "--global", "+15550100009")
    missing = ringback(database_url, "dnc", "remove", "--global", "+15550100009", check=False)
    assert missing.returncode == 1 and "not on this do-not-call list" in missing.stderr
    bad = ringback(database_url, "dnc", "add", "--client", "7", "555", check=False)
    assert bad.returncode == 2 and "numbers[0]" in bad.stderr
    assert entries(engine) == [(0, "+15550100008"), (7, "+15550100007")]


def test_the_reaper_forgets_keys_past_their_day(engine: sa.Engine) -> None:
    now = clock.now()
    with engine.begin() as conn:
        for key, age in (("old", timedelta(hours=25)), ("young", timedelta(hours=23))):
            idempotency_repo.claim(conn, 7, key, "h" * 64, now - age, now - timedelta(days=9))
    reaper.reap(engine, now, send=lambda _: None, claimed_resend_after_s=60,
                unplaced_after_s=30, dialing_timeout_s=3660)
    with engine.connect() as conn:
        assert list(conn.execute(sa.select(idempotency_keys.c.key)).scalars()) == ["young"]
