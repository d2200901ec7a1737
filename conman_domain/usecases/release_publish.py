"""Publishing a validated release (DOMAIN.md §13.4-§13.5; API.md §11).

Synchronous: the gate check, the member and integration checks (else back to draft and
409), the tag ``r<YYYY.MM.DD>.<N>`` (a taken name → N+1, up to 5 times), the
compare-and-swap of the integration branch from ``base_sha`` to ``composed_sha`` (a lost
race deletes the tag and returns the release to draft → 409), and the published record.
The follow-ups (``finish``) are idempotent; the recovery pass (``recover``) completes
them for published releases whose members are still queued.
"""

from __future__ import annotations

from typing import Any

from conman_domain.errors import Conflict, InvalidTransition, NotFound
from conman_domain.model import (
    App,
    Changeset,
    ChangesetState,
    JobState,
    JobType,
    NotificationEvent,
    Release,
    ReleaseState,
)
from conman_domain.rbac import Capability, check
from conman_domain.rules.tags import next_release_tag, tag_date_prefix
from conman_domain.states import CHANGESET_MACHINE, TransitionContext, apply
from conman_domain.states import Actor as MachineActor
from conman_domain.states.changeset import set_changeset_state
from conman_domain.usecases.apps import repo_ref
from conman_domain.usecases.audit import Actor
from conman_domain.usecases.changeset_deps import (
    Caller,
    branch_ref,
    integration_head,
    save_with_retry,
)
from conman_domain.usecases.release_notify import notify_release
from conman_domain.usecases.release_shapes import (
    ReleaseDeps,
    ReleaseView,
    compose_ref,
    enqueue_job,
    load_release,
    members_of,
    release_view,
    return_to_draft,
    save_release,
)

__all__ = ["TAG_ATTEMPTS", "PublishRelease"]

TAG_ATTEMPTS = 5
_PUBLISHED = (ReleaseState.PUBLISHED, ReleaseState.DEPLOYED_PARTIAL, ReleaseState.DEPLOYED_FULL)


