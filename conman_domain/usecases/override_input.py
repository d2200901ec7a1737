"""The input of a profile-overrides PUT and its validation (DOMAIN.md §15.2, §15.6).

Every problem is a 400 naming the field, for example ``overrides[0].env_vars.PORT``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urlsplit

import msgspec

from conman_domain.errors import FieldError, Validation
from conman_domain.model.base import Value
from conman_domain.model.overrides import DatabaseOverride, DataStrategyOverride
from conman_domain.model.profiles import TypedValue
from conman_domain.rules.env_vars import validate_env_vars, validate_secret_values

__all__ = [
    "KEEP",
    "MAX_OVERRIDES",
    "KeepSecret",
    "OverrideInput",
    "SecretInput",
    "validate_inputs",
]

MAX_OVERRIDES = 50
URL_MAX = 2048
SEED_SOURCE_MAX = 1024
_ID = re.compile(r"[0-9a-f]{24}")
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")


class KeepSecret(Value, frozen=True, kw_only=True):
    """``{"keep": true}``: keep the stored secret override of this key."""


KEEP = KeepSecret()
SecretInput = str | None | KeepSecret


class OverrideInput(msgspec.Struct, frozen=True, kw_only=True):
    """One target environment's override as requested (``None`` values = removals)."""

    target_environment_id: str
    env_vars: dict[str, TypedValue | None] = msgspec.field(default_factory=dict)
    secrets: dict[str, SecretInput] = msgspec.field(default_factory=dict)
    base_url: str | None = None
    database: DatabaseOverride = msgspec.field(default_factory=DatabaseOverride)
    data_strategy: DataStrategyOverride = msgspec.field(default_factory=DataStrategyOverride)


def _bad(field: str, message: str) -> Validation:
    return Validation(f"{field}: {message}", [FieldError(field, message)])


def _check_url(field: str, url: str) -> None:
    parts = urlsplit(url)
    if len(url) > URL_MAX or parts.scheme not in ("http", "https") or not parts.netloc:
        raise _bad(field, "must be an absolute http or https URL of at most 2048 characters")


def _check_entry(i: int, entry: OverrideInput) -> OverrideInput:
    prefix = f"overrides[{i}]"
    if not _ID.fullmatch(entry.target_environment_id):
        raise _bad(f"{prefix}.target_environment_id", "malformed id")
    env_vars = validate_env_vars(entry.env_vars, f"{prefix}.env_vars")
    plain = {k: v for k, v in entry.secrets.items() if not isinstance(v, KeepSecret)}
    validate_secret_values(plain, f"{prefix}.secrets")
    for key in entry.secrets:
        if not _KEY.fullmatch(key) or key.upper().startswith("CONMAN_"):
            raise _bad(f"{prefix}.secrets.{key}", "invalid key")
    if entry.base_url is not None:
        _check_url(f"{prefix}.base_url", entry.base_url)
    db = entry.database
    ref = db.connection_ref
    if isinstance(ref, str) and not _KEY.fullmatch(ref):
        raise _bad(f"{prefix}.database.connection_ref", "must be a secret key")
    base = db.base_profile_id
    if isinstance(base, str) and not _ID.fullmatch(base):
        raise _bad(f"{prefix}.database.base_profile_id", "malformed id")
    source = entry.data_strategy.seed_source_ref
    if isinstance(source, str) and not 1 <= len(source) <= SEED_SOURCE_MAX:
        raise _bad(f"{prefix}.data_strategy.seed_source_ref", "must be 1..1024 characters")
    return msgspec.structs.replace(entry, env_vars=env_vars)


def validate_inputs(inputs: Sequence[OverrideInput]) -> list[OverrideInput]:
    """Validate every entry (≤50, one per target environment); returns them normalized
    (numbers as doubles)."""
    if len(inputs) > MAX_OVERRIDES:
        raise _bad("overrides", f"at most {MAX_OVERRIDES} entries")
    seen: set[str] = set()
    out = []
    for i, entry in enumerate(inputs):
        if entry.target_environment_id in seen:
            raise _bad(f"overrides[{i}].target_environment_id", "duplicate target environment")
        seen.add(entry.target_environment_id)
        out.append(_check_entry(i, entry))
    return out
