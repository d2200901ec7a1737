"""A world for the changeset HTTP tests: one app with a member of every role, the
author's workspace on memory git, and shortcuts for the git writes, the submit gate
and the HTTP calls."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from conman_adapters.store.repositories import Repositories
from conman_domain.gitmodel import ZERO_OID, FileAction, Signature
from conman_domain.model import App, CommitMode, JobType, Role, User, Workspace
from conman_domain.model.workspaces import BaseRefType
from conman_domain.ports.git import GitPort
from conman_domain.ports.jobs import JobQueuePort
from conman_domain.usecases.apps import repo_ref
from tests.http.identity_harness import Env, identity_env

__all__ = ["SECRET", "World", "changeset_world"]

SECRET = "s3cr3t-plaintext-value-42"


class World:
    """App ``shop``: admin (creator, app_admin), cm (config_manager), rev1 and rev2
    (reviewer), author and other (user), and stranger (not a member)."""

    def __init__(self, env: Env) -> None:
        self.env = env
        self.repos: Repositories = env.container.repositories()
        self.admin = self._user("admin@example.com")
        self.app_id = env.app(self.admin)
        self.cm = self._member("cm@example.com", Role.CONFIG_MANAGER)
        self.rev1 = self._member("rev1@example.com", Role.REVIEWER)
        self.rev2 = self._member("rev2@example.com", Role.REVIEWER)
        self.author = self._member("author@example.com", Role.USER)
        self.other = self._member("other@example.com", Role.USER)
        self.stranger = self._user("stranger@example.com")
        self._tokens: dict[str, dict[str, str]] = {}
        self.workspace = self.new_workspace(self.author, "ws/author/shop")

    # -- setup -------------------------------------------------------------------

    def _user(self, email: str) -> User:
        """A user without an Argon2 hash (tokens are issued directly): fast setup."""
        now = self.env.clock.now()
        return self.repos.users.insert(
            User(
                id=self.env.services.deps.ids.new_id(), created_at=now, updated_at=now,
                email=email, name=email.split("@", maxsplit=1)[0], password_hash="unused",
                password_changed_at=now - timedelta(seconds=5),
            )
        )  # fmt: skip

    def _member(self, email: str, role: Role) -> User:
        user = self._user(email)
        self.env.add_member(self.app_id, user, role)
        return user

    @property
    def app(self) -> App:
        return self.repos.apps.get(self.app_id)

    @property
    def git(self) -> GitPort:
        git: GitPort = self.env.container.git()
        return git

    @property
    def queue(self) -> JobQueuePort:
        queue: JobQueuePort = self.env.container.job_queue()
        return queue

    def integration_head(self) -> str:
        head = self.git.resolve(repo_ref(self.app), "refs/heads/main")
        assert head is not None
        return head

    def new_workspace(self, owner: User, branch: str) -> Workspace:
        head = self.integration_head()
        self.git.create_branch(repo_ref(self.app), branch, head)
        now = self.env.clock.now()
        return self.repos.workspaces.insert(
            Workspace(
                id=self.env.services.deps.ids.new_id(), created_at=now, updated_at=now,
                app_id=self.app_id, owner_user_id=owner.id, branch_name=branch, title="",
                is_default=False, base_ref_type=BaseRefType.BRANCH, base_ref_value="main",
                base_sha=head, head_sha=head, working_sha=head,
            )
        )  # fmt: skip

    def set_commit_mode(self, user: User, mode: CommitMode) -> None:
        membership = self.repos.memberships.find_one({"app_id": self.app_id, "user_id": user.id})
        assert membership is not None
        self.repos.memberships.set_fields(
            membership.id, membership.version, {"commit_mode": mode.value}
        )

    def environments(self) -> list[Any]:
        return self.repos.environments.all({"app_id": self.app_id}, sort=(("position", 1),))

    # -- git writes --------------------------------------------------------------

    def _signature(self) -> Signature:
        return Signature(name="T", email="t@example.com", when=self.env.clock.now())

    def write(self, path: str, content: bytes, workspace: Workspace | None = None) -> str:
        """One autosave commit (as PUT files would)."""
        ws = workspace or self.workspace
        repo = repo_ref(self.app)
        autosave = self.git.resolve(repo, f"refs/conman/autosave/{ws.id}")
        working = autosave or self.git.resolve(repo, f"refs/heads/{ws.branch_name}")
        exists = self.git.get_entry(repo, working or "", path) is not None
        return self.git.commit_files(
            repo, ref=f"refs/conman/autosave/{ws.id}", parent=working,
            expected_old=autosave or ZERO_OID,
            actions=[FileAction(action="update" if exists else "create", path=path,
                                content=content)],
            message=f"Update {path}", author=self._signature(),
        )  # fmt: skip

    def commit_branch(self, path: str, content: bytes, branch: str = "ws/author/shop") -> str:
        """A commit straight on a branch (a checkpoint, or a publish on ``main``)."""
        repo = repo_ref(self.app)
        head = self.git.resolve(repo, f"refs/heads/{branch}")
        exists = self.git.get_entry(repo, head or "", path) is not None
        return self.git.commit_files(
            repo, ref=f"refs/heads/{branch}", parent=head, expected_old=head,
            actions=[FileAction(action="update" if exists else "create", path=path,
                                content=content)],
            message="checkpoint", author=self._signature(),
        )  # fmt: skip

    # -- jobs --------------------------------------------------------------------

    def finish_gate(self, *, passed: bool = True) -> None:
        """Run every queued ``msuite_submit`` job to success (or failure)."""
        while True:
            self.env.clock.advance(seconds=1)
            job = self.queue.claim("w/1", self.env.clock.now(), 60, [JobType.MSUITE_SUBMIT.value])
            if job is None:
                return
            now = self.env.clock.now()
            if passed:
                self.queue.complete(job.id, "w/1", {"passed": True}, now)
            else:
                self.queue.fail(job.id, "w/1", "gate failed", now, retryable=False)
            self.env.clock.advance(seconds=1)

    # -- HTTP --------------------------------------------------------------------

    def headers(self, user: User) -> dict[str, str]:
        if user.id not in self._tokens:
            self._tokens[user.id] = self.env.headers(user)
        return self._tokens[user.id]

    def call(self, method: str, user: User, path: str, body: Any = None, **kw: Any) -> Any:
        url = f"/api/apps/{self.app_id}{path}"
        if body is not None:
            kw["json"] = body
        return self.env.client.request(method, url, headers=self.headers(user), **kw)

    def create(self, user: User | None = None, title: str = "Change", **body: Any) -> Any:
        payload = {"workspace_id": self.workspace.id, "title": title, **body}
        response = self.call("POST", user or self.author, "/changesets", payload)
        assert response.status_code == 201, response.text
        return response.json()["data"]

    def submitted(self, path: str = "config/a.json", content: bytes = b"{}") -> str:
        """A changeset with one change, submitted; returns its id."""
        cs = self.create()
        self.write(path, content)
        response = self.call("POST", self.author, f"/changesets/{cs['id']}/submit")
        assert response.status_code == 200, response.text
        return str(cs["id"])

    def approved(self) -> str:
        changeset_id = self.submitted()
        self.finish_gate()
        response = self.call(
            "POST", self.rev1, f"/changesets/{changeset_id}/review", {"decision": "approved"}
        )
        assert response.status_code == 200, response.text
        assert response.json()["data"]["changeset"]["state"] == "approved"
        return changeset_id

    def changeset(self, changeset_id: str) -> dict[str, Any]:
        response = self.call("GET", self.author, f"/changesets/{changeset_id}")
        data: dict[str, Any] = response.json()["data"]
        return data

    def audit_actions(self) -> list[str]:
        events = self.repos.audit.chain(self.app_id)
        return [e.action for e in events]

    def outbox_for(self, event: str) -> set[str]:
        return {o.to_email for o in self.env.outbox() if str(o.event_type) == event}


@contextmanager
def changeset_world(tmp_path: Path) -> Iterator[World]:
    with identity_env(tmp_path) as env:
        yield World(env)
