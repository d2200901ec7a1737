"""Environments of an app: list and full replacement (API.md §6; DOMAIN.md §5)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import msgspec

from conman_domain.errors import Conflict, FieldError, NotFound, Validation
from conman_domain.model import App, Environment, ProfileKind, RuntimeProfile
from conman_domain.rules import (
    NEW_ENVIRONMENT_ID,
    EnvironmentEntry,
    env_branch_ref,
    validate_environment_list,
)
from conman_domain.usecases.apps import new_profile
from conman_domain.usecases.audit import Actor
from conman_domain.usecases.identity import IdentityDeps

__all__ = ["EnvironmentView", "EnvironmentsService", "environment_view"]


class EnvironmentView(msgspec.Struct, kw_only=True):
    """API shape Environment."""

    id: str
    app_id: str
    name: str
    slug: str
    position: int
    is_canonical: bool
    runtime_profile_id: str
    branch_ref: str
    current_release_id: str | None
    current_deployment_id: str | None
    last_deployed_at: datetime | None
    created_at: datetime
    updated_at: datetime


def environment_view(env: Environment) -> EnvironmentView:
    return EnvironmentView(
        id=env.id,
        app_id=env.app_id,
        name=env.name,
        slug=env.slug,
        position=env.position,
        is_canonical=env.is_canonical,
        runtime_profile_id=env.runtime_profile_id,
        branch_ref=env.branch_ref,
        current_release_id=env.current_release_id,
        current_deployment_id=env.current_deployment_id,
        last_deployed_at=env.last_deployed_at,
        created_at=env.created_at,
        updated_at=env.updated_at,
    )


class EnvironmentsService:
    def __init__(self, deps: IdentityDeps) -> None:
        self._d = deps

    def sorted_list(self, app: App) -> list[EnvironmentView]:
        envs = self._d.repos.environments.all({"app_id": app.id}, sort=(("position", 1),))
        return [environment_view(e) for e in envs]

    def replace(
        self, app: App, actor: Actor, entries: Sequence[EnvironmentEntry]
    ) -> list[EnvironmentView]:
        slugs = validate_environment_list(entries)
        repos = self._d.repos
        current = {e.id: e for e in repos.environments.all({"app_id": app.id})}
        for entry in entries:
            if entry.id != NEW_ENVIRONMENT_ID and entry.id not in current:
                raise NotFound("environment", entry.id)
        profiles = self._check_profiles(app, entries, current)
        kept = {e.id for e in entries if e.id != NEW_ENVIRONMENT_ID}
        omitted = [env for env_id, env in current.items() if env_id not in kept]
        for env in omitted:
            if repos.deployments.find_one({"environment_id": env.id, "active": True}):
                raise Conflict(f"environment {env.name} has an active deployment")
        # The compare-and-set on the app's version serializes concurrent edits.
        version = repos.apps.set_fields(app.id, app.version, {"name": app.name})
        before = [environment_view(e) for e in sorted(current.values(), key=lambda e: e.position)]
        now = self._d.clock.now()
        for env in omitted:
            repos.environments.delete(env.id)
            self._detach(env.runtime_profile_id)
        # Pass 1: move kept environments out of the way of every unique index.
        staged: dict[str, Environment] = {}
        for i, env_id in enumerate(sorted(kept)):
            env = current[env_id]
            env.position = -(i + 1)
            env.is_canonical = False
            env.name_lower = env.slug = f"~{env.id}"
            staged[env_id] = repos.environments.save(env)
        taken_refs = [e.branch_ref for e in current.values()]
        canonical_id = ""
        for entry, slug in zip(entries, slugs, strict=True):
            if entry.id == NEW_ENVIRONMENT_ID:
                continue
            env = staged[entry.id]
            old_profile = env.runtime_profile_id
            env.name, env.name_lower, env.slug = entry.name, entry.name.lower(), slug
            env.position, env.is_canonical = entry.position, entry.is_canonical
            if entry.runtime_profile_id and entry.runtime_profile_id != old_profile:
                env.runtime_profile_id = entry.runtime_profile_id
                self._detach(old_profile)
                self._attach(profiles[entry.runtime_profile_id], env.id)
            repos.environments.save(env)
            if entry.is_canonical:
                canonical_id = env.id
        for entry, slug in zip(entries, slugs, strict=True):
            if entry.id != NEW_ENVIRONMENT_ID:
                continue
            env_id = self._d.ids.new_id()
            if entry.runtime_profile_id:
                profile_id = entry.runtime_profile_id
                self._attach(profiles[profile_id], env_id)
            else:
                profile_id = self._new_profile(app, entry.name, env_id, actor, now).id
            ref = env_branch_ref(slug, taken_refs)
            taken_refs.append(ref)
            repos.environments.insert(
                Environment(
                    id=env_id,
                    created_at=now,
                    updated_at=now,
                    app_id=app.id,
                    name=entry.name,
                    name_lower=entry.name.lower(),
                    slug=slug,
                    position=entry.position,
                    is_canonical=entry.is_canonical,
                    runtime_profile_id=profile_id,
                    branch_ref=ref,
                )
            )
            if entry.is_canonical:
                canonical_id = env_id
        settings = msgspec.structs.replace(app.settings, canonical_env_id=canonical_id)
        repos.apps.set_fields(app.id, version, {"settings": msgspec.to_builtins(settings)})
        after = self.sorted_list(app)
        self._d.audit.record(
            actor,
            "app.environments_updated",
            app_id=app.id,
            entity_id=app.id,
            before=before,
            after=after,
        )
        return after

    def _check_profiles(
        self, app: App, entries: Sequence[EnvironmentEntry], current: dict[str, Environment]
    ) -> dict[str, RuntimeProfile]:
        repos = self._d.repos
        attached = {e.runtime_profile_id: e.id for e in current.values()}
        found: dict[str, RuntimeProfile] = {}
        for i, entry in enumerate(entries):
            profile_id = entry.runtime_profile_id
            if profile_id is None:
                continue
            profile = repos.runtime_profiles.find_one({"id": profile_id, "app_id": app.id})
            if profile is None:
                raise NotFound("runtime_profile", profile_id)
            own = (
                entry.id != NEW_ENVIRONMENT_ID
                and current[entry.id].runtime_profile_id == profile_id
            )
            if not own and (
                profile.kind is not ProfileKind.PERSISTENT_ENV or profile_id in attached
            ):
                field = f"environments[{i}].runtime_profile_id"
                message = "must be the entry's profile or an unattached persistent_env profile"
                raise Validation(f"{field}: {message}", [FieldError(field, message)])
            found[profile_id] = profile
        return found

    def _detach(self, profile_id: str) -> None:
        profile = self._d.repos.runtime_profiles.find_one({"id": profile_id})
        if profile is not None:
            self._d.repos.runtime_profiles.set_fields(
                profile.id, profile.version, {"environment_id": None}
            )

    def _attach(self, profile: RuntimeProfile, env_id: str) -> None:
        latest = self._d.repos.runtime_profiles.get(profile.id)
        self._d.repos.runtime_profiles.set_fields(
            latest.id, latest.version, {"environment_id": env_id}
        )

    def _new_profile(
        self, app: App, name: str, env_id: str, actor: Actor, now: datetime
    ) -> RuntimeProfile:
        existing = {
            p.name
            for p in self._d.repos.runtime_profiles.all({"app_id": app.id, "archived": False})
        }
        unique = name
        n = 2
        while unique in existing:
            unique = f"{name}-{n}"
            n += 1
        profile = new_profile(
            self._d,
            app_id=app.id,
            name=unique,
            kind=ProfileKind.PERSISTENT_ENV,
            environment_id=env_id,
            created_by=actor.user_id,
            now=now,
        )
        self._d.audit.record(
            actor,
            "runtime_profile.created",
            app_id=app.id,
            entity_id=profile.id,
            after={"name": unique, "kind": ProfileKind.PERSISTENT_ENV, "environment_id": env_id},
        )
        return profile
