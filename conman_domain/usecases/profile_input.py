"""The input of runtime-profile writes, its validation and the merge (DOMAIN.md §15.2;
API.md §7).

A create is a patch applied to the default content. ``UNSET`` means "not provided";
``None`` is a real value (a removal in ``env_vars``/``secrets``, a null field
elsewhere). Every problem is a 400 naming the field, e.g. ``env_vars.PORT``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

import msgspec
from msgspec import UNSET, UnsetType

from conman_domain.errors import FieldError, Validation
from conman_domain.model.base import Value
from conman_domain.model.profiles import (
    DatabaseSettings,
    DataStrategy,
    ProfileSnapshot,
    ProvisioningMode,
    RuntimeProfile,
    SecretRecord,
    SeedMode,
    TypedValue,
)
from conman_domain.rules.env_vars import (
    MAX_ENV_VARS,
    MAX_SECRETS,
    validate_env_key,
    validate_env_vars,
    validate_secret_values,
)

__all__ = [
    "CHANGE_NOTE_MAX",
    "DataStrategyPatch",
    "DatabasePatch",
    "LifecyclePatch",
    "MergeResult",
    "MigrationsPatch",
    "ProfilePatch",
    "apply_patch",
    "assign_content",
    "check_content",
    "check_note",
    "check_patch",
    "secret_times",
]

NAME_MAX = 64
URL_MAX = 2048
CHANGE_NOTE_MAX = 500
MAX_REPO_PATHS = 20
COMMAND_MAX = 4096
STATE_REF_MAX = 256
SEED_SOURCE_MAX = 1024
_ID = re.compile(r"[0-9a-f]{24}")
S = TypeVar("S", bound=msgspec.Struct)


class DatabasePatch(Value, frozen=True, kw_only=True):
    engine: str | UnsetType = UNSET
    connection_ref: str | UnsetType | None = UNSET
    provisioning_mode: ProvisioningMode | UnsetType = UNSET
    base_profile_id: str | UnsetType | None = UNSET


class MigrationsPatch(Value, frozen=True, kw_only=True):
    repo_paths: list[str] | UnsetType = UNSET
    command_ref: str | UnsetType | None = UNSET
    applied_state_ref: str | UnsetType | None = UNSET


class DataStrategyPatch(Value, frozen=True, kw_only=True):
    seed_mode: SeedMode | UnsetType = UNSET
    seed_source_ref: str | UnsetType | None = UNSET


class LifecyclePatch(Value, frozen=True, kw_only=True):
    ttl_idle_hours: int | UnsetType | None = UNSET
    grace_hours: int | UnsetType | None = UNSET
    auto_cleanup: bool | UnsetType = UNSET


class ProfilePatch(Value, frozen=True, kw_only=True):
    """A create or PATCH body as the use cases see it (secrets as plaintext)."""

    name: str | UnsetType = UNSET
    base_url: str | UnsetType | None = UNSET
    env_vars: dict[str, TypedValue | None] | UnsetType = UNSET
    secrets: dict[str, str | None] | UnsetType = UNSET
    database: DatabasePatch | UnsetType = UNSET
    migrations: MigrationsPatch | UnsetType = UNSET
    data_strategy: DataStrategyPatch | UnsetType = UNSET
    lifecycle: LifecyclePatch | UnsetType = UNSET
    change_note: str | UnsetType | None = UNSET

    def has_content(self) -> bool:
        """Whether any content field (anything but ``change_note``) is provided."""
        return any(
            getattr(self, f) is not UNSET for f in self.__struct_fields__ if f != "change_note"
        )

    def note(self) -> str | None:
        return None if isinstance(self.change_note, UnsetType) else self.change_note


class MergeResult(msgspec.Struct, frozen=True, kw_only=True):
    """The merged content and which secret keys were written or removed."""

    content: ProfileSnapshot
    secrets_set: list[str]
    secrets_removed: list[str]


def _bad(field: str, message: str) -> Validation:
    return Validation(f"{field}: {message}", [FieldError(field, message)])


def _check_len(field: str, value: Any, low: int, high: int) -> None:
    if isinstance(value, str) and not low <= len(value) <= high:
        raise _bad(field, f"must be {low}..{high} characters")


def _check_range(field: str, value: Any, low: int, high: int) -> None:
    if isinstance(value, int) and not low <= value <= high:
        raise _bad(field, f"must be {low}..{high}")


def _check_url(url: str) -> None:
    parts = urlsplit(url)
    if len(url) > URL_MAX or parts.scheme not in ("http", "https") or not parts.netloc:
        raise _bad("base_url", "must be an absolute http or https URL of at most 2048 characters")


def _check_repo_path(index: int, path: str) -> None:
    segments = path.rstrip("/").split("/")
    if (
        not path
        or path.startswith("/")
        or "\\" in path
        or "\x00" in path
        or any(s in {"", ".", ".."} for s in segments)
    ):
        raise _bad(f"migrations.repo_paths[{index}]", "must be a repo-relative directory")


def _check_database(db: DatabasePatch) -> None:
    if isinstance(db.engine, str) and db.engine != "mongodb":
        raise _bad("database.engine", 'must be "mongodb"')
    if isinstance(db.connection_ref, str):
        validate_env_key(db.connection_ref, "database.connection_ref")
    if isinstance(db.base_profile_id, str) and not _ID.fullmatch(db.base_profile_id):
        raise _bad("database.base_profile_id", "malformed id")


def _check_migrations(mig: MigrationsPatch) -> None:
    if isinstance(mig.repo_paths, list):
        if len(mig.repo_paths) > MAX_REPO_PATHS:
            raise _bad("migrations.repo_paths", f"at most {MAX_REPO_PATHS} directories")
        for i, path in enumerate(mig.repo_paths):
            _check_repo_path(i, path)
    _check_len("migrations.command_ref", mig.command_ref, 1, COMMAND_MAX)
    _check_len("migrations.applied_state_ref", mig.applied_state_ref, 1, STATE_REF_MAX)


def check_note(note: str | None) -> None:
    """A change note is at most 500 characters."""
    _check_len("change_note", note, 0, CHANGE_NOTE_MAX)


def check_patch(patch: ProfilePatch, *, create: bool) -> ProfilePatch:
    """Field-by-field checks that need no stored data (step 9 of API.md §1.4).

    Returns the patch normalized (numbers as doubles). ``create`` forbids removals.
    """
    if not create and not patch.has_content():
        raise _bad("body", "at least one content field is required")
    _check_len("name", patch.name, 1, NAME_MAX)
    if isinstance(patch.base_url, str):
        _check_url(patch.base_url)
    _check_len("change_note", patch.change_note, 0, CHANGE_NOTE_MAX)
    env_vars = patch.env_vars
    if isinstance(env_vars, dict):
        if create and (removed := [k for k, v in env_vars.items() if v is None]):
            raise _bad(f"env_vars.{removed[0]}", "must be a TypedValue")
        env_vars = validate_env_vars(env_vars)
    if isinstance(patch.secrets, dict):
        if create and (removed := [k for k, v in patch.secrets.items() if v is None]):
            raise _bad(f"secrets.{removed[0]}", "must be a string")
        validate_secret_values(patch.secrets)
    if isinstance(patch.database, DatabasePatch):
        _check_database(patch.database)
    if isinstance(patch.migrations, MigrationsPatch):
        _check_migrations(patch.migrations)
    if isinstance(patch.data_strategy, DataStrategyPatch):
        _check_len(
            "data_strategy.seed_source_ref", patch.data_strategy.seed_source_ref, 1, SEED_SOURCE_MAX
        )
    if isinstance(patch.lifecycle, LifecyclePatch):
        _check_range("lifecycle.ttl_idle_hours", patch.lifecycle.ttl_idle_hours, 1, 168)
        _check_range("lifecycle.grace_hours", patch.lifecycle.grace_hours, 0, 72)
    return msgspec.structs.replace(patch, env_vars=env_vars)


def _merged(current: S, patch: Value | UnsetType) -> S:
    """``current`` with every provided field of ``patch`` (field-by-field merge)."""
    if isinstance(patch, UnsetType):
        return current
    changes = {
        f: getattr(patch, f) for f in patch.__struct_fields__ if getattr(patch, f) is not UNSET
    }
    return msgspec.structs.replace(current, **changes)


def apply_patch(
    current: ProfileSnapshot,
    patch: ProfilePatch,
    encrypt: Callable[[str, str], SecretRecord],
) -> MergeResult:
    """Merge ``patch`` into ``current``: env var or secret ``None`` deletes the key, a
    secret string is encrypted with ``encrypt(key, plaintext)``, sub-objects merge field
    by field, and ``base_url`` may be set to null."""
    env_vars = dict(current.env_vars)
    for key, tv in (patch.env_vars or {}).items():
        if tv is None:
            env_vars.pop(key, None)
        else:
            env_vars[key] = tv
    secrets = dict(current.secrets)
    written: list[str] = []
    removed: list[str] = []
    for key, plaintext in sorted((patch.secrets or {}).items()):
        if plaintext is None:
            if secrets.pop(key, None) is not None:
                removed.append(key)
        else:
            secrets[key] = encrypt(key, plaintext)
            written.append(key)
    content = ProfileSnapshot(
        name=current.name if isinstance(patch.name, UnsetType) else patch.name,
        base_url=current.base_url if isinstance(patch.base_url, UnsetType) else patch.base_url,
        env_vars=dict(sorted(env_vars.items())),
        secrets=dict(sorted(secrets.items())),
        database=_merged(current.database, patch.database),
        migrations=_merged(current.migrations, patch.migrations),
        data_strategy=_merged(current.data_strategy, patch.data_strategy),
        lifecycle=_merged(current.lifecycle, patch.lifecycle),
    )
    return MergeResult(content=content, secrets_set=written, secrets_removed=removed)


def check_content(content: ProfileSnapshot) -> None:
    """Cross-field rules of the merged content (400, step 13 of API.md §1.4)."""
    if len(content.env_vars) > MAX_ENV_VARS:
        raise _bad("env_vars", f"at most {MAX_ENV_VARS} keys")
    if len(content.secrets) > MAX_SECRETS:
        raise _bad("secrets", f"at most {MAX_SECRETS} keys")
    db: DatabaseSettings = content.database
    if db.provisioning_mode is ProvisioningMode.CLONE_FROM_BASE and db.base_profile_id is None:
        raise _bad("database.base_profile_id", "is required for clone_from_base")
    data: DataStrategy = content.data_strategy
    if data.seed_mode is not SeedMode.NONE and data.seed_source_ref is None:
        raise _bad("data_strategy.seed_source_ref", f"is required for seed_mode {data.seed_mode}")


def secret_times(
    profile: RuntimeProfile, content: ProfileSnapshot, now: datetime
) -> dict[str, datetime]:
    """A key keeps its ``updated_at`` while its record is unchanged; a written (or
    re-encrypted) record gets ``now``. Rotation keeps the times: values are unchanged."""
    times = {}
    for key, record in content.secrets.items():
        same = profile.secrets.get(key) == record
        times[key] = profile.secrets_updated_at.get(key, now) if same else now
    return times


def assign_content(profile: RuntimeProfile, content: ProfileSnapshot) -> None:
    for field in content.__struct_fields__:
        setattr(profile, field, getattr(content, field))
