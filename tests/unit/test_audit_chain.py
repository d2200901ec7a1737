"""Audit hash chain (DOMAIN.md §19.3)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone

import msgspec

from conman_domain.audit_chain import (
    GENESIS_HASH,
    BrokenReason,
    canonical_json,
    compute_hash,
    format_timestamp,
    seal,
    verify,
)
from conman_domain.model import AuditContext, AuditEvent

T0 = datetime(2026, 2, 25, 10, 0, 0, 123456, tzinfo=UTC)


def event(seq: int, prev: str, **kw: object) -> AuditEvent:
    return AuditEvent(
        id=f"{seq:024x}",
        created_at=T0,
        seq=seq,
        chain_key="a" * 24,
        occurred_at=T0 + timedelta(seconds=seq),
        app_id="a" * 24,
        entity_type="changeset",
        entity_id="c" * 24,
        action="changeset.submitted",
        prev_hash=prev,
        **kw,  # type: ignore[arg-type]
    )


def chain(n: int) -> list[AuditEvent]:
    events: list[AuditEvent] = []
    prev = GENESIS_HASH
    for seq in range(1, n + 1):
        e = seal(event(seq, prev))
        events.append(e)
        prev = e.hash
    return events


def test_canonical_json_sorts_keys_uses_compact_separators_and_keeps_unicode() -> None:
    e = event(
        1,
        GENESIS_HASH,
        before={"z": 1, "a": "é"},
        after={"at": datetime(2026, 1, 1, 1, 2, 3, tzinfo=timezone(timedelta(hours=2)))},
        context=AuditContext(ip="1.2.3.4", user_agent="ua", request_id="r"),
    )
    text = canonical_json(e).decode("utf-8")
    assert text.startswith('{"_id":"000000000000000000000001","action":"changeset.submitted"')
    assert '"before":{"a":"é","z":1}' in text
    assert '"after":{"at":"2025-12-31T23:02:03.000Z"}' in text
    assert '"context":{"ip":"1.2.3.4","request_id":"r","user_agent":"ua"}' in text
    assert '"occurred_at":"2026-02-25T10:00:01.123Z"' in text
    assert '"hash"' not in text
    assert ", " not in text and ": " not in text


def test_hash_is_sha256_hex_of_the_canonical_json_and_ignores_the_hash_field() -> None:
    e = event(1, GENESIS_HASH)
    expected = hashlib.sha256(canonical_json(e)).hexdigest()
    assert compute_hash(e) == expected
    e.hash = "anything"
    assert compute_hash(e) == expected


def test_timestamps_have_milliseconds_and_z() -> None:
    assert format_timestamp(T0) == "2026-02-25T10:00:00.123Z"
    assert format_timestamp(datetime(2026, 2, 25)) == "2026-02-25T00:00:00.000Z"


def test_an_intact_chain_verifies() -> None:
    result = verify(chain(5))
    assert result.verified
    assert (result.events_checked, result.first_seq, result.last_seq) == (5, 1, 5)
    assert result.broken_at is None


def test_an_empty_chain_verifies() -> None:
    result = verify([])
    assert result.verified and result.events_checked == 0 and result.first_seq is None


def test_a_tampered_event_is_a_hash_mismatch() -> None:
    events = chain(4)
    events[2].after = {"tampered": True}
    result = verify(events)
    assert not result.verified
    assert result.broken_at is not None
    assert (result.broken_at.seq, result.broken_at.reason) == (3, BrokenReason.HASH_MISMATCH)
    assert result.broken_at.event_id == events[2].id
    assert result.events_checked == 3


def test_a_missing_event_is_a_seq_gap() -> None:
    events = chain(4)
    del events[1]
    result = verify(events)
    assert result.broken_at is not None
    assert (result.broken_at.seq, result.broken_at.reason) == (3, BrokenReason.SEQ_GAP)


def test_a_chain_not_starting_at_one_is_a_seq_gap() -> None:
    result = verify(chain(3)[1:])
    assert result.broken_at is not None
    assert result.broken_at.reason is BrokenReason.SEQ_GAP


def test_a_relinked_event_is_a_prev_hash_mismatch() -> None:
    events = chain(3)
    events[2] = seal(event(3, "f" * 64))
    result = verify(events)
    assert result.broken_at is not None
    assert (result.broken_at.seq, result.broken_at.reason) == (3, BrokenReason.PREV_HASH_MISMATCH)


def test_the_first_event_links_to_64_zeros() -> None:
    events = chain(1)
    assert events[0].prev_hash == "0" * 64
    events[0] = seal(event(1, "1" * 64))
    result = verify(events)
    assert result.broken_at is not None
    assert result.broken_at.reason is BrokenReason.PREV_HASH_MISMATCH


def test_hash_survives_a_store_round_trip() -> None:
    events = chain(2)
    docs = [msgspec.to_builtins(e, builtin_types=(datetime,)) for e in events]
    back = [msgspec.convert(d, AuditEvent) for d in docs]
    assert verify(back).verified
