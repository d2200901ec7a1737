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
from conman_adapters.store.repositories.revisions import (
    StoreChangesetRevisions,
    StoreProfileRevisions,
)
from conman_domain.model import (
    App,
    Changeset,
    ChangesetProfileOverride,
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
from conman_domain.ports.health import RunnerHeartbeatPort
from conman_domain.ports.jobs import JobQueuePort
from conman_domain.ports.repos import (
    AppRepoPort,
    AuditRepoPort,
    ChangesetRepoPort,
    ChangesetRevisionRepoPort,
    CommentRepoPort,
    CommentRevisionRepoPort,
    DeploymentRepoPort,
    DriftAcknowledgementRepoPort,
    EnvironmentRepoPort,
    InviteRepoPort,
    LoginThrottleRepoPort,
    MembershipRepoPort,
    MigrationExecutionRepoPort,
    NotificationOutboxRepoPort,
    NotificationPreferenceRepoPort,
    OverrideRepoPort,
    PasswordResetTokenRepoPort,
    ProfileRevisionRepoPort,
    ReleaseChangesetRepoPort,
    ReleaseRepoPort,
    ReviewRepoPort,
    RevokedTokenRepoPort,
    RuntimeProfileRepoPort,
    TempEnvironmentRepoPort,
    UsedApprovalTokenRepoPort,
    UserRepoPort,
    WorkspaceRepoPort,
)

__all__ = ["Repositories", "build_repositories"]

M = TypeVar("M", bound=MutableEntity)


class Repositories:
    """Every repository of the application, sharing one ``DocumentStore``."""

    def __init__(self, store: DocumentStore, clock: ClockPort) -> None:
        self.store = store
        self._clock = clock

        def mut(name: str, cls: type[M]) -> MutableStoreRepository[M]:
            return MutableStoreRepository(store, name, cls, clock)

        self.users: UserRepoPort = mut("users", User)
        self.memberships: MembershipRepoPort = mut("app_memberships", Membership)
        self.invites: InviteRepoPort = mut("invites", Invite)
        self.password_reset_tokens: PasswordResetTokenRepoPort = mut(
            "password_reset_tokens", PasswordResetToken
        )
        self.login_throttles: LoginThrottleRepoPort = mut("login_throttles", LoginThrottle)
        self.notification_preferences: NotificationPreferenceRepoPort = mut(
            "notification_preferences", NotificationPreference
        )
        self.notification_outbox: NotificationOutboxRepoPort = mut(
            "notification_outbox", NotificationOutbox
        )
        self.apps: AppRepoPort = mut("apps", App)
        self.environments: EnvironmentRepoPort = mut("environments", Environment)
        self.runtime_profiles: RuntimeProfileRepoPort = mut("runtime_profiles", RuntimeProfile)
        self.profile_revisions: ProfileRevisionRepoPort = StoreProfileRevisions(store)
        self.drift_acknowledgements: DriftAcknowledgementRepoPort = StoreRepository(
            store, "drift_acknowledgements", DriftAcknowledgement
        )
        self.profile_overrides: OverrideRepoPort = mut(
            "changeset_profile_overrides", ChangesetProfileOverride
        )
        self.migration_executions: MigrationExecutionRepoPort = mut(
            "migration_executions", MigrationExecution
        )
        self.workspaces: WorkspaceRepoPort = mut("workspaces", Workspace)
        self.changesets: ChangesetRepoPort = mut("changesets", Changeset)
        self.changeset_revisions: ChangesetRevisionRepoPort = StoreChangesetRevisions(store)
        self.reviews: ReviewRepoPort = StoreRepository(store, "changeset_reviews", Review)
        self.comments: CommentRepoPort = mut("changeset_comments", Comment)
        self.comment_revisions: CommentRevisionRepoPort = StoreRepository(
            store, "changeset_comment_revisions", CommentRevision
        )
        self.releases: ReleaseRepoPort = mut("release_batches", Release)
        self.release_changesets: ReleaseChangesetRepoPort = mut(
            "release_changesets", ReleaseChangeset
        )
        self.deployments: DeploymentRepoPort = mut("deployments", Deployment)
        self.used_approval_tokens: UsedApprovalTokenRepoPort = StoreRepository(
            store, "used_approval_tokens", UsedApprovalToken
        )
        self.revoked_tokens: RevokedTokenRepoPort = StoreRepository(
            store, "revoked_tokens", RevokedToken
        )
        self.temp_environments: TempEnvironmentRepoPort = mut("temp_environments", TempEnvironment)
        self.jobs: JobQueuePort = StoreJobQueue(store)
        self.audit: AuditRepoPort = StoreAuditRepository(store)
        self.heartbeats: RunnerHeartbeatPort = StoreRunnerHeartbeats(store)

    def ensure_indexes(self) -> None:
        """Create every index of DOMAIN.md §20 (idempotent; run at start-up)."""
        self.store.ensure_indexes(INDEXES)

    def purge_expired(self, now: datetime | None = None) -> int:
        """Apply TTL indexes on backends without native TTL; called by the job runner's
        poll hook (``PeriodicTtlPurge``, every ``CONMAN_TEMP_ENV_SWEEP_INTERVAL_S``) and by
        ``conman db init``."""
        return self.store.purge_expired(INDEXES, now or self._clock.now())


def build_repositories(store: DocumentStore, clock: ClockPort, ensure: bool = True) -> Repositories:
    """The repositories over ``store``; with ``ensure`` the indexes are created first."""
    repos = Repositories(store, clock)
    if ensure:
        repos.ensure_indexes()
    return repos
