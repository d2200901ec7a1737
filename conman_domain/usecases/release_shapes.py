"""What the release use cases share: their repositories, the API view and the helpers
that load releases and members and return a release to draft (DOMAIN.md §13; API.md §2)."""

from __future__ import annotations

import builtins
from collections.abc import Callable
from datetime import datetime
from typing import Protocol, TypeVar

import msgspec

from conman_domain.errors import Conflict, FieldError, NotFound, Validation
from conman_domain.gitmodel import Signature
from conman_domain.model import (
    App,
    Changeset,
    ChangesetState,
    Job,
    JobType,
    Release,
    ReleaseChangeset,
    ReleaseSource,
    ReleaseState,
)
from conman_domain.ports.repos import MutableRepoPort
from conman_domain.usecases.apps import repo_ref
from conman_domain.usecases.changeset_deps import CAS_RETRIES, ChangesetDeps, ChangesetRepos
from conman_domain.usecases.job_shapes import new_job

__all__ = [
    "ReleaseDeps",
    "ReleaseMemberView",
    "ReleaseRepos",
    "ReleaseView",
    "compose_ref",
    "enqueue_job",
    "job_payload",
    "job_signature",
    "load_release",
    "members_of",
    "release_view",
    "release_views",
    "return_to_draft",
    "save_release",
    "set_changeset_release",
]

P = TypeVar("P", bound=msgspec.Struct)


def compose_ref(release_id: str) -> str:
    """The composition scratch ref of a release (DOMAIN.md §6.1)."""
    return f"refs/conman/compose/{release_id}"


class ReleaseRepos(ChangesetRepos, Protocol):
    """The changeset repositories plus ``release_batches`` and ``release_changesets``."""

    @property
    def releases(self) -> MutableRepoPort[Release]: ...
    @property
    def release_changesets(self) -> MutableRepoPort[ReleaseChangeset]: ...


class ReleaseDeps(ChangesetDeps):
    """``ChangesetDeps`` whose repositories include the release collections."""

    repos: ReleaseRepos


class ReleaseMemberView(msgspec.Struct, kw_only=True):
    changeset_id: str
    position: int
    title: str
    author_user_id: str | None
    merge_sha: str | None


class ReleaseView(msgspec.Struct, kw_only=True):
    """API shape Release (API.md §2)."""

    id: str
    app_id: str
    tag: str | None
    state: ReleaseState
    source: ReleaseSource
    ordered_changeset_ids: list[str]
    changesets: list[ReleaseMemberView]
    compose_job_id: str | None
    validation_job_id: str | None
    base_sha: str | None
    composed_sha: str | None
    published_sha: str | None
    published_at: datetime | None
    published_by: str | None
    reverts_release_id: str | None
    deployed_environment_ids: list[str]
    created_by: str
    created_at: datetime
    updated_at: datetime


def load_release(deps: ReleaseDeps, app: App, release_id: str) -> Release:
    """The release of this app, else 404."""
    found = deps.repos.releases.find_one({"id": release_id, "app_id": app.id})
    if found is None:
        raise NotFound("release", release_id)
    return found


def members_of(deps: ReleaseDeps, release_id: str) -> list[ReleaseChangeset]:
    """The release's members by position."""
    return deps.repos.release_changesets.all({"release_id": release_id}, sort=(("position", 1),))


def save_release(deps: ReleaseDeps, release_id: str, change: Callable[[Release], None]) -> Release:
    """Re-read, apply ``change`` and compare-and-set, retrying a lost race a few times."""
    for _ in range(CAS_RETRIES):
        current = deps.repos.releases.get(release_id)
        change(current)
        try:
            return deps.repos.releases.save(current)
        except Conflict:
            continue
    raise Conflict("the release kept changing concurrently; try again")


def set_changeset_release(
    deps: ReleaseDeps, changeset_id: str, release_id: str | None, *, claim: bool = False
) -> None:
    """Write ``changeset.release_id`` (compare-and-set with retries). With ``claim`` the
    changeset must be queued and in no other non-draft release, else ``Conflict``."""
    repo = deps.repos.changesets
    for _ in range(CAS_RETRIES):
        cs = repo.get(changeset_id)
        if claim and (cs.state != ChangesetState.QUEUED or cs.release_id not in (None, release_id)):
            raise Conflict(f"changeset {changeset_id} is not queued or is in another release")
        if cs.release_id == release_id:
            return
        try:
            repo.set_fields(cs.id, cs.version, {"release_id": release_id})
            return
        except Conflict:
            continue
    raise Conflict(f"changeset {changeset_id} kept changing concurrently; try again")


