"""``python -m api.cli``: how ``ringback run``, the tests and the benchmarks start commands."""

from __future__ import annotations

from api.cli import ringback

raise SystemExit(ringback.main())
