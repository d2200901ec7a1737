"""Equality of two override snapshots (resubmit change detection, DOMAIN.md §9.3).

Typed values are equal iff type and value are equal (1 equals 1.0); secrets are
compared after decryption, so re-sending the same plaintext is not a change; a removal
equals only a removal.
"""

from __future__ import annotations

from collections.abc import Sequence

from conman_domain.model import OverrideSnapshot
from conman_domain.model.overrides import OverrideOperation, SecretOverride
from conman_domain.rules.override_conflicts import Decrypt, typed_values_equal

__all__ = ["snapshots_equal"]


def _secret_value(so: SecretOverride, profile_id: str, key: str, decrypt: Decrypt) -> str | None:
    if so.operation is OverrideOperation.REMOVE or so.record is None:
        return None
    return decrypt(so.record, profile_id, key)


def _one_equal(a: OverrideSnapshot, b: OverrideSnapshot, decrypt: Decrypt) -> bool:
    if a.target_profile_id != b.target_profile_id or a.base_url != b.base_url:
        return False
    if a.database_overrides != b.database_overrides or a.data_overrides != b.data_overrides:
        return False
    if a.env_var_overrides_typed.keys() != b.env_var_overrides_typed.keys():
        return False
    for key, value in a.env_var_overrides_typed.items():
        if not typed_values_equal(value, b.env_var_overrides_typed[key]):
            return False
    if a.secret_overrides_encrypted.keys() != b.secret_overrides_encrypted.keys():
        return False
    for key, sa in a.secret_overrides_encrypted.items():
        sb = b.secret_overrides_encrypted[key]
        if sa.operation != sb.operation:
            return False
        va = _secret_value(sa, a.target_profile_id, key, decrypt)
        vb = _secret_value(sb, b.target_profile_id, key, decrypt)
        if va != vb:
            return False
    return True


def snapshots_equal(
    a: Sequence[OverrideSnapshot], b: Sequence[OverrideSnapshot], decrypt: Decrypt
) -> bool:
    """Whether two override sets say the same thing, target by target."""
    by_env_a = {s.target_environment_id: s for s in a}
    by_env_b = {s.target_environment_id: s for s in b}
    if by_env_a.keys() != by_env_b.keys():
        return False
    return all(_one_equal(by_env_a[env], by_env_b[env], decrypt) for env in by_env_a)
