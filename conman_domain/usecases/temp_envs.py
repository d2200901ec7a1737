"""Temp environment use cases: create, list, read, extend, undo-expire, touch and
delete (API.md §13; DOMAIN.md §16.1-§16.4).

Provisioning, expiry and cleanup run as jobs (``temp_env_jobs``). Every change is a
compare-and-set of the temp env; the state rules live in ``states.temp_env``.
"""

from __future__ import annotations

from typing import Any

import msgspec

from conman_domain.errors import Conflict, FieldError, InvalidTransition, NotFound, Validation
from conman_domain.model import (
    LIVE_TEMP_ENV_STATES,
    App,
    ChangesetState,
    JobType,
    NotificationEvent,
    ProfileKind,
    Role,
    RuntimeProfile,
    TempEnvironment,
    TempEnvKind,
    TempEnvState,
    TypedValue,
)
from conman_domain.rbac import Capability, check
from conman_domain.rules.env_vars import validate_env_vars
from conman_domain.rules.temp_names import (
    temp_db_name,
    temp_host,
    temp_snapshot_branch,
    temp_source_key,
)
from conman_domain.rules.temp_words import ADJECTIVES, NOUNS
from conman_domain.states.machine import Actor as MachineActor
from conman_domain.states.machine import TransitionContext, apply
from conman_domain.states.temp_env import TEMP_ENV_MACHINE, extend, touch, undo_expire
from conman_domain.usecases.changeset_deps import Caller, check_object_id
from conman_domain.usecases.temp_env_shapes import (
    TempEnvDeps,
    TempEnvView,
    enqueue_temp_job,
    load_temp_env,
    notify_creator,
    save_temp_env,
    temp_env_view,
    ttl_and_grace,
)

__all__ = ["CreateTempEnv", "TempEnvFilter", "TempEnvService"]

_HOST_DRAWS = 10
_CLOSED = (ChangesetState.RELEASED, ChangesetState.REJECTED)


class CreateTempEnv(msgspec.Struct, frozen=True, kw_only=True):
    """The create request: exactly one source, an optional base profile and env vars."""

    workspace_id: str | None = None
    changeset_id: str | None = None
    base_runtime_profile_id: str | None = None
    env_var_overrides: dict[str, TypedValue] = msgspec.field(default_factory=dict)


class TempEnvFilter(msgspec.Struct, frozen=True, kw_only=True):
    states: tuple[TempEnvState, ...] = ()
    include_deleted: bool = False


def _machine_actor(caller: Caller) -> MachineActor:
    return MachineActor(user_id=caller.user_id, role=caller.role)


