"""Client IP resolution behind trusted proxies (API.md §1.6)."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Any

from litestar import Request

from conman_http.context import runtime_of

__all__ = ["Network", "client_ip", "resolve_client_ip"]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _trusted(address: str, networks: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


def resolve_client_ip(peer: str, forwarded_for: Sequence[str], networks: Sequence[Network]) -> str:
    """The peer, unless it is a trusted proxy: then the right-most ``X-Forwarded-For``
    entry that is not trusted (no header → the peer; all trusted → the left-most)."""
    if not _trusted(peer, networks):
        return peer
    chain = [part.strip() for header in forwarded_for for part in header.split(",")]
    chain = [part for part in chain if part]
    if not chain:
        return peer
    for address in reversed(chain):
        if not _trusted(address, networks):
            return address
    return chain[0]


def client_ip(request: Request[Any, Any, Any]) -> str:
    """The client IP of ``request`` under the app's ``CONMAN_TRUSTED_PROXIES``."""
    peer = request.client.host if request.client else ""
    networks = runtime_of(request.scope).trusted_proxies
    return resolve_client_ip(peer, request.headers.getall("x-forwarded-for", []), networks)
