"""Client IP behind trusted proxies (API.md §1.6)."""

from __future__ import annotations

import ipaddress

import pytest

from conman_http.client_ip import resolve_client_ip

TRUSTED = [ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("2001:db8::/32")]


@pytest.mark.parametrize(
    ("peer", "xff", "expected"),
    [
        ("203.0.113.7", ["1.2.3.4"], "203.0.113.7"),  # untrusted peer: header ignored
        ("10.0.0.1", [], "10.0.0.1"),  # trusted peer, no header
        ("10.0.0.1", ["1.2.3.4, 5.6.7.8, 10.0.0.2"], "5.6.7.8"),  # right-most untrusted
        ("10.0.0.1", ["1.2.3.4", "5.6.7.8"], "5.6.7.8"),  # repeated headers in order
        ("10.0.0.1", ["10.1.1.1, 10.2.2.2"], "10.1.1.1"),  # all trusted: left-most
        ("2001:db8::1", ["2001:db9::5"], "2001:db9::5"),
    ],
)
def test_client_ip_resolution(peer: str, xff: list[str], expected: str) -> None:
    assert resolve_client_ip(peer, xff, TRUSTED) == expected


def test_without_trusted_proxies_the_peer_is_the_client() -> None:
    assert resolve_client_ip("10.0.0.1", ["1.2.3.4"], []) == "10.0.0.1"
