"""``GET /api/health`` component and status rules (API.md §3)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from conman_adapters.config import load_settings
from conman_adapters.container import build_container
from conman_http import create_app
from tests.http.support import EPOCH, Harness

Client = TestClient[Litestar]


def _statuses(body: dict[str, object]) -> dict[str, str]:
    components = body["components"]
    assert isinstance(components, list)
    return {c["name"]: c["status"] for c in components}


def test_all_healthy_is_ok_with_components_in_order(client: Client, harness: Harness) -> None:
    response = client.get("/api/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["version"]
    assert [c["name"] for c in body["components"]] == ["database", "git", "job_runner"]
    assert body["components"][0]["detail"] == "memory: ping 2ms"
    assert body["components"][1]["detail"] == "connected"
    assert body["components"][2]["detail"] == "last heartbeat 0s ago"
    assert "data" not in body


@pytest.mark.parametrize(
    "case",
    [
        (0.5, "healthy", "ok", 200),
        (1.0, "degraded", "degraded", 200),
        (4.9, "degraded", "degraded", 200),
        (5.5, "unhealthy", "unhealthy", 503),
    ],
)
def test_database_status_follows_ping_time(
    client: Client, harness: Harness, case: tuple[float, str, str, int]
) -> None:
    ping_seconds, db_status, overall, http = case
    harness.store.ping_seconds = ping_seconds
    harness.heartbeats.last = EPOCH + timedelta(seconds=ping_seconds)
    response = client.get("/api/health")
    assert response.status_code == http
    assert response.json()["status"] == overall
    assert _statuses(response.json())["database"] == db_status


def test_unreachable_database_is_503_unhealthy(client: Client, harness: Harness) -> None:
    harness.store.down = True
    response = client.get("/api/health")
    assert response.status_code == 503
    assert response.json()["status"] == "unhealthy"
    assert response.json()["components"][0]["detail"] == "memory: unreachable"


def test_git_down_is_200_degraded(client: Client, harness: Harness) -> None:
    harness.git.down = True
    response = client.get("/api/health")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert _statuses(response.json()) == {
        "database": "healthy",
        "git": "unhealthy",
        "job_runner": "healthy",
    }


@pytest.mark.parametrize(
    ("age", "runner"),
    [(30.0, "healthy"), (45.0, "degraded"), (60.0, "degraded"), (61.0, "unhealthy")],
)
def test_job_runner_status_follows_heartbeat_age(
    client: Client, harness: Harness, age: float, runner: str
) -> None:
    harness.store.ping_seconds = 0.0
    harness.clock.offset = age
    response = client.get("/api/health")
    assert response.status_code == 200
    assert _statuses(response.json())["job_runner"] == runner
    assert response.json()["status"] == ("ok" if runner == "healthy" else "degraded")


def test_missing_heartbeat_is_unhealthy_runner_but_200(client: Client, harness: Harness) -> None:
    harness.heartbeats.last = None
    response = client.get("/api/health")
    assert response.status_code == 200
    assert response.json()["components"][2] == {
        "name": "job_runner",
        "status": "unhealthy",
        "detail": "no heartbeat",
    }


def test_database_down_wins_over_everything(client: Client, harness: Harness) -> None:
    harness.store.down = True
    harness.git.down = True
    harness.heartbeats.last = None
    response = client.get("/api/health")
    assert response.status_code == 503
    assert response.json()["status"] == "unhealthy"


def test_the_real_memory_container_reports_ok_after_a_heartbeat(tmp_path: Path) -> None:
    settings = load_settings({}, cwd=tmp_path)
    container = build_container(settings, backend="memory", git_backend="memory")
    with TestClient(create_app(container)) as real:
        before = real.get("/api/health").json()
        assert before["components"][0]["detail"].startswith("memory: ping ")
        assert before["components"][2]["detail"] == "no heartbeat"
        container.heartbeats().beat("runner-1", "host", 1, container.clock().now())
        after = real.get("/api/health")
    assert after.status_code == 200
    assert after.json()["status"] == "ok"


def test_head_probe_answers_the_health_status_without_a_body(
    client: Client, harness: Harness
) -> None:
    ok = client.head("/api/health")
    assert ok.status_code == 200
    assert ok.content == b""
    assert ok.headers["x-request-id"]
    harness.store.down = True
    assert client.head("/api/health").status_code == 503
