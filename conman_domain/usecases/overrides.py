"""Changeset profile overrides: read (secrets masked) and replace (DOMAIN.md §15.6;
API.md §9 profile-overrides).

One document per (changeset, target environment); ``target_profile_id`` is the
environment's profile at write time. Secret plaintext is encrypted through
``CipherPort`` with AAD ``<app_id>|<target_profile_id>|<key>`` and never leaves this
module except as a masked preview.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from conman_domain.errors import FieldError, InvalidTransition, NotFound, Validation
from conman_domain.model import ChangesetProfileOverride, ChangesetState, Environment
from conman_domain.model.overrides import OverrideOperation, SecretOverride
from conman_domain.model.profiles import ProfileKind
from conman_domain.ports.secrets import SecretAad
from conman_domain.rbac import Capability, check
from conman_domain.rules.masking import mask_secret
from conman_domain.usecases.changeset_deps import Caller, ChangesetDeps, load_changeset
from conman_domain.usecases.changeset_shapes import summaries
from conman_domain.usecases.override_input import KeepSecret, OverrideInput, validate_inputs

__all__ = ["EDITABLE_STATES", "OverrideSet", "OverrideView", "OverridesService", "SecretView"]

S = ChangesetState
EDITABLE_STATES = frozenset({S.DRAFT, S.SUBMITTED, S.IN_REVIEW, S.CHANGES_REQUESTED, S.APPROVED})


class SecretView(msgspec.Struct, kw_only=True):
    operation: OverrideOperation
    masked: str | None


class OverrideView(msgspec.Struct, kw_only=True):
    """API shape Override (secrets masked)."""

    id: str
    target_environment_id: str
    target_profile_id: str
    env_vars: dict[str, Any]
    secrets: dict[str, SecretView]
    base_url: str | None
    database: dict[str, Any]
    data_strategy: dict[str, Any]
    created_by: str
    updated_by: str
    created_at: datetime
    updated_at: datetime


class OverrideSet(msgspec.Struct, kw_only=True):
    changeset_id: str
    overrides: list[OverrideView]


class OverridesService:
    def __init__(self, deps: ChangesetDeps) -> None:
        self._d = deps

    def get(self, caller: Caller, changeset_id: str) -> OverrideSet:
        cs = load_changeset(self._d, caller.app, changeset_id)
        return self._set(caller, cs.id)

    def replace(
        self, caller: Caller, changeset_id: str, inputs: list[OverrideInput]
    ) -> OverrideSet:
        """PUT: the body replaces the whole set; ``[]`` clears it."""
        d = self._d
        inputs = validate_inputs(inputs)
        cs = load_changeset(d, caller.app, changeset_id)
        envs = {e.id: e for e in d.repos.environments.all({"app_id": caller.app.id})}
        for entry in inputs:
            if entry.target_environment_id not in envs:
                raise NotFound("environment", entry.target_environment_id)
            self._check_base_profile(caller, entry)
        check(Capability.EDIT_OVERRIDES, caller.role, caller.user_id == cs.author_user_id)
        if cs.state not in EDITABLE_STATES:
            raise InvalidTransition(cs.state.value, cs.state.value)
        existing = {
            o.target_environment_id: o
            for o in d.repos.profile_overrides.all({"changeset_id": cs.id})
        }
        before = summaries(o.snapshot() for o in existing.values())
        docs = [
            self._document(caller, cs.id, i, entry, envs[entry.target_environment_id], existing)
            for i, entry in enumerate(inputs)
        ]
        for doc in docs:
            if doc.target_environment_id in existing:
                d.repos.profile_overrides.save(doc)
            else:
                d.repos.profile_overrides.insert(doc)
        kept = {doc.target_environment_id for doc in docs}
        for env_id, old in existing.items():
            if env_id not in kept:
                d.repos.profile_overrides.delete(old.id)
        d.audit.record(
            caller.actor,
            "profile_override.updated",
            app_id=caller.app.id,
            entity_id=cs.id,
            before=before,
            after=summaries(doc.snapshot() for doc in docs),
        )
        return self._set(caller, cs.id)

    def _check_base_profile(self, caller: Caller, entry: OverrideInput) -> None:
        profile_id = entry.database.base_profile_id
        if not isinstance(profile_id, str):
            return
        found = self._d.repos.runtime_profiles.find_one({"id": profile_id, "app_id": caller.app.id})
        if found is None or found.kind is not ProfileKind.PERSISTENT_ENV:
            raise NotFound("runtime profile", profile_id)

    def _document(  # noqa: PLR0917
        self,
        caller: Caller,
        changeset_id: str,
        index: int,
        entry: OverrideInput,
        env: Environment,
        existing: dict[str, ChangesetProfileOverride],
    ) -> ChangesetProfileOverride:
        d = self._d
        now = d.clock.now()
        profile_id = env.runtime_profile_id
        old = existing.get(env.id)
        secrets: dict[str, SecretOverride] = {}
        for key, value in entry.secrets.items():
            aad = SecretAad(app_id=caller.app.id, profile_id=profile_id, key=key)
            if value is None:
                secrets[key] = SecretOverride(operation=OverrideOperation.REMOVE)
            elif isinstance(value, KeepSecret):
                secrets[key] = self._kept(caller, index, key, old, aad)
            else:
                assert isinstance(value, str)
                record = d.cipher.encrypt(value, aad)
                secrets[key] = SecretOverride(operation=OverrideOperation.SET, record=record)
        doc = ChangesetProfileOverride(
            id=old.id if old else d.ids.new_id(),
            created_at=old.created_at if old else now,
            updated_at=now,
            version=old.version if old else 0,
            app_id=caller.app.id,
            changeset_id=changeset_id,
            target_environment_id=env.id,
            target_profile_id=profile_id,
            env_var_overrides_typed=dict(entry.env_vars),
            secret_overrides_encrypted=secrets,
            base_url=entry.base_url,
            database_overrides=entry.database,
            data_overrides=entry.data_strategy,
            created_by=old.created_by if old else caller.user_id,
            updated_by=caller.user_id,
        )
        return doc

    def _kept(
        self,
        caller: Caller,
        index: int,
        key: str,
        old: ChangesetProfileOverride | None,
        aad: SecretAad,
    ) -> SecretOverride:
        """``{"keep": true}``: the stored secret override (re-encrypted if the target
        profile changed since); 400 when there is none."""
        stored = None if old is None else old.secret_overrides_encrypted.get(key)
        if stored is None or old is None:
            field = f"overrides[{index}].secrets.{key}"
            raise Validation(
                f"{field}: no stored secret override to keep",
                [FieldError(field, "nothing to keep")],
            )
        if stored.record is None or old.target_profile_id == aad.profile_id:
            return stored
        old_aad = SecretAad(app_id=caller.app.id, profile_id=old.target_profile_id, key=key)
        plaintext = self._d.cipher.decrypt(stored.record, old_aad)
        return SecretOverride(
            operation=OverrideOperation.SET, record=self._d.cipher.encrypt(plaintext, aad)
        )

    def _set(self, caller: Caller, changeset_id: str) -> OverrideSet:
        d = self._d
        positions = {e.id: e.position for e in d.repos.environments.all({"app_id": caller.app.id})}
        docs = sorted(
            d.repos.profile_overrides.all({"changeset_id": changeset_id}),
            key=lambda o: (positions.get(o.target_environment_id, 1 << 30), o.id),
        )
        return OverrideSet(
            changeset_id=changeset_id, overrides=[self._view(caller, o) for o in docs]
        )

    def _view(self, caller: Caller, doc: ChangesetProfileOverride) -> OverrideView:
        secrets = {}
        for key, so in sorted(doc.secret_overrides_encrypted.items()):
            masked = None
            if so.operation is OverrideOperation.SET and so.record is not None:
                aad = SecretAad(app_id=caller.app.id, profile_id=doc.target_profile_id, key=key)
                masked = mask_secret(self._d.cipher.decrypt(so.record, aad))
            secrets[key] = SecretView(operation=so.operation, masked=masked)
        return OverrideView(
            id=doc.id,
            target_environment_id=doc.target_environment_id,
            target_profile_id=doc.target_profile_id,
            env_vars={
                k: None if v is None else msgspec.to_builtins(v)
                for k, v in sorted(doc.env_var_overrides_typed.items())
            },
            secrets=secrets,
            base_url=doc.base_url,
            database=msgspec.to_builtins(doc.database_overrides),
            data_strategy=msgspec.to_builtins(doc.data_overrides),
            created_by=doc.created_by,
            updated_by=doc.updated_by,
            created_at=doc.created_at,
            updated_at=doc.updated_at,
        )
