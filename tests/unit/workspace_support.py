"""A small world for the workspace use-case tests: store, git, users, one app."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta

from conman_adapters.store import MemoryStore, build_repositories
from conman_adapters.store.repositories import Repositories
from conman_adapters.system import SystemIds
from conman_domain.gitmodel import ZERO_OID, FileAction, RepoRef, Signature
from conman_domain.model import (
    App,
    AppSettings,
    BaselineMode,
    CommitMode,
    Environment,
    Membership,
    Release,
    Role,
    User,
)
from conman_domain.ports.git import GitPort
from conman_domain.usecases.apps import repo_ref
from conman_domain.usecases.audit import Actor, AuditTrail
from conman_domain.usecases.workspaces import WorkspaceDeps, WorkspaceRef

__all__ = ["TestClock", "World"]

SEED_FILES = {
    "entities/customer.yaml": b"name: Customer\nfields:\n  email:\n    type: string\n",
    "pages/home.json": b'{"name": "Home", "entity": "Customer"}\n',
    "README.md": b"# demo\n",
}


class TestClock:
    """Advances one millisecond per reading so that orderings are deterministic."""

    __test__ = False

    def __init__(self) -> None:
        self.current = datetime(2026, 3, 1, tzinfo=UTC)

    def now(self) -> datetime:
        self.current += timedelta(milliseconds=1)
        return self.current

    def monotonic(self) -> float:
        return self.current.timestamp()


class World:
    """One app ``demo`` (integration branch ``main``) with alice (user, owner of the
    workspaces under test), bob (user) and root (app_admin)."""

    def __init__(
        self,
        git: GitPort,
        *,
        commit_mode: CommitMode = CommitMode.SUBMIT_COMMIT,
        baseline_mode: BaselineMode = BaselineMode.INTEGRATION_HEAD,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.git = git
        self.clock = TestClock()
        self.ids = SystemIds()
        self.repos: Repositories = build_repositories(MemoryStore(), self.clock)
        self.audit = AuditTrail(self.repos.audit, self.clock, self.ids)
        self.sleeps: list[float] = []
        self.deps = WorkspaceDeps(
            repos=self.repos,
            git=git,
            clock=self.clock,
            ids=self.ids,
            audit=self.audit,
            sleep=sleep or self.sleeps.append,
        )
        now = self.clock.now()
        self.app = self.repos.apps.insert(
            App(
                id=self.ids.new_id(),
                created_at=now,
                updated_at=now,
                name="Demo_App",
                repo_path="apps/demo",
                created_by="x",
                settings=AppSettings(
                    commit_mode_default=commit_mode,
                    baseline_mode=baseline_mode,
                    file_size_limit_bytes=64,
                ),
            )
        )
        self.alice = self._user("Alice.Smith@example.com", Role.USER)
        self.bob = self._user("bob@example.com", Role.USER)
        self.root = self._user("root@example.com", Role.APP_ADMIN)
        self.repo: RepoRef = repo_ref(self.app)
        git.create_repository(self.repo, default_branch="main")
        self.integration_head = self.commit_main(SEED_FILES, parent=None)

    def _user(self, email: str, role: Role) -> User:
        now = self.clock.now()
        user = self.repos.users.insert(
            User(
                id=self.ids.new_id(),
                created_at=now,
                updated_at=now,
                email=email.lower(),
                name=email.split("@", maxsplit=1)[0],
                password_hash="x",
                password_changed_at=now,
            )
        )
        self.repos.memberships.insert(
            Membership(
                id=self.ids.new_id(),
                created_at=now,
                updated_at=now,
                app_id=self.app.id,
                user_id=user.id,
                role=role,
            )
        )
        return user

    def actor(self, user: User | None = None) -> Actor:
        return Actor(user_id=(user or self.alice).id)

    def ref(self, workspace_id: str, user: User | None = None) -> WorkspaceRef:
        return WorkspaceRef(app_id=self.app.id, workspace_id=workspace_id, actor=self.actor(user))

    def commit_main(self, changes: Mapping[str, bytes | None], parent: str | None = "") -> str:
        """Commit ``changes`` (None = delete) on the integration branch (as a publish would)."""
        head = self.git.resolve(self.repo, "refs/heads/main") if parent == "" else parent
        actions = []
        for path, data in changes.items():
            exists = head is not None and self.git.get_entry(self.repo, head, path) is not None
            if data is None:
                actions.append(FileAction(action="delete", path=path))
            else:
                actions.append(
                    FileAction(action="update" if exists else "create", path=path, content=data)
                )
        sha = self.git.commit_files(
            self.repo,
            ref="refs/heads/main",
            parent=head,
            expected_old=head or ZERO_OID,
            actions=actions,
            message="publish",
            author=Signature(name="Conman", email="conman@localhost", when=self.clock.now()),
        )
        self.integration_head = sha
        return sha

    def files_at(self, revision: str) -> dict[str, bytes]:
        page = self.git.list_tree(self.repo, revision, recursive=True)
        paths = [e.path for e in page.entries if e.type == "blob"]
        return {b.path: b.data for b in self.git.read_blobs(self.repo, revision, paths)}

    def deploy_canonical(self, sha: str, tag: str) -> Release:
        """A canonical environment whose current release is published at ``sha``."""
        now = self.clock.now()
        release = self.repos.releases.insert(
            Release(
                id=self.ids.new_id(),
                created_at=now,
                updated_at=now,
                app_id=self.app.id,
                tag=tag,
                published_sha=sha,
                created_by=self.root.id,
            )
        )
        self.repos.environments.insert(
            Environment(
                id=self.ids.new_id(),
                created_at=now,
                updated_at=now,
                app_id=self.app.id,
                name="Production",
                name_lower="production",
                slug="production",
                position=0,
                is_canonical=True,
                runtime_profile_id=self.ids.new_id(),
                branch_ref="refs/heads/env/production",
                current_release_id=release.id,
            )
        )
        return release
