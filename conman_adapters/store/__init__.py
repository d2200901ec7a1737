"""Document store backends (memory, SQLite, MongoDB) and the repositories over them."""

from __future__ import annotations

from conman_adapters.store.base import DocumentCollection, DocumentStore, IndexSpec, StoreInfo
from conman_adapters.store.indexes import COLLECTIONS, INDEXES
from conman_adapters.store.memory import MemoryStore
from conman_adapters.store.mongo import MongoStore
from conman_adapters.store.repositories import Repositories, build_repositories
from conman_adapters.store.sqlite import SqliteStore

__all__ = [
    "COLLECTIONS",
    "INDEXES",
    "DocumentCollection",
    "DocumentStore",
    "IndexSpec",
    "MemoryStore",
    "MongoStore",
    "Repositories",
    "SqliteStore",
    "StoreInfo",
    "build_repositories",
]
