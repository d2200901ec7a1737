"""``Repositories``: one repository per collection of DOMAIN.md §20, built over one store."""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

from conman_adapters.store.base import DocumentStore
from conman_adapters.store.indexes import INDEXES
from conman_adapters.store.repositories.audit import StoreAuditRepository
from conman_adapters.store.repositories.base import MutableStoreRepository, StoreRepository
from conman_adapters.store.repositories.heartbeats import StoreRunnerHeartbeats
from conman_adapters.store.repositories.jobs import StoreJobQueue
from conman_domain.model import (
    App,
    Changeset,
    ChangesetProfileOverride,
    ChangesetRevision,
    Comment,
    CommentRevision,
    Deployment,
    DriftAcknowledgement,
    Environment,
    Invite,
    LoginThrottle,
    Membership,
    MigrationExecution,
    MutableEntity,
    NotificationOutbox,
    NotificationPreference,
    PasswordResetToken,
    ProfileRevision,
    Release,
    ReleaseChangeset,
    Review,
    RevokedToken,
    RuntimeProfile,
    TempEnvironment,
    UsedApprovalToken,
    User,
    Workspace,
)
from conman_domain.ports.clock import ClockPort

__all__ = ["Repositories", "build_repositories"]

M = TypeVar("M", bound=MutableEntity)


class Repositories:
    """Every repository of the application, sharing one ``DocumentStore``."""

    def __init__(self, store: DocumentStore, clock: ClockPort) -> None:
        self.store = store
        self._clock = clock

        def mut(name: str, cls: type[M]) -> MutableStoreRepository[M]:
            return MutableStoreRepository(store, name, cls, clock)

        self.users = mut("users", User)
        self.memberships = mut("app_memberships", Membership)
        self.invites = mut("invites", Invite)
        self.password_reset_tokens = mut("password_reset_tokens", PasswordResetToken)
        self.login_throttles = mut("login_throttles", LoginThrottle)
        self.notification_preferences = mut("notification_preferences", NotificationPreference)
        self.notification_outbox = mut("notification_outbox", NotificationOutbox)
        self.apps = mut("apps", App)
        self.environments = mut("environments", Environment)
        self.runtime_profiles = mut("runtime_profiles", RuntimeProfile)
        self.profile_revisions = StoreRepository(
            store, "runtime_profile_revisions", ProfileRevision
        )
        self.drift_acknowledgements = StoreRepository(
            store, "drift_acknowledgements", DriftAcknowledgement
        )
        self.profile_overrides = mut("changeset_profile_overrides", ChangesetProfileOverride)
        self.migration_executions = mut("migration_executions", MigrationExecution)
        self.workspaces = mut("workspaces", Workspace)
        self.changesets = mut("changesets", Changeset)
        self.changeset_revisions = StoreRepository(store, "changeset_revisions", ChangesetRevision)
        self.reviews = StoreRepository(store, "changeset_reviews", Review)
        self.comments = mut("changeset_comments", Comment)
        self.comment_revisions = StoreRepository(
            store, "changeset_comment_revisions", CommentRevision
        )
        self.releases = mut("release_batches", Release)
        self.release_changesets = mut("release_changesets", ReleaseChangeset)
        self.deployments = mut("deployments", Deployment)
        self.used_approval_tokens = StoreRepository(
            store, "used_approval_tokens", UsedApprovalToken
        )
        self.revoked_tokens = StoreRepository(store, "revoked_tokens", RevokedToken)
        self.temp_environments = mut("temp_environments", TempEnvironment)
        self.jobs = StoreJobQueue(store)
        self.audit = StoreAuditRepository(store)
        self.heartbeats = StoreRunnerHeartbeats(store)

    def ensure_indexes(self) -> None:
        """Create every index of DOMAIN.md §20 (idempotent; run at start-up)."""
        self.store.ensure_indexes(INDEXES)

    def purge_expired(self, now: datetime | None = None) -> int:
        """Apply TTL indexes on backends without native TTL (called by the sweep)."""
        return self.store.purge_expired(INDEXES, now or self._clock.now())


def build_repositories(store: DocumentStore, clock: ClockPort, ensure: bool = True) -> Repositories:
    """The repositories over ``store``; with ``ensure`` the indexes are created first."""
    repos = Repositories(store, clock)
    if ensure:
        repos.ensure_indexes()
    return repos
