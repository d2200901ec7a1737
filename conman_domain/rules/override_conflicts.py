"""Override conflicts between queued changesets (DOMAIN.md §12.2)."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from typing import Any

import msgspec
from msgspec import UNSET

from conman_domain.model.overrides import OverrideOperation, OverrideSnapshot, SecretOverride
from conman_domain.model.profiles import SecretRecord, TypedValue

__all__ = [
    "ConflictKey",
    "ConflictKind",
    "Decrypt",
    "find_override_conflicts",
    "json_equal",
    "typed_values_equal",
]

#: Decrypts a record whose AAD names (profile_id, key); returns the plaintext.
Decrypt = Callable[[SecretRecord, str, str], str]


class ConflictKind(enum.StrEnum):
    ENV_VAR = "env_var"
    SECRET = "secret"
    BASE_URL = "base_url"
    DATABASE = "database"
    DATA_STRATEGY = "data_strategy"


class ConflictKey(msgspec.Struct, frozen=True, kw_only=True, order=True):
    environment_id: str
    kind: ConflictKind
    key: str


def json_equal(a: Any, b: Any) -> bool:
    """Deep JSON equality where 1 == 1.0 but booleans equal only booleans."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    return type(a) is type(b) and bool(a == b)


def typed_values_equal(a: TypedValue | None, b: TypedValue | None) -> bool:
    """Equal iff type and value are equal; a removal (None) equals only a removal."""
    if a is None or b is None:
        return a is None and b is None
    return a.type == b.type and json_equal(a.value, b.value)


def _secrets_equal(
    a: SecretOverride, b: SecretOverride, *, pa: str, pb: str, key: str, decrypt: Decrypt
) -> bool:
    if a.operation is OverrideOperation.REMOVE or b.operation is OverrideOperation.REMOVE:
        return a.operation == b.operation
    if a.record is None or b.record is None:
        return a.record is None and b.record is None
    return decrypt(a.record, pa, key) == decrypt(b.record, pb, key)


def _pair_conflicts(
    a: OverrideSnapshot, b: OverrideSnapshot, decrypt: Decrypt
) -> list[ConflictKey]:
    env = a.target_environment_id
    found: list[ConflictKey] = []

    def add(kind: ConflictKind, key: str) -> None:
        found.append(ConflictKey(environment_id=env, kind=kind, key=key))

    for key in a.env_var_overrides_typed.keys() & b.env_var_overrides_typed.keys():
        if not typed_values_equal(a.env_var_overrides_typed[key], b.env_var_overrides_typed[key]):
            add(ConflictKind.ENV_VAR, key)
    for key in a.secret_overrides_encrypted.keys() & b.secret_overrides_encrypted.keys():
        sa, sb = a.secret_overrides_encrypted[key], b.secret_overrides_encrypted[key]
        if not _secrets_equal(
            sa, sb, pa=a.target_profile_id, pb=b.target_profile_id, key=key, decrypt=decrypt
        ):
            add(ConflictKind.SECRET, key)
    if a.base_url is not None and b.base_url is not None and a.base_url != b.base_url:
        add(ConflictKind.BASE_URL, "base_url")
    for kind, sa_, sb_ in (
        (ConflictKind.DATABASE, a.database_overrides, b.database_overrides),
        (ConflictKind.DATA_STRATEGY, a.data_overrides, b.data_overrides),
    ):
        for name in sa_.__struct_fields__:
            va, vb = getattr(sa_, name), getattr(sb_, name)
            if va is not UNSET and vb is not UNSET and va != vb:
                add(kind, name)
    return found


def find_override_conflicts(
    newcomer: Iterable[OverrideSnapshot], other: Iterable[OverrideSnapshot], decrypt: Decrypt
) -> list[ConflictKey]:
    """Keys on which two changesets' current-revision overrides give different values for
    the same environment, sorted."""
    by_env = {o.target_environment_id: o for o in other}
    found: set[ConflictKey] = set()
    for mine in newcomer:
        theirs = by_env.get(mine.target_environment_id)
        if theirs is not None:
            found.update(_pair_conflicts(mine, theirs, decrypt))
    return sorted(found)
