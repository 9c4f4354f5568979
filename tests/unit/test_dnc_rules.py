"""Do-not-call numbers read as E.164 and a try's numbers screened against the lists, and
the duplicate-B-number rule of intake: pure."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.rules import dnc, intake, numbering
from models.rules.dnc import ListScope

CLIENT, INSTALLATION = ListScope.CLIENT, ListScope.INSTALLATION


@pytest.mark.parametrize(("raw", "region", "e164"), [
    ("+1 (555) 010-0001", None, "+15550100001"),
    ("+15550100001", None, "+15550100001"),
    ("+1.555.010.0001", None, "+15550100001"),
    ("(555) 010-0001", "US", "+15550100001"),
    ("01 42 68 53 00", "FR", "+33142685300"),
    ("+33 (0)1 42 68 53 00", None, "+33142685300"),
    ("+44 020 7123 4567", None, "+442071234567"),
])
def test_numbers_are_one_entry_whatever_their_format(raw: str, region: str | None,
                                                     e164: str) -> None:
    assert dnc.normalise(raw, region) == e164


@pytest.mark.parametrize("raw", ["", "   ", "hello", "555 010 0001", "+1\x00555", 15550100001,
                                 None, "+" + "1" * 70])
def test_what_is_no_number_is_refused_with_its_rule(raw: object) -> None:
    with pytest.raises(dnc.NotANumber) as refused:
        dnc.normalise(raw)
    assert "must" in refused.value.rule


@pytest.mark.parametrize(("raw", "region"), [
    ("+1 (555)", None),  # too short for its country: no number at all
    ("+0015550100001", None),  # no country code starts with 0
    ("+999", None),
    ("0015550100001", "US"),  # 00 is no international prefix in the US (011 is)
    ("555 0100", "US"),  # a local number without its area code
])
def test_an_impossible_number_is_never_a_list_entry(raw: str, region: str | None) -> None:
    with pytest.raises(dnc.NotANumber) as refused:
        dnc.normalise(raw, region)
    assert refused.value.rule == numbering.IMPOSSIBLE_RULE


def test_a_list_entry_is_the_number_a_task_of_any_spelling_dials() -> None:
    assert dnc.normalise("0015550100001", "FR") == numbering.canonical("5550100001", "US")
    assert dnc.normalise("+44 20 7123 4567") == numbering.canonical("02071234567", "GB")


def test_a_listed_b_number_ends_the_task_naming_the_list() -> None:
    listed = {"+15550100002": INSTALLATION}
    screening = dnc.screen("+15550100002", ["+15550100001"], listed)
    assert screening.refusal == ("do-not-call: B number +15550100002 is on the "
                                 "installation-wide do-not-call list")


def test_a_listed_a_number_is_left_out_while_the_others_ring() -> None:
    listed = {"+15550100001": CLIENT}
    screening = dnc.screen("+15550100009", ["+15550100001", "+15550100003"], listed)
    assert screening == dnc.Screening(None, ("+15550100001",))
    every = dnc.screen("+15550100009", ["+15550100001"], listed)
    assert every.refusal == ("do-not-call: every A number is on a do-not-call list "
                             "(+15550100001)")


def test_nothing_listed_lets_every_number_through() -> None:
    assert dnc.screen("+15550100009", ["+15550100001"], {}) == dnc.Screening(None, ())


def test_duplicates_of_active_tasks_and_of_earlier_tasks_of_the_request() -> None:
    found = intake.duplicates(["+1", "+2", "+1", "+3", "+3"], {"+2": 40})
    assert found == {1: intake.Duplicate(task_id=40), 2: intake.Duplicate(index=0),
                     4: intake.Duplicate(index=3)}
    label = "tasks[{}]".format
    assert found[1].rule(label) == "already has an active task in this scheduler (task 40)"
    assert found[2].rule(label) == "repeats the b_number of tasks[0]"


@given(st.lists(st.sampled_from(["+1", "+2", "+3", "+4"]), max_size=12),
       st.dictionaries(st.sampled_from(["+1", "+2"]), st.integers(1, 99)))
def test_exactly_the_first_of_each_free_number_is_not_a_duplicate(
        numbers: list[str], active: dict[str, int]) -> None:
    found = intake.duplicates(numbers, active)
    kept = [numbers[i] for i in range(len(numbers)) if i not in found]
    assert len(kept) == len(set(kept)) and not set(kept) & set(active)
    assert set(kept) == set(numbers) - set(active)
