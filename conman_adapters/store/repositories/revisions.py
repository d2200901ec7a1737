"""Revision repositories: append-only, except for a master-key rewrap (DOMAIN.md §15.7)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from conman_adapters.store.base import DocumentStore
from conman_adapters.store.repositories.base import StoreRepository
from conman_domain.errors import Conflict, NotFound
from conman_domain.model import (
    ChangesetRevision,
    OverrideSnapshot,
    ProfileRevision,
    SecretRecord,
)
from conman_domain.ports.repos import ChangesetRevisionRepoPort, ProfileRevisionRepoPort

__all__ = ["StoreChangesetRevisions", "StoreProfileRevisions"]


class StoreProfileRevisions(StoreRepository[ProfileRevision], ProfileRevisionRepoPort):
    """``runtime_profile_revisions``; ``rewrap_secrets`` guards on the records it replaces."""

    def __init__(self, store: DocumentStore) -> None:
        super().__init__(store, "runtime_profile_revisions", ProfileRevision)

    def rewrap_secrets(
        self,
        revision_id: str,
        expected: Mapping[str, SecretRecord],
        rewrapped: Mapping[str, SecretRecord],
    ) -> None:
        if set(expected) != set(rewrapped):
            raise ValueError("rewrap_secrets needs the same keys in expected and rewrapped")
        if not rewrapped:
            self.get(revision_id)
            return
        # Secret keys match ^[A-Za-z_][A-Za-z0-9_]*$ (DOMAIN.md §15.2): safe in dotted paths.
        flt: dict[str, Any] = {"_id": revision_id}
        changes: dict[str, Any] = {}
        for key, old in expected.items():
            path = f"snapshot.secrets.{key}"
            flt[f"{path}.kid"] = old.kid
            flt[f"{path}.wrapped_dek"] = old.wrapped_dek
            changes[path] = msgspec.to_builtins(rewrapped[key])
        if not self._coll.update_one(flt, {"$set": changes}):
            if self._coll.find_one({"_id": revision_id}) is None:
                raise NotFound(self._label, revision_id)
            raise Conflict(f"{self._label} {revision_id} was rewrapped concurrently")


class StoreChangesetRevisions(StoreRepository[ChangesetRevision], ChangesetRevisionRepoPort):
    """``changeset_revisions``; ``rewrap_overrides`` replaces the overrides snapshot."""

    def __init__(self, store: DocumentStore) -> None:
        super().__init__(store, "changeset_revisions", ChangesetRevision)

    def rewrap_overrides(self, revision_id: str, snapshot: Sequence[OverrideSnapshot]) -> None:
        body = [msgspec.to_builtins(item) for item in snapshot]
        if not self._coll.update_one(
            {"_id": revision_id}, {"$set": {"profile_overrides_snapshot": body}}
        ):
            raise NotFound(self._label, revision_id)
