from __future__ import annotations

import contextlib
import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sip.digest import Challenge, DigestError, authorization, parse_challenge
from sip.message import parse
from tests.unit import sip_samples as samples

RFC7616_CHALLENGE = (
    'Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm={algorithm}, '
    'nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", '
    'opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"'
)


@pytest.mark.parametrize(
    ("algorithm", "response"),
    [
        ("MD5", "8ca523f5e9506fed4657c9700eebdbec"),
        ("SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"),
    ],
)
def test_rfc7616_examples(algorithm: str, response: str) -> None:
    challenge = parse_challenge(RFC7616_CHALLENGE.format(algorithm=algorithm))
    value = authorization(
        challenge,
        method="GET",
        uri="/dir/index.html",
        username="Mufasa",
        password="Circle of Life",
        cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
        nc=1,
    )
    assert value == (
        'Digest username="Mufasa", realm="http-auth@example.org", '
        'nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", uri="/dir/index.html", '
        f'response="{response}", algorithm={algorithm}, '
        'opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS", qop=auth, nc=00000001, '
        'cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"'
    )


def test_rfc2617_example() -> None:
    challenge = parse_challenge(
        'Digest realm="testrealm@host.com", qop="auth,auth-int", '
        'nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"'
    )
    value = authorization(
        challenge,
        method="GET",
        uri="/dir/index.html",
        username="Mufasa",
        password="Circle Of Life",
        cnonce="0a4f113b",
        nc=1,
    )
    assert 'response="6629fae49393a05397450978507c4ef1"' in value
    assert "algorithm" not in value


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def test_no_qop_form_as_kamailio_without_qop_asks() -> None:
    challenge = parse_challenge('Digest realm="example.com", nonce="abc123"')
    value = authorization(
        challenge,
        method="INVITE",
        uri="sip:+15551234567@example.com",
        username="ringback",
        password="s3cret",
        cnonce="unused",
        nc=1,
    )
    ha1 = _md5("ringback:example.com:s3cret")
    ha2 = _md5("INVITE:sip:+15551234567@example.com")
    assert value == (
        'Digest username="ringback", realm="example.com", nonce="abc123", '
        f'uri="sip:+15551234567@example.com", response="{_md5(f"{ha1}:abc123:{ha2}")}"'
    )


def test_md5_sess() -> None:
    challenge = parse_challenge('Digest realm="r", nonce="n", qop="auth", algorithm=MD5-sess')
    value = authorization(
        challenge, method="BYE", uri="sip:a@b", username="u", password="p", cnonce="c", nc=2
    )
    ha1 = _md5(f"{_md5('u:r:p')}:n:c")
    expected = _md5(f"{ha1}:n:00000002:c:auth:{_md5('BYE:sip:a@b')}")
    assert f'response="{expected}"' in value
    assert "algorithm=MD5-sess" in value
    assert "nc=00000002" in value


def test_kamailio_407_challenge() -> None:
    response = parse(samples.KAMAILIO_407)
    challenge = parse_challenge(response.headers.get("Proxy-Authenticate") or "")
    assert challenge == Challenge(
        realm="example.com", nonce="ZfLb1WXy2/Zp8d9jqY1bV0mAfZ0Jg6Xk", qop_options=("auth",)
    )
    assert challenge.supported


def test_parsing_is_tolerant_of_spacing_quoting_and_case() -> None:
    challenge = parse_challenge(
        'digest   REALM = "a \\"b\\"" ,NONCE=xyz,  stale=TRUE ,algorithm="sha-256",qop=auth, '
        "unknown=token"
    )
    assert challenge.realm == 'a "b"'
    assert challenge.nonce == "xyz"
    assert challenge.stale
    assert challenge.hash_name == "SHA-256"
    assert challenge.qop_options == ("auth",)


@pytest.mark.parametrize(
    "value",
    [
        'Basic realm="x"',
        "Digest",
        'Digest realm="x"',
        'Digest nonce="x"',
        'Digest realm="x", nonce="unterminated',
        'Digest realm="x" nonce="y"',
        'Digest realm="x", =y',
        'Digest realm="x", nonce=',
        "",
    ],
)
def test_malformed_challenges(value: str) -> None:
    with pytest.raises(DigestError):
        parse_challenge(value)


def test_unsupported_challenges_are_refused() -> None:
    for header in (
        'Digest realm="r", nonce="n", algorithm=SHA-512-256',
        'Digest realm="r", nonce="n", qop="auth-int"',
    ):
        challenge = parse_challenge(header)
        assert not challenge.supported
        with pytest.raises(DigestError, match="unsupported"):
            authorization(
                challenge, method="X", uri="u", username="u", password="p", cnonce="c", nc=1
            )
    ok = parse_challenge('Digest realm="r", nonce="n"')
    with pytest.raises(DigestError, match="nonce count"):
        authorization(ok, method="X", uri="u", username="u", password="p", cnonce="c", nc=0)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200) | st.text(alphabet='Digest realm="nonce,= \\qop', max_size=80))
def test_any_text_is_a_challenge_or_a_digest_error(value: str) -> None:
    with contextlib.suppress(DigestError):
        parse_challenge(value)
