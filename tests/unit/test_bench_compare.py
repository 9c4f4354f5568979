"""bench.compare's reading of a benchmark's closing line and its verdict: pure."""

from __future__ import annotations

from typing import Any

from bench import compare, targets


def run(code: str, **figures: Any) -> dict[str, Any]:
    return {"benchmark": "throughput", "code": code, **figures}


def test_the_headline_is_read_by_its_dotted_path() -> None:
    lag = {"runs": [{"p99_ms": 41.5}, {"p99_ms": 90}]}
    assert targets.headline_of(lag, "runs.0.p99_ms") == 41.5
    assert targets.headline_of(lag, "runs.2.p99_ms") is None
    assert targets.headline_of({"ratio": "n/a"}, "ratio") is None
    assert set(targets.HEADLINES) >= {"throughput", "sip_rate", "dispatch_lag"}


def test_medians_of_each_side_and_their_ratio() -> None:
    headline = targets.HEADLINES["throughput"]
    runs = {"ref": [run("old", ringback_tries_per_s=v) for v in (400, 420, 380)],
            "here": [run("new", ringback_tries_per_s=v) for v in (500, 610, 600)]}
    result = compare.summary("3483207", "throughput", runs, headline)
    assert (result["ref_median"], result["here_median"], result["ratio"]) == (400, 600, 1.5)
    assert (result["ref_code"], result["here_code"]) == ("old", "new")


def test_a_side_without_the_figure_has_no_ratio() -> None:
    headline = targets.HEADLINES["throughput"]
    runs = {"ref": [run("old")], "here": [run("new", ringback_tries_per_s=500)]}
    assert compare.summary("x", "throughput", runs, headline)["ratio"] is None
