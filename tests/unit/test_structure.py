"""The code's shape, checked: which package may import which (pure modules no I/O, `api`
never `worker`, nothing upward), and no product module over 600 lines or function over 50
(the style guide's hints; one concept per file is what matters).
Each rule is also run on a small tree that breaks it, so a checker that finds nothing fails."""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("models", "scheduler", "worker", "api", "sip")
PURE = ("models.rules", "models.shapes")
MODELS_BASE = "models"  # settings, the clock and logging: models/*.py
ALLOWED: dict[str, frozenset[str]] = {
    "models.rules": frozenset({"models.rules"}),
    "models.shapes": frozenset({"models.rules", "models.shapes"}),
    MODELS_BASE: frozenset({MODELS_BASE, "models.rules", "models.shapes"}),
    "models.storage": frozenset({MODELS_BASE, "models.rules", "models.shapes",
                                 "models.storage"}),
    "scheduler": frozenset({MODELS_BASE, "models.rules", "models.shapes", "models.storage",
                            "scheduler"}),
    "sip": frozenset({MODELS_BASE, "models.rules", "models.shapes", "models.storage", "sip"}),
    "worker": frozenset({MODELS_BASE, "models.rules", "models.shapes", "models.storage",
                         "scheduler", "worker"}),
    "api": frozenset({MODELS_BASE, "models.rules", "models.shapes", "models.storage",
                      "scheduler", "sip", "api"}),
}
# Standard-library modules that reach outside the process or read a clock.
IO_MODULES = frozenset({"asyncio", "io", "logging", "os", "pathlib", "select", "selectors",
                        "shutil", "signal", "socket", "sqlite3", "ssl", "subprocess", "sys",
                        "tempfile", "threading", "time", "urllib.request", "http"})
# Third-party packages that are data and pure functions.
PURE_THIRD_PARTY = frozenset({"holidays", "phonenumbers"})
CLOCK_CALLS = frozenset({"now", "utcnow", "today", "time", "monotonic"})
MODULE_MAX_LINES = 600
FUNCTION_MAX_LINES = 50


@dataclass(frozen=True)
class Module:
    name: str
    path: Path
    tree: ast.Module

    @property
    def area(self) -> str:
        parts = self.name.split(".")
        if parts[0] == "models" and len(parts) > 2 and parts[1] in ("rules", "shapes",
                                                                   "storage"):
            return f"models.{parts[1]}"
        return parts[0]


def modules(root: Path) -> Iterator[Module]:
    for package in PRODUCT:
        for path in sorted((root / package).rglob("*.py")):
            if "versions" in path.parts:  # Alembic's generated migrations
                continue
            name = ".".join(path.relative_to(root).with_suffix("").parts)
            yield Module(name.removesuffix(".__init__"), path, ast.parse(path.read_text()))


