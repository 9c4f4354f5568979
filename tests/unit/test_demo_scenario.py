"""The demo scenario `ringback run` uses: outcomes by a number's last digit."""

from __future__ import annotations

from api import run_all
from models.rules.outcome import LegResult
from worker.dialers.sim import Scenario


def test_suffix_rules_apply_to_numbers_not_listed_by_name() -> None:
    scenario = Scenario(numbers={"+15550000002": (LegResult.ANSWER,)},
                        suffixes={"2": (LegResult.NO_ANSWER,), "3": (LegResult.BUSY,
                                                                      LegResult.ANSWER)})
    assert scenario.result("+15550000002", 1) is LegResult.ANSWER  # named beats suffix
    assert scenario.result("+15550000012", 1) is LegResult.NO_ANSWER
    assert [scenario.result("+15550000013", n) for n in (1, 2, 3)] == [
        LegResult.BUSY, LegResult.ANSWER, LegResult.ANSWER]
    assert scenario.result("+15550000019", 1) is LegResult.ANSWER  # the default


def test_the_bundled_demo_scenario_mixes_outcomes() -> None:
    scenario = Scenario.load(run_all.DEMO_SCENARIO)
    firsts = {scenario.result(f"+1555000000{d}", 1) for d in range(10)}
    assert {LegResult.ANSWER, LegResult.BUSY, LegResult.NO_ANSWER,
            LegResult.REJECTED} <= firsts
    assert scenario.ring_seconds > 0 and scenario.talk_seconds > 0
