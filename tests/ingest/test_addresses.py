"""Which addresses a page served to others may fetch: globally routable ones only, checked once per connection."""

from __future__ import annotations

import ipaddress

import pytest

from rag.errors import InputError
from rag.ingest.addresses import AddressPolicy, check_public, is_loopback, is_public


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254",  # loopback, private, metadata
        "100.64.0.1", "100.100.100.200",  # carrier-grade NAT: a cloud metadata range that is_private misses
        "198.18.0.1", "192.0.0.1", "0.0.0.0", "240.0.0.1", "224.0.0.1",  # benchmarking, IANA, unspecified, ...
        "::1", "fe80::1", "fc00::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "ff02::1",  # IPv6, mapped IPv4
    ],
)  # fmt: skip
def test_addresses_inside_some_network_are_not_public(address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"])
def test_globally_routable_addresses_are_public(address: str) -> None:
    assert is_public(ipaddress.ip_address(address))


def test_every_address_a_name_resolves_to_must_be_public() -> None:
    calls: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        calls.append(host)
        return ["93.184.216.34", "10.0.0.5"]  # one public answer does not excuse a private one

    with pytest.raises(InputError, match=r"news\.example \(10\.0\.0\.5\) is a local address"):
        AddressPolicy(resolve=resolve).addresses("news.example", 443)
    assert calls == ["news.example"]


def test_a_public_name_gives_the_addresses_to_connect_to() -> None:
    policy = AddressPolicy(resolve=lambda host, port: ["93.184.216.34"])
    assert policy.addresses("news.example", 80) == ["93.184.216.34"]
    assert policy.addresses("[2606:4700:4700::1111]", 80) == ["2606:4700:4700::1111"]  # a literal: no lookup


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8000/a", "http://10.1.2.3/a", "http://[::1]/a", "http://100.64.1.1/", "http://169.254.169.254/"],
)
def test_check_public_refuses_local_literals_in_one_line(url: str) -> None:
    with pytest.raises(InputError) as info:
        check_public(url)
    assert str(info.value).startswith(f"{url}: ") and "public addresses only" in str(info.value)


def test_check_public_passes_a_public_literal_without_a_lookup() -> None:
    check_public("http://93.184.216.34/article")


def test_loopback_hosts() -> None:
    assert all(is_loopback(h) for h in ("127.0.0.1", "localhost", "[::1]", "127.3.4.5"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "10.0.0.1", "example.com"))
