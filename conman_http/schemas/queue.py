"""Request body of the queue reorder route (API.md §10), a strict msgspec struct."""

from __future__ import annotations

import msgspec

__all__ = ["ReorderQueueBody"]


class ReorderQueueBody(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """``ordered_changeset_ids``: every queued changeset id, once, in the new order."""

    ordered_changeset_ids: list[str]
