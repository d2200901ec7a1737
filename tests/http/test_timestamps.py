"""API.md §1.7: every timestamp is RFC 3339 UTC with exactly three fractional digits."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from conman_http.envelope import encode_json, rfc3339_ms
from tests.http.identity_harness import Env, identity_env

MS_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    with identity_env(tmp_path) as e:
        yield e


def _timestamps(value: Any, key: str = "") -> list[str]:
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in _timestamps(v, k)]
    if isinstance(value, list):
        return [t for v in value for t in _timestamps(v, key)]
    if isinstance(value, str) and (key.endswith("_at") or key == "expires_at"):
        return [value]
    return []


def test_microseconds_are_cut_to_milliseconds_and_offsets_become_utc() -> None:
    plus_two = timezone(timedelta(hours=2))
    moment = datetime(2026, 2, 25, 12, 0, 0, 123987, tzinfo=plus_two)
    assert rfc3339_ms(moment) == "2026-02-25T10:00:00.123Z"
    assert rfc3339_ms(datetime(2026, 2, 25, 10, 0, tzinfo=UTC)) == "2026-02-25T10:00:00.000Z"
    assert encode_json({"at": [moment]}) == b'{"at":["2026-02-25T10:00:00.123Z"]}'


def test_api_responses_render_every_timestamp_with_millisecond_precision(env: Env) -> None:
    env.clock.advance(microseconds=456789)
    admin = env.user("ann@example.com", "Ann")
    app_id = env.app(admin)
    for path in (f"/api/apps/{app_id}", f"/api/apps/{app_id}/environments", "/api/me"):
        body = env.client.get(path, headers=env.headers(admin)).json()
        stamps = _timestamps(body)
        assert stamps, path
        assert all(MS_TIMESTAMP.match(s) for s in stamps), (path, stamps)
