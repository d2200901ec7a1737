"""A release end to end over the embedded default (SQLite + local git): two queued
changesets → release → assemble and validate with a real ``JobRunner`` → publish (tag,
integration branch, changesets released) → the third queued changeset revalidated."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
from litestar.testing import TestClient

from conman_adapters.config import load_settings
from conman_adapters.container import Container, build_container
from conman_domain.gitmodel import FileAction, Signature
from conman_domain.model import Changeset, ChangesetRevision, ChangesetState, JobState, User
from conman_domain.rules.tags import tag_date_prefix
from conman_domain.usecases.apps import repo_ref
from conman_domain.usecases.audit import Actor
from conman_http import create_app

PASSWORD = "correct horse battery staple"
WAIT_S = 60.0


class Scene(msgspec.Struct, kw_only=True):
    container: Container
    admin: User
    app_id: str

    def queued(self, path: str, position: int) -> Changeset:
        """A queued changeset whose head adds ``path`` on a new branch off main."""
        repos, ids, git = self.container.repositories(), self.container.ids(), self.container.git()
        app = repos.apps.get(self.app_id)
        repo = repo_ref(app)
        head = git.resolve(repo, "refs/heads/main")
        now = self.container.clock().now()
        author = Signature(name="Admin", email="admin@example.com", when=now)
        content = f"name: n{position}\ntype: entity\n".encode()
        sha = git.commit_files(
            repo, ref=f"refs/heads/ws/{position}", parent=head, expected_old=None,
            actions=[FileAction(action="create", path=path, content=content)],
            message=f"add {path}", author=author,
        )  # fmt: skip
        changeset = repos.changesets.insert(
            Changeset(
                id=ids.new_id(), created_at=now, updated_at=now, app_id=self.app_id,
                workspace_id=ids.new_id(), author_user_id=self.admin.id,
                created_by=self.admin.id, title=f"Add {path}", state=ChangesetState.QUEUED,
                current_revision=1, head_sha=sha, base_sha=head, queue_position=position,
                queued_at=now,
            )
        )  # fmt: skip
        repos.changeset_revisions.insert(
            ChangesetRevision(
                id=ids.new_id(), created_at=now, changeset_id=changeset.id, revision_number=1,
                head_sha=sha, base_sha=head or "", created_by=self.admin.id,
            )
        )  # fmt: skip
        return changeset

    def run_until(self, done: Callable[[], bool]) -> None:
        runner = self.container.job_runner()
        runner.start()
        try:
            deadline = time.monotonic() + WAIT_S
            while time.monotonic() < deadline:
                if done():
                    return
                time.sleep(0.05)
            pytest.fail("the jobs did not finish in time")
        finally:
            runner.stop(10)


@pytest.fixture
def scene(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Scene]:
    env = {
        "CONMAN_DATA_DIR": str(tmp_path / "data"),
        "CONMAN_JWT_SECRET": "j" * 40,
        "CONMAN_SECRETS_MASTER_KEY": "m" * 40,
        "CONMAN_JOB_POLL_INTERVAL_MS": "50",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    container = build_container(load_settings(env, cwd=tmp_path))
    services = container.identity()
    admin = services.auth.create_user("admin@example.com", "Admin", PASSWORD, Actor())
    view = services.apps.create(
        admin, Actor(user_id=admin.id), name="shop", repo_path="team/shop",
        integration_branch="main",
    )  # fmt: skip
    try:
        yield Scene(container=container, admin=admin, app_id=view.id)
    finally:
        container.store().close()


def test_two_queued_changesets_are_released_and_the_third_is_revalidated(scene: Scene) -> None:
    first = scene.queued("entities/a.yaml", 1)
    second = scene.queued("entities/b.yaml", 2)
    third = scene.queued("entities/c.yaml", 3)
    repos, git = scene.container.repositories(), scene.container.git()
    repo = repo_ref(repos.apps.get(scene.app_id))
    start = git.resolve(repo, "refs/heads/main")
    token = scene.container.identity().auth.issue(scene.admin).token
    headers = {"Authorization": f"Bearer {token}"}
    base = f"/api/apps/{scene.app_id}/releases"

    def release(client: TestClient[Any], release_id: str) -> dict[str, Any]:
        data: dict[str, Any] = client.get(f"{base}/{release_id}", headers=headers).json()["data"]
        return data

    with TestClient(create_app(scene.container)) as client:
        created = client.post(base, json={"changeset_ids": [first.id, second.id]}, headers=headers)
        assert created.status_code == 201, created.text
        release_id = created.json()["data"]["id"]
        assembling = client.post(f"{base}/{release_id}/assemble", headers=headers)
        assert assembling.status_code == 202, assembling.text

        scene.run_until(lambda: release(client, release_id)["state"] != "assembling")
        validated = release(client, release_id)
        jobs = scene.container.job_queue()
        assert validated["state"] == "validated", [
            (j.job_type, j.error_message) for j in jobs.list({"app_id": scene.app_id}).items
        ]
        assert validated["base_sha"] == start
        assert all(m["merge_sha"] for m in validated["changesets"])

        published = client.post(f"{base}/{release_id}/publish", headers=headers)
        assert published.status_code == 200, published.text
        data = published.json()["data"]
        tag = f"{tag_date_prefix(scene.container.clock().now())}.1"
        assert data["tag"] == tag
        assert git.find_tag(repo, tag) == validated["composed_sha"]
        assert git.resolve(repo, "refs/heads/main") == validated["composed_sha"]
        assert git.resolve(repo, f"refs/conman/compose/{release_id}") is None
        for cs in (first, second):
            assert repos.changesets.get(cs.id).state == ChangesetState.RELEASED

        def revalidated() -> bool:
            job_id = repos.changesets.get(third.id).last_revalidation_job_id
            return job_id is not None and scene.container.job_queue().get(job_id).state in {
                JobState.SUCCEEDED,
                JobState.FAILED,
            }

        scene.run_until(revalidated)
        after = repos.changesets.get(third.id)
        assert after.state == ChangesetState.QUEUED
        assert after.last_revalidation_status == "valid"
        assert git.resolve(repo, f"refs/conman/revalidate/{third.id}") is None
