"""SIP account bodies, and the rule that a task placed over SIP names an account: pure,
every error names its field and rule. A password is never quoted in an error."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from typing import TypeVar

from models.rules import limits, sip_uri, text
from models.rules.errors import FieldError, InvalidInput

SIP_DIALER = "sip"  # settings.dialer: calls placed by `ringback sip` controllers
ACCOUNT_FIELDS = frozenset({"extension_id", "username", "password", "domain", "trunk"})
# The username is a SIP URI's user part and a quoted digest parameter: no separator of
# either (a backslash would escape the next character of the quoted string).
_USERNAME_FORBIDDEN = re.compile(r'[\s@:;,<>"\\]')
USERNAME_CHARACTERS_RULE = 'must not contain white space or any of @ : ; , < > " \\'
T = TypeVar("T")


@dataclass(frozen=True)
class NewAccount:
    extension_id: int
    username: str
    password: str = field(repr=False)  # never in a log line or a traceback's locals
    domain: str | None = None
    trunk: str | None = None


def new_account(raw: object) -> NewAccount:
    """The account a client's body describes, or InvalidInput naming every broken rule."""
    if not isinstance(raw, Mapping):
        raise InvalidInput([FieldError("body", "must be a JSON object")])
    errors = [FieldError(text.field_name(k), "is not a known SIP account field")
              for k in sorted(set(raw) - ACCOUNT_FIELDS, key=str)]
    extension_id = _take(raw, "extension_id", _extension_id, errors)
    username = _take(raw, "username", _username, errors)
    password = _take(raw, "password", _password, errors)
    domain = _take(raw, "domain", _domain, errors)
    trunk = _take(raw, "trunk", _trunk, errors)
    if errors or extension_id is None or username is None or password is None:
        raise InvalidInput(errors)
    return NewAccount(extension_id, username, password, domain, trunk)


def _take(raw: Mapping[str, object], name: str, check: Callable[[object], T],
          errors: list[FieldError]) -> T | None:
    """``check`` of the field, or None with its error added to ``errors``."""
    try:
        return check(raw.get(name))
    except ValueError as problem:
        errors.append(FieldError(name, str(problem)))
        return None


def accounts_required(dialer: str) -> bool:
    """Over SIP a task's extension_id chooses the account its call is placed from."""
    return dialer == SIP_DIALER


def missing_accounts(
    extension_ids: Sequence[int | None], known: Set[int], client_id: int,
    label_of: Callable[[int], str],
) -> list[FieldError]:
    """An error for each task whose extension has no account; ``label_of`` names the task
    by its index (``tasks[3]``, or a CSV file's line). A task with no extension is placed
    from the controller's default account."""
    return [
        FieldError(f"{label_of(index)}.extension_id",
                   f"no SIP account for extension {extension_id} (create it at "
                   f"/client/{client_id}/sip_accounts/)")
        for index, extension_id in enumerate(extension_ids)
        if extension_id is not None and extension_id not in known
    ]


def _extension_id(value: object) -> int:
    if value is None:
        raise ValueError("is required")
    if isinstance(value, bool) or not isinstance(value, int) or not (
        1 <= value <= limits.INT32_MAX
    ):
        raise ValueError(f"must be a whole number from 1 to {limits.INT32_MAX}")
    return value


def _text(value: object, max_chars: int) -> str:
    if value is None:
        raise ValueError("is required")
    if not isinstance(value, str) or not 1 <= len(value) <= max_chars:
        raise ValueError(f"must be a string of 1 to {max_chars} characters")
    if text.unsafe_text(value):
        raise ValueError(text.NO_CONTROL_RULE)
    return value


def _username(value: object) -> str:
    username = _text(value, limits.SIP_USERNAME_CHARS_MAX)
    if _USERNAME_FORBIDDEN.search(username):
        raise ValueError(USERNAME_CHARACTERS_RULE)
    return username


def _password(value: object) -> str:
    return _text(value, limits.SIP_PASSWORD_CHARS_MAX)


def _domain(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"must be null or a string: {sip_uri.HOST_RULE}")
    domain = sip_uri.canonical_host(value)
    if len(domain) > limits.SIP_DOMAIN_CHARS_MAX:
        raise ValueError(f"must be at most {limits.SIP_DOMAIN_CHARS_MAX} characters "
                         "(in its ASCII form)")
    return domain


def _trunk(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"must be null or a string: {sip_uri.TRUNK_SHAPE}")
    if len(value) > limits.SIP_TRUNK_INPUT_CHARS_MAX:
        raise ValueError(f"must be at most {limits.SIP_TRUNK_INPUT_CHARS_MAX} characters")
    trunk = str(sip_uri.parse_trunk(value))
    if len(trunk) > limits.SIP_TRUNK_CHARS_MAX:
        raise ValueError(f"must be at most {limits.SIP_TRUNK_CHARS_MAX} characters")
    return trunk
