"""``RotateMasterKey``: rewrap every stored DEK under a new master key (DOMAIN.md §15.4).

Four collections hold secret records: runtime profiles (``secrets``), their revisions
(``snapshot.secrets``), changeset profile overrides (``secret_overrides_encrypted``) and
changeset revisions (the overrides snapshot that reviews, releases and deployments
use). Only the wrapped DEK and the kid change; nonce, ciphertext and AAD stay, so no
value is decrypted. Records already at the new kid are skipped, so a second run (or a
run after an interruption) rewraps only what is left.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Protocol, TypeVar

import msgspec

from conman_domain.errors import Conflict, NotFound, Validation
from conman_domain.model import (
    ChangesetProfileOverride,
    ChangesetRevision,
    Entity,
    OverrideSnapshot,
    ProfileRevision,
    RuntimeProfile,
    SecretOverride,
    SecretRecord,
)
from conman_domain.ports.repos import (
    ChangesetRevisionRepoPort,
    EntityRepoPort,
    MutableRepoPort,
    ProfileRevisionRepoPort,
)
from conman_domain.ports.secrets import CipherPort

__all__ = ["CollectionCounts", "RotateMasterKey", "RotationReport", "RotationRepos"]

E = TypeVar("E", bound=Entity)
K = TypeVar("K")
_KID = re.compile(r"v[1-9][0-9]*")
COLLECTIONS = (
    "runtime_profiles",
    "runtime_profile_revisions",
    "changeset_profile_overrides",
    "changeset_revisions",
)


class RotationRepos(Protocol):
    """The repositories holding secret records (``Repositories`` fits)."""

    @property
    def runtime_profiles(self) -> MutableRepoPort[RuntimeProfile]: ...
    @property
    def profile_revisions(self) -> ProfileRevisionRepoPort: ...
    @property
    def profile_overrides(self) -> MutableRepoPort[ChangesetProfileOverride]: ...
    @property
    def changeset_revisions(self) -> ChangesetRevisionRepoPort: ...


class CollectionCounts(msgspec.Struct, kw_only=True):
    """What one collection contributed; ``records_current`` were already at the new kid."""

    documents_scanned: int = 0
    documents_updated: int = 0
    records_rewrapped: int = 0
    records_current: int = 0


class RotationReport(msgspec.Struct, kw_only=True):
    """The outcome of one run: the new kid and the counts per collection."""

    kid: str
    collections: dict[str, CollectionCounts]

    def total(self) -> CollectionCounts:
        """The counts summed over every collection."""
        parts = list(self.collections.values())
        return CollectionCounts(
            documents_scanned=sum(c.documents_scanned for c in parts),
            documents_updated=sum(c.documents_updated for c in parts),
            records_rewrapped=sum(c.records_rewrapped for c in parts),
            records_current=sum(c.records_current for c in parts),
        )


class _Rewrap:
    """Rewraps records under ``kid`` and counts them."""

    def __init__(self, cipher: CipherPort, kid: str) -> None:
        self._cipher = cipher
        self.kid = kid
        self.rewrapped = 0
        self.current = 0

    def record(self, record: SecretRecord) -> SecretRecord:
        if record.kid == self.kid:
            self.current += 1
            return record
        self.rewrapped += 1
        return self._cipher.rewrap(record, self.kid)

    def records(self, records: Mapping[K, SecretRecord]) -> dict[K, SecretRecord]:
        return {key: self.record(value) for key, value in records.items()}

    def overrides(self, overrides: Mapping[str, SecretOverride]) -> dict[str, SecretOverride]:
        return {
            key: item
            if item.record is None
            else msgspec.structs.replace(item, record=self.record(item.record))
            for key, item in overrides.items()
        }

    def snapshots(self, snapshots: list[OverrideSnapshot]) -> list[OverrideSnapshot]:
        return [
            msgspec.structs.replace(
                item, secret_overrides_encrypted=self.overrides(item.secret_overrides_encrypted)
            )
            for item in snapshots
        ]


class RotateMasterKey:
    """Rewrap every secret record under master key ``kid`` (``v<N>``).

    ``cipher`` must hold the new key as ``kid`` plus every key records are currently
    under (the current and the previous master key). Mutable documents are written by
    compare-and-set on their version; a lost race re-reads the document and tries
    again, up to ``max_attempts`` times (then ``Conflict``). A document deleted
    meanwhile (an override) is skipped. Raises ``Validation`` when ``kid`` is not
    ``v<N>`` or is the cipher's current kid, and ``Internal`` when a record's DEK does
    not unwrap (its key is not configured).
    """

    def __init__(
        self,
        repos: RotationRepos,
        cipher: CipherPort,
        *,
        batch_size: int = 200,
        max_attempts: int = 10,
    ) -> None:
        self._repos = repos
        self._cipher = cipher
        self._batch = batch_size
        self._attempts = max_attempts

    def __call__(self, kid: str) -> RotationReport:
        if not _KID.fullmatch(kid):
            raise Validation(f"master key id must look like v<N>, got {kid!r}")
        if kid == self._cipher.current_kid:
            raise Validation(f"the new master key version must differ from the current {kid}")
        counts = {name: CollectionCounts() for name in COLLECTIONS}
        repos = self._repos
        self._each(repos.runtime_profiles, counts["runtime_profiles"], kid, self._profile)
        self._each(
            repos.profile_revisions, counts["runtime_profile_revisions"], kid, self._revision
        )
        self._each(
            repos.profile_overrides, counts["changeset_profile_overrides"], kid, self._override
        )
        self._each(
            repos.changeset_revisions, counts["changeset_revisions"], kid, self._changeset_rev
        )
        return RotationReport(kid=kid, collections=counts)

    # -- iteration and retries ---------------------------------------------------------

    def _scan(self, repo: EntityRepoPort[E]) -> Iterator[E]:
        # Keyset pages by id (descending): rewrites never change ids, so none is missed.
        last: str | None = None
        while True:
            where = {} if last is None else {"id": {"$lt": last}}
            page = repo.list(where, page=1, limit=self._batch).items
            yield from page
            if len(page) < self._batch:
                return
            last = page[-1].id

    def _each(
        self,
        repo: EntityRepoPort[E],
        counts: CollectionCounts,
        kid: str,
        rotate: Callable[[E, _Rewrap], bool],
    ) -> None:
        for entity in self._scan(repo):
            counts.documents_scanned += 1
            current: E | None = entity
            for _ in range(self._attempts):
                if current is None:
                    break
                rewrap = _Rewrap(self._cipher, kid)
                try:
                    written = rotate(current, rewrap)
                except Conflict:
                    current = _reread(repo, entity.id)
                    continue
                except NotFound:
                    break  # deleted meanwhile (an override): nothing left to rewrap
                counts.documents_updated += int(written)
                counts.records_rewrapped += rewrap.rewrapped
                counts.records_current += rewrap.current
                break
            else:
                raise Conflict(
                    f"{entity.id} kept changing during the rewrap; run the command again"
                )

    # -- one document of each collection -----------------------------------------------

    def _profile(self, profile: RuntimeProfile, rewrap: _Rewrap) -> bool:
        secrets = rewrap.records(profile.secrets)
        if not rewrap.rewrapped:
            return False
        self._repos.runtime_profiles.set_fields(profile.id, profile.version, {"secrets": secrets})
        return True

    def _revision(self, revision: ProfileRevision, rewrap: _Rewrap) -> bool:
        old = revision.snapshot.secrets
        new = rewrap.records(old)
        if not rewrap.rewrapped:
            return False
        self._repos.profile_revisions.rewrap_secrets(revision.id, old, new)
        return True

    def _override(self, override: ChangesetProfileOverride, rewrap: _Rewrap) -> bool:
        secrets = rewrap.overrides(override.secret_overrides_encrypted)
        if not rewrap.rewrapped:
            return False
        self._repos.profile_overrides.set_fields(
            override.id, override.version, {"secret_overrides_encrypted": secrets}
        )
        return True

    def _changeset_rev(self, revision: ChangesetRevision, rewrap: _Rewrap) -> bool:
        snapshot = rewrap.snapshots(revision.profile_overrides_snapshot)
        if not rewrap.rewrapped:
            return False
        self._repos.changeset_revisions.rewrap_overrides(revision.id, snapshot)
        return True


def _reread(repo: EntityRepoPort[E], entity_id: str) -> E | None:
    try:
        return repo.get(entity_id)
    except NotFound:
        return None
