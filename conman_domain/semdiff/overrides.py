"""Profile override changes of a semantic diff (DOMAIN.md §10.3, §15.6).

Operations are relative to the target profile's current values: an override equal to
the current value is no change, and removing a key the profile lacks is no change.
"""

from __future__ import annotations

import enum
from typing import Any

from msgspec import UNSET

from conman_domain.model.overrides import OverrideOperation, OverrideSnapshot
from conman_domain.model.profiles import ProfileSnapshot, TypedValue
from conman_domain.semdiff.model import OverrideKind, ProfileOverrideChange

__all__ = ["override_changes"]


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, TypedValue):
        return {"type": value.type.value, "value": value.value}
    return value


def override_changes(
    override: OverrideSnapshot, environment_name: str, profile: ProfileSnapshot
) -> list[ProfileOverrideChange]:
    """What ``override`` would change in ``profile`` (the target environment's profile):
    env vars (typed values), secrets (keys only), base URL, database and data strategy."""
    out: list[ProfileOverrideChange] = []

    def add(
        kind: OverrideKind, key: str, operation: str, before: Any = UNSET, after: Any = UNSET
    ) -> None:
        out.append(
            ProfileOverrideChange(
                environment_id=override.target_environment_id,
                environment_name=environment_name,
                kind=kind,
                key=key,
                operation=operation,
                before=before if before is UNSET else _plain(before),
                after=after if after is UNSET else _plain(after),
            )
        )

    for key, typed in sorted(override.env_var_overrides_typed.items()):
        current = profile.env_vars.get(key)
        if typed is None:
            if current is not None:
                add("envVar", key, "removed", before=current)
        elif current is None:
            add("envVar", key, "added", after=typed)
        elif current != typed:
            add("envVar", key, "modified", before=current, after=typed)
    for key, secret in sorted(override.secret_overrides_encrypted.items()):
        exists = key in profile.secrets
        if secret.operation is OverrideOperation.SET:
            add("secret", key, "rotated" if exists else "added")
        elif exists:
            add("secret", key, "deleted")
    if override.base_url is not None and override.base_url != profile.base_url:
        add("baseUrl", "base_url", "modified", before=profile.base_url, after=override.base_url)
    partials: list[tuple[OverrideKind, Any, Any]] = [
        ("database", override.database_overrides, profile.database),
        ("dataStrategy", override.data_overrides, profile.data_strategy),
    ]
    for kind, partial, current_settings in partials:
        for field in partial.fields_set():
            new, old = getattr(partial, field), getattr(current_settings, field)
            if new != old:
                add(kind, field, "modified", before=old, after=new)
    return out
