"""The ``ringback`` command: ``api.cli.ringback`` builds its parser from the command groups
(services, tasks, tokens), one module each."""

from __future__ import annotations

# The console script and installs made before the package was split call api.cli:main.
from api.cli.ringback import main as main

__all__ = ["main"]
