"""Store-specific fixtures: the MongoDB wire-protocol test server (one per session)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from store_backends import WireServer


@pytest.fixture(scope="session")
def wire_server() -> Iterator[WireServer]:
    """An ``nx-27017`` server on a random port, always stopped at the end of the session."""
    server = WireServer()
    try:
        yield server
    finally:
        server.stop()
