"""The append-only audit collection (DOMAIN.md §19): insert and query, nothing else."""

from __future__ import annotations

import builtins

from conman_adapters.store.base import DocumentStore
from conman_adapters.store.repositories.base import StoreRepository, to_doc
from conman_domain.model import AuditEvent
from conman_domain.ports.repos import AuditRepoPort, Page, Sort, Where

__all__ = ["StoreAuditRepository"]


class StoreAuditRepository(AuditRepoPort):
    """``AuditRepoPort`` over ``audit_events``; deliberately has no update or delete."""

    def __init__(self, store: DocumentStore) -> None:
        self._coll = store.collection("audit_events")
        self._reader = StoreRepository(store, "audit_events", AuditEvent)

    def append(self, event: AuditEvent) -> None:
        self._coll.insert_one(to_doc(event))

    def last_in_chain(self, chain_key: str) -> AuditEvent | None:
        return self._coll.find_one_as({"chain_key": chain_key}, AuditEvent, [("seq", -1)])

    def chain(
        self, chain_key: str, after_seq: int = 0, limit: int = 1000
    ) -> builtins.list[AuditEvent]:
        return self._coll.find_as(
            {"chain_key": chain_key, "seq": {"$gt": after_seq}},
            AuditEvent,
            [("seq", 1)],
            0,
            limit,
        )

    def list(
        self, where: Where, sort: Sort = (("occurred_at", -1),), page: int = 1, limit: int = 20
    ) -> Page[AuditEvent]:
        return self._reader.list(where, sort, page, limit)
