"""``MongoProvisioner`` against mongomock and the nx-27017 wire server (DOMAIN.md §16.5,
§16.6): create with meta, clone (documents and indexes), snapshot restore, drop, and
the mapping of driver errors."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import mongomock
import pytest
from pymongo import MongoClient
from pymongo.errors import OperationFailure
from store_backends import WireServer

from conman_adapters.mongoprov import MongoProvisioner
from conman_adapters.mongoprov.provisioner import META_COLLECTION, snapshot_source
from conman_domain.errors import Internal, NotFound, ServiceUnavailable

TARGETS = ["mongomock", pytest.param("wire", marks=pytest.mark.wire)]


class Server:
    """A provisioner plus a direct client on the same server."""

    def __init__(self, uri: str, client: Any, provisioner: MongoProvisioner) -> None:
        self.uri = uri
        self.client = client
        self.provisioner = provisioner

    def db_uri(self, name: str) -> str:
        """The server URI with ``name`` as its path."""
        parts = urlsplit(self.uri)
        return parts._replace(path=f"/{name}").geturl()


@pytest.fixture(params=TARGETS)
def server(request: pytest.FixtureRequest) -> Iterator[Server]:
    if request.param == "mongomock":
        client: Any = mongomock.MongoClient(tz_aware=True)
        # mongomock has no cross-database $out: the batched copy is the one tested there.
        provisioner = MongoProvisioner(lambda _uri: client, server_side_copy=False)
        yield Server("mongodb://mock:27017/", client, provisioner)
        return
    wire: WireServer = request.getfixturevalue("wire_server")
    direct: MongoClient[dict[str, Any]] = MongoClient(wire.uri, serverSelectionTimeoutMS=5000)
    provisioner = MongoProvisioner()
    try:
        yield Server(wire.uri, direct, provisioner)
    finally:
        for name in direct.list_database_names():
            if name.startswith(("tmp_", "src_", "snap_")):
                direct.drop_database(name)
        provisioner.close()
        direct.close()


def _seed(server: Server, name: str) -> None:
    db = server.client[name]
    db["orders"].insert_many([{"_id": i, "sku": f"s{i}", "qty": i} for i in range(1, 6)])
    db["orders"].create_index([("sku", 1)], name="sku_unique", unique=True)
    db["orders"].create_index([("qty", 1), ("sku", 1)], name="qty_sku")
    db["users"].insert_one({"_id": "u1", "email": "a@example.com"})


def _indexes(server: Server, db: str, coll: str) -> dict[str, Any]:
    info = server.client[db][coll].index_information()
    return {name: (list(v["key"]), bool(v.get("unique"))) for name, v in info.items()}


def test_create_writes_one_meta_document_and_is_idempotent(server: Server) -> None:
    server.provisioner.create(server.uri, "tmp_a1_x", {"temp_env_id": "x", "n": 1})
    server.provisioner.create(server.uri, "tmp_a1_x", {"temp_env_id": "x", "n": 2})
    docs = list(server.client["tmp_a1_x"][META_COLLECTION].find({}))
    assert docs == [{"_id": "meta", "temp_env_id": "x", "n": 2}]


def test_clone_copies_every_collection_with_its_documents_and_indexes(server: Server) -> None:
    _seed(server, "src_shop")
    server.provisioner.clone_from(server.uri, server.db_uri("src_shop"), "src_shop", "tmp_a1_c")
    target = server.client["tmp_a1_c"]
    assert sorted(target.list_collection_names()) == ["orders", "users"]
    assert list(target["orders"].find({}, sort=[("_id", 1)])) == list(
        server.client["src_shop"]["orders"].find({}, sort=[("_id", 1)])
    )
    assert target["users"].find_one({"_id": "u1"}) == {"_id": "u1", "email": "a@example.com"}
    assert _indexes(server, "tmp_a1_c", "orders") == _indexes(server, "src_shop", "orders")


def test_clone_on_the_same_server_uri_uses_the_same_result(server: Server) -> None:
    _seed(server, "src_same")
    server.provisioner.clone_from(server.uri, server.uri, "src_same", "tmp_a1_s")
    assert server.client["tmp_a1_s"]["orders"].count_documents({}) == 5
    assert _indexes(server, "tmp_a1_s", "orders") == _indexes(server, "src_same", "orders")


def test_cloning_a_missing_database_is_not_found(server: Server) -> None:
    with pytest.raises(NotFound):
        server.provisioner.clone_from(server.uri, server.uri, "src_missing", "tmp_a1_m")
    assert "tmp_a1_m" not in server.client.list_database_names()


def test_snapshot_restore_copies_a_named_database_or_a_uri(server: Server) -> None:
    _seed(server, "snap_2026")
    server.provisioner.restore_snapshot(server.uri, "snap_2026", "tmp_a1_r")
    assert server.client["tmp_a1_r"]["orders"].count_documents({}) == 5
    server.provisioner.restore_snapshot(server.uri, server.db_uri("snap_2026"), "tmp_a1_u")
    assert server.client["tmp_a1_u"]["users"].count_documents({}) == 1
    with pytest.raises(NotFound):
        server.provisioner.restore_snapshot(server.uri, "snap_missing", "tmp_a1_n")


def test_drop_removes_the_database_and_a_missing_one_is_success(server: Server) -> None:
    server.provisioner.create(server.uri, "tmp_a1_d", {"temp_env_id": "d"})
    assert "tmp_a1_d" in server.client.list_database_names()
    server.provisioner.drop(server.uri, "tmp_a1_d")
    assert "tmp_a1_d" not in server.client.list_database_names()
    server.provisioner.drop(server.uri, "tmp_a1_d")


def test_snapshot_refs_name_a_database_or_a_uri_with_a_database() -> None:
    assert snapshot_source("mongodb://h/", "snap") == ("mongodb://h/", "snap")
    uri = "mongodb://b:27017/snap_1?directConnection=true"
    assert snapshot_source("mongodb://h/", uri) == (uri, "snap_1")
    with pytest.raises(NotFound):
        snapshot_source("mongodb://h/", "mongodb://b:27017/")


def test_an_unreachable_server_is_service_unavailable_without_the_uri() -> None:
    provisioner = MongoProvisioner(timeout_ms=100)
    uri = "mongodb://user:hunter2@127.0.0.1:1/?directConnection=true"
    try:
        with pytest.raises(ServiceUnavailable) as caught:
            provisioner.create(uri, "tmp_a1_z", {})
    finally:
        provisioner.close()
    assert "hunter2" not in caught.value.message


class _Refusing:
    """A pymongo-shaped client whose databases refuse every command."""

    def __getitem__(self, _name: str) -> _Refusing:
        return self

    def replace_one(self, *_a: Any, **_k: Any) -> None:
        raise OperationFailure("not authorized", code=13)

    def drop_database(self, _name: str) -> None:
        raise OperationFailure("not authorized", code=13)


def test_a_refused_operation_is_internal() -> None:
    provisioner = MongoProvisioner(lambda _uri: _Refusing())  # type: ignore[arg-type,return-value]
    with pytest.raises(Internal):
        provisioner.create("mongodb://x/", "tmp_a1_q", {})
    with pytest.raises(Internal):
        provisioner.drop("mongodb://x/", "tmp_a1_q")
