"""Runtime profiles: list, read, create, edit, revisions, revert, rotate-key and reveal
(API.md §7; DOMAIN.md §15).

Every write is a compare-and-set on the profile's ``version`` (a lost race → 409) that
sets ``current_revision``, followed by the insert of that revision (unique per
``(runtime_profile_id, revision_number)``). Secrets are encrypted with AAD
``<app_id>|<profile_id>|<key>`` and leave this module masked, except through reveal.
"""

from __future__ import annotations

import msgspec

from conman_domain.errors import Conflict, FieldError, NotFound, Validation
from conman_domain.model import Environment
from conman_domain.model.profiles import (
    ChangeKind,
    ProfileKind,
    ProfileRevision,
    ProfileSnapshot,
    RuntimeProfile,
    SecretRecord,
)
from conman_domain.ports.secrets import SecretAad
from conman_domain.rbac import Capability, check
from conman_domain.usecases.apps import new_profile
from conman_domain.usecases.changeset_deps import Caller
from conman_domain.usecases.profile_effects import (
    affected_environments,
    audit_payload,
    change_summary,
    enqueue_drift_checks,
    notify_changed,
)
from conman_domain.usecases.profile_input import (
    ProfilePatch,
    apply_patch,
    assign_content,
    check_content,
    check_note,
    check_patch,
    secret_times,
)
from conman_domain.usecases.profile_shapes import (
    ProfileDeps,
    ProfileRevisionView,
    RevealView,
    RuntimeProfileView,
    profile_view,
    revision_view,
)

__all__ = ["ProfilesService"]

_TEMP_KINDS = frozenset({ProfileKind.TEMP_WORKSPACE, ProfileKind.TEMP_CHANGESET})


def _bad(field: str, message: str) -> Validation:
    return Validation(f"{field}: {message}", [FieldError(field, message)])


