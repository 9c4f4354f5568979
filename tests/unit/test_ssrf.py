"""Which webhook targets are refused: every address class, every resolved address."""

from __future__ import annotations

import pytest

from models.rules import ssrf


@pytest.mark.parametrize(("address", "refused_as"), [
    ("127.0.0.1", "loopback"), ("127.10.0.5", "loopback"), ("::1", "loopback"),
    ("10.1.2.3", "private"), ("172.16.0.1", "private"), ("192.168.1.1", "private"),
    ("fd12:3456::1", "private"),
    ("169.254.10.10", "link-local"), ("fe80::1", "link-local"),
    ("169.254.169.254", "metadata"), ("fd00:ec2::254", "metadata"),
    ("100.100.100.200", "metadata"),
    ("224.0.0.1", "multicast"), ("ff02::1", "multicast"),
    ("0.0.0.0", "unspecified"), ("::", "unspecified"),
    ("100.64.0.1", "shared"),
    ("240.0.0.1", "private"),
    ("::ffff:127.0.0.1", "loopback"), ("::ffff:10.0.0.1", "private"),
    ("::ffff:169.254.169.254", "metadata"),
])
def test_inward_addresses_are_refused_by_class(address: str, refused_as: str) -> None:
    assert ssrf.address_class(address) == refused_as


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700::1111"])
def test_public_addresses_pass(address: str) -> None:
    assert ssrf.address_class(address) is None


def test_every_resolved_address_must_pass() -> None:
    with pytest.raises(ssrf.Refused, match=r"loopback address 127\.0\.0\.1"):
        ssrf.check_addresses(["93.184.216.34", "127.0.0.1"], allow_private=False)
    with pytest.raises(ssrf.Refused, match="did not resolve"):
        ssrf.check_addresses([], allow_private=True)
    ssrf.check_addresses(["93.184.216.34"], allow_private=False)
    ssrf.check_addresses(["127.0.0.1"], allow_private=True)


@pytest.mark.parametrize(("url", "reason"), [
    ("ftp://example.com/x", "only http and https"),
    ("http://user:pw@example.com/x", "credentials"),
    ("http://user@example.com/x", "credentials"),
    ("http:///nohost", "no host"),
    ("http://[::1/x", "malformed"),
])
def test_bad_urls_are_refused(url: str, reason: str) -> None:
    with pytest.raises(ssrf.Refused, match=reason):
        ssrf.check_url(url)


def test_a_good_url_gives_its_host_and_port() -> None:
    assert ssrf.check_url("https://hooks.example.com/x") == ssrf.Target(
        "https://hooks.example.com/x", "https", "hooks.example.com", 443)
    assert ssrf.check_url("http://example.com:8080/").port == 8080


@pytest.mark.parametrize(("address", "refused_as"), [
    ("2002:7f00:1::", "loopback"),  # 6to4 of 127.0.0.1
    ("2002:a00:1::1", "private"),  # 6to4 of 10.0.0.1
    ("2002:a9fe:a9fe::", "metadata"),  # 6to4 of 169.254.169.254
    ("64:ff9b::7f00:1", "loopback"),  # NAT64 of 127.0.0.1
    ("64:ff9b:1::a9fe:a9fe", "metadata"),  # local-use NAT64
    ("::127.0.0.1", "loopback"),  # IPv4-compatible
    ("2001:0:4136:e378:8000:63bf:80ff:fffe", "loopback"),  # Teredo client 127.0.0.1
])
def test_transition_prefixes_are_judged_by_the_ipv4_address_they_embed(
    address: str, refused_as: str
) -> None:
    assert ssrf.address_class(address) == refused_as
    with pytest.raises(ssrf.Refused):
        ssrf.check_addresses([address], allow_private=False)


@pytest.mark.parametrize("address", ["2002:808:808::1", "64:ff9b::808:808"])
def test_transition_addresses_of_public_ipv4_may_be_called(address: str) -> None:
    assert ssrf.address_class(address) is None
    ssrf.check_addresses([address], allow_private=False)
