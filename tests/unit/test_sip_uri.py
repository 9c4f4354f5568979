"""SIP hosts and trunks: what a SIP account may name, in the form SIP messages carry."""

from __future__ import annotations

import pytest

from models.rules import sip_uri
from models.rules.sip_uri import Trunk


@pytest.mark.parametrize(("given", "stored"), [
    ("sip:trunk.example", Trunk("trunk.example", None, None)),
    ("sip:trunk.example:5060", Trunk("trunk.example", 5060, None)),
    ("sip:10.1.2.3:1;transport=udp", Trunk("10.1.2.3", 1, "udp")),
    ("Sip:[2001:db8::0:1]:65535;TRANSPORT=Tcp", Trunk("2001:db8::1", 65535, "tcp")),
    ("sip:[::1]", Trunk("::1", None, None)),
    ("sip:sbc.example.;transport=tcp", Trunk("sbc.example.", None, "tcp")),
])
def test_trunks_parse_to_their_canonical_form(given: str, stored: Trunk) -> None:
    assert sip_uri.parse_trunk(given) == stored
    assert sip_uri.parse_trunk(str(stored)) == stored


def test_a_trunk_prints_as_a_sip_uri() -> None:
    assert str(Trunk("2001:db8::1", 5070, "tcp")) == "sip:[2001:db8::1]:5070;transport=tcp"
    assert str(Trunk("trunk.example", None, None)) == "sip:trunk.example"


@pytest.mark.parametrize(("given", "rule_part"), [
    ("", "must be a SIP URI"),
    ("trunk.example", "must be a SIP URI"),
    ("sips:trunk.example", "must be a SIP URI"),
    ("tel:+15550000001", "must be a SIP URI"),
    ("sip:", "host name"),
    ("sip:alice@trunk.example", "no user part"),
    ("sip:trunk.example:", "from 1 to 65535"),
    ("sip:trunk.example:0", "from 1 to 65535"),
    ("sip:trunk.example:65536", "from 1 to 65535"),
    ("sip:trunk.example:123456", "from 1 to 65535"),
    ("sip:trunk.example:\uff15\uff10\uff16\uff10", "from 1 to 65535"),  # fullwidth digits
    ("sip:trunk.example;transport=tls", "transport=udp or transport=tcp"),
    ("sip:trunk.example;transport", "transport=udp or transport=tcp"),
    ("sip:trunk.example;maddr=10.0.0.1", "transport=udp or transport=tcp"),
    ("sip:trunk.example;transport=udp;transport=tcp", "transport=udp or transport=tcp"),
    ("sip:[::1", "unclosed IPv6 bracket"),
    ("sip:[::1]5060", "nothing but :port"),
    ("sip:[trunk.example]", "IPv6 address"),
    ("sip:[fe80::1%eth0]", "without a zone id"),
    ("sip:2001:db8::1", "host name"),
    ("sip:trunk_1.example", "host name"),
    ("sip:-trunk.example", "host name"),
    ("sip:999.0.0.1", "host name"),
    ("sip:trunk.example?x=1", "host name"),
    ("sip:trunk\x00.example", "host name"),
])
def test_bad_trunks_are_refused_naming_the_rule(given: str, rule_part: str) -> None:
    with pytest.raises(ValueError) as raised:
        sip_uri.parse_trunk(given)
    assert rule_part in str(raised.value)


@pytest.mark.parametrize(("given", "stored"), [
    ("pbx.example", "pbx.example"), ("Bücher.example", "xn--bcher-kva.example"),
    ("192.0.2.7", "192.0.2.7"), ("2001:DB8::7", "2001:db8::7"), ("[2001:db8::7]", "2001:db8::7"),
    ("a-b.c1.example.", "a-b.c1.example."),
])
def test_hosts_are_names_or_addresses(given: str, stored: str) -> None:
    assert sip_uri.canonical_host(given) == stored


@pytest.mark.parametrize("given", [
    "", "a b", "a..b", "a_b.example", "x.-y.example", "1.2.3.256", "01.2.3.4", "1.2.3",
    "a" * 64 + ".example", "fe80::1%eth0", "[::1", "host:5060", "user@host", "h\n.example",
])
def test_other_hosts_are_refused(given: str) -> None:
    with pytest.raises(ValueError, match=r"host name|IPv6"):
        sip_uri.canonical_host(given)
