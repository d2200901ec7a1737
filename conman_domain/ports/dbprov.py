"""Temp-environment databases of the managed application (DOMAIN.md §16.5, §16.6)."""

from __future__ import annotations

from typing import Any, Protocol

__all__ = ["DatabaseProvisionerPort"]


class DatabaseProvisionerPort(Protocol):
    """Creates, clones, restores and drops MongoDB databases on a server named by a URI.

    ``server_uri`` is plaintext only in memory and is never logged. Every failure to reach
    or operate the server raises ``ServiceUnavailable`` with a message free of the URI.
    """

    def create(self, server_uri: str, db_name: str, meta: dict[str, Any]) -> None:
        """Create ``db_name`` holding one ``_conman_meta`` document ``meta``. An existing
        database of that name is reused (the meta document is replaced): idempotent."""
        ...

    def clone_from(self, server_uri: str, source_uri: str, source_db: str, db_name: str) -> None:
        """Copy every collection and index of ``source_db`` into ``db_name`` (server-side
        snapshot clone, else dump/restore). A partially copied target is dropped before the
        error is raised. A missing source raises ``NotFound``."""
        ...

    def restore_snapshot(self, server_uri: str, snapshot_ref: str, db_name: str) -> None:
        """Restore the snapshot named ``snapshot_ref`` into ``db_name``. An unknown snapshot
        raises ``NotFound``."""
        ...

    def drop(self, server_uri: str, db_name: str) -> None:
        """Drop ``db_name``. A database that does not exist is success (idempotent)."""
        ...
