"""Authoring and review end to end over the embedded default (SQLite + local git) and
the real job runner: log in as the bootstrap user, create an app, edit files, submit a
broken YAML file that fails validation naming file and line, fix it, resubmit, get an
approval from another user, comment, read the diffs and enter the queue."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from conman_adapters.config import load_settings
from conman_adapters.container import Container, build_container
from conman_cli.users import ensure_bootstrap
from conman_domain.model import JobState, Membership, Role
from conman_domain.usecases.audit import Actor
from conman_http import create_app

PASSWORD = "correct horse battery staple"
BROKEN_YAML = "name: Customer\ntype: entity\nfields: x\n  bad: indent\n"  # error on line 4
FIXED_YAML = "name: Customer\ntype: entity\nfields:\n  email: string\n"
PAGE_JSON = '{"name": "Profile", "entity": "Customer"}\n'
WAIT_S = 60.0


class Flow:
    """An HTTP client over one embedded container with its job runner running."""

    def __init__(self, container: Container, client: TestClient[Litestar]) -> None:
        self.container = container
        self.client = client
        self.app_id = ""

    def login(self, email: str) -> dict[str, str]:
        response = self.client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['data']['token']}"}

    def call(self, method: str, who: dict[str, str], path: str, body: Any = None) -> Any:
        kw: dict[str, Any] = {"headers": who}
        if body is not None:
            kw["json"] = body
        response = self.client.request(method, f"/api/apps/{self.app_id}{path}", **kw)
        assert response.status_code in (200, 201), f"{method} {path}: {response.text}"
        return response.json()["data"]

    def wait_for_job(self, who: dict[str, str], job_id: str) -> dict[str, Any]:
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            job: dict[str, Any] = self.call("GET", who, f"/jobs/{job_id}")
            if job["state"] in {JobState.SUCCEEDED.value, JobState.FAILED.value}:
                return job
            time.sleep(0.05)
        pytest.fail(f"job {job_id} did not finish")


@pytest.fixture
def flow(tmp_path: Path) -> Iterator[Flow]:
    env = {
        "CONMAN_DATA_DIR": str(tmp_path / "data"),
        "CONMAN_JWT_SECRET": "j" * 40,
        "CONMAN_SECRETS_MASTER_KEY": "m" * 40,
        "CONMAN_JOB_POLL_INTERVAL_MS": "50",
        "CONMAN_BOOTSTRAP_EMAIL": "admin@example.com",
        "CONMAN_BOOTSTRAP_PASSWORD": PASSWORD,
        "CONMAN_RATE_LIMIT_USER_PER_MIN": "0",
        "CONMAN_RATE_LIMIT_WRITES_PER_MIN": "0",
    }
    settings = load_settings(env, cwd=tmp_path)
    container = build_container(settings)
    ensure_bootstrap(container, settings)
    runner = container.job_runner()
    runner.start()
    try:
        with TestClient(create_app(container)) as client:
            yield Flow(container, client)
    finally:
        runner.stop(10)
        container.store().close()


def _add_reviewer(flow: Flow) -> None:
    services = flow.container.identity()
    user = services.auth.create_user("rita@example.com", "Rita", PASSWORD, Actor())
    now = flow.container.clock().now()
    services.deps.repos.memberships.insert(
        Membership(
            id=flow.container.ids().new_id(), created_at=now, updated_at=now,
            app_id=flow.app_id, user_id=user.id, role=Role.REVIEWER,
        )
    )  # fmt: skip


def test_an_author_edits_submits_fixes_and_gets_a_changeset_approved_and_queued(
    flow: Flow,
) -> None:
    admin = flow.login("admin@example.com")
    created = flow.client.post(
        "/api/apps", json={"name": "shop", "repo_path": "team/shop"}, headers=admin
    )
    assert created.status_code == 201, created.text
    flow.app_id = created.json()["data"]["id"]
    _add_reviewer(flow)
    rita = flow.login("rita@example.com")

    workspace = flow.call("POST", admin, "/workspaces", {"title": "Customer model"})
    assert workspace["branch_name"] == "ws/admin/shop"
    files = f"/workspaces/{workspace['id']}/files"
    for path, text in (("entities/customer.yaml", BROKEN_YAML), ("pages/profile.json", PAGE_JSON)):
        written = flow.call(
            "PUT", admin, files, {"path": path, "content": text, "encoding": "utf-8"}
        )
        assert written["created"] is True
    listing = flow.client.get(f"/api/apps/{flow.app_id}{files}", headers=admin).json()
    assert [e["name"] for e in listing["data"]["entries"]] == ["entities", "pages"]

    changeset = flow.call(
        "POST", admin, "/changesets", {"workspace_id": workspace["id"], "title": "Customer"}
    )
    submitted = flow.call("POST", admin, f"/changesets/{changeset['id']}/submit")
    assert submitted["changeset"]["state"] == "submitted"
    failed = flow.wait_for_job(admin, submitted["changeset"]["last_submit_job_id"])
    assert failed["state"] == "failed"
    assert "entities/customer.yaml line 4" in failed["error_message"]

    fixed = {"path": "entities/customer.yaml", "content": FIXED_YAML, "encoding": "utf-8"}
    assert flow.call("PUT", admin, files, fixed)["created"] is False
    resubmitted = flow.call("POST", admin, f"/changesets/{changeset['id']}/resubmit")
    assert resubmitted["revision"]["revision_number"] == 2
    passed = flow.wait_for_job(admin, resubmitted["changeset"]["last_submit_job_id"])
    assert passed["state"] == "succeeded", passed["error_message"]

    review = flow.call(
        "POST", rita, f"/changesets/{changeset['id']}/review", {"decision": "approved"}
    )
    assert review["changeset"]["state"] == "approved"

    comment = flow.call(
        "POST", rita, f"/changesets/{changeset['id']}/comments",
        {"body": "Is email required?", "file_path": "entities/customer.yaml", "line_number": 4},
    )  # fmt: skip
    edited = flow.call(
        "PATCH", rita, f"/changesets/{changeset['id']}/comments/{comment['id']}",
        {"body": "Should email be required?"},
    )  # fmt: skip
    assert edited["edited"] is True
    assert edited["body"] == "Should email be required?"

    raw = flow.call("GET", rita, f"/changesets/{changeset['id']}/diff")
    assert raw["head_sha"] == resubmitted["changeset"]["head_sha"]
    assert sorted(s["path"] for s in raw["stats"]) == [
        "entities/customer.yaml",
        "pages/profile.json",
    ]
    assert "+  email: string" in raw["patch"]
    semantic = flow.client.get(
        f"/api/apps/{flow.app_id}/changesets/{changeset['id']}/diff?mode=semantic", headers=rita
    ).json()["data"]
    assert semantic["summary"]["byConfigType"]["entity"] == 1
    assert semantic["summary"]["byConfigType"]["page"] == 1
    assert {c["target"] for c in semantic["changes"]} == {"Customer", "Profile"}
    analysis = flow.call("POST", rita, f"/changesets/{changeset['id']}/analyze", {})
    assert analysis["risks"] == [] and analysis["llm_status"] == "disabled"

    queued = flow.call("POST", admin, f"/changesets/{changeset['id']}/queue")
    assert queued["state"] == "queued"
    assert queued["queue_position"] == 1
    queue = flow.client.get(f"/api/apps/{flow.app_id}/queue", headers=rita)
    assert queue.status_code == 200, queue.text
    assert [(q["changeset_id"], q["queue_position"]) for q in queue.json()["data"]] == [
        (changeset["id"], 1)
    ]
    view = flow.call("GET", admin, f"/workspaces/{workspace['id']}")
    assert view["dirty"] is False
    assert view["head_sha"] == queued["head_sha"]


def test_twenty_parallel_file_writes_on_local_git_all_land(flow: Flow) -> None:
    admin = flow.login("admin@example.com")
    created = flow.client.post(
        "/api/apps", json={"name": "blog", "repo_path": "team/blog"}, headers=admin
    )
    flow.app_id = created.json()["data"]["id"]
    workspace = flow.call("POST", admin, "/workspaces", {})
    files = f"/api/apps/{flow.app_id}/workspaces/{workspace['id']}/files"
    paths = [f"pages/p{i:02d}.json" for i in range(20)]
    barrier = threading.Barrier(len(paths))

    def write(path: str) -> int:
        barrier.wait()
        body = {"path": path, "content": json.dumps({"name": path}), "encoding": "utf-8"}
        return int(flow.client.put(files, json=body, headers=admin).status_code)

    with ThreadPoolExecutor(max_workers=len(paths)) as pool:
        assert list(pool.map(write, paths)) == [200] * len(paths)
    listing = flow.client.get(f"{files}?path=pages&limit=100", headers=admin).json()
    assert sorted(e["path"] for e in listing["data"]["entries"]) == paths
