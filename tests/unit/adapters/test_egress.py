"""Which addresses webhooks may reach (adapters/egress.py), address by address."""

from __future__ import annotations

import ipaddress

import pytest

from deconflict.adapters.egress import Unreachable, WebhookTargets, is_public


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
        ("127.0.0.1", False),
        ("10.255.0.1", False),
        ("172.31.255.255", False),
        ("192.168.0.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("255.255.255.255", False),
        ("224.0.0.251", False),
        ("::1", False),
        ("::", False),
        ("fe80::1", False),
        ("fd12:3456::1", False),
        ("ff02::1", False),
        ("::ffff:10.0.0.1", False),
        ("::ffff:93.184.216.34", True),
        ("2002:a00:1::", False),  # 6to4 of 10.0.0.1
        ("2001:0:4136:e378:8000:63bf:f5ff:fffe", False),  # Teredo of 10.0.0.1
        ("64:ff9b::7f00:1", False),  # NAT64 of 127.0.0.1
    ],
)
def test_only_globally_reachable_unicast_addresses_are_public(address: str, public: bool) -> None:
    assert is_public(ipaddress.ip_address(address)) is public


def test_a_pinned_https_request_keeps_the_name_for_host_and_tls() -> None:
    targets = WebhookTargets((), lambda host, port: ["93.184.216.34", "2606:2800:220:1::1"])
    pinned = targets.pin("https://hooks.example.test:8443/in?x=1#frag")
    assert pinned.url == "https://93.184.216.34:8443/in?x=1"
    assert pinned.headers == {"Host": "hooks.example.test:8443"}
    assert pinned.extensions == {"sni_hostname": "hooks.example.test"}


def test_a_name_with_one_private_address_among_public_ones_is_refused() -> None:
    targets = WebhookTargets((), lambda host, port: ["93.184.216.34", "10.0.0.7"])
    with pytest.raises(Unreachable, match=r"10\.0\.0\.7 is not a public address"):
        targets.pin("http://hooks.example.test/")
    assert targets.refusal("http://hooks.example.test/") is not None


def test_a_name_that_does_not_resolve_is_accepted_now_and_not_sent_to() -> None:
    def nowhere(host: str, port: int) -> list[str]:
        raise OSError("no such name")

    targets = WebhookTargets((), nowhere)
    assert targets.refusal("https://later.example.test/") is None
    with pytest.raises(Unreachable, match="does not resolve"):
        targets.pin("https://later.example.test/")
