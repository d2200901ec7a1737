"""Strict bodies and query parameters (API.md §1.1, §1.5)."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from conman_domain.errors import Validation
from conman_http.body import decode_body
from tests.http.support import CreateThing

Client = TestClient[Litestar]
JSON = {"Content-Type": "application/json"}


def _fields(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["message"].startswith("validation: ")
    fields: list[dict[str, str]] = error["details"]["fields"]
    return fields


def test_a_valid_body_decodes(client: Client) -> None:
    response = client.post("/test/things", json={"name": "a", "items": [{"colour": "red"}]})
    assert response.status_code == 201
    assert response.json()["data"]["items"] == [{"colour": "red"}]


def test_an_unknown_nested_field_is_named_with_its_path(client: Client) -> None:
    response = client.post(
        "/test/things", json={"name": "a", "items": [{"colour": "red", "shade": 1}]}
    )
    assert _fields(response)[0]["field"] == "items[0].shade"


def test_an_unknown_top_level_field_is_named(client: Client) -> None:
    assert (
        _fields(client.post("/test/things", json={"name": "a", "colour": "x"}))[0]["field"]
        == "colour"
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": {"$gt": ""}}, "name"),
        ({"name": "a", "enabled": "yes"}, "enabled"),
        ({"name": "a", "count": 1.5}, "count"),
        ({"name": "a", "count": 2.0}, "count"),
        ({"name": "a", "count": True}, "count"),
        ({"name": None}, "name"),
        ({}, "name"),
    ],
)
def test_wrong_types_are_never_coerced(client: Client, body: dict[str, Any], field: str) -> None:
    assert _fields(client.post("/test/things", json=body))[0]["field"] == field


def test_a_non_json_content_type_is_400(client: Client) -> None:
    response = client.post(
        "/test/things", content=b'{"name":"a"}', headers={"Content-Type": "text/plain"}
    )
    assert _fields(response)[0]["field"] == "Content-Type"


@pytest.mark.parametrize("raw", [b'["name"]', b'"name"', b"12", b"", b"{bad json"])
def test_a_non_object_or_malformed_body_is_400(client: Client, raw: bytes) -> None:
    response = client.post("/test/things", content=raw, headers=JSON)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_decoding_helper_reports_the_field_path() -> None:
    with pytest.raises(Validation) as caught:
        decode_body(b'{"name":"a","items":[{}]}', "application/json; charset=utf-8", CreateThing)
    assert [f.as_dict()["field"] for f in caught.value.fields] == ["items[0].colour"]


@pytest.mark.parametrize("raw", [b"", b"{}", b"  {} "])
def test_no_body_routes_accept_nothing_or_an_empty_object(client: Client, raw: bytes) -> None:
    assert client.post("/test/no-body", content=raw, headers=JSON).status_code == 200


def test_no_body_routes_reject_any_field(client: Client) -> None:
    assert _fields(client.post("/test/no-body", json={"force": True}))[0]["field"] == "force"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("colour=red", "colour"),
        ("name[$gt]=", "name[$gt]"),
        ("state=a&state=b", "state"),
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=abc", "page"),
        ("page=1.5", "page"),
        ("limit=ten", "limit"),
        ("limit=2.5", "limit"),
    ],
)
def test_bad_query_parameters_are_400(client: Client, query: str, field: str) -> None:
    assert _fields(client.get(f"/test/things?{query}"))[0]["field"] == field


@pytest.mark.parametrize(
    ("query", "limit"), [("", 20), ("limit=0", 1), ("limit=-3", 1), ("limit=500", 100)]
)
def test_limit_is_clamped_to_1_to_100(client: Client, query: str, limit: int) -> None:
    assert client.get(f"/test/things?{query}").json()["pagination"]["limit"] == limit


@pytest.mark.parametrize(("query", "limit"), [("", 100), ("limit=5000", 1000), ("limit=700", 700)])
def test_job_log_limits_are_1_to_1000(client: Client, query: str, limit: int) -> None:
    assert client.get(f"/test/logs?{query}").json()["pagination"]["limit"] == limit


def test_a_page_past_the_end_is_empty_with_the_real_total(client: Client) -> None:
    body = client.get("/test/things?page=9").json()
    assert body["data"] == []
    assert body["pagination"] == {"page": 9, "limit": 20, "total": 45}
