"""Envelopes, error mapping, request ids, 404/405 and the body-size limit (API.md §1)."""

from __future__ import annotations

import json
import logging
import re
import uuid

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from conman_http.logs import JsonFormatter

UUID7 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
TEN_MIB = 10 * 1024 * 1024

Client = TestClient[Litestar]


def test_success_body_is_wrapped_in_data(client: Client) -> None:
    response = client.get("/test/things/abc")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.json() == {"data": {"id": "abc"}}


def test_lists_carry_pagination_with_the_real_total(client: Client) -> None:
    response = client.get("/test/things", params={"page": 3, "limit": 20})
    assert response.json() == {
        "data": [{"n": n} for n in range(40, 45)],
        "pagination": {"page": 3, "limit": 20, "total": 45},
    }


def test_unknown_route_is_a_not_found_envelope_carrying_the_request_id(client: Client) -> None:
    response = client.get("/api/no/such/route")
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "not_found"
    assert error["message"] == "The requested route does not exist."
    assert error["request_id"] == response.headers["x-request-id"]


def test_helper_routes_below_the_openapi_path_look_like_unknown_routes(client: Client) -> None:
    response = client.get("/api/openapi.json/anything")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_wrong_method_is_405_with_an_allow_header(client: Client) -> None:
    response = client.delete("/api/health")
    assert response.status_code == 405
    assert "GET" in response.headers["allow"]
    assert response.json()["error"]["code"] == "method_not_allowed"
    assert response.headers["x-request-id"]


def test_a_valid_request_id_is_echoed(client: Client) -> None:
    response = client.get("/test/things/x", headers={"X-Request-Id": "abc"})
    assert response.headers["x-request-id"] == "abc"


def test_a_request_id_is_echoed_on_errors_too(client: Client) -> None:
    response = client.get("/nowhere", headers={"X-Request-Id": "req.1:2-3_4"})
    assert response.headers["x-request-id"] == "req.1:2-3_4"
    assert response.json()["error"]["request_id"] == "req.1:2-3_4"


@pytest.mark.parametrize("bad", ["has space", "x" * 129, "semi;colon", "ünïcode"])
def test_an_invalid_request_id_is_replaced_by_a_uuid7(client: Client, bad: str) -> None:
    response = client.get("/test/things/x", headers={"X-Request-Id": bad.encode("utf-8")})
    generated = response.headers["x-request-id"]
    assert generated != bad
    assert UUID7.fullmatch(generated), generated
    assert uuid.UUID(generated).version == 7


def test_request_ids_are_generated_per_request(client: Client) -> None:
    first = client.get("/test/things/x").headers["x-request-id"]
    second = client.get("/test/things/x").headers["x-request-id"]
    assert first != second


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("not_found", 404),
        ("conflict", 409),
        ("rate_limited", 429),
        ("service_unavailable", 503),
        ("git_timeout", 504),
    ],
)
def test_domain_errors_map_to_their_status(client: Client, code: str, status: int) -> None:
    response = client.get(f"/test/fail/{code}")
    assert response.status_code == status
    assert response.json()["error"]["code"] == code


def test_rate_limited_responses_carry_retry_after_from_details(client: Client) -> None:
    response = client.get("/test/fail/rate_limited")
    assert response.headers["retry-after"] == "17"
    error = response.json()["error"]
    assert error["message"] == "Too many requests. Please wait and try again."
    assert error["details"] == {"retry_after_seconds": 17}


def test_store_unavailable_carries_retry_after_five(client: Client) -> None:
    assert client.get("/test/fail/service_unavailable").headers["retry-after"] == "5"


def test_unexpected_exceptions_are_500_internal_without_internals(client: Client) -> None:
    response = client.get("/test/fail/boom")
    assert response.status_code == 500
    body = response.json()
    assert body["error"]["code"] == "internal"
    assert body["error"]["message"] == "internal error"
    assert "hunter2" not in response.text
    assert "details" not in body["error"]


def test_a_body_above_ten_mib_is_413_before_parsing(client: Client) -> None:
    # Not even JSON: the size check must win over decoding (API.md §1.4 step 2).
    response = client.post(
        "/test/things", content=b"x" * (TEN_MIB + 1), headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_a_body_of_exactly_ten_mib_is_accepted(client: Client) -> None:
    prefix, suffix = b'{"name":"', b'"}'
    body = prefix + b"a" * (TEN_MIB - len(prefix) - len(suffix)) + suffix
    assert len(body) == TEN_MIB
    response = client.post(
        "/test/things", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 201


def test_a_chunked_body_above_the_limit_is_413(client: Client) -> None:
    def chunks() -> object:
        for _ in range(11):
            yield b"x" * (1024 * 1024)

    response = client.post(
        "/test/things", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413


def test_unexpected_exceptions_are_logged_with_traceback_and_request_id(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="conman.http"):
        client.get("/test/fail/boom", headers={"X-Request-Id": "trace-me"})
    [record] = [r for r in caplog.records if r.name == "conman.http"]
    assert record.exc_info is not None
    assert getattr(record, "request_id", None) == "trace-me"


def test_access_log_lines_are_json_with_the_request_id(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="conman.access"):
        client.get("/test/things/raw-id", headers={"X-Request-Id": "acc-1"})
    [record] = [r for r in caplog.records if r.name == "conman.access"]
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "acc-1"
    assert line["path"] == "/test/things/{thing_id}"
    assert line["status"] == 200
