"""Repositories written once over the document-collection interface."""

from __future__ import annotations

from conman_adapters.store.repositories.audit import StoreAuditRepository
from conman_adapters.store.repositories.base import MutableStoreRepository, StoreRepository
from conman_adapters.store.repositories.bundle import Repositories, build_repositories
from conman_adapters.store.repositories.heartbeats import StoreRunnerHeartbeats
from conman_adapters.store.repositories.jobs import StoreJobQueue
from conman_adapters.store.repositories.revisions import (
    StoreChangesetRevisions,
    StoreProfileRevisions,
)

__all__ = [
    "MutableStoreRepository",
    "Repositories",
    "StoreAuditRepository",
    "StoreChangesetRevisions",
    "StoreJobQueue",
    "StoreProfileRevisions",
    "StoreRepository",
    "StoreRunnerHeartbeats",
    "build_repositories",
]
