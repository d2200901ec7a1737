"""``conman db init|check``: create the store's indexes, or report its state.

Exit codes: 0 ok; 1 ``check`` found missing indexes; 5 the store is unreachable
(``service_unavailable``); 6 configuration error.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from conman_adapters.container import build_container
from conman_adapters.store import INDEXES, DocumentStore
from conman_cli.common import EXIT_CHECK_FAILED, emit, handle_errors, json_option, load_config

__all__ = ["db"]

backend_option = click.option(
    "--backend",
    type=click.Choice(["sqlite", "mongo", "memory"]),
    default=None,
    help="Store backend (default: mongo when CONMAN_MONGO_URI is set, else sqlite).",
)


def _open(backend: str | None) -> tuple[DocumentStore, Any]:
    settings, _ = load_config()
    container = build_container(settings, backend=backend)
    store: DocumentStore = container.store()
    store.ping()
    return store, container


@click.group()
def db() -> None:
    """Database administration: indexes and status."""


@db.command()
@backend_option
@json_option
@handle_errors
def init(backend: str | None, as_json: bool) -> None:
    """Create every collection index of DOMAIN.md §20 (idempotent) and purge expired TTL
    documents on backends without native TTL."""
    store, container = _open(backend)
    try:
        store.ensure_indexes(INDEXES)
        purged = store.purge_expired(INDEXES, container.clock().now())
        info = store.info(INDEXES)
    finally:
        store.close()
    present = sum(1 for status in info.indexes if status.present)
    emit(
        as_json,
        {"backend": info.backend, "indexes": present, "purged_expired": purged},
        f"{info.backend}: {present}/{len(info.indexes)} indexes ensured, "
        f"{purged} expired documents purged",
    )


@db.command()
@backend_option
@json_option
@handle_errors
def check(backend: str | None, as_json: bool) -> None:
    """Report backend, server version, collections (document counts) and index status.

    Exits 1 when a declared index is missing (run ``conman db init``).
    """
    store, _ = _open(backend)
    try:
        info = store.info(INDEXES)
    finally:
        store.close()
    missing = [f"{s.collection}.{s.name}" for s in info.indexes if not s.present]
    payload = {
        "backend": info.backend,
        "version": info.version,
        "collections": info.collections,
        "indexes": {"declared": len(info.indexes), "missing": missing},
        "ok": not missing,
    }
    lines = [f"backend: {info.backend} {info.version}", "collections:"]
    lines += [f"  {name}: {count}" for name, count in info.collections.items()]
    lines.append(f"indexes: {len(info.indexes) - len(missing)}/{len(info.indexes)} present")
    lines += [f"  missing: {name}" for name in missing]
    emit(as_json, payload, "\n".join(lines))
    if missing:
        sys.exit(EXIT_CHECK_FAILED)