def imported(tree: ast.Module) -> Iterator[tuple[int, str]]:
    """Every module imported anywhere in the file, functions included."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module
            if node.module == "models":  # `from models import clock` names a module
                yield from ((node.lineno, f"models.{a.name}") for a in node.names)


def area_of(name: str) -> str | None:
    parts = name.split(".")
    if parts[0] not in PRODUCT:
        return None
    if parts[0] == "models" and len(parts) > 1 and parts[1] in ("rules", "shapes", "storage"):
        return f"models.{parts[1]}"
    return parts[0]


def import_violations(root: Path) -> list[str]:
    found = []
    for module in modules(root):
        for line, name in imported(module.tree):
            where = f"{module.path.relative_to(root)}:{line} imports {name}"
            target = area_of(name)
            if target is not None and name != "models" and target not in ALLOWED[module.area]:
                found.append(f"{where}: {module.area} may not import {target}")
            if module.area in PURE and target is None and not _pure_import(name):
                found.append(f"{where}: {module.area} is pure (no I/O, no clock)")
        if module.area in PURE:
            found.extend(f"{module.path.relative_to(root)}:{line} reads the clock"
                         for line in _clock_reads(module.tree))
    return found


def _pure_import(name: str) -> bool:
    top = name.split(".")[0]
    if top in ("__future__", "_typeshed") or top in PURE_THIRD_PARTY:  # _typeshed: types only
        return True
    io = name in IO_MODULES or top in IO_MODULES
    return top in sys.stdlib_module_names and not io


def _clock_reads(tree: ast.Module) -> Iterator[int]:
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in CLOCK_CALLS and isinstance(node.func.value, ast.Name)
                and node.func.value.id in ("datetime", "date", "time")):
            yield node.lineno


def size_violations(root: Path) -> list[str]:
    found = []
    for module in modules(root):
        lines = len(module.path.read_text().splitlines())
        if lines > MODULE_MAX_LINES:
            found.append(f"{module.path.relative_to(root)}: {lines} lines")
        for node in ast.walk(module.tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > FUNCTION_MAX_LINES:
                    found.append(f"{module.path.relative_to(root)}:{node.lineno} "
                                 f"{node.name}: {length} lines")
    return found


def test_every_import_follows_the_layers() -> None:
    assert import_violations(ROOT) == []


def test_no_module_or_function_is_too_long() -> None:
    assert size_violations(ROOT) == []


def test_the_tree_is_really_read() -> None:
    names = {module.name for module in modules(ROOT)}
    assert {"models.rules.task_state", "api.app", "worker.tasks", "sip.controller",
            "models.storage.tables"} <= names


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for package in PRODUCT:
        (tmp_path / package).mkdir()
    for relative, text in files.items():
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


@pytest.mark.parametrize(("relative", "text", "rule"), [
    ("api/bad.py", "import worker.tasks\n", "api may not import worker"),
    ("api/bad.py", "def f():\n    from worker import tasks\n", "api may not import worker"),
    ("scheduler/bad.py", "from api import app\n", "scheduler may not import api"),
    ("sip/bad.py", "from worker import calls\n", "sip may not import worker"),
    ("models/storage/bad.py", "from scheduler import dispatch\n",
     "models.storage may not import scheduler"),
    ("models/rules/bad.py", "from models.storage import tables\n",
     "models.rules may not import models.storage"),
    ("models/rules/bad.py", "import sqlalchemy\n", "models.rules is pure"),
    ("models/shapes/bad.py", "import socket\n", "models.shapes is pure"),
    ("models/rules/bad.py", "import time\n", "models.rules is pure"),
    ("models/rules/bad.py", "from datetime import datetime\nx = datetime.now()\n",
     "reads the clock"),
])
def test_a_broken_layer_is_found(tmp_path: Path, relative: str, text: str, rule: str) -> None:
    found = import_violations(_tree(tmp_path, {relative: text}))
    assert len(found) == 1 and rule in found[0], found


def test_allowed_imports_are_not_flagged(tmp_path: Path) -> None:
    root = _tree(tmp_path, {
        "api/ok.py": "from models.storage import tables\nfrom scheduler import dispatch\n",
        "models/rules/ok.py": "import re\nfrom datetime import datetime, timedelta\n",
        "worker/ok.py": "from scheduler import completion\n",
    })
    assert import_violations(root) == []


def test_a_long_module_and_a_long_function_are_found(tmp_path: Path) -> None:
    body = "".join(f"    x{i} = {i}\n" for i in range(FUNCTION_MAX_LINES))
    root = _tree(tmp_path, {
        "api/long_function.py": f"def f():\n{body}",
        "worker/long_module.py": "x = 1\n" * (MODULE_MAX_LINES + 1),
    })
    found = size_violations(root)
    assert len(found) == 2, found
    assert any(f"long_function.py:1 f: {FUNCTION_MAX_LINES + 1} lines" in f for f in found)
    assert any(f"long_module.py: {MODULE_MAX_LINES + 1} lines" in f for f in found)