class ProfilesService:
    """The use cases of API.md §7 (the HTTP shell has checked membership and role)."""

    def __init__(self, deps: ProfileDeps) -> None:
        self._d = deps

    # -- reading ------------------------------------------------------------------

    def list_for(
        self,
        caller: Caller,
        *,
        kind: ProfileKind | None,
        include_archived: bool,
        page: int,
        limit: int,
    ) -> tuple[list[RuntimeProfileView], int]:
        """Profiles by name ascending (archived ones only when asked), masked."""
        where: dict[str, object] = {"app_id": caller.app.id}
        if kind is not None:
            where["kind"] = kind.value
        if not include_archived:
            where["archived"] = False
        found = self._d.repos.runtime_profiles.list(
            where, sort=(("name", 1),), page=page, limit=limit
        )
        return [profile_view(self._d, p) for p in found.items], found.total

    def get(self, caller: Caller, profile_id: str) -> RuntimeProfileView:
        return profile_view(self._d, self._load(caller, profile_id))

    def revisions(
        self, caller: Caller, profile_id: str, page: int, limit: int
    ) -> tuple[list[ProfileRevisionView], int]:
        """Revisions by revision_number descending, snapshots masked."""
        profile = self._load(caller, profile_id)
        found = self._d.repos.profile_revisions.list(
            {"runtime_profile_id": profile.id, "app_id": caller.app.id},
            sort=(("revision_number", -1),),
            page=page,
            limit=limit,
        )
        return [revision_view(self._d, r) for r in found.items], found.total

    def reveal(self, caller: Caller, profile_id: str, key: str) -> RevealView:
        """The plaintext of one secret (app_admin); audited with the key only."""
        check(Capability.REVEAL_SECRETS, caller.role)
        profile = self._load(caller, profile_id)
        record = profile.secrets.get(key)
        if record is None:
            raise NotFound("secret", key)
        value = self._d.cipher.decrypt(record, self._d.aad(profile, key))
        self._d.audit.record(
            caller.actor,
            "runtime_profile.secret_revealed",
            app_id=caller.app.id,
            entity_id=profile.id,
            after={"key": key},
        )
        return RevealView(key=key, value=value)

    # -- writing ------------------------------------------------------------------

    def create(self, caller: Caller, kind: ProfileKind, patch: ProfilePatch) -> RuntimeProfileView:
        """A persistent_env profile, unattached, at revision 1 (``created``)."""
        check(Capability.MANAGE_PROFILES, caller.role)
        patch = check_patch(patch, create=True)
        if kind is not ProfileKind.PERSISTENT_ENV:
            raise _bad("kind", 'must be "persistent_env"')
        if not isinstance(patch.name, str):
            raise _bad("name", "is required")
        d = self._d
        profile_id = d.ids.new_id()

        def encrypt(key: str, plaintext: str) -> SecretRecord:
            aad = SecretAad(app_id=caller.app.id, profile_id=profile_id, key=key)
            return d.cipher.encrypt(plaintext, aad)

        merged = apply_patch(ProfileSnapshot(name=patch.name), patch, encrypt)
        self._check_semantics(caller, profile_id, merged.content)
        self._check_name_free(caller, merged.content.name, None)
        profile = new_profile(
            d.identity,
            app_id=caller.app.id,
            name=merged.content.name,
            kind=kind,
            environment_id=None,
            created_by=caller.user_id,
            now=d.clock.now(),
            profile_id=profile_id,
            content=merged.content,
            change_note=patch.note(),
        )
        _, after = change_summary(ProfileSnapshot(name=profile.name), profile.snapshot())
        after.update(kind=kind.value, environment_id=None, revision_number=1)
        after.pop("secrets_written", None)
        after.pop("secrets_removed", None)
        d.audit.record(
            caller.actor,
            "runtime_profile.created",
            app_id=caller.app.id,
            entity_id=profile.id,
            after=after,
        )
        return profile_view(d, profile)

    def update(self, caller: Caller, profile_id: str, patch: ProfilePatch) -> RuntimeProfileView:
        """Merge ``patch``; ``direct_edit`` for attached and app_defaults profiles."""
        check(Capability.MANAGE_PROFILES, caller.role)
        patch = check_patch(patch, create=False)
        d = self._d
        profile = self._load(caller, profile_id)
        self._check_editable(profile)

        def encrypt(key: str, plaintext: str) -> SecretRecord:
            return d.cipher.encrypt(plaintext, d.aad(profile, key))

        merged = apply_patch(profile.snapshot(), patch, encrypt)
        self._check_semantics(caller, profile.id, merged.content)
        self._check_name_free(caller, merged.content.name, profile.id)
        envs = affected_environments(d, profile)
        direct = profile.kind is ProfileKind.APP_DEFAULTS or bool(envs or profile.environment_id)
        kind = ChangeKind.DIRECT_EDIT if direct else ChangeKind.UPDATED
        return self._commit(caller, profile, merged.content, kind, patch.note(), envs)

    def revert(
        self, caller: Caller, profile_id: str, revision_number: int, change_note: str | None
    ) -> RuntimeProfileView:
        """A new revision (``reverted``) with the content of ``revision_number``."""
        check(Capability.MANAGE_PROFILES, caller.role)
        if revision_number < 1:
            raise _bad("revision_number", "must be an integer >= 1")
        check_note(change_note)
        d = self._d
        profile = self._load(caller, profile_id)
        old = d.repos.profile_revisions.find_one(
            {"runtime_profile_id": profile.id, "revision_number": revision_number}
        )
        if old is None:
            raise NotFound("runtime profile revision", str(revision_number))
        self._check_editable(profile)
        self._check_name_free(caller, old.snapshot.name, profile.id)
        envs = affected_environments(d, profile)
        return self._commit(
            caller, profile, old.snapshot, ChangeKind.REVERTED, change_note, envs, revision_number
        )

    def rotate_key(self, caller: Caller, profile_id: str) -> RuntimeProfileView:
        """Re-encrypt every secret under a fresh DEK (same plaintext; no drift)."""
        check(Capability.MANAGE_PROFILES, caller.role)
        d = self._d
        profile = self._load(caller, profile_id)
        self._check_editable(profile)
        secrets = {
            key: d.cipher.encrypt(d.cipher.decrypt(rec, d.aad(profile, key)), d.aad(profile, key))
            for key, rec in profile.secrets.items()
        }
        content = msgspec.structs.replace(profile.snapshot(), secrets=secrets)
        return self._commit(caller, profile, content, ChangeKind.KEY_ROTATED, None, [])

    # -- helpers ------------------------------------------------------------------

    def _load(self, caller: Caller, profile_id: str) -> RuntimeProfile:
        found = self._d.repos.runtime_profiles.find_one({"id": profile_id, "app_id": caller.app.id})
        if found is None:
            raise NotFound("runtime profile", profile_id)
        return found

    @staticmethod
    def _check_editable(profile: RuntimeProfile) -> None:
        if profile.kind in _TEMP_KINDS:
            raise Conflict(f"{profile.kind.value} profiles are read-only")
        if profile.archived:
            raise Conflict("the runtime profile is archived")

    def _check_name_free(self, caller: Caller, name: str, own_id: str | None) -> None:
        taken = self._d.repos.runtime_profiles.find_one(
            {"app_id": caller.app.id, "name": name, "archived": False}
        )
        if taken is not None and taken.id != own_id:
            raise Conflict(f"a runtime profile named {name} already exists")

    def _check_semantics(self, caller: Caller, profile_id: str, content: ProfileSnapshot) -> None:
        """Cross-field rules, the base profile (404 when unknown) and connection_ref."""
        check_content(content)
        base_id = content.database.base_profile_id
        if base_id is not None:
            base = self._d.repos.runtime_profiles.find_one({"id": base_id, "app_id": caller.app.id})
            if base is None:
                raise NotFound("runtime profile", base_id)
            if base.kind is not ProfileKind.PERSISTENT_ENV or base.id == profile_id:
                raise _bad("database.base_profile_id", "must be another persistent_env profile")
        ref = content.database.connection_ref
        if ref is not None and ref not in content.secrets:
            defaults_id = caller.app.defaults_profile_id
            defaults = None
            if defaults_id is not None and defaults_id != profile_id:
                defaults = self._d.repos.runtime_profiles.find_one({"id": defaults_id})
            if defaults is None or ref not in defaults.secrets:
                raise _bad(
                    "database.connection_ref",
                    "must name a secret of this profile or of the app defaults",
                )

    def _commit(  # noqa: PLR0917
        self,
        caller: Caller,
        profile: RuntimeProfile,
        content: ProfileSnapshot,
        kind: ChangeKind,
        note: str | None,
        envs: list[Environment],
        reverted_to: int | None = None,
    ) -> RuntimeProfileView:
        """CAS-write ``content`` as the next revision, then audit, and for a direct edit
        or a revert of an attached profile enqueue drift checks and notify."""
        d = self._d
        before, original = profile.snapshot(), msgspec.structs.replace(profile)
        now = d.clock.now()
        number, revision_id = profile.current_revision + 1, d.ids.new_id()
        if kind is not ChangeKind.KEY_ROTATED:
            profile.secrets_updated_at = secret_times(profile, content, now)
        assign_content(profile, content)
        profile.current_revision, profile.current_revision_id = number, revision_id
        saved = d.repos.runtime_profiles.save(profile)  # lost race / taken name → 409
        revision = ProfileRevision(
            id=revision_id,
            created_at=now,
            app_id=saved.app_id,
            runtime_profile_id=saved.id,
            revision_number=number,
            change_kind=kind,
            change_note=note,
            reverted_to_revision=reverted_to,
            snapshot=saved.snapshot(),
            created_by=caller.user_id,
        )
        try:
            d.repos.profile_revisions.insert(revision)
        except Conflict:
            # The revision number is taken (a writer outside this protocol): put the
            # profile back so that it never points at a revision it does not have.
            d.repos.runtime_profiles.save(msgspec.structs.replace(original, version=saved.version))
            raise
        old, new = audit_payload(before, saved, kind, reverted_to)
        d.audit.record(
            caller.actor,
            f"runtime_profile.{kind.value}",
            app_id=caller.app.id,
            entity_id=saved.id,
            before=old,
            after=new,
        )
        attached = saved.kind is ProfileKind.APP_DEFAULTS or bool(envs or saved.environment_id)
        if kind is ChangeKind.DIRECT_EDIT or (kind is ChangeKind.REVERTED and attached):
            enqueue_drift_checks(d, saved, envs, caller.user_id)
            notify_changed(d, caller.app, saved, caller.user_id)
        return profile_view(d, saved)
