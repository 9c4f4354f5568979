"""A number read once, at intake, under its scheduler's numbering: every spelling of one
number is one E.164 number, and every rule (do-not-call lists, caps, calling windows)
decides the same for each. Pure, with an injected clock."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.rules import dnc, numbering
from models.rules.calling import admission
from models.rules.dnc import ListScope
from models.rules.errors import InvalidInput
from models.rules.numbering import ANumberType
from models.shapes import task_numbers
from models.shapes.validation import NewTask, validate_tasks

US = task_numbers.Numbering("US")
FR = task_numbers.Numbering("FR")
NONE = task_numbers.Numbering(None)
# Wednesday 2026-11-25 15:00 UTC: 10:00 in New York, 16:00 in Paris, 00:00 in Tokyo.
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
TASK_SHAPE = re.compile(r"\+?[0-9]{3,20}")


def _read(b_number: str, numbering_of: task_numbers.Numbering, a_number: str = "+15550000001",
          **params: object) -> NewTask:
    task = NewTask(a_number=a_number, b_number=b_number, callback_params=params or None)
    return task_numbers.read_all([task], numbering_of, "tasks[{}]".format)[0]


@pytest.mark.parametrize(("written", "numbering_of", "e164"), [
    # The spellings the field test walked past the rules with.
    ("5550100001", US, "+15550100001"),
    ("15550100001", US, "+15550100001"),  # the national prefix 1
    ("0015550100001", FR, "+15550100001"),  # 00: the French international prefix
    ("0123456780", FR, "+33123456780"),
    ("0033123456780", FR, "+33123456780"),
    ("01133123456780", US, "+33123456780"),  # 011: the US international prefix
    ("12125550100", US, "+12125550100"),
    ("+12125550100", FR, "+12125550100"),  # "+" is international whatever the region
])
def test_each_spelling_is_read_as_the_one_number(
        written: str, numbering_of: task_numbers.Numbering, e164: str) -> None:
    task = _read(written, numbering_of)
    assert task.dial is not None and task.dial.b == e164
    assert task.b_number == written  # the seed's object keeps what the client wrote


@pytest.mark.parametrize(("written", "numbering_of", "rule"), [
    ("5550100001", NONE, numbering.NO_REGION_RULE),  # national, and no region to read it in
    ("0015550100001", US, numbering.IMPOSSIBLE_RULE),  # 00 is no US international prefix
    ("+0015550100001", US, numbering.IMPOSSIBLE_RULE),
    ("+1555", NONE, numbering.IMPOSSIBLE_RULE),
    ("5550100", US, numbering.IMPOSSIBLE_RULE),  # local only: no area code
])
def test_a_number_that_cannot_be_read_is_refused_naming_its_field(
        written: str, numbering_of: task_numbers.Numbering, rule: str) -> None:
    tasks = validate_tasks([{"a_number": "+15550000001", "b_number": "+15550000002"},
                            {"a_number": "+15550000001", "b_number": written}], 10)
    with pytest.raises(InvalidInput) as refused:
        task_numbers.read_all(tasks, numbering_of, "tasks[{}]".format)
    assert [(e.field, e.rule) for e in refused.value.errors] == [("tasks[1].b_number", rule)]


def test_a_numbers_are_read_too_and_may_not_repeat_as_dialled() -> None:
    task = _read("+33123456780", US, a_number="2125550100",
                 extended_a_numbers=["+12125550101"])
    assert task.dial is not None and task.dial.a == ("+12125550100", "+12125550101")
    twice = NewTask(a_number="2125550100", b_number="+33123456780",
                    callback_params={"extended_a_numbers": ["12125550100", "1"]})
    with pytest.raises(InvalidInput) as refused:
        task_numbers.read_all([twice], US, "tasks[{}]".format)
    assert [e.field for e in refused.value.errors] == [
        "tasks[0].callback_params.extended_a_numbers[0]",
        "tasks[0].callback_params.extended_a_numbers[1]"]
    assert "as dialled: +12125550100" in refused.value.errors[0].rule


def test_pbx_extensions_are_dialled_as_written_outside_the_number_rules() -> None:
    pbx = task_numbers.Numbering(None, ANumberType.PBX_EXTENSION)
    task = _read("+33123456780", pbx, a_number="1001", extended_a_numbers=["1002"])
    assert task.dial is not None and task.dial.a == ("1001", "1002")
    assert numbering.ruled([task.dial.b, *task.dial.a]) == ["+33123456780"]
    with pytest.raises(InvalidInput):  # B is a phone number still: it needs its reading
        _read("0123456780", pbx)


def test_a_region_is_one_libphonenumber_reads() -> None:
    assert numbering.region_problem("FR") is None and numbering.region_problem(None) is None
    for wrong in ("fr", "ZZ", "001", "FRA", 33, ""):
        assert numbering.region_problem(wrong) == numbering.REGION_RULE


# -- the property: any spelling of a number, the same decision by every rule ---------------

REGIONS = ("US", "FR", "GB", "DE", "JP", "AU", "IN", "BR", "IT", "MX", "ZA", "CH", "ES", "NL")
KINDS = (phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE)
RULES = admission.CallingRules.of(
    {"calling_windows": {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}},
    {"per_24h": 2, "lifetime": 3})


def _example(region: str, kind: phonenumbers.PhoneNumberType) -> phonenumbers.PhoneNumber:
    number = phonenumbers.example_number_for_type(region, kind)
    assert number is not None
    return number


def _spellings(number: phonenumbers.PhoneNumber, region: str) -> set[str]:
    """As a person in ``region`` may write it: E.164; as dialled from there (the national
    prefix at home, the region's international prefix abroad); home numbers with their
    country code and no "+" where the national prefix is the country code (NANP)."""
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    dialled = phonenumbers.format_out_of_country_calling_number(number, region)
    found = {e164, re.sub(r"[^0-9+]", "", dialled)}
    if phonenumbers.region_code_for_number(number) == region:
        national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        found.add(re.sub(r"[^0-9]", "", national))
        found.add(phonenumbers.national_significant_number(number))
    return {s for s in found if TASK_SHAPE.fullmatch(s)}


def _decisions(b_e164: str, listed: dict[str, ListScope],
               dials: dict[str, admission.NumberHistory]) -> tuple[object, ...]:
    assert RULES is not None
    history = dials.get(b_e164, admission.NumberHistory())
    verdict = admission.admit(RULES, b_e164, None, history, NOW, timedelta(seconds=30))
    return (dnc.screen(b_e164, ["+15550000001"], listed).refusal, len(history.dial_times),
            verdict.allowed, verdict.hold, verdict.next_at, tuple(verdict.evidence["zones"]))


@settings(max_examples=300, deadline=None)
@given(home=st.sampled_from(REGIONS), own=st.sampled_from(REGIONS), kind=st.sampled_from(KINDS),
       listed_in=st.sampled_from(REGIONS))
def test_every_spelling_gets_the_same_decision_from_every_rule(
        home: str, own: str, kind: phonenumbers.PhoneNumberType, listed_in: str) -> None:
    """``home``: the scheduler's default_region; ``own``: the number's country. The list
    entry was added in yet another region's spelling; the number was dialled twice before
    (counted against the caps under its E.164 form, the only form stored)."""
    number = _example(own, kind)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    entry = re.sub(r"[^0-9+]", "", phonenumbers.format_out_of_country_calling_number(
        number, listed_in))
    listed = {dnc.normalise(entry, listed_in): ListScope.CLIENT}
    dials = {e164: admission.NumberHistory([NOW - timedelta(hours=2),
                                            NOW - timedelta(days=3)])}
    spellings = _spellings(number, home)
    assert e164 in spellings
    decided = set()
    for spelling in spellings:
        task = _read(spelling, task_numbers.Numbering(home))
        assert task.dial is not None and task.dial.b == e164, spelling
        decided.add(_decisions(task.dial.b, listed, dials))
    assert len(decided) == 1
    refusal, dialled_before, *_ = decided.pop()
    assert refusal is not None and e164 in refusal and dialled_before == 2
