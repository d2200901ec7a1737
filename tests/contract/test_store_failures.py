"""Driver failures never escape: an unreachable store is ``ServiceUnavailable``."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from store_backends import free_port

from conman_adapters.store import MongoStore, SqliteStore
from conman_domain.errors import Conflict, Internal, ServiceUnavailable


def test_unreachable_mongodb_is_service_unavailable_not_a_driver_error() -> None:
    store = MongoStore(
        f"mongodb://127.0.0.1:{free_port()}/?directConnection=true",
        "conman",
        server_selection_timeout_ms=200,
        socket_timeout_ms=200,
        connect_timeout_ms=200,
    )
    with pytest.raises(ServiceUnavailable):
        store.ping()
    with pytest.raises(ServiceUnavailable):
        store.collection("users").find_one({"_id": "0" * 24})
    with pytest.raises(ServiceUnavailable):
        store.collection("users").insert_one({"_id": "0" * 24})
    store.close()


def test_sqlite_file_that_is_not_a_database_is_service_unavailable(tmp_path: Path) -> None:
    bogus = tmp_path / "conman.db"
    bogus.write_bytes(b"this is not a sqlite database, just some bytes" * 100)
    with pytest.raises(ServiceUnavailable):
        SqliteStore(bogus)


def test_sqlite_data_survives_a_process_restart(tmp_path: Path) -> None:
    db = tmp_path / "restart.db"
    writer = textwrap.dedent(
        f"""
        from conman_adapters.store import SqliteStore, INDEXES
        store = SqliteStore({str(db)!r})
        store.ensure_indexes(INDEXES)
        store.collection("users").insert_one({{"_id": "a" * 24, "email": "x@y"}})
        store.close()
        """
    )
    subprocess.run([sys.executable, "-c", writer], check=True, timeout=60)
    store = SqliteStore(db)
    assert store.collection("users").find_one({"email": "x@y"}) == {"_id": "a" * 24, "email": "x@y"}
    store.close()


def test_sqlite_integrity_errors_other_than_duplicates_are_not_reported_as_conflicts(
    tmp_path: Path,
) -> None:
    store = SqliteStore(tmp_path / "c.db")
    users = store.collection("users")
    users.insert_one({"_id": "a" * 24, "email": "x@y"})
    with pytest.raises(Conflict):
        users.insert_one({"_id": "a" * 24, "email": "z@y"})
    with pytest.raises(Internal):
        users.find({}, skip=2**70, limit=1)