class TempEnvService:
    """The request-side use cases over one ``TempEnvDeps``."""

    def __init__(self, deps: TempEnvDeps) -> None:
        self.deps = deps

    # -- create -------------------------------------------------------------------------

    def create(self, caller: Caller, request: CreateTempEnv) -> TempEnvView:
        """A provisioning temp env with its ``temp_env_provision`` job (201)."""
        if (request.workspace_id is None) == (request.changeset_id is None):
            message = "exactly one of workspace_id and changeset_id is required"
            raise Validation(message, [FieldError("workspace_id", message)])
        check_object_id("workspace_id", request.workspace_id)
        check_object_id("changeset_id", request.changeset_id)
        check_object_id("base_runtime_profile_id", request.base_runtime_profile_id)
        overrides = validate_env_vars(dict(request.env_var_overrides), "env_var_overrides")
        app = caller.app
        kind, source_id, source_name = self._source(app, request)
        base = self._base_profile(app, request.base_runtime_profile_id)
        source_key = temp_source_key(kind, source_id)
        self._no_live(app, source_key)
        d = self.deps
        now, env_id, job_id = d.clock.now(), d.ids.new_id(), d.ids.new_id()
        env = TempEnvironment(
            id=env_id,
            created_at=now,
            updated_at=now,
            app_id=app.id,
            kind=kind,
            workspace_id=request.workspace_id,
            changeset_id=request.changeset_id,
            base_runtime_profile_id=base.id,
            db_name=temp_db_name(app.id, env_id),
            base_url=self._unique_url(app, kind),
            snapshot_branch=temp_snapshot_branch(env_id, kind, source_name),
            provision_job_id=job_id,
            created_by=caller.user_id,
            source_key=source_key,
            env_var_overrides=overrides,
        )
        try:
            stored = d.repos.temp_environments.insert(env)
        except Conflict:
            self._no_live(app, source_key)
            # The URL was taken concurrently: one more draw, with a random suffix.
            env.base_url = self._unique_url(app, kind, suffix=d.ids.hex_token(2))
            stored = d.repos.temp_environments.insert(env)
        enqueue_temp_job(d, stored, JobType.TEMP_ENV_PROVISION, caller.user_id, job_id)
        view = temp_env_view(stored)
        d.audit.record(
            caller.actor,
            "temp_environment.created",
            app_id=app.id,
            entity_id=stored.id,
            after={
                "kind": kind,
                "source_key": source_key,
                "base_runtime_profile_id": base.id,
                "base_url": stored.base_url,
                "provision_job_id": job_id,
            },
        )
        return view

    def _source(self, app: App, request: CreateTempEnv) -> tuple[TempEnvKind, str, str]:
        repos = self.deps.repos
        if request.workspace_id is not None:
            ws = repos.workspaces.find_one({"id": request.workspace_id, "app_id": app.id})
            if ws is None:
                raise NotFound("workspace", request.workspace_id)
            return TempEnvKind.WORKSPACE, ws.id, ws.branch_name
        changeset_id = request.changeset_id or ""
        cs = repos.changesets.find_one({"id": changeset_id, "app_id": app.id})
        if cs is None:
            raise NotFound("changeset", changeset_id)
        if cs.state in _CLOSED:
            raise InvalidTransition(cs.state.value, TempEnvState.PROVISIONING.value)
        return TempEnvKind.CHANGESET, cs.id, cs.id

    def _base_profile(self, app: App, requested: str | None) -> RuntimeProfile:
        """The request's profile (persistent_env), else the default temp base profile,
        else the profile of the environment at position 0 (§16.1)."""
        profiles = self.deps.repos.runtime_profiles
        if requested is not None:
            found = profiles.find_one({"id": requested, "app_id": app.id})
            if found is None:
                raise NotFound("runtime profile", requested)
            if found.kind is not ProfileKind.PERSISTENT_ENV or found.archived:
                message = "the base profile must be a persistent_env profile"
                raise Validation(message, [FieldError("base_runtime_profile_id", message)])
            return found
        profile_id = app.settings.default_temp_base_profile_id
        if profile_id is None:
            first = self.deps.repos.environments.find_one({"app_id": app.id, "position": 0})
            if first is None:
                raise NotFound("environment", "position 0")
            profile_id = first.runtime_profile_id
        found = profiles.find_one({"id": profile_id, "app_id": app.id})
        if found is None:
            raise NotFound("runtime profile", profile_id)
        return found

    def _no_live(self, app: App, source_key: str) -> None:
        live = self.deps.repos.temp_environments.find_one(
            {"app_id": app.id, "source_key": source_key, "live": True}
        )
        if live is not None:
            raise Conflict(f"the source already has a live temp environment: {live.id}")

    def _unique_url(self, app: App, kind: TempEnvKind, suffix: str = "") -> str:
        """``https://<host>``, never used before: up to 10 draws, then a hex suffix."""
        d = self.deps
        domain = app.settings.temp_url_domain or d.config.url_domain
        for attempt in range(_HOST_DRAWS + 1):
            word = f"{d.ids.choice(list(ADJECTIVES))}-{d.ids.choice(list(NOUNS))}"
            extra = suffix or (d.ids.hex_token(2) if attempt == _HOST_DRAWS else "")
            url = f"https://{temp_host(app.name, kind, word, domain, suffix=extra)}"
            if d.repos.temp_environments.find_one({"base_url": url}) is None:
                return url
        raise Conflict("could not draw an unused temp environment URL; try again")

    # -- reads --------------------------------------------------------------------------

    def list(
        self, caller: Caller, flt: TempEnvFilter, page: int = 1, limit: int = 20
    ) -> tuple[list[TempEnvView], int]:
        """created_at descending; deleted ones only with ``include_deleted`` (or when the
        state filter asks for them)."""
        where: dict[str, Any] = {"app_id": caller.app.id}
        if flt.states:
            where["state"] = {"$in": [s.value for s in flt.states]}
        elif not flt.include_deleted:
            where["state"] = {"$ne": TempEnvState.DELETED.value}
        found = self.deps.repos.temp_environments.list(
            where, (("created_at", -1), ("id", -1)), page, limit
        )
        return [temp_env_view(e) for e in found.items], found.total

    def get(self, caller: Caller, temp_env_id: str) -> TempEnvView:
        return temp_env_view(load_temp_env(self.deps, caller.app.id, temp_env_id))

    # -- lifecycle ----------------------------------------------------------------------

    def extend(self, caller: Caller, temp_env_id: str, hours: int) -> TempEnvView:
        """``expires_at += hours`` (creator or CM+; active only; ≤ created_at + 72 h)."""
        if not 1 <= hours <= 48:
            raise Validation("hours must be between 1 and 48", [FieldError("hours", "1..48")])
        env = self._owned(caller, temp_env_id, Capability.EXTEND_TEMP_ENV)
        before = env.expires_at
        saved = save_temp_env(self.deps, env.id, lambda e: extend(e, _machine_actor(caller), hours))
        self._audit(caller, "extended", saved, {"expires_at": before}, {"hours": hours})
        return temp_env_view(saved)

    def undo_expire(self, caller: Caller, temp_env_id: str) -> TempEnvView:
        """expiring → active before ``grace_until`` (creator or CM+); else 410 / 409."""
        env = self._owned(caller, temp_env_id, Capability.UNDO_EXPIRE_TEMP_ENV)
        ttl, _ = ttl_and_grace(self.deps, caller.app, env)
        now = self.deps.clock.now()
        saved = save_temp_env(
            self.deps, env.id, lambda e: undo_expire(e, _machine_actor(caller), now, ttl)
        )
        self._audit(caller, "undo_expired", saved, {"state": env.state}, {})
        return temp_env_view(saved)

    def touch(self, caller: Caller, temp_env_id: str) -> TempEnvView:
        """Activity on an active temp env (any member)."""
        env = load_temp_env(self.deps, caller.app.id, temp_env_id)
        ttl, _ = ttl_and_grace(self.deps, caller.app, env)
        now = self.deps.clock.now()
        saved = save_temp_env(
            self.deps, env.id, lambda e: touch(e, _machine_actor(caller), now, ttl)
        )
        return temp_env_view(saved)

    def touch_source(
        self, app: App, *, workspace_id: str | None = None, changeset_id: str | None = None
    ) -> bool:
        """The activity touch of §16.3 for the live temp env of a workspace or changeset
        (writes, checkpoints, resets, syncs, submits): active envs only, never raises
        for a missing or non-active env. True when an env was touched."""
        kind = TempEnvKind.WORKSPACE if workspace_id is not None else TempEnvKind.CHANGESET
        key = temp_source_key(kind, workspace_id or changeset_id or "")
        env = self.deps.repos.temp_environments.find_one(
            {"app_id": app.id, "source_key": key, "state": TempEnvState.ACTIVE.value}
        )
        if env is None:
            return False
        ttl, _ = ttl_and_grace(self.deps, app, env)
        now = self.deps.clock.now()
        # Activity on the source counts as a member's touch (§16.3 touch sources).
        member = MachineActor(role=Role.USER)
        try:
            save_temp_env(self.deps, env.id, lambda e: touch(e, member, now, ttl))
        except InvalidTransition:
            return False
        return True

    def delete(self, caller: Caller, temp_env_id: str) -> None:
        """active or expiring → deleted; cleanup enqueued (creator or CM+)."""
        env = self._owned(caller, temp_env_id, Capability.DELETE_TEMP_ENV)
        now = self.deps.clock.now()
        actor = _machine_actor(caller)

        def delete(e: TempEnvironment) -> None:
            ctx = TransitionContext(actor=actor, owner_user_id=e.created_by)
            e.state = TempEnvState(apply(TEMP_ENV_MACHINE, e.state, "delete", ctx))
            e.live = e.state in LIVE_TEMP_ENV_STATES
            e.deleted_at = now

        saved = save_temp_env(self.deps, env.id, delete)
        job = enqueue_temp_job(self.deps, saved, JobType.TEMP_ENV_CLEANUP, caller.user_id)
        self._audit(caller, "deleted", saved, {"state": env.state}, {"cleanup_job_id": job.id})
        notify_creator(
            self.deps, NotificationEvent.TEMP_ENV_DELETED, caller.app, saved, caller.user_id
        )

    def _owned(self, caller: Caller, temp_env_id: str, capability: Capability) -> TempEnvironment:
        env = load_temp_env(self.deps, caller.app.id, temp_env_id)
        check(capability, caller.role, is_owner=env.created_by == caller.user_id)
        return env

    def _audit(
        self,
        caller: Caller,
        action: str,
        env: TempEnvironment,
        before: dict[str, Any],
        extra: dict[str, Any],
    ) -> None:
        self.deps.audit.record(
            caller.actor,
            f"temp_environment.{action}",
            app_id=env.app_id,
            entity_id=env.id,
            before=before,
            after={"state": env.state, "expires_at": env.expires_at, **extra},
        )