class PublishRelease:
    """POST releases/:id/publish (CM+) and the follow-up recovery."""

    def __init__(self, deps: ReleaseDeps) -> None:
        self._d = deps

    def __call__(self, caller: Caller, release_id: str) -> ReleaseView:
        check(Capability.PUBLISH_RELEASE, caller.role)
        d = self._d
        app = caller.app
        release = load_release(d, app, release_id)
        if release.state != ReleaseState.VALIDATED:
            raise InvalidTransition(release.state.value, ReleaseState.PUBLISHED.value)
        if not self._gate_passed(release):
            raise Conflict("the release gate has not passed for the composed commit")
        self._check_current(caller, release)
        composed, base = release.composed_sha or "", release.base_sha or ""
        repo = repo_ref(app)
        now = d.clock.now()
        tag = self._create_tag(app, composed, now)
        try:
            d.git.update_ref(
                repo, branch_ref(app.integration_branch), new_sha=composed, expected_old=base
            )
        except Conflict:
            d.git.delete_ref(repo, f"refs/tags/{tag}", expected_old=composed)
            self._abort(caller, release, "the integration branch moved")
            raise Conflict(
                "the integration branch moved since composition; the release is a draft again"
            ) from None

        def published(r: Release) -> None:
            r.state = ReleaseState.PUBLISHED
            r.tag = tag
            r.published_sha = composed
            r.published_at = now
            r.published_by = caller.user_id

        saved = save_release(d, release.id, published)
        d.audit.record(
            caller.actor,
            "release.published",
            app_id=app.id,
            entity_id=saved.id,
            before={"state": release.state},
            after={"state": saved.state, "tag": tag, "published_sha": composed},
            git_sha=composed,
        )
        notify_release(d, NotificationEvent.RELEASE_PUBLISHED, app, saved, caller.user_id)
        self.finish(app, saved, caller.actor)
        return release_view(d, d.repos.releases.get(saved.id))

    # -- checks ----------------------------------------------------------------------

    def _gate_passed(self, release: Release) -> bool:
        """The latest msuite_merge of the release succeeded for composed_sha (§17.9)."""
        if release.validation_job_id is None:
            return False
        try:
            job = self._d.jobs.get(release.validation_job_id)
        except NotFound:
            return False
        return (
            job.state == JobState.SUCCEEDED
            and job.payload.get("composed_sha") == release.composed_sha
        )

    def _check_current(self, caller: Caller, release: Release) -> None:
        d = self._d
        ids = [m.changeset_id for m in members_of(d, release.id)]
        found = {c.id: c for c in d.repos.changesets.all({"id": {"$in": ids}})} if ids else {}
        stale = [i for i in ids if i not in found or found[i].state != ChangesetState.QUEUED]
        if stale:
            self._abort(caller, release, f"changesets no longer queued: {', '.join(stale)}")
            raise Conflict(
                f"changesets no longer queued: {', '.join(stale)}; the release is a draft again"
            )
        if integration_head(d, caller.app) != release.base_sha:
            self._abort(caller, release, "the integration branch moved")
            raise Conflict(
                "the integration branch moved since composition; the release is a draft again"
            )

    def _abort(self, caller: Caller, release: Release, reason: str) -> None:
        back = return_to_draft(self._d, caller.app, release.id)
        if back is not None:
            self._d.audit.record(
                caller.actor,
                "release.assembly_failed",
                app_id=caller.app.id,
                entity_id=release.id,
                before={"state": release.state},
                after={"state": back.state, "outcome": "publish_aborted", "reason": reason},
            )

    def _create_tag(self, app: App, sha: str, now: Any) -> str:
        """``r<date>.<N>`` after git tags and the app's releases of that date; a taken
        name → N+1, at most ``TAG_ATTEMPTS`` times."""
        d = self._d
        repo = repo_ref(app)
        prefix = tag_date_prefix(now)
        taken = {t.name for t in d.git.list_tags(repo) if t.name.startswith(prefix)}
        taken |= {
            r.tag
            for r in d.repos.releases.all({"app_id": app.id, "tag": {"$ne": None}})
            if r.tag is not None and r.tag.startswith(prefix)
        }
        last: Conflict | None = None
        for _ in range(TAG_ATTEMPTS):
            tag = next_release_tag(now, taken)
            try:
                d.git.create_tag(repo, tag, sha)
                return tag
            except Conflict as exc:
                taken.add(tag)
                last = exc
        raise Conflict("could not create a release tag: every candidate name was taken") from last

    # -- follow-ups ------------------------------------------------------------------

    def finish(self, app: App, release: Release, actor: Actor) -> None:
        """Idempotent follow-ups of a publish (§13.4 step 6)."""
        d = self._d
        ids = [m.changeset_id for m in members_of(d, release.id)]
        for cs_id in ids:
            self._release_member(app, release, cs_id, actor)
        self._remove_from_drafts(app, release, set(ids))
        d.git.delete_ref(repo_ref(app), compose_ref(release.id), expected_old=None)
        self._enqueue_revalidation(app, release, actor)

    def _release_member(self, app: App, release: Release, cs_id: str, actor: Actor) -> None:
        """A queued member → released (queue fields cleared); others are left alone."""
        d = self._d
        system = TransitionContext(actor=MachineActor.system_actor())
        before: dict[str, Any] = {}

        def released(cs: Changeset) -> None:
            if cs.state != ChangesetState.QUEUED:
                raise _AlreadyDone
            before["queue_position"] = cs.queue_position
            target = apply(CHANGESET_MACHINE, cs.state, "release", system)
            set_changeset_state(cs, ChangesetState(target))
            cs.release_id = release.id

        if d.repos.changesets.find_one({"id": cs_id}) is None:
            return
        try:
            saved = save_with_retry(d, cs_id, released)
        except _AlreadyDone:
            return
        d.audit.record(
            actor,
            "changeset.released",
            app_id=app.id,
            entity_id=saved.id,
            before={"state": ChangesetState.QUEUED, **before},
            after={"state": saved.state, "release_id": release.id},
            git_sha=release.published_sha,
        )

    def _remove_from_drafts(self, app: App, release: Release, ids: set[str]) -> None:
        """Publishing removes the release's changesets from every draft release."""
        d = self._d
        rows = d.repos.release_changesets.all({"changeset_id": {"$in": sorted(ids)}}) if ids else []
        touched = sorted({r.release_id for r in rows if r.release_id != release.id})
        drafts = (
            d.repos.releases.all(
                {"id": {"$in": touched}, "app_id": app.id, "state": "draft_release"}
            )
            if touched
            else []
        )
        for draft in drafts:
            current = members_of(d, draft.id)
            for member in current:
                if member.changeset_id in ids:
                    d.repos.release_changesets.delete(member.id)
            remaining = [m for m in current if m.changeset_id not in ids]
            for index, member in enumerate(remaining):
                if member.position != index:
                    d.repos.release_changesets.set_fields(
                        member.id, member.version, {"position": index}
                    )
            kept = [m.changeset_id for m in remaining]

            def shrink(r: Release, kept: list[str] = kept) -> None:
                r.ordered_changeset_ids = kept

            save_release(d, draft.id, shrink)

    def _enqueue_revalidation(self, app: App, release: Release, actor: Actor) -> None:
        """One revalidate_queued_changeset per queued changeset in position order, unless
        this release already enqueued one for it."""
        d = self._d
        done = {
            j.entity_id
            for j in d.jobs.list(
                {"app_id": app.id, "job_type": JobType.REVALIDATE_QUEUED_CHANGESET.value,
                 "payload.release_id": release.id},
                limit=1000,
            ).items
        }  # fmt: skip
        queued: list[Changeset] = d.repos.changesets.all(
            {"app_id": app.id, "state": ChangesetState.QUEUED.value},
            sort=(("queue_position", 1),),
        )
        for cs in queued:
            if cs.id in done:
                continue
            enqueue_job(
                d,
                app_id=app.id,
                job_type=JobType.REVALIDATE_QUEUED_CHANGESET,
                entity_type="changeset",
                entity_id=cs.id,
                payload={"changeset_id": cs.id, "release_id": release.id},
                created_by=actor.user_id,
            )

    def recover(self) -> int:
        """The recovery pass (§17.3): finish the follow-ups of published releases whose
        members are still queued. Returns the number of releases finished."""
        d = self._d
        pending = d.repos.changesets.all(
            {"state": ChangesetState.QUEUED.value, "release_id": {"$ne": None}}
        )
        finished = 0
        for release_id in sorted({c.release_id for c in pending if c.release_id is not None}):
            release = d.repos.releases.find_one({"id": release_id})
            if release is None or release.state not in _PUBLISHED:
                continue
            app = d.repos.apps.find_one({"id": release.app_id})
            if app is None:
                continue
            self.finish(app, release, Actor(user_id=release.published_by))
            finished += 1
        return finished


class _AlreadyDone(Exception):
    """The member is no longer queued: an earlier run released it."""
