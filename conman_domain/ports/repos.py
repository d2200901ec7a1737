"""The ``RepoPort`` family: one repository protocol per aggregate (ARCHITECTURE.md §2).

Shared contract, stated once here and relied on by every protocol below:

- Entities go in and come out as ``conman_domain.model`` structs; ids are 24-hex.
- ``where`` filters are field → value mappings over the stored fields of DOMAIN.md
  §20 (dotted paths reach into sub-documents). A value may be a plain value (``None``
  also matches a missing field) or one operator mapping among ``$eq``, ``$ne``,
  ``$in``, ``$nin``, ``$gt``, ``$gte``, ``$lt``, ``$lte``, ``$exists``.
- A unique index violation (DOMAIN.md §20) raises ``Conflict``.
- Every state change is a compare-and-set on ``(id, version)``; the stored
  ``version`` is incremented and ``updated_at`` set from the clock. A lost race
  raises ``Conflict``; a missing entity raises ``NotFound``.
- An unreachable or failing store raises ``ServiceUnavailable``.
- Listings are sorted by the given keys with ties broken by ``id`` descending
  (API.md §1.5) and report the ``total`` number of matches.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

import msgspec

from conman_domain.model import (
    App,
    AuditEvent,
    Changeset,
    ChangesetProfileOverride,
    ChangesetRevision,
    Comment,
    CommentRevision,
    Deployment,
    DriftAcknowledgement,
    Entity,
    Environment,
    Invite,
    LoginThrottle,
    Membership,
    MigrationExecution,
    MutableEntity,
    NotificationOutbox,
    NotificationPreference,
    OverrideSnapshot,
    PasswordResetToken,
    ProfileRevision,
    Release,
    ReleaseChangeset,
    Review,
    RevokedToken,
    RuntimeProfile,
    SecretRecord,
    TempEnvironment,
    UsedApprovalToken,
    User,
    Workspace,
)

__all__ = [
    "AuditRepoPort",
    "EntityRepoPort",
    "MutableRepoPort",
    "Page",
    "Sort",
    "Where",
]

E = TypeVar("E", bound=Entity)
M = TypeVar("M", bound=MutableEntity)
T = TypeVar("T")
Where = Mapping[str, Any]
Sort = Sequence[tuple[str, int]]


class Page(msgspec.Struct, Generic[T], kw_only=True):
    """One page of a listing: ``items`` plus the ``total`` number of matches."""

    items: list[T]
    total: int
    page: int
    limit: int


class EntityRepoPort(Protocol[E]):
    """Insert, read, list and delete one kind of entity."""

    def get(self, entity_id: str) -> E:
        """The entity with ``entity_id``; ``NotFound`` when there is none."""
        ...

    def find_one(self, where: Where, sort: Sort | None = None) -> E | None:
        """The first entity matching ``where`` (in ``sort`` order), or ``None``."""
        ...

    def insert(self, entity: E) -> E:
        """Store a new entity and return it. Duplicate id or unique key → ``Conflict``."""
        ...

    def list(self, where: Where, sort: Sort = (), page: int = 1, limit: int = 20) -> Page[E]:
        """One page (1-based, ``skip = (page-1)*limit``) of matches with the total count.

        A page past the end has no items and the real total. Ties break by id descending.
        """
        ...

    def all(self, where: Where, sort: Sort = ()) -> builtins.list[E]:
        """Every match, in ``sort`` order then id descending (for bounded sets only)."""
        ...

    def count(self, where: Where) -> int:
        """The number of matches."""
        ...

    def delete(self, entity_id: str) -> None:
        """Remove the entity; ``NotFound`` when there is none.

        Only collections whose documents are removed by the domain (memberships,
        release changesets, tokens, overrides) use it; audit repositories have none.
        """
        ...


class MutableRepoPort(EntityRepoPort[M], Protocol[M]):
    """An entity that changes state under compare-and-set."""

    def save(self, entity: M) -> M:
        """Write every field of ``entity`` if the stored version still equals ``entity.version``.

        Returns the entity as stored (``version + 1``, fresh ``updated_at``). A lost race
        (the stored version differs) → ``Conflict``; a missing entity → ``NotFound``;
        a unique key taken by another entity → ``Conflict`` and nothing is written.
        """
        ...

    def set_fields(self, entity_id: str, expected_version: int, changes: Mapping[str, Any]) -> int:
        """Set ``changes`` (field → value) if the stored version is ``expected_version``.

        Returns the new version. Same errors as ``save``.
        """
        ...


class AuditRepoPort(Protocol):
    """Append-only audit events (DOMAIN.md §19): there is no update or delete."""

    def append(self, event: AuditEvent) -> None:
        """Insert ``event``. A taken (chain_key, seq) or id → ``Conflict`` (the caller re-reads
        the chain head and retries, §19.3)."""
        ...

    def last_in_chain(self, chain_key: str) -> AuditEvent | None:
        """The event with the highest ``seq`` of the chain, or ``None`` for an empty chain."""
        ...

    def chain(
        self, chain_key: str, after_seq: int = 0, limit: int = 1000
    ) -> builtins.list[AuditEvent]:
        """Events of the chain with ``seq > after_seq`` in seq order, at most ``limit``."""
        ...

    def list(
        self, where: Where, sort: Sort = (("occurred_at", -1),), page: int = 1, limit: int = 20
    ) -> Page[AuditEvent]:
        """One page of matching events (ties by id descending) with the total count."""
        ...


class ExpiringRepoPort(Protocol):
    """Collections with a TTL index (DOMAIN.md §20)."""

    def purge_expired(self, now: datetime) -> int:
        """Delete documents past their TTL (native on MongoDB, where it returns 0)."""
        ...


# One protocol per aggregate; the docstring names its collection and unique rules
# (DOMAIN.md §20). A duplicate of a unique rule raises ``Conflict``.


class UserRepoPort(MutableRepoPort[User], Protocol):
    """``users``: U{email}."""


class MembershipRepoPort(MutableRepoPort[Membership], Protocol):
    """``app_memberships``: U{app_id, user_id}; {user_id}."""


class InviteRepoPort(MutableRepoPort[Invite], Protocol):
    """``invites``: U{token_hash}; U{app_id, email} while ``pending``."""


class PasswordResetTokenRepoPort(MutableRepoPort[PasswordResetToken], Protocol):
    """``password_reset_tokens``: U{token_hash}; TTL 1 day on ``expires_at``."""


class LoginThrottleRepoPort(MutableRepoPort[LoginThrottle], Protocol):
    """``login_throttles``: U{email}; TTL 1 day on ``updated_at``."""


class NotificationPreferenceRepoPort(MutableRepoPort[NotificationPreference], Protocol):
    """``notification_preferences``: U{user_id}."""


class NotificationOutboxRepoPort(MutableRepoPort[NotificationOutbox], Protocol):
    """``notification_outbox``: {state, next_attempt_at}; TTL 30 days on ``sent_at``."""


class AppRepoPort(MutableRepoPort[App], Protocol):
    """``apps``: U{name}; U{repo_path}."""


class EnvironmentRepoPort(MutableRepoPort[Environment], Protocol):
    """``environments``: U{app_id, name_lower|slug|position}; one canonical per app."""


class RuntimeProfileRepoPort(MutableRepoPort[RuntimeProfile], Protocol):
    """``runtime_profiles``: U{app_id, name} unless archived; one app_defaults per app."""


class ProfileRevisionRepoPort(EntityRepoPort[ProfileRevision], Protocol):
    """``runtime_profile_revisions``: U{runtime_profile_id, revision_number}."""

    def rewrap_secrets(
        self,
        revision_id: str,
        expected: Mapping[str, SecretRecord],
        rewrapped: Mapping[str, SecretRecord],
    ) -> None:
        """Replace the snapshot's secret records by ``rewrapped`` (the same keys) if every
        stored record still has the ``kid`` and ``wrapped_dek`` of ``expected``.

        The one write to a stored revision (DOMAIN.md §15.7, master-key rewrap). A lost
        race → ``Conflict``; a missing revision → ``NotFound``.
        """
        ...


class DriftAcknowledgementRepoPort(EntityRepoPort[DriftAcknowledgement], Protocol):
    """``drift_acknowledgements``: U{environment_id, profile_revision_id, defaults_revision_id}."""


class OverrideRepoPort(MutableRepoPort[ChangesetProfileOverride], Protocol):
    """``changeset_profile_overrides``: U{changeset_id, target_environment_id}."""


class MigrationExecutionRepoPort(MutableRepoPort[MigrationExecution], Protocol):
    """``migration_executions``: {app_id, environment_id, started_at desc}."""


class WorkspaceRepoPort(MutableRepoPort[Workspace], Protocol):
    """``workspaces``: U{app_id, branch_name}; one default per owner and app."""


class ChangesetRepoPort(MutableRepoPort[Changeset], Protocol):
    """``changesets``: one open per workspace; U{app_id, queue_position} while queued."""


class ChangesetRevisionRepoPort(EntityRepoPort[ChangesetRevision], Protocol):
    """``changeset_revisions``: U{changeset_id, revision_number}."""

    def rewrap_overrides(self, revision_id: str, snapshot: Sequence[OverrideSnapshot]) -> None:
        """Replace ``profile_overrides_snapshot`` by ``snapshot`` (the same content with
        rewrapped secret records; master-key rewrap, DOMAIN.md §15.4).

        Not a compare-and-set: revisions have no version and nothing else writes them, and
        a rewrap is deterministic (RFC 3394), so concurrent rotations to the same key write
        the same bytes. A missing revision → ``NotFound``.
        """
        ...


class ReviewRepoPort(EntityRepoPort[Review], Protocol):
    """``changeset_reviews`` (written once)."""


class CommentRepoPort(MutableRepoPort[Comment], Protocol):
    """``changeset_comments``."""


class CommentRevisionRepoPort(EntityRepoPort[CommentRevision], Protocol):
    """``changeset_comment_revisions`` (previous bodies)."""


class ReleaseRepoPort(MutableRepoPort[Release], Protocol):
    """``release_batches``: U{app_id, tag} once tagged."""


class ReleaseChangesetRepoPort(MutableRepoPort[ReleaseChangeset], Protocol):
    """``release_changesets``: U{release_id, changeset_id}."""


class DeploymentRepoPort(MutableRepoPort[Deployment], Protocol):
    """``deployments``: one ``active`` per environment (the deploy lock)."""


class UsedApprovalTokenRepoPort(EntityRepoPort[UsedApprovalToken], Protocol):
    """``used_approval_tokens``: U{jti} (single use)."""


class RevokedTokenRepoPort(EntityRepoPort[RevokedToken], Protocol):
    """``revoked_tokens``: U{jti}; TTL on ``expires_at``."""


class TempEnvironmentRepoPort(MutableRepoPort[TempEnvironment], Protocol):
    """``temp_environments``: one ``live`` per source; U{base_url}."""


__all__ += [
    "AppRepoPort",
    "ChangesetRepoPort",
    "ChangesetRevisionRepoPort",
    "CommentRepoPort",
    "CommentRevisionRepoPort",
    "DeploymentRepoPort",
    "DriftAcknowledgementRepoPort",
    "EnvironmentRepoPort",
    "ExpiringRepoPort",
    "InviteRepoPort",
    "LoginThrottleRepoPort",
    "MembershipRepoPort",
    "MigrationExecutionRepoPort",
    "NotificationOutboxRepoPort",
    "NotificationPreferenceRepoPort",
    "OverrideRepoPort",
    "PasswordResetTokenRepoPort",
    "ProfileRevisionRepoPort",
    "ReleaseChangesetRepoPort",
    "ReleaseRepoPort",
    "ReviewRepoPort",
    "RevokedTokenRepoPort",
    "TempEnvironmentRepoPort",
    "UsedApprovalTokenRepoPort",
    "UserRepoPort",
    "WorkspaceRepoPort",
]
