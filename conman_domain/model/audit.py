"""Audit events (DOMAIN.md §19; API.md §2)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from conman_domain.model.base import Entity, Value

__all__ = ["GENESIS_HASH", "AuditContext", "AuditEvent"]

GENESIS_HASH = "0" * 64


class AuditContext(Value, frozen=True, kw_only=True):
    ip: str | None = None
    user_agent: str | None = None
    request_id: str | None = None


class AuditEvent(Entity, kw_only=True):
    """An append-only, hash-chained event. ``created_at`` equals ``occurred_at`` and is not
    part of the hash (see ``conman_domain.audit_chain``)."""

    seq: int
    chain_key: str
    occurred_at: datetime
    actor_user_id: str | None = None
    app_id: str | None = None
    entity_type: str
    entity_id: str | None = None
    action: str
    before: Any = None
    after: Any = None
    git_sha: str | None = None
    context: AuditContext = msgspec.field(default_factory=AuditContext)
    prev_hash: str
    hash: str = ""
