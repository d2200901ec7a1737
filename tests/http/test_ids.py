"""``SystemIds`` and ``SystemClock``: the real id and time sources."""

from __future__ import annotations

import base64
import itertools
import re
import uuid
from datetime import UTC

from conman_adapters.system import SystemClock, SystemIds


def test_object_ids_are_24_hex_unique_and_ordered_by_counter() -> None:
    ids = SystemIds()
    values = [ids.new_id() for _ in range(2000)]
    assert all(re.fullmatch(r"[0-9a-f]{24}", v) for v in values)
    assert len(set(values)) == len(values)
    # Same process: identical 5-byte process part, counter increments by one.
    assert len({v[8:18] for v in values}) == 1
    counters = [int(v[18:], 16) for v in values]
    assert all((b - a) % (1 << 24) == 1 for a, b in itertools.pairwise(counters))


def test_request_ids_are_sortable_uuid7s() -> None:
    ids = SystemIds()
    values = [ids.request_id() for _ in range(500)]
    assert all(uuid.UUID(v).version == 7 and uuid.UUID(v).variant == uuid.RFC_4122 for v in values)
    assert values == sorted(values)
    assert len(set(values)) == len(values)


def test_tokens_are_base64url_without_padding() -> None:
    token = SystemIds().token(32)
    assert "=" not in token
    assert len(base64.urlsafe_b64decode(token + "=")) == 32
    assert re.fullmatch(r"[0-9a-f]{32}", SystemIds().hex_token(16))


def test_clock_is_utc_and_never_goes_backwards() -> None:
    clock = SystemClock()
    readings = [clock.now() for _ in range(100)]
    assert all(r.tzinfo == UTC for r in readings)
    assert readings == sorted(readings)
