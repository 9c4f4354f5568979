"""What every command group uses: the parser's subcommands, and a command's signature."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TypeAlias

from models.settings import Settings

Subcommands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
# Runs a parsed command; returns its exit status.
Command = Callable[[Settings, argparse.Namespace], int]
