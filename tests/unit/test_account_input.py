"""SIP account bodies: each error names its field and rule and never quotes the password;
the rule that a task placed over SIP names an account of its client."""

from __future__ import annotations

from typing import Any

import pytest

from models.rules.errors import FieldError, InvalidInput
from models.shapes import account_input
from models.shapes.account_input import NewAccount

SECRET = "s3cr3t-Pa55"


def body(**overrides: Any) -> dict[str, Any]:
    return {"extension_id": 12, "username": "ext12", "password": SECRET, **overrides}


def errors_of(raw: object) -> list[FieldError]:
    with pytest.raises(InvalidInput) as raised:
        account_input.new_account(raw)
    assert SECRET not in str(raised.value)
    return raised.value.errors


def test_a_full_body_is_stored_in_canonical_form() -> None:
    account = account_input.new_account(body(
        domain="Bücher.example", trunk="SIP:[2001:DB8::1]:5070;Transport=TCP"))
    assert account == NewAccount(12, "ext12", SECRET, "xn--bcher-kva.example",
                                 "sip:[2001:db8::1]:5070;transport=tcp")


def test_domain_and_trunk_may_be_null_or_left_out() -> None:
    assert account_input.new_account(body(domain=None, trunk=None)) == NewAccount(
        12, "ext12", SECRET)
    assert account_input.new_account(body(domain="[::1]")).domain == "::1"
    assert account_input.new_account(body(domain="10.0.0.5")).domain == "10.0.0.5"


@pytest.mark.parametrize(("raw", "field", "rule_part"), [
    (body(extension_id=0), "extension_id", "from 1 to 2147483647"),
    (body(extension_id=2**31), "extension_id", "from 1 to 2147483647"),
    (body(extension_id=True), "extension_id", "whole number"),
    (body(extension_id="12"), "extension_id", "whole number"),
    ({"username": "u", "password": SECRET}, "extension_id", "is required"),
    (body(username=""), "username", "1 to 100 characters"),
    (body(username="u" * 101), "username", "1 to 100 characters"),
    (body(username=None), "username", "is required"),
    (body(username="ext 12"), "username", "white space"),
    (body(username="ext\u00a012"), "username", "white space"),
    (body(username="ext@home"), "username", "@"),
    (body(username='ext"12'), "username", "white space or any of"),
    (body(username="a:b"), "username", "white space or any of"),
    (body(username="a;b"), "username", "white space or any of"),
    (body(username="a,b"), "username", "white space or any of"),
    (body(username="<ab>"), "username", "white space or any of"),
    (body(username="a\\b"), "username", "white space or any of"),
    (body(username="ab\x00"), "username", "control characters"),
    (body(username="ab\ud800"), "username", "lone surrogates"),
    (body(username=12), "username", "must be a string"),
    (body(password=""), "password", "1 to 200 characters"),
    (body(password="p" * 201), "password", "1 to 200 characters"),
    (body(password=None), "password", "is required"),
    (body(password=["list"]), "password", "must be a string"),
    (body(password=f"{SECRET}\n"), "password", "control characters"),
    (body(password=f"{SECRET}\ud800"), "password", "lone surrogates"),
    (body(domain="bad host"), "domain", "host name"),
    (body(domain="999.1.2.3"), "domain", "host name"),
    (body(domain="a" * 64 + ".example"), "domain", "not a valid DNS name"),
    (body(domain=".".join(["abcdefghij"] * 20)), "domain", "at most 200"),
    (body(domain="fe80::1%eth0"), "domain", "host name"),
    (body(domain="[not-v6]"), "domain", "IPv6"),
    (body(domain=5), "domain", "null or a string"),
    (body(trunk="trunk.example"), "trunk", "sip:host[:port]"),
    (body(trunk="sips:trunk.example"), "trunk", "sip:host[:port]"),
    (body(trunk="sip:user@trunk.example"), "trunk", "no user part"),
    (body(trunk="sip:trunk.example:0"), "trunk", "from 1 to 65535"),
    (body(trunk="sip:trunk.example:65536"), "trunk", "from 1 to 65535"),
    (body(trunk="sip:trunk.example:50x"), "trunk", "from 1 to 65535"),
    (body(trunk="sip:trunk.example;transport=tls"), "trunk", "transport=udp"),
    (body(trunk="sip:trunk.example;lr"), "trunk", "transport=udp"),
    (body(trunk="sip:trunk.example;transport=udp;lr"), "trunk", "transport=udp"),
    (body(trunk="sip:[::1"), "trunk", "unclosed"),
    (body(trunk="sip:::1"), "trunk", "host name"),
    (body(trunk="sip:tr unk.example"), "trunk", "host name"),
    (body(trunk=["sip:x"]), "trunk", "null or a string"),
    (body(realm="x"), "realm", "not a known SIP account field"),
])
def test_bad_fields_are_refused_naming_field_and_rule(
    raw: dict[str, Any], field: str, rule_part: str
) -> None:
    errors = errors_of(raw)
    assert [e.field for e in errors] == [field]
    assert rule_part in errors[0].rule


def test_every_broken_rule_is_listed_and_a_body_must_be_an_object() -> None:
    errors = errors_of({"extension_id": -1, "username": "a b", "password": "", "x": 1})
    assert [e.field for e in errors] == ["x", "extension_id", "username", "password"]
    assert [e.field for e in errors_of([SECRET])] == ["body"]


def test_the_password_is_never_in_a_repr_or_an_error() -> None:
    account = account_input.new_account(body())
    assert SECRET not in repr(account) and SECRET not in str(account)
    for broken in (body(username="a b"), body(password=SECRET + "\x00"),
                   body(domain=SECRET + " x"), body(trunk=SECRET)):
        errors_of(broken)  # asserts the message lacks it


def test_accounts_are_required_only_by_the_sip_dialer() -> None:
    assert account_input.accounts_required("sip")
    assert not account_input.accounts_required("sim")


def test_each_task_whose_extension_has_no_account_is_named() -> None:
    errors = account_input.missing_accounts(
        [12, None, 13, 12, 14], {12, 14}, 7, lambda index: f"tasks[{index}]")
    assert errors == [FieldError(
        "tasks[2].extension_id",
        "no SIP account for extension 13 (create it at /client/7/sip_accounts/)")]
    assert account_input.missing_accounts([None, 5], {5}, 7, str) == []