def return_to_draft(deps: ReleaseDeps, app: App, release_id: str) -> Release | None:
    """An assembling or validated release back to draft_release (DOMAIN.md §13.2):
    composition cleared, merge shas cleared, members' ``release_id`` cleared, compose ref
    deleted. Returns the release, or None when it was in no such state (nothing done)."""

    def back(release: Release) -> None:
        if release.state not in (ReleaseState.ASSEMBLING, ReleaseState.VALIDATED):
            raise _NotReturnable(release.state)
        release.state = ReleaseState.DRAFT_RELEASE
        release.composed_sha = None

    try:
        saved = save_release(deps, release_id, back)
    except _NotReturnable:
        return None
    for member in members_of(deps, release_id):
        if member.merge_sha is not None:
            deps.repos.release_changesets.set_fields(member.id, member.version, {"merge_sha": None})
        cs = deps.repos.changesets.find_one({"id": member.changeset_id})
        if cs is not None and cs.release_id == release_id:
            set_changeset_release(deps, cs.id, None)
    deps.git.delete_ref(repo_ref(app), compose_ref(release_id), expected_old=None)
    return saved


class _NotReturnable(Exception):
    def __init__(self, state: ReleaseState) -> None:
        super().__init__(str(state))


def job_payload(job: Job, shape: type[P]) -> P:
    """The job's payload as ``shape``; a malformed payload is a final failure (400)."""
    try:
        return msgspec.convert(job.payload, shape)
    except msgspec.ValidationError as exc:
        problem = [FieldError("payload", str(exc))]
        raise Validation(f"{job.job_type} payload: {exc}", problem) from exc


def job_signature(deps: ReleaseDeps, user_id: str | None) -> Signature:
    """Jobs act as their triggering user; system actions as Conman (DOMAIN.md §6.2)."""
    if user_id is not None:
        user = deps.repos.users.find_one({"id": user_id})
        if user is not None:
            return Signature(
                name=user.name, email=user.email, when=deps.clock.now(), user_id=user.id
            )
    return Signature(name="Conman", email="conman@localhost", when=deps.clock.now())


def enqueue_job(
    deps: ReleaseDeps,
    *,
    app_id: str,
    job_type: JobType,
    entity_type: str,
    entity_id: str,
    payload: dict[str, object],
    created_by: str | None,
    job_id: str | None = None,
) -> Job:
    """A new job of ``job_type`` (``job_id`` when the id was chosen beforehand)."""
    job = new_job(
        deps.ids,
        deps.clock,
        app_id=app_id,
        job_type=job_type,
        entity_type=entity_type,
        entity_id=entity_id,
        payload=payload,
        created_by=created_by,
    )
    if job_id is not None:
        job.id = job_id
    stored = deps.jobs.enqueue(job)
    if deps.on_enqueue is not None:
        deps.on_enqueue(str(job_type))
    return stored


def release_view(deps: ReleaseDeps, release: Release) -> ReleaseView:
    """The API shape: members with their changeset titles and authors (one query)."""
    return release_views(deps, [release])[0]


def release_views(deps: ReleaseDeps, releases: builtins.list[Release]) -> list[ReleaseView]:
    """API shapes of ``releases`` with two queries for all their members."""
    ids = [r.id for r in releases]
    if not ids:
        return []
    members = deps.repos.release_changesets.all(
        {"release_id": {"$in": ids}}, sort=(("position", 1),)
    )
    cs_ids = sorted({m.changeset_id for m in members})
    found: dict[str, Changeset] = (
        {c.id: c for c in deps.repos.changesets.all({"id": {"$in": cs_ids}})} if cs_ids else {}
    )
    app_ids = sorted({r.app_id for r in releases})
    envs = deps.repos.environments.all({"app_id": {"$in": app_ids}}, sort=(("position", 1),))
    views = []
    for release in releases:
        mine = [m for m in members if m.release_id == release.id]
        mine.sort(key=lambda m: m.position)
        member_views = [
            ReleaseMemberView(
                changeset_id=m.changeset_id,
                position=m.position,
                title=found[m.changeset_id].title if m.changeset_id in found else "",
                author_user_id=(
                    found[m.changeset_id].author_user_id if m.changeset_id in found else None
                ),
                merge_sha=m.merge_sha,
            )
            for m in mine
        ]
        fields = {
            f: getattr(release, f)
            for f in ReleaseView.__struct_fields__
            if f not in {"changesets", "deployed_environment_ids"}
        }
        views.append(
            ReleaseView(
                **fields,
                changesets=member_views,
                deployed_environment_ids=[e.id for e in envs if e.current_release_id == release.id],
            )
        )
    return views
