"""Deployments end to end over the embedded default (SQLite + local git + the real
sandbox and ``JobRunner``): publish a release, deploy it to Development with a real
deploy command, promote it to QA, skip-stage deploy it to Production with two approval
tokens, then deploy a second release to Development and roll it back with
``revert_and_release``."""

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
from conman_domain.model import (
    Changeset,
    ChangesetRevision,
    ChangesetState,
    GateConfig,
    Membership,
    Role,
    TypedValue,
    User,
    ValueType,
)
from conman_domain.usecases.apps import repo_ref
from conman_domain.usecases.audit import Actor
from conman_http import create_app

PASSWORD = "correct horse battery staple"
WAIT_S = 60.0


class Scene(msgspec.Struct, kw_only=True):
    container: Container
    admin: User
    app_id: str

    def user(self, email: str, role: Role) -> User:
        services = self.container.identity()
        user = services.auth.create_user(email, email.split("@", maxsplit=1)[0], PASSWORD, Actor())
        now = self.container.clock().now()
        self.container.repositories().memberships.insert(
            Membership(
                id=self.container.ids().new_id(), created_at=now, updated_at=now,
                app_id=self.app_id, user_id=user.id, role=role,
            )
        )  # fmt: skip
        return user

    def headers(self, user: User) -> dict[str, str]:
        token = self.container.identity().auth.issue(user).token
        return {"Authorization": f"Bearer {token}"}

    def queued(self, path: str, position: int) -> Changeset:
        """A queued changeset whose head adds ``path`` on a new branch off main."""
        repos, ids, git = self.container.repositories(), self.container.ids(), self.container.git()
        repo = repo_ref(repos.apps.get(self.app_id))
        head = git.resolve(repo, "refs/heads/main")
        now = self.container.clock().now()
        author = Signature(name="Admin", email="admin@example.com", when=now)
        sha = git.commit_files(
            repo, ref=f"refs/heads/ws/{position}", parent=head, expected_old=None,
            actions=[FileAction(action="create", path=path,
                                content=f"name: n{position}\ntype: entity\n".encode())],
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
    repos = container.repositories()
    app = repos.apps.get(view.id)
    app.settings = msgspec.structs.replace(
        app.settings,
        deploy_command=GateConfig(command='test -f "$TARGET" && echo "deployed $CONMAN_ENTITY_ID"'),
    )
    repos.apps.save(app)
    for profile in repos.runtime_profiles.all({"app_id": view.id, "kind": "app_defaults"}):
        profile.env_vars = {"TARGET": TypedValue(type=ValueType.STRING, value="entities/a.yaml")}
        repos.runtime_profiles.save(profile)
    try:
        yield Scene(container=container, admin=admin, app_id=view.id)
    finally:
        container.store().close()


def test_deploy_promote_skip_stage_and_rollback_end_to_end(scene: Scene) -> None:
    rev1 = scene.user("rev1@example.com", Role.REVIEWER)
    rev2 = scene.user("rev2@example.com", Role.REVIEWER)
    repos, git = scene.container.repositories(), scene.container.git()
    repo = repo_ref(repos.apps.get(scene.app_id))
    admin = scene.headers(scene.admin)
    base = f"/api/apps/{scene.app_id}"
    envs = repos.environments.all({"app_id": scene.app_id}, sort=(("position", 1),))
    dev, qa, prod = envs[0], envs[1], envs[3]

    with TestClient(create_app(scene.container)) as client:

        def get(path: str) -> dict[str, Any]:
            data: dict[str, Any] = client.get(f"{base}{path}", headers=admin).json()["data"]
            return data

        def publish(changeset: Changeset) -> dict[str, Any]:
            made = client.post(f"{base}/releases", json={"changeset_ids": [changeset.id]},
                               headers=admin)  # fmt: skip
            release_id = made.json()["data"]["id"]
            assert client.post(f"{base}/releases/{release_id}/assemble", headers=admin).is_success
            scene.run_until(lambda: get(f"/releases/{release_id}")["state"] == "validated")
            done = client.post(f"{base}/releases/{release_id}/publish", headers=admin)
            assert done.status_code == 200, done.text
            data: dict[str, Any] = done.json()["data"]
            return data

        def run(env_id: str, action: str, body: dict[str, Any]) -> dict[str, Any]:
            response = client.post(
                f"{base}/environments/{env_id}/{action}", json=body, headers=admin
            )
            assert response.status_code == 201, response.text
            deployment_id = response.json()["data"]["id"]
            scene.run_until(
                lambda: get(f"/deployments/{deployment_id}")["state"] in {"succeeded", "failed"}
            )
            data = get(f"/deployments/{deployment_id}")
            assert data["state"] == "succeeded", data
            return data

        first = publish(scene.queued("entities/a.yaml", 1))
        done = run(dev.id, "deploy", {"release_id": first["id"]})
        logs = client.get(f"{base}/{done['logs_ref']}", headers=admin).json()["data"]
        assert any(f"deployed {done['id']}" in line["message"] for line in logs)
        assert git.resolve(repo, dev.branch_ref) == first["published_sha"]
        run(qa.id, "promote", {"release_id": first["id"]})

        tokens = []
        for reviewer in (rev1, rev2):
            issued = client.post(
                f"{base}/environments/{prod.id}/approvals",
                json={"release_id": first["id"]}, headers=scene.headers(reviewer),
            )  # fmt: skip
            assert issued.status_code == 201, issued.text
            tokens.append(issued.json()["data"]["approval_token"])
        skipped = run(prod.id, "deploy", {"release_id": first["id"], "skip_stage": True,
                                          "approval_tokens": tokens})  # fmt: skip
        assert sorted(skipped["approval_user_ids"]) == sorted([rev1.id, rev2.id])
        assert get(f"/releases/{first['id']}")["state"] == "deployed_partial"

        second = publish(scene.queued("entities/b.yaml", 2))
        run(dev.id, "deploy", {"release_id": second["id"]})
        rolled = run(dev.id, "rollback", {"mode": "revert_and_release",
                                          "target_release_id": first["id"]})  # fmt: skip
        revert = get(f"/releases/{rolled['release_id']}")
        assert revert["source"] == "revert"
        assert git.resolve(repo, "refs/heads/main") == revert["published_sha"]
        assert git.resolve(repo, dev.branch_ref) == revert["published_sha"]
        assert git.get_entry(repo, revert["published_sha"], "entities/b.yaml") is None
        assert get(f"/releases/{second['id']}")["state"] == "rolled_back"
        assert repos.environments.get(dev.id).current_release_id == revert["id"]
