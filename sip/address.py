"""SIP URIs and name-addr values (From, To, Contact, Route)."""

from __future__ import annotations

import functools
import ipaddress
import re
from dataclasses import dataclass, replace
from urllib.parse import quote as percent_encode

from models.rules import limits
from sip.grammar import (
    Params,
    ParseError,
    format_params,
    get_param,
    has_param,
    parse_params,
    quote,
    read_quoted,
    remove_params,
    replace_param,
)

_HOSTNAME_RE = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_.])?")
_SCHEME_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*")
_FORBIDDEN_IN_URI = frozenset(' \t"<>\\')
# An unquoted display name: tokens in RFC 3261, any text short of URI punctuation in practice.
_DISPLAY_NAME_RE = re.compile(r"[^\"<>:;@]*")
# RFC 3261 25.1: a user part holds unreserved characters (ASCII letters and digits, mark)
# and user-unreserved ones as they are; anything else is %HH escaped, byte by byte (UTF-8).
_USER_SAFE = "-_.!~*'()" + "&=+$,;?/"
# The same header values come back in every message of a dialog: each is parsed once
# (the values are immutable; a flood of distinct ones only cycles the cache).
PARSED_KEPT = 8192


@dataclass(frozen=True, slots=True)
class SipUri:
    """A sip: or sips: URI; the host of an IPv6 address is kept without brackets."""

    scheme: str
    user: str | None
    host: str
    port: int | None = None
    params: Params = ()

    def __str__(self) -> str:
        userinfo = "" if self.user is None else f"{self.user}@"
        port = "" if self.port is None else f":{self.port}"
        return f"{self.scheme}:{userinfo}{format_host(self.host)}{port}{format_params(self.params)}"

    def param(self, name: str) -> str | None:
        return get_param(self.params, name)

    def has_param(self, name: str) -> bool:
        return has_param(self.params, name)

    @property
    def transport(self) -> str | None:
        value = self.param("transport")
        return None if value is None else value.lower()

    @property
    def lr(self) -> bool:
        return self.has_param("lr")

    def with_param(self, name: str, value: str | None) -> SipUri:
        return replace(self, params=replace_param(self.params, name, value))

    def without_params(self, *names: str) -> SipUri:
        return replace(self, params=remove_params(self.params, *names))


@dataclass(frozen=True, slots=True)
class AbsoluteUri:
    """Any other URI (tel:, urn:, ...), kept as text after the scheme."""

    scheme: str
    rest: str

    def __str__(self) -> str:
        return f"{self.scheme}:{self.rest}"


Uri = SipUri | AbsoluteUri


@dataclass(frozen=True, slots=True)
class NameAddr:
    """A display name, a URI and the header's own parameters (tag, expires, ...)."""

    display_name: str | None
    uri: Uri
    params: Params = ()

    def __str__(self) -> str:
        name = "" if self.display_name is None else f"{quote(self.display_name)} "
        return f"{name}<{self.uri}>{format_params(self.params)}"

    def param(self, name: str) -> str | None:
        return get_param(self.params, name)

    @property
    def tag(self) -> str | None:
        return self.param("tag")

    def with_tag(self, tag: str) -> NameAddr:
        return replace(self, params=replace_param(self.params, "tag", tag))


def escape_user(user: str) -> str:
    """``user`` (a username, a number) as a SIP URI's user part: "%" itself, "@", ":",
    white space, non-ASCII letters ... escaped, so the URI stays one URI with that user."""
    return percent_encode(user, safe=_USER_SAFE)


def format_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def parse_host_port(text: str) -> tuple[str, int | None]:
    """``host``, ``host:port``, ``[v6]`` or ``[v6]:port`` -> (host without brackets, port)."""
    text = text.strip()
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise ParseError("unterminated IPv6 reference")
        host, after = text[1:end], text[end + 1 :]
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise ParseError(f"bad IPv6 address {host[:60]!r}") from None
        if after and not after.startswith(":"):
            raise ParseError("junk after IPv6 reference")
        return host, _port(after[1:]) if after else None
    host, colon, port = text.partition(":")
    if _HOSTNAME_RE.fullmatch(host) is None:
        raise ParseError(f"bad host {host[:60]!r}")
    return host, _port(port) if colon else None


def _port(text: str) -> int:
    if (not text.isascii() or not text.isdigit() or len(text) > limits.PORT_DIGITS
            or int(text) > limits.PORT_MAX):
        raise ParseError(f"bad port {text[:10]!r}")
    return int(text)


@functools.lru_cache(maxsize=PARSED_KEPT)
def parse_uri(text: str) -> SipUri:
    """Parse a sip:/sips: URI. A password is dropped and URI headers (?...) are ignored."""
    scheme, colon, rest = text.strip().partition(":")
    if not colon or scheme.lower() not in ("sip", "sips"):
        raise ParseError(f"not a sip or sips URI: {text[:60]!r}")
    if _FORBIDDEN_IN_URI.intersection(rest):
        raise ParseError("URI contains a space, quote or angle bracket")
    userinfo, at, host_part = rest.partition("@")
    user: str | None = None
    if at:
        user = userinfo.split(":", 1)[0]
        if not user:
            raise ParseError("empty user part in URI")
    else:
        host_part = rest
    host_part = host_part.split("?", 1)[0]
    host_port, _, params_text = host_part.partition(";")
    host, port = parse_host_port(host_port)
    return SipUri(scheme.lower(), user, host, port, parse_params(params_text))


@functools.lru_cache(maxsize=PARSED_KEPT)
def parse_any_uri(text: str) -> Uri:
    """A SipUri for sip:/sips:, else an AbsoluteUri (tel:, urn:, ...)."""
    scheme, colon, rest = text.strip().partition(":")
    if scheme.lower() in ("sip", "sips"):
        return parse_uri(text)
    if not colon or _SCHEME_RE.fullmatch(scheme) is None or not rest:
        raise ParseError(f"not a URI: {text[:60]!r}")
    if _FORBIDDEN_IN_URI.intersection(rest) or not rest.isprintable():
        raise ParseError("URI contains a space, quote or angle bracket")
    return AbsoluteUri(scheme.lower(), rest)


@functools.lru_cache(maxsize=PARSED_KEPT)
def parse_name_addr(text: str) -> NameAddr:
    """Parse ``"Name" <uri>;params``, ``Name <uri>;params`` or a bare ``uri;params``.

    In the bare form every ';' parameter belongs to the header (RFC 3261 20.10).
    """
    text = text.strip()
    display_name: str | None = None
    if text.startswith('"'):
        display_name, rest = read_quoted(text)
    else:
        angle = text.find("<")
        if angle < 0 or _DISPLAY_NAME_RE.fullmatch(text[:angle]) is None:
            uri_text, _, params_text = text.partition(";")
            return NameAddr(None, parse_any_uri(uri_text), parse_params(params_text))
        display_name = " ".join(text[:angle].split()) or None
        rest = text[angle:]
    rest = rest.lstrip()
    end = rest.find(">")
    if not rest.startswith("<") or end < 0:
        raise ParseError("expected <uri> after the display name")
    params_text = rest[end + 1 :].strip()
    if params_text and not params_text.startswith(";"):
        raise ParseError("junk after <uri>")
    return NameAddr(display_name, parse_any_uri(rest[1:end]), parse_params(params_text))
