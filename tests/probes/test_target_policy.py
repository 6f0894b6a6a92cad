"""The probe target policy on its own: what each setting denies, and how addresses are read."""

from __future__ import annotations

import ipaddress

import pytest

from vantage.probes.target_policy import (
    EMBEDDED_DEFAULT,
    REMOTE_DEFAULT,
    PolicyError,
    TargetDenied,
    TargetPolicy,
    parse_networks,
)

EMBEDDED = TargetPolicy.parse(EMBEDDED_DEFAULT)
REMOTE = TargetPolicy.parse(REMOTE_DEFAULT)

LOOPBACK = ["127.0.0.1", "127.0.0.2", "127.255.255.254", "::1", "0.0.0.0", "0.1.2.3", "::"]
LINK_LOCAL_AND_METADATA = [
    "169.254.169.254",
    "169.254.170.2",
    "fe80::1",
    "fe80::1%lo",
    "fd00:ec2::254",
    "100.100.100.200",
    "192.0.0.192",
    "::ffff:169.254.169.254",
]
ORDINARY = [
    "93.184.215.14",
    "10.0.0.1",
    "172.16.5.4",
    "192.168.1.1",
    "100.100.100.201",
    "2606:2800:21f:cb07:6820:80da:af6b:8b2c",
    "fd00:ec2::253",
]


@pytest.mark.parametrize("address", LOOPBACK + LINK_LOCAL_AND_METADATA + ["::ffff:127.0.0.1"])
def test_the_embedded_default_denies_loopback_link_local_and_metadata(address: str) -> None:
    assert EMBEDDED.denies(address)


@pytest.mark.parametrize("address", ORDINARY)
def test_the_embedded_default_allows_public_and_private_networks(address: str) -> None:
    assert not EMBEDDED.denies(address)


@pytest.mark.parametrize("address", LOOPBACK)
def test_the_remote_default_allows_loopback(address: str) -> None:
    assert not REMOTE.denies(address)


@pytest.mark.parametrize("address", LINK_LOCAL_AND_METADATA)
def test_the_remote_default_denies_link_local_and_metadata(address: str) -> None:
    assert REMOTE.denies(address)


@pytest.mark.parametrize("setting", ["", " ", " , ,"])
def test_an_empty_setting_denies_nothing(setting: str) -> None:
    policy = TargetPolicy.parse(setting)
    assert policy.deny == ()
    assert not any(policy.denies(a) for a in LOOPBACK + LINK_LOCAL_AND_METADATA)


def test_cidrs_addresses_and_groups_mix_in_one_setting() -> None:
    networks = parse_networks(" 10.0.0.0/8 ,192.0.2.7, LOOPBACK,fc00::/7")
    assert [str(n) for n in networks] == [
        "10.0.0.0/8",
        "192.0.2.7/32",
        "127.0.0.0/8",
        "::1/128",
        "0.0.0.0/8",
        "::/128",
        "fc00::/7",
    ]


def test_a_network_named_twice_is_kept_once() -> None:
    networks = parse_networks("link-local,metadata,169.254.0.0/16")
    assert networks.count(ipaddress.ip_network("169.254.0.0/16")) == 1
    assert networks.count(ipaddress.ip_network("169.254.169.254/32")) == 1


def test_a_cidr_with_host_bits_means_its_network() -> None:
    assert parse_networks("10.1.2.3/8") == (ipaddress.ip_network("10.0.0.0/8"),)


@pytest.mark.parametrize("item", ["localhost", "10.0.0.0/33", "metadata-service", "1.2.3"])
def test_anything_else_is_refused_naming_the_item(item: str) -> None:
    with pytest.raises(PolicyError) as raised:
        parse_networks(f"loopback,{item}")
    assert str(raised.value) == (
        f"{item!r} is not a CIDR, an IP address or one of loopback, link-local, metadata"
    )


def test_an_ipv4_mapped_address_is_judged_as_the_ipv4_address_it_reaches() -> None:
    policy = TargetPolicy.parse("127.0.0.2/32")
    assert policy.denies("::ffff:127.0.0.2")
    assert not policy.denies("::ffff:127.0.0.1")
    assert not policy.denies("::1")


def test_something_that_is_not_an_address_is_denied() -> None:
    assert TargetPolicy.parse("192.0.2.0/24").denies("example.com")


def test_a_denial_names_the_host_and_the_address_it_resolved_to() -> None:
    with pytest.raises(TargetDenied) as by_name:
        EMBEDDED.check("localhost", "127.0.0.1")
    assert by_name.value.message == (
        "Connection to localhost (127.0.0.1) refused by the operator's probe policy"
        " (VANTAGE_PROBE_DENY)"
    )
    with pytest.raises(TargetDenied) as by_address:
        EMBEDDED.check("169.254.169.254", "169.254.169.254")
    assert by_address.value.message == (
        "Connection to 169.254.169.254 refused by the operator's probe policy (VANTAGE_PROBE_DENY)"
    )


def test_an_allowed_address_passes_the_check() -> None:
    EMBEDDED.check("example.com", "93.184.215.14")


def test_verdicts_stay_right_past_the_remembered_ones() -> None:
    policy = TargetPolicy.parse("10.0.0.0/8")
    for n in range(5000):
        assert policy.denies(f"10.0.{n // 256}.{n % 256}")
        assert not policy.denies(f"11.0.{n // 256}.{n % 256}")


def test_a_policy_shows_the_networks_it_denies() -> None:
    assert REMOTE.describe() == (
        "169.254.0.0/16,fe80::/10,169.254.169.254/32,fd00:ec2::254/128,"
        "100.100.100.200/32,192.0.0.192/32"
    )
    assert TargetPolicy.parse("").describe() == ""
