"""Reading and verifying the audit trail (API.md §15; DOMAIN.md §19.3)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import msgspec

from conman_domain.audit_chain import BrokenAt, verify
from conman_domain.errors import FieldError, Validation
from conman_domain.model import AuditEvent
from conman_domain.ports.repos import AuditRepoPort
from conman_domain.usecases.audit import GLOBAL_CHAIN

__all__ = ["ACTIONS", "AuditFilter", "AuditLog", "ChainReport"]

CHAIN_PAGE = 1000
_OBJECT_ID = re.compile(r"[0-9a-f]{24}")

# DOMAIN.md §19.2: entity type → actions.
ACTIONS: dict[str, tuple[str, ...]] = {
    "user": (
        "password_reset_requested", "password_changed", "logged_in", "logged_out",
        "login_failed",
    ),
    "app": ("created", "settings_updated", "environments_updated"),
    "membership": ("created", "role_changed", "removed", "commit_mode_changed"),
    "invite": ("created", "resent", "revoked", "accepted"),
    "notification_preference": ("updated",),
    "workspace": ("created", "updated", "reset", "synced_integration"),
    "file": ("written", "deleted", "checkpoint"),
    "changeset": (
        "created", "updated", "submitted", "resubmitted", "approved", "changes_requested",
        "rejected", "queued", "moved_to_draft", "conflicted", "needs_revalidation", "released",
    ),
    "comment": ("created", "edited"),
    "queue": ("reordered",),
    "profile_override": ("updated",),
    "runtime_profile": (
        "created", "updated", "direct_edit", "reverted", "key_rotated", "secret_revealed",
    ),
    "environment": ("drift_acknowledged",),
    "release": (
        "created", "changesets_modified", "reordered", "assembly_started", "assembled",
        "assembly_failed", "published", "rolled_back",
    ),
    "deployment": (
        "created", "started", "succeeded", "failed", "canceled", "promoted", "rolled_back",
    ),
    "deployment_approval": ("issued",),
    "temp_environment": (
        "created", "provisioned", "provision_failed", "extended", "expiring", "undo_expired",
        "expired", "deleted", "cleaned_up",
    ),
    "job": ("canceled", "retried"),
}  # fmt: skip


class AuditFilter(msgspec.Struct, frozen=True, kw_only=True):
    entity_type: str | None = None
    entity_id: str | None = None
    action: str | None = None
    actor_user_id: str | None = None
    occurred_from: datetime | None = None
    occurred_to: datetime | None = None


class ChainReport(msgspec.Struct, frozen=True, kw_only=True):
    """API.md §15 verify response."""

    app_id: str | None
    verified: bool
    events_checked: int
    first_seq: int | None
    last_seq: int | None
    broken_at: BrokenAt | None


def _bad_filter(field: str, message: str) -> Validation:
    return Validation(f"{field}: {message}", [FieldError(field, message)])


def _check_filter(flt: AuditFilter) -> None:
    """Ids must be 24 lowercase hex characters and names must be in §19.2 (else 400)."""
    for field, value in (("entity_id", flt.entity_id), ("actor_user_id", flt.actor_user_id)):
        if value is not None and not _OBJECT_ID.fullmatch(value):
            raise _bad_filter(field, "must be 24 lowercase hex characters")
    if flt.entity_type is not None and flt.entity_type not in ACTIONS:
        raise _bad_filter("entity_type", f"unknown entity type {flt.entity_type!r}")


def _action_filter(action: str) -> Any:
    if "." in action:
        entity, _, name = action.partition(".")
        if name not in ACTIONS.get(entity, ()):
            raise _bad_filter("action", f"unknown action {action!r}")
        return action
    names = [f"{entity}.{action}" for entity, acts in ACTIONS.items() if action in acts]
    if not names:
        raise Validation(f"action: unknown action {action!r}", [FieldError("action", "unknown")])
    return {"$in": names}


class AuditLog:
    def __init__(self, repo: AuditRepoPort) -> None:
        self._repo = repo

    def list(
        self, app_id: str, flt: AuditFilter, page: int, limit: int
    ) -> tuple[list[AuditEvent], int]:
        """Events of the app, occurred_at descending then seq descending; a malformed id,
        an unknown entity type or an unknown action in ``flt`` → ``Validation``."""
        _check_filter(flt)
        where: dict[str, Any] = {"app_id": app_id}
        if flt.entity_type is not None:
            where["entity_type"] = flt.entity_type
        if flt.entity_id is not None:
            where["entity_id"] = flt.entity_id
        if flt.action is not None:
            where["action"] = _action_filter(flt.action)
        if flt.actor_user_id is not None:
            where["actor_user_id"] = flt.actor_user_id
        span: dict[str, datetime] = {}
        if flt.occurred_from is not None:
            span["$gte"] = flt.occurred_from
        if flt.occurred_to is not None:
            span["$lte"] = flt.occurred_to
        if span:
            where["occurred_at"] = span
        found = self._repo.list(
            where, sort=(("occurred_at", -1), ("seq", -1)), page=page, limit=limit
        )
        return found.items, found.total

    def events(self, app_id: str | None) -> Iterator[AuditEvent]:
        """Every event of the app's chain (the global chain for None) in seq order."""
        chain_key = app_id or GLOBAL_CHAIN
        after = 0
        while True:
            batch = self._repo.chain(chain_key, after_seq=after, limit=CHAIN_PAGE)
            yield from batch
            if len(batch) < CHAIN_PAGE:
                return
            after = batch[-1].seq

    def verify(self, app_id: str | None) -> ChainReport:
        result = verify(self.events(app_id))
        return ChainReport(
            app_id=app_id,
            verified=result.verified,
            events_checked=result.events_checked,
            first_seq=result.first_seq,
            last_seq=result.last_seq,
            broken_at=result.broken_at,
        )
