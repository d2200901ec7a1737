"""The audit hash chain (DOMAIN.md §19.3).

``hash`` = lowercase hex SHA-256 of the canonical JSON of the event without ``hash``:
the fields of §19.1 (``_id, seq, chain_key, occurred_at, actor_user_id, app_id,
entity_type, entity_id, action, before, after, git_sha, context, prev_hash``), keys sorted
at every level, separators ``,`` and ``:``, UTF-8 without ASCII escaping, ids as hex
strings and every timestamp (also inside ``before``/``after``) as RFC 3339 UTC with
milliseconds and ``Z``. A naive datetime is taken as UTC.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import msgspec

from conman_domain.model.audit import GENESIS_HASH, AuditEvent

__all__ = [
    "GENESIS_HASH",
    "BrokenAt",
    "BrokenReason",
    "VerifyResult",
    "canonical_json",
    "compute_hash",
    "format_timestamp",
    "seal",
    "verify",
]


def format_timestamp(value: datetime) -> str:
    """RFC 3339 UTC with millisecond precision and ``Z`` (API.md §1.7)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _default(value: object) -> object:
    if isinstance(value, datetime):
        return format_timestamp(value)
    raise TypeError(f"not JSON serializable in an audit event: {type(value).__name__}")


def _plain(value: Any) -> Any:
    """Structs and enums to builtins, keeping datetimes for ``_default``."""
    return msgspec.to_builtins(value, builtin_types=(datetime,), enc_hook=_enum_hook)


def _enum_hook(value: object) -> object:
    if isinstance(value, enum.Enum):
        return value.value
    raise NotImplementedError(type(value).__name__)


def _hashed_fields(event: AuditEvent) -> dict[str, Any]:
    return {
        "_id": event.id,
        "seq": event.seq,
        "chain_key": event.chain_key,
        "occurred_at": event.occurred_at,
        "actor_user_id": event.actor_user_id,
        "app_id": event.app_id,
        "entity_type": event.entity_type,
        "entity_id": event.entity_id,
        "action": event.action,
        "before": event.before,
        "after": event.after,
        "git_sha": event.git_sha,
        "context": event.context,
        "prev_hash": event.prev_hash,
    }


def canonical_json(event: AuditEvent) -> bytes:
    """The canonical UTF-8 JSON of ``event`` without its ``hash``."""
    text = json.dumps(
        _plain(_hashed_fields(event)),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
        default=_default,
    )
    return text.encode("utf-8")


def compute_hash(event: AuditEvent) -> str:
    """Lowercase hex SHA-256 of ``canonical_json(event)``; ``event.hash`` is ignored."""
    return hashlib.sha256(canonical_json(event)).hexdigest()


def seal(event: AuditEvent) -> AuditEvent:
    """Set ``event.hash`` from its content and return it."""
    event.hash = compute_hash(event)
    return event


class BrokenReason(enum.StrEnum):
    HASH_MISMATCH = "hash_mismatch"
    PREV_HASH_MISMATCH = "prev_hash_mismatch"
    SEQ_GAP = "seq_gap"


class BrokenAt(msgspec.Struct, frozen=True, kw_only=True):
    seq: int
    event_id: str
    reason: BrokenReason


class VerifyResult(msgspec.Struct, frozen=True, kw_only=True):
    verified: bool
    events_checked: int
    first_seq: int | None
    last_seq: int | None
    broken_at: BrokenAt | None = None


def verify(events_in_seq_order: Iterable[AuditEvent]) -> VerifyResult:
    """Walk one chain from seq 1 and report the first seq gap, prev_hash or hash mismatch.

    ``events_checked`` counts the events examined up to and including a broken one;
    ``first_seq``/``last_seq`` are the first and last seqs examined (None when empty).
    """
    expected_seq = 1
    prev_hash = GENESIS_HASH
    checked = 0
    first_seq: int | None = None
    last_seq: int | None = None
    for event in events_in_seq_order:
        checked += 1
        first_seq = event.seq if first_seq is None else first_seq
        last_seq = event.seq
        reason: BrokenReason | None = None
        if event.seq != expected_seq:
            reason = BrokenReason.SEQ_GAP
        elif event.prev_hash != prev_hash:
            reason = BrokenReason.PREV_HASH_MISMATCH
        elif event.hash != compute_hash(event):
            reason = BrokenReason.HASH_MISMATCH
        if reason is not None:
            broken = BrokenAt(seq=event.seq, event_id=event.id, reason=reason)
            return VerifyResult(
                verified=False,
                events_checked=checked,
                first_seq=first_seq,
                last_seq=last_seq,
                broken_at=broken,
            )
        expected_seq = event.seq + 1
        prev_hash = event.hash
    return VerifyResult(
        verified=True, events_checked=checked, first_seq=first_seq, last_seq=last_seq
    )
