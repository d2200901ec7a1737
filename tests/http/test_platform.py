"""Metrics, OpenAPI and the offline docs page (API.md §3)."""

from __future__ import annotations

import re

from litestar import Litestar
from litestar.testing import TestClient

from conman_adapters.container import build_container
from conman_http import create_app
from tests.http.support import Harness

Client = TestClient[Litestar]

FAMILIES = [
    "conman_http_requests_total",
    "conman_http_request_duration_seconds",
    "conman_jobs_enqueued_total",
    "conman_jobs_completed_total",
    "conman_job_duration_seconds",
    "conman_job_queue_depth",
    "conman_deployments_total",
    "conman_git_calls_total",
    "conman_git_call_duration_seconds",
    "conman_auth_failures_total",
    "conman_rate_limited_total",
    "conman_audit_write_failures_total",
]


def test_metrics_label_requests_with_the_route_template(client: Client) -> None:
    client.get("/test/things/first-raw-id")
    client.get("/test/things/second-raw-id")
    client.get("/no/such/route")
    response = client.get("/api/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    text = response.text
    assert (
        'conman_http_requests_total{method="GET",path="/test/things/{thing_id}",status="200"} 2.0'
    ) in text
    assert 'conman_http_requests_total{method="GET",path="<unmatched>",status="404"} 1.0' in text
    assert "raw-id" not in text
    assert "/no/such/route" not in text


def test_metrics_declare_every_family_of_the_spec(client: Client) -> None:
    text = client.get("/api/metrics").text
    for family in FAMILIES:
        assert f"# TYPE {family.removesuffix('_total')}" in text, family


def test_each_app_has_its_own_registry(harness: Harness) -> None:
    with TestClient(harness.app) as first:
        first.get("/test/things/a")
        assert "/test/things/{thing_id}" in first.get("/api/metrics").text
    settings = harness.container.settings()
    other = create_app(build_container(settings, backend="memory", git_backend="memory"))
    with TestClient(other) as second:
        text = second.get("/api/metrics").text
    assert "/test/things" not in text


def test_openapi_document_is_3_1_and_lists_the_health_route(client: Client) -> None:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.1")
    assert "get" in document["paths"]["/api/health"]
    assert "data" not in document


def test_docs_page_is_self_contained(client: Client) -> None:
    response = client.get("/api/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert "/api/openapi.json" in html
    assert "http:" not in html
    assert "https:" not in html
    assert re.search(r"""(src|href)\s*=\s*["']?//""", html) is None
