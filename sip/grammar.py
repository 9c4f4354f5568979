"""Low-level SIP grammar shared by the header parsers: tokens, quoted strings, parameters."""

from __future__ import annotations

import re

# A parameter list as it appears after ';': lowercase names, values verbatim (None = flag).
Params = tuple[tuple[str, str | None], ...]

TOKEN_RE = re.compile(r"[A-Za-z0-9\-.!%*_+`'~]+")
# Parameter values: a token, a quoted string or an IPv6 reference like [2001:db8::1].
_PARAM_VALUE_RE = re.compile(r"[A-Za-z0-9\-.!%*_+`'~:\[\]/&$@?]+|\"(?:[^\"\\]|\\.)*\"")


class ParseError(ValueError):
    """Text or bytes that are not a valid SIP message or header; the message says why."""


def is_token(text: str) -> bool:
    return TOKEN_RE.fullmatch(text) is not None


def split_top_level(text: str, separator: str) -> list[str]:
    """Split at ``separator`` outside quoted strings and <...>; parts stripped, empty ones dropped.

    Never raises: an unterminated quote or bracket keeps the rest of the text in one part, and
    the parser of that part reports it.
    """
    parts: list[str] = []
    start = 0
    in_quotes = in_angle = escaped = False
    for index, char in enumerate(text):
        if in_quotes:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_quotes = False
        elif in_angle:
            in_angle = char != ">"
        elif char == '"':
            in_quotes = True
        elif char == "<":
            in_angle = True
        elif char == separator:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return [part.strip() for part in parts if part.strip()]


def read_quoted(text: str) -> tuple[str, str]:
    """Read the quoted string ``text`` starts with: (unescaped content, text after it)."""
    if not text.startswith('"'):
        raise ParseError("expected a quoted string")
    content: list[str] = []
    index = 1
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            content.append(text[index + 1])
            index += 2
            continue
        if char == '"':
            return "".join(content), text[index + 1 :]
        content.append(char)
        index += 1
    raise ParseError("unterminated quoted string")


def quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def parse_params(text: str) -> Params:
    """Parse ``;name=value;flag`` (leading ';' optional); names are lowercased."""
    params: list[tuple[str, str | None]] = []
    for part in split_top_level(text, ";"):
        name, equals, value = part.partition("=")
        name = name.strip()
        if not is_token(name):
            raise ParseError(f"bad parameter name {name[:40]!r}")
        if not equals:
            params.append((name.lower(), None))
            continue
        value = value.strip()
        if _PARAM_VALUE_RE.fullmatch(value) is None:
            raise ParseError(f"bad value for parameter {name[:40]!r}")
        params.append((name.lower(), value))
    return tuple(params)


def format_params(params: Params) -> str:
    return "".join(f";{name}" if value is None else f";{name}={value}" for name, value in params)


def get_param(params: Params, name: str) -> str | None:
    """The value of ``name``; None when it is absent or a flag (see ``has_param``)."""
    wanted = name.lower()
    return next((value for key, value in params if key == wanted), None)


def has_param(params: Params, name: str) -> bool:
    wanted = name.lower()
    return any(key == wanted for key, _ in params)


def replace_param(params: Params, name: str, value: str | None) -> Params:
    """``params`` with ``name`` set to ``value`` in place, or appended when absent."""
    wanted = name.lower()
    if not has_param(params, wanted):
        return (*params, (wanted, value))
    return tuple((key, value if key == wanted else old) for key, old in params)


def remove_params(params: Params, *names: str) -> Params:
    unwanted = {name.lower() for name in names}
    return tuple((key, value) for key, value in params if key not in unwanted)
