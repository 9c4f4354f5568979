"""Hypothesis strategies for hostile client input: any Unicode (lone surrogates, NUL,
combining marks, other scripts' digits), any JSON shape, and task-shaped objects made of
them, so the properties reach the validators' inner rules rather than the first check."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from models.shapes.validation import CALLBACK_PARAM_FIELDS, TASK_FIELDS

# Every code point, surrogates included (hypothesis leaves category Cs out by default).
ANY_CHAR = st.characters(codec=None, exclude_categories=())
TRICKY_TEXT = st.sampled_from([
    "\x00", "\ud800", "\udfff", "²", "¹", "٣", "߄", "\uff16", "e\u0301", "\n", "60\n",
    "+15551234567\n", " ", "", "-1", "1e3", "0x10", "9" * 30, "x" * 300,
    "https://" + "a" * 64 + ".example/", "http://[::1/x", "http://u:p@h/", "2026-13-40 25:61:61",
    "0001-01-01 00:00:00", "+15550000001",
])
TEXT = st.one_of(TRICKY_TEXT, st.text(ANY_CHAR, max_size=40))
SCALAR = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
                   st.floats(allow_nan=False, allow_infinity=False), TEXT)
JSON = st.recursive(SCALAR, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)), max_leaves=12)


def _with_keys(keys: frozenset[str], values: st.SearchStrategy[Any]
               ) -> st.SearchStrategy[dict[str, Any]]:
    known = st.dictionaries(st.sampled_from(sorted(keys)), values, max_size=len(keys))
    return st.tuples(known, st.dictionaries(TEXT, SCALAR, max_size=2)).map(
        lambda parts: {**parts[1], **parts[0]})


CALLBACK_PARAMS = st.one_of(JSON, _with_keys(CALLBACK_PARAM_FIELDS, st.one_of(
    TEXT, st.lists(st.one_of(TEXT, SCALAR), max_size=4), SCALAR)))
TASK = st.one_of(JSON, _with_keys(TASK_FIELDS, st.one_of(SCALAR, CALLBACK_PARAMS)).map(
    lambda task: {"a_number": "+15550000001", "b_number": "+15550000002", **task}))
TASKS = st.one_of(JSON, st.lists(TASK, min_size=1, max_size=3))
