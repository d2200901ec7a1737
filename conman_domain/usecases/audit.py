"""The audit trail writer (DOMAIN.md §19): hash-chained, append-only, never failing.

``AuditTrail.record`` builds one event, chains it to the last event of its chain
(``app_id`` or ``global``) and appends it. A taken ``(chain_key, seq)`` means another
writer appended first: the head is re-read and the append retried, up to 100 times.
A store error is retried 3 times; a final failure is logged and counted through
``on_failure`` but never raised, so an audit problem never fails the request.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

import msgspec

from conman_domain.audit_chain import seal
from conman_domain.errors import Conflict, ConmanError
from conman_domain.model.audit import GENESIS_HASH, AuditContext, AuditEvent
from conman_domain.model.base import Value
from conman_domain.ports.clock import ClockPort
from conman_domain.ports.ids import IdPort
from conman_domain.ports.repos import AuditRepoPort

__all__ = ["GLOBAL_CHAIN", "Actor", "AuditTrail", "plain"]

GLOBAL_CHAIN = "global"
SEQ_RETRIES = 100
STORE_RETRIES = 3
_log = logging.getLogger("conman.audit")


class Actor(Value, frozen=True, kw_only=True):
    """Who acts (``user_id`` None = the system) and the request context of the event."""

    user_id: str | None = None
    context: AuditContext = msgspec.field(default_factory=AuditContext)


def _enum_hook(value: object) -> object:
    if isinstance(value, enum.Enum):
        return value.value
    raise NotImplementedError(type(value).__name__)


def plain(value: Any) -> Any:
    """Structs and enums as builtins (datetimes kept), for ``before``/``after``."""
    return msgspec.to_builtins(value, builtin_types=(datetime,), enc_hook=_enum_hook)


class AuditTrail:
    """Appends audit events; ``on_failure`` is called once per event that was lost."""

    def __init__(
        self,
        repo: AuditRepoPort,
        clock: ClockPort,
        ids: IdPort,
        on_failure: Callable[[], None] | None = None,
    ) -> None:
        self._repo = repo
        self._clock = clock
        self._ids = ids
        self._on_failure = on_failure

    def record(
        self,
        actor: Actor,
        action: str,
        *,
        app_id: str | None,
        entity_id: str | None,
        before: Any = None,
        after: Any = None,
        git_sha: str | None = None,
    ) -> AuditEvent | None:
        """Append ``<entity_type>.<action>`` (``action`` is the dotted name) and return the
        stored event, or None when it could not be written (logged and counted)."""
        entity_type = action.split(".", 1)[0]
        store_failures = 0
        seq_collisions = 0
        while True:
            try:
                return self._append_once(
                    actor, action, entity_type, app_id, entity_id, before, after, git_sha
                )
            except Conflict:
                seq_collisions += 1
                if seq_collisions > SEQ_RETRIES:
                    self._lost(action, "too many concurrent appends")
                    return None
            except ConmanError as exc:
                store_failures += 1
                if store_failures > STORE_RETRIES:
                    self._lost(action, exc.message)
                    return None

    def _append_once(  # noqa: PLR0917
        self,
        actor: Actor,
        action: str,
        entity_type: str,
        app_id: str | None,
        entity_id: str | None,
        before: Any,
        after: Any,
        git_sha: str | None,
    ) -> AuditEvent:
        chain_key = app_id or GLOBAL_CHAIN
        last = self._repo.last_in_chain(chain_key)
        now = self._clock.now()
        event = AuditEvent(
            id=self._ids.new_id(),
            created_at=now,
            seq=1 if last is None else last.seq + 1,
            chain_key=chain_key,
            occurred_at=now,
            actor_user_id=actor.user_id,
            app_id=app_id,
            entity_type=entity_type,
            entity_id=entity_id,
            action=action,
            before=plain(before),
            after=plain(after),
            git_sha=git_sha,
            context=actor.context,
            prev_hash=GENESIS_HASH if last is None else last.hash,
        )
        self._repo.append(seal(event))
        return event

    def _lost(self, action: str, reason: str) -> None:
        _log.error("audit event %s could not be written: %s", action, reason)
        if self._on_failure is not None:
            self._on_failure()
