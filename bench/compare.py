"""A benchmark on a git ref and on the working tree, alternating, and the two medians.

    python -m bench.compare REF [BENCHMARK] [--rounds 5] [-- ARGS...]

REF (a commit, a tag, a branch) is checked out in a temporary worktree (`git worktree add
--detach`), removed at the end. Each round runs `python -m bench.BENCHMARK ARGS` there (with
this interpreter and that worktree first on PYTHONPATH, so the benchmark and every process
it starts run REF's code) and here, in turns (REF first in odd rounds, the working tree
first in even ones, so a machine that slows down over the run weighs on both alike). The
figure compared is the benchmark's headline (bench.targets.HEADLINES) in the JSON line it
ends with; the medians and their ratio (working tree ÷ REF) close the output, with each
run's figure and the code each ran, and a JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import harness, targets
from tests import support

DEFAULT_BENCHMARK = "throughput"


def run_once(tree: Path, benchmark: str, args: Sequence[str], timeout_s: float
             ) -> dict[str, Any]:
    """The closing JSON line of one run of the benchmark in ``tree``."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(tree), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))])}
    done = subprocess.run([sys.executable, "-m", f"bench.{benchmark}", *args], cwd=tree,
                          env=env, capture_output=True, text=True, timeout=timeout_s)
    for line in reversed(done.stdout.splitlines()):
        if line.startswith("{") and f'"benchmark": "{benchmark}"' in line:
            found: dict[str, Any] = json.loads(line)
            return found
    raise RuntimeError(f"bench.{benchmark} in {tree} exited {done.returncode} with no "
                       f"result:\n{(done.stdout + done.stderr)[-3000:]}")


def worktree_of(ref: str, into: Path) -> Path:
    """REF checked out, detached, in a new worktree under ``into``."""
    path = into / "ref"
    subprocess.run(["git", "worktree", "add", "--detach", "--quiet", str(path), ref],
                   cwd=support.REPO_ROOT, check=True, capture_output=True, timeout=120)
    return path


def remove_worktree(path: Path) -> None:
    subprocess.run(["git", "worktree", "remove", "--force", str(path)],
                   cwd=support.REPO_ROOT, capture_output=True, timeout=120)


def compare(ref: str, benchmark: str, rounds: int, args: Sequence[str],
            timeout_s: float) -> dict[str, Any]:
    headline = targets.HEADLINES[benchmark]
    runs: dict[str, list[dict[str, Any]]] = {"ref": [], "here": []}
    with tempfile.TemporaryDirectory(prefix="ringback-compare-") as scratch:
        trees = {"ref": worktree_of(ref, Path(scratch)), "here": support.REPO_ROOT}
        try:
            for round_no in range(1, rounds + 1):
                order = ("ref", "here") if round_no % 2 else ("here", "ref")
                for side in order:
                    result = run_once(trees[side], benchmark, args, timeout_s)
                    runs[side].append(result)
                    harness.say(f"round {round_no} {side} ({result.get('code')}): "
                                f"{targets.headline_of(result, headline.key)} {headline.unit}")
        finally:
            remove_worktree(trees["ref"])
    return summary(ref, benchmark, runs, headline)


def summary(ref: str, benchmark: str, runs: dict[str, list[dict[str, Any]]],
            headline: targets.Headline) -> dict[str, Any]:
    figures = {side: [f for r in results
                      if (f := targets.headline_of(r, headline.key)) is not None]
               for side, results in runs.items()}
    medians = {side: statistics.median(values) if values else None
               for side, values in figures.items()}
    here, there = medians["here"], medians["ref"]
    ratio = here / there if here is not None and there else None
    better = "higher" if headline.higher_is_better else "lower"
    harness.say(f"{benchmark} ({headline.key}, {headline.unit}; {better} is better): "
                f"median {medians['here']} here ({runs['here'][0].get('code')}) against "
                f"{medians['ref']} on {ref} ({runs['ref'][0].get('code')}), ratio "
                f"{'n/a' if ratio is None else f'{ratio:.3f}'}")
    result = {"compare": benchmark, "ref": ref, "key": headline.key,
              "ref_code": runs["ref"][0].get("code"), "here_code": runs["here"][0].get("code"),
              "ref_figures": figures["ref"], "here_figures": figures["here"],
              "ref_median": medians["ref"], "here_median": medians["here"],
              "ratio": None if ratio is None else round(ratio, 3)}
    harness.say(json.dumps(result))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.compare", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("ref", help="a git ref to compare the working tree with")
    parser.add_argument("benchmark", nargs="?", default=DEFAULT_BENCHMARK,
                        choices=sorted(targets.HEADLINES))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per run")
    given = sys.argv[1:] if argv is None else argv
    # After "--": the benchmark's own arguments, passed on as they are.
    cut = given.index("--") if "--" in given else len(given)
    options = parser.parse_args(given[:cut])
    compare(options.ref, options.benchmark, options.rounds, given[cut + 1:], options.timeout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
