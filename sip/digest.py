"""Digest authentication answers to 401/407 challenges (RFC 7616; RFC 2617's no-qop form).

Supported: MD5, MD5-sess, SHA-256, SHA-256-sess with qop=auth or without qop.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass

from sip.grammar import ParseError, quote, read_quoted

HashFunction = Callable[[str], str]


def _hex_digest(name: str) -> HashFunction:
    return lambda text: hashlib.new(name, text.encode("utf-8")).hexdigest()


_HASHES: dict[str, HashFunction] = {
    "MD5": _hex_digest("md5"),
    "SHA-256": _hex_digest("sha256"),
}
_PARAM_NAME_RE = re.compile(r"\s*([A-Za-z0-9\-_.]+)\s*=\s*")
_TOKEN_VALUE_RE = re.compile(r"[^\s,\"]+")
NONCE_COUNT_MAX = 0xFFFFFFFF


class DigestError(ValueError):
    """A challenge that cannot be read or cannot be answered."""


@dataclass(frozen=True, slots=True)
class Challenge:
    realm: str
    nonce: str
    opaque: str | None = None
    algorithm: str | None = None  # as the server wrote it; None means MD5
    qop_options: tuple[str, ...] = ()  # lower case; empty = the RFC 2617 no-qop form
    stale: bool = False

    @property
    def hash_name(self) -> str:
        """The base hash, upper case, without '-sess': 'MD5' or 'SHA-256'."""
        return (self.algorithm or "MD5").upper().removesuffix("-SESS")

    @property
    def is_session(self) -> bool:
        return (self.algorithm or "").upper().endswith("-SESS")

    @property
    def supported(self) -> bool:
        qop_ok = not self.qop_options or "auth" in self.qop_options
        return self.hash_name in _HASHES and qop_ok


def _auth_params(text: str) -> dict[str, str]:
    params: dict[str, str] = {}
    rest = text
    while rest.strip():
        match = _PARAM_NAME_RE.match(rest)
        if match is None:
            raise DigestError(f"bad challenge parameter near {rest[:30]!r}")
        rest = rest[match.end() :]
        if rest.startswith('"'):
            try:
                value, rest = read_quoted(rest)
            except ParseError as error:
                raise DigestError(str(error)) from None
        else:
            token = _TOKEN_VALUE_RE.match(rest)
            if token is None:
                raise DigestError(f"missing value for {match[1]!r}")
            value, rest = token[0], rest[token.end() :]
        params[match[1].lower()] = value
        rest = rest.lstrip()
        if rest and not rest.startswith(","):
            raise DigestError("expected ',' between challenge parameters")
        rest = rest[1:]
    return params


def parse_challenge(header_value: str) -> Challenge:
    """Parse a WWW-Authenticate or Proxy-Authenticate value of the Digest scheme."""
    scheme_and_rest = header_value.split(None, 1)
    if not scheme_and_rest or scheme_and_rest[0].lower() != "digest":
        raise DigestError(f"not a Digest challenge: {header_value[:20]!r}")
    params = _auth_params(scheme_and_rest[1] if len(scheme_and_rest) > 1 else "")
    if "realm" not in params or not params.get("nonce"):
        raise DigestError("challenge without realm or nonce")
    qop = tuple(part.strip().lower() for part in params.get("qop", "").split(",") if part.strip())
    return Challenge(
        realm=params["realm"],
        nonce=params["nonce"],
        opaque=params.get("opaque"),
        algorithm=params.get("algorithm"),
        qop_options=qop,
        stale=params.get("stale", "").lower() == "true",
    )


def authorization(
    challenge: Challenge,
    *,
    method: str,
    uri: str,
    username: str,
    password: str,
    cnonce: str,
    nc: int,
) -> str:
    """The Authorization / Proxy-Authorization value answering ``challenge``.

    ``cnonce`` comes from the caller's random source; ``nc`` counts the requests sent with
    this nonce (1 for the first).
    """
    if not challenge.supported:
        raise DigestError(f"unsupported algorithm or qop: {challenge.algorithm}")
    if not 0 < nc <= NONCE_COUNT_MAX:
        raise DigestError("nonce count out of range")
    nonce_count = f"{nc:08x}"
    credentials = f"{username}:{challenge.realm}:{password}"
    response = _response(challenge, credentials, f"{method}:{uri}", cnonce, nonce_count)
    fields = [
        f"username={quote(username)}",
        f"realm={quote(challenge.realm)}",
        f"nonce={quote(challenge.nonce)}",
        f"uri={quote(uri)}",
        f"response={quote(response)}",
    ]
    if challenge.algorithm is not None:
        fields.append(f"algorithm={challenge.algorithm}")
    if challenge.opaque is not None:
        fields.append(f"opaque={quote(challenge.opaque)}")
    if challenge.qop_options:
        fields += ["qop=auth", f"nc={nonce_count}", f"cnonce={quote(cnonce)}"]
    return "Digest " + ", ".join(fields)


def _response(challenge: Challenge, a1: str, a2: str, cnonce: str, nonce_count: str) -> str:
    """The request-digest of RFC 7616 3.4.1 (qop=auth) or RFC 2617 3.2.2.1 (no qop)."""
    digest = _HASHES[challenge.hash_name]
    ha1 = digest(a1)
    if challenge.is_session:
        ha1 = digest(f"{ha1}:{challenge.nonce}:{cnonce}")
    ha2 = digest(a2)
    if challenge.qop_options:
        return digest(f"{ha1}:{challenge.nonce}:{nonce_count}:{cnonce}:auth:{ha2}")
    return digest(f"{ha1}:{challenge.nonce}:{ha2}")
