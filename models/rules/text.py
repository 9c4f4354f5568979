"""Rules for text that arrives from outside (JSON bodies, CSV files, path segments): pure.

PostgreSQL refuses NUL in text and a lone surrogate cannot be encoded as UTF-8, so either
would fail at INSERT or when a stored row is rendered; both are refused at the door.
"""

from __future__ import annotations

import json
import re
import unicodedata

# ASCII digits only: str.isdigit() also takes "²" and "٣", which int() refuses or reads.
_DIGITS = re.compile(r"[0-9]+")
# C0 controls and DEL (NUL, newline, tab, escape ...), C1 controls, and lone surrogates.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
NO_CONTROL_RULE = "must not contain control characters (NUL, line breaks, tabs) or lone surrogates"
# Format characters (Unicode Cf) change how text around them shows without showing
# themselves: bidirectional overrides, embeddings, isolates and marks (U+202E shows
# "Bank\u202eknaB" as "BankBank"), zero width spaces, word joiners, tags. A name shown to
# the person called may hold none of them but the zero width joiners, which scripts
# (Persian, Indic) and emoji sequences need.
_JOINERS = frozenset({"\u200c", "\u200d"})
NO_FORMAT_RULE = ("must not contain invisible format characters (bidirectional overrides, "
                  "embeddings and isolates such as U+202E and U+2066, zero width spaces)")
# DNS limits (RFC 1035 2.3.4), on the name's IDNA (ASCII) form.
MAX_LABEL_CHARS = 63
MAX_HOST_NAME_CHARS = 253


def is_ascii_digits(text: str, max_digits: int) -> bool:
    """Only 0-9, one to ``max_digits`` of them (int() of more than 4300 digits raises)."""
    return len(text) <= max_digits and _DIGITS.fullmatch(text) is not None


def unsafe_text(text: str) -> bool:
    """Holds a control character or a lone surrogate: not a name, URL or identifier."""
    return _UNSAFE.search(text) is not None


def _format_character(char: str) -> bool:
    return unicodedata.category(char) == "Cf" and char not in _JOINERS


def has_format_characters(text: str) -> bool:
    """Holds a character that changes how a display name shows (NO_FORMAT_RULE)."""
    return not text.isascii() and any(_format_character(char) for char in text)


def without_format_characters(text: str) -> str:
    if text.isascii():  # ASCII has no format characters
        return text
    return "".join(char for char in text if not _format_character(char))


def has_surrogate(text: str) -> bool:
    return _SURROGATE.search(text) is not None


def field_name(key: object) -> str:
    """A client's key as an error names it: as sent, or JSON-quoted when it is empty or
    holds characters that would not survive in a message (control characters, surrogates)."""
    if isinstance(key, str) and key.strip() and not unsafe_text(key):
        return key
    return json.dumps(key)


def host_name_problem(host: str) -> str | None:
    """Why ``host`` cannot be looked up in DNS, or None. IP literals pass."""
    if host.startswith("[") or _is_ipv4(host):
        return None
    try:
        ascii_name = host.encode("idna").decode("ascii")
    except UnicodeError:
        return "has a host name that is not a valid DNS name (IDNA)"
    if len(ascii_name.rstrip(".")) > MAX_HOST_NAME_CHARS:
        return f"has a host name longer than {MAX_HOST_NAME_CHARS} characters"
    labels = ascii_name.rstrip(".").split(".")
    if any(not label or len(label) > MAX_LABEL_CHARS for label in labels):
        return f"has a host name label that is empty or longer than {MAX_LABEL_CHARS} characters"
    return None


def _is_ipv4(host: str) -> bool:
    parts = host.split(".")
    return len(parts) == 4 and all(is_ascii_digits(p, 3) for p in parts)
