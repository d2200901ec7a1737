"""What the changeset use cases share: their repositories and ports, the caller, and
the git and gate helpers (DOMAIN.md §9, §12.1, §17.9)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import msgspec

from conman_domain.errors import Conflict, FieldError, NotFound, Validation
from conman_domain.gitmodel import RepoRef, Signature
from conman_domain.model import (
    App,
    Changeset,
    ChangesetProfileOverride,
    ChangesetRevision,
    Comment,
    CommentRevision,
    CommitMode,
    Environment,
    JobState,
    Membership,
    NotificationOutbox,
    NotificationPreference,
    Review,
    Role,
    RuntimeProfile,
    User,
    Workspace,
)
from conman_domain.model.profiles import SecretRecord
from conman_domain.ports.clock import ClockPort
from conman_domain.ports.git import GitPort
from conman_domain.ports.ids import IdPort
from conman_domain.ports.jobs import JobQueuePort
from conman_domain.ports.repos import EntityRepoPort, MutableRepoPort
from conman_domain.ports.secrets import CipherPort, SecretAad
from conman_domain.rules.override_conflicts import Decrypt
from conman_domain.usecases.apps import repo_ref
from conman_domain.usecases.audit import Actor, AuditTrail

__all__ = [
    "Caller",
    "ChangesetDeps",
    "ChangesetRepos",
    "autosave_ref",
    "branch_ref",
    "check_object_id",
    "commit_mode_of",
    "integration_head",
    "load_changeset",
    "save_with_retry",
    "submit_gate_passed",
]

CAS_RETRIES = 10


def autosave_ref(workspace_id: str) -> str:
    """The workspace's working state (DOMAIN.md §8.2)."""
    return f"refs/conman/autosave/{workspace_id}"


def branch_ref(branch: str) -> str:
    return f"refs/heads/{branch}"


class ChangesetRepos(Protocol):
    """The repositories the changeset use cases need (``Repositories`` fits)."""

    @property
    def apps(self) -> MutableRepoPort[App]: ...
    @property
    def users(self) -> MutableRepoPort[User]: ...
    @property
    def memberships(self) -> MutableRepoPort[Membership]: ...
    @property
    def workspaces(self) -> MutableRepoPort[Workspace]: ...
    @property
    def environments(self) -> MutableRepoPort[Environment]: ...
    @property
    def runtime_profiles(self) -> MutableRepoPort[RuntimeProfile]: ...
    @property
    def changesets(self) -> MutableRepoPort[Changeset]: ...
    @property
    def changeset_revisions(self) -> EntityRepoPort[ChangesetRevision]: ...
    @property
    def reviews(self) -> EntityRepoPort[Review]: ...
    @property
    def comments(self) -> MutableRepoPort[Comment]: ...
    @property
    def comment_revisions(self) -> EntityRepoPort[CommentRevision]: ...
    @property
    def profile_overrides(self) -> MutableRepoPort[ChangesetProfileOverride]: ...
    @property
    def notification_preferences(self) -> MutableRepoPort[NotificationPreference]: ...
    @property
    def notification_outbox(self) -> MutableRepoPort[NotificationOutbox]: ...


class ChangesetDeps:
    """Ports of the changeset use cases, built once by the container. ``on_enqueue(type)``
    counts enqueued jobs; ``public_url`` builds the links of notification mails."""

    def __init__(
        self,
        *,
        repos: ChangesetRepos,
        git: GitPort,
        jobs: JobQueuePort,
        cipher: CipherPort,
        clock: ClockPort,
        ids: IdPort,
        audit: AuditTrail,
        public_url: str = "http://localhost:3000",
        on_enqueue: Callable[[str], None] | None = None,
    ) -> None:
        self.repos = repos
        self.git = git
        self.jobs = jobs
        self.cipher = cipher
        self.clock = clock
        self.ids = ids
        self.audit = audit
        self.public_url = public_url.rstrip("/")
        self.on_enqueue = on_enqueue

    def signature(self, user_id: str) -> Signature:
        user = self.repos.users.get(user_id)
        return Signature(name=user.name, email=user.email, when=self.clock.now(), user_id=user.id)

    def decrypt(self, app_id: str) -> Decrypt:
        """A decrypter for override secrets of ``app_id`` (AAD names the target profile)."""

        def run(record: SecretRecord, profile_id: str, key: str) -> str:
            aad = SecretAad(app_id=app_id, profile_id=profile_id, key=key)
            return self.cipher.decrypt(record, aad)

        return run


class Caller(msgspec.Struct, frozen=True, kw_only=True):
    """Who calls, in which app: the HTTP shell loads both (API.md §1.4 steps 6-8)."""

    app: App
    actor: Actor
    role: Role

    @property
    def user_id(self) -> str:
        return self.actor.user_id or ""

    @property
    def repo(self) -> RepoRef:
        return repo_ref(self.app)


def check_object_id(field: str, value: str | None) -> None:
    """Ids inside bodies or query strings that are malformed → 400 (API.md §1.1)."""
    if value is None:
        return
    if len(value) != 24 or any(c not in "0123456789abcdef" for c in value):
        raise Validation(f"{field} must be a 24-hex id", [FieldError(field, "malformed id")])


def load_changeset(deps: ChangesetDeps, app: App, changeset_id: str) -> Changeset:
    """The changeset of this app, else 404."""
    found = deps.repos.changesets.find_one({"id": changeset_id, "app_id": app.id})
    if found is None:
        raise NotFound("changeset", changeset_id)
    return found


def integration_head(deps: ChangesetDeps, app: App) -> str:
    head = deps.git.resolve(repo_ref(app), branch_ref(app.integration_branch))
    if head is None:
        raise NotFound("branch", app.integration_branch)
    return head


def commit_mode_of(deps: ChangesetDeps, app: App, user_id: str) -> CommitMode:
    """The member's own commit mode, else the app default (DOMAIN.md §8.2)."""
    membership = deps.repos.memberships.find_one({"app_id": app.id, "user_id": user_id})
    if membership is not None and membership.commit_mode is not None:
        return CommitMode(membership.commit_mode)
    return CommitMode(app.settings.commit_mode_default)


def submit_gate_passed(deps: ChangesetDeps, changeset: Changeset) -> bool:
    """The latest ``msuite_submit`` of the current revision succeeded (DOMAIN.md §17.9).

    ``last_submit_job_id`` names that job (submit, resubmit and job retry set it)."""
    if changeset.last_submit_job_id is None or changeset.current_revision < 1:
        return False
    try:
        job = deps.jobs.get(changeset.last_submit_job_id)
    except NotFound:
        return False
    return (
        job.state == JobState.SUCCEEDED
        and job.payload.get("revision_number") == changeset.current_revision
    )


def save_with_retry(
    deps: ChangesetDeps, changeset_id: str, change: Callable[[Changeset], None]
) -> Changeset:
    """Re-read, apply ``change`` and compare-and-set, retrying a lost race a few times."""
    for _ in range(CAS_RETRIES):
        current = deps.repos.changesets.get(changeset_id)
        change(current)
        try:
            return deps.repos.changesets.save(current)
        except Conflict:
            continue
    raise Conflict("the changeset kept changing concurrently; try again")
