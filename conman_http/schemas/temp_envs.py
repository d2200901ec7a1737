"""Request bodies of the temp environment routes (API.md §13), strict msgspec structs."""

from __future__ import annotations

from typing import Any

import msgspec

from conman_domain.model.profiles import TypedValue, ValueType
from conman_domain.usecases.temp_envs import CreateTempEnv

__all__ = ["CreateTempEnvBody", "ExtendTempEnvBody"]


class _Body(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


class TempValueBody(_Body):
    """A TypedValue: ``{"type": "string"|"number"|"boolean"|"json", "value": ...}``."""

    type: ValueType
    value: Any


class CreateTempEnvBody(_Body):
    """Exactly one of ``workspace_id`` / ``changeset_id`` (checked by the use case)."""

    workspace_id: str | None = None
    changeset_id: str | None = None
    base_runtime_profile_id: str | None = None
    env_var_overrides: dict[str, TempValueBody] = msgspec.field(default_factory=dict)

    def to_request(self) -> CreateTempEnv:
        return CreateTempEnv(
            workspace_id=self.workspace_id,
            changeset_id=self.changeset_id,
            base_runtime_profile_id=self.base_runtime_profile_id,
            env_var_overrides={
                k: TypedValue(type=v.type, value=v.value) for k, v in self.env_var_overrides.items()
            },
        )


class ExtendTempEnvBody(_Body):
    """``hours`` 1..48 (default 24; the range is checked by the use case)."""

    hours: int = 24
