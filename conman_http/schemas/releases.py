"""Request bodies of the release routes (API.md §11), strict msgspec structs."""

from __future__ import annotations

import msgspec

__all__ = ["CreateReleaseBody", "ModifyReleaseBody", "ReorderReleaseBody"]


class CreateReleaseBody(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """``changeset_ids``: queued changesets in composition order (default none)."""

    changeset_ids: list[str] = msgspec.field(default_factory=list)


class ModifyReleaseBody(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """``remove`` is applied first, then ``add`` is appended in order."""

    add: list[str] = msgspec.field(default_factory=list)
    remove: list[str] = msgspec.field(default_factory=list)


class ReorderReleaseBody(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """An exact permutation of the release's changeset ids."""

    ordered_changeset_ids: list[str]
