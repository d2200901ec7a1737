"""A domain-level world for the changeset use cases: the workspace test world (memory
store, memory git, app ``demo``) plus reviewers, a config manager, an environment,
the author's workspace and ``ChangesetServices`` over real AES-GCM."""

from __future__ import annotations

from conman_adapters.memory import InMemoryGit
from conman_adapters.security import AesGcmCipher
from conman_domain.gitmodel import ZERO_OID, FileAction, Signature
from conman_domain.model import (
    Environment,
    JobType,
    Role,
    RuntimeProfile,
    User,
    Workspace,
)
from conman_domain.model.profiles import ProfileKind
from conman_domain.model.workspaces import BaseRefType
from conman_domain.usecases.changeset_deps import Caller, ChangesetDeps
from conman_domain.usecases.changeset_services import ChangesetServices
from tests.unit.workspace_support import World

__all__ = ["ChangesetWorld"]


class ChangesetWorld(World):
    """alice (user) owns the workspace; rev1, rev2 (reviewer), cm (config_manager),
    root (app_admin); one environment ``dev`` with its profile."""

    def __init__(self) -> None:
        super().__init__(InMemoryGit())
        self.rev1 = self._user("rev1@example.com", Role.REVIEWER)
        self.rev2 = self._user("rev2@example.com", Role.REVIEWER)
        self.cm = self._user("cm@example.com", Role.CONFIG_MANAGER)
        self.roles = {
            self.alice.id: Role.USER,
            self.bob.id: Role.USER,
            self.root.id: Role.APP_ADMIN,
            self.rev1.id: Role.REVIEWER,
            self.rev2.id: Role.REVIEWER,
            self.cm.id: Role.CONFIG_MANAGER,
        }
        self.cipher = AesGcmCipher({1: "k" * 40}, current=1)
        self.cs_deps = ChangesetDeps(
            repos=self.repos,
            git=self.git,
            jobs=self.repos.jobs,
            cipher=self.cipher,
            clock=self.clock,
            ids=self.ids,
            audit=self.audit,
        )
        self.services = ChangesetServices(self.cs_deps)
        self.env = self._environment()
        self.workspace = self._workspace(self.alice, "ws/alice/demo")

    def _environment(self) -> Environment:
        now = self.clock.now()
        profile = self.repos.runtime_profiles.insert(
            RuntimeProfile(
                id=self.ids.new_id(), created_at=now, updated_at=now, app_id=self.app.id,
                name="Development", kind=ProfileKind.PERSISTENT_ENV,
            )
        )  # fmt: skip
        return self.repos.environments.insert(
            Environment(
                id=self.ids.new_id(), created_at=now, updated_at=now, app_id=self.app.id,
                name="Development", name_lower="development", slug="development", position=0,
                runtime_profile_id=profile.id, branch_ref="refs/heads/env/development",
            )
        )  # fmt: skip

    def _workspace(self, owner: User, branch: str) -> Workspace:
        head = self.integration_head
        self.git.create_branch(self.repo, branch, head)
        now = self.clock.now()
        return self.repos.workspaces.insert(
            Workspace(
                id=self.ids.new_id(), created_at=now, updated_at=now, app_id=self.app.id,
                owner_user_id=owner.id, branch_name=branch, title="", is_default=False,
                base_ref_type=BaseRefType.BRANCH, base_ref_value="main", base_sha=head,
                head_sha=head, working_sha=head,
            )
        )  # fmt: skip

    def caller(self, user: User) -> Caller:
        return Caller(app=self.repos.apps.get(self.app.id), actor=self.actor(user),
                      role=self.roles[user.id])  # fmt: skip

    def write(self, path: str, content: bytes) -> str:
        ref = f"refs/conman/autosave/{self.workspace.id}"
        autosave = self.git.resolve(self.repo, ref)
        working = autosave or self.git.resolve(
            self.repo, f"refs/heads/{self.workspace.branch_name}"
        )
        exists = self.git.get_entry(self.repo, working or "", path) is not None
        return self.git.commit_files(
            self.repo, ref=ref, parent=working, expected_old=autosave or ZERO_OID,
            actions=[FileAction(action="update" if exists else "create", path=path,
                                content=content)],
            message=f"Update {path}",
            author=Signature(name="a", email="a@example.com", when=self.clock.now()),
        )  # fmt: skip

    def run_gates(self, *, passed: bool) -> int:
        """Finish every queued ``msuite_submit`` job; returns how many ran."""
        ran = 0
        while True:
            job = self.repos.jobs.claim("w", self.clock.now(), 60, [JobType.MSUITE_SUBMIT.value])
            if job is None:
                return ran
            if passed:
                self.repos.jobs.complete(job.id, "w", {"passed": True}, self.clock.now())
            else:
                self.repos.jobs.fail(job.id, "w", "failed", self.clock.now(), retryable=False)
            ran += 1
