"""An ordered, case-insensitive multi-map of SIP header fields that knows the compact forms."""

from __future__ import annotations

from collections.abc import Iterable

from sip.grammar import is_token, split_top_level

COMPACT_FORMS: dict[str, str] = {
    "i": "Call-ID",
    "f": "From",
    "t": "To",
    "v": "Via",
    "m": "Contact",
    "l": "Content-Length",
    "c": "Content-Type",
    "k": "Supported",
    "s": "Subject",
    "e": "Content-Encoding",
    "o": "Event",
    "u": "Allow-Events",
    "r": "Refer-To",
    "b": "Referred-By",
    "x": "Session-Expires",
}

_KNOWN_NAMES = (
    *COMPACT_FORMS.values(),
    "Accept", "Accept-Encoding", "Accept-Language", "Alert-Info", "Allow", "Authorization",
    "Call-Info", "Content-Disposition", "Content-Language", "CSeq", "Date", "Error-Info",
    "Expires", "In-Reply-To", "Max-Forwards", "MIME-Version", "Min-Expires", "Min-SE",
    "Organization", "P-Asserted-Identity", "Path", "Priority", "Privacy", "Proxy-Authenticate",
    "Proxy-Authorization", "Proxy-Require", "RAck", "Reason", "Record-Route", "Reply-To",
    "Require", "Retry-After", "Route", "RSeq", "Server", "Service-Route", "Timestamp",
    "Unsupported", "User-Agent", "Warning", "WWW-Authenticate",
)  # fmt: skip
_CANONICAL: dict[str, str] = {name.lower(): name for name in _KNOWN_NAMES}

# Headers whose value is a comma-separated list (RFC 3261 7.3.1); others (Authorization,
# WWW-Authenticate, Date, ...) carry commas inside one value and are never split.
MULTI_VALUE_HEADERS: frozenset[str] = frozenset(
    name.lower()
    for name in (
        "Via", "Route", "Record-Route", "Contact", "Allow", "Supported", "Require",
        "Proxy-Require", "Unsupported", "Accept", "Accept-Encoding", "Accept-Language",
        "Allow-Events", "Content-Encoding", "Alert-Info", "Call-Info", "Error-Info",
        "In-Reply-To", "Path", "Service-Route", "Reason", "Warning", "P-Asserted-Identity",
    )
)  # fmt: skip


def canonical_name(name: str) -> str:
    """The full, conventionally spelled name: 'v' -> 'Via', 'call-id' -> 'Call-ID'."""
    lower = name.lower()
    return COMPACT_FORMS.get(lower) or _CANONICAL.get(lower, name)


# Names seen so far and their lookup keys: a controller sees the same few dozen names in
# every message, so each is folded once, not at every lookup.
_KEYS: dict[str, str] = {}
_MAX_KEYS_KEPT = 4096


def _key(name: str) -> str:
    key = _KEYS.get(name)
    if key is None:
        key = canonical_name(name).lower()
        if len(_KEYS) < _MAX_KEYS_KEPT:
            _KEYS[name] = key
    return key


class Headers:
    """Header fields in message order; lookups ignore case and compact forms."""

    __slots__ = ("_fields", "_keys")

    def __init__(self, fields: Iterable[tuple[str, str]] = ()) -> None:
        self._fields: list[tuple[str, str]] = []
        self._keys: list[str] = []  # each field's lookup key, kept beside it
        for name, value in fields:
            self.add(name, value)

    def add(self, name: str, value: str, *, first: bool = False) -> None:
        """Append a field (or put it before all others of the same name when ``first``)."""
        field = _checked(name, value)
        key = _key(name)
        index = self._index(key) if first else None
        at = len(self._fields) if index is None else index
        self._fields.insert(at, field)
        self._keys.insert(at, key)

    def set(self, name: str, value: str) -> None:
        """Replace every field of this name by one, where the first one was (else at the end)."""
        field = _checked(name, value)
        key = _key(name)
        index = self._index(key)
        self.remove(name)
        at = len(self._fields) if index is None else index
        self._fields.insert(at, field)
        self._keys.insert(at, key)

    def _index(self, key: str) -> int | None:
        try:
            return self._keys.index(key)
        except ValueError:
            return None

    def get(self, name: str) -> str | None:
        """The first value; for list headers (Via, Route, ...) the first list element."""
        key = _key(name)
        if key not in MULTI_VALUE_HEADERS:
            index = self._index(key)
            return None if index is None else self._fields[index][1]
        values = self.get_all(name)
        return values[0] if values else None

    def get_all(self, name: str) -> list[str]:
        """Every value in order; list headers are split at top-level commas."""
        key = _key(name)
        lines = [field[1] for field, k in zip(self._fields, self._keys, strict=True) if k == key]
        if key not in MULTI_VALUE_HEADERS:
            return lines
        return [part for line in lines for part in split_top_level(line, ",")]

    def remove(self, name: str) -> None:
        key = _key(name)
        kept = [(f, k) for f, k in zip(self._fields, self._keys, strict=True) if k != key]
        self._fields = [f for f, _ in kept]
        self._keys = [k for _, k in kept]

    def items(self) -> list[tuple[str, str]]:
        return list(self._fields)

    def copy(self) -> Headers:
        duplicate = Headers()
        duplicate._fields = list(self._fields)
        duplicate._keys = list(self._keys)
        return duplicate

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and _key(name) in self._keys

    def __len__(self) -> int:
        return len(self._fields)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Headers) and self._fields == other._fields

    def __repr__(self) -> str:
        return f"Headers({self._fields!r})"


def _checked(name: str, value: str) -> tuple[str, str]:
    # A CR or LF in a value would let a caller's data inject header lines on the wire.
    if not is_token(name):
        raise ValueError(f"bad header name {name[:40]!r}")
    if "\r" in value or "\n" in value or "\0" in value:
        raise ValueError(f"header {name} value contains CR, LF or NUL")
    return canonical_name(name), value.strip()
