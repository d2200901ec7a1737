"""Env var keys, typed values, secret values and their rendering (DOMAIN.md §15.2, §11.2)."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

from conman_domain.errors import FieldError, Validation
from conman_domain.model.profiles import TypedValue, ValueType

__all__ = [
    "MAX_ENV_VARS",
    "MAX_SECRETS",
    "MAX_VALUE_CHARS",
    "render_env_value",
    "validate_env_key",
    "validate_env_vars",
    "validate_secret_values",
    "validate_typed_value",
]

KEY_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
MAX_ENV_VARS = 500
MAX_SECRETS = 200
MAX_VALUE_CHARS = 65_536


def _key_problem(key: str) -> str | None:
    if not KEY_RE.fullmatch(key):
        return "key must match ^[A-Za-z_][A-Za-z0-9_]{0,127}$"
    if key.upper().startswith("CONMAN_"):
        return "key must not start with CONMAN_"
    return None


def validate_env_key(key: str, field: str = "env_vars") -> None:
    """Raise ``Validation`` for a key outside the key rules (or reserved ``CONMAN_``)."""
    problem = _key_problem(key)
    if problem:
        raise Validation(f"invalid key {key!r}: {problem}", [FieldError(f"{field}.{key}", problem)])


def _json_problem(value: Any) -> str | None:
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError):
        return "value is not valid JSON"
    if len(text) > MAX_VALUE_CHARS:
        return "serialized JSON exceeds 65536 characters"
    return None


def _value_problem(tv: TypedValue) -> str | None:
    v = tv.value
    if tv.type is ValueType.STRING:
        if not isinstance(v, str):
            return "value must be a string"
        return "string exceeds 65536 characters" if len(v) > MAX_VALUE_CHARS else None
    if tv.type is ValueType.NUMBER:
        if isinstance(v, bool) or not isinstance(v, int | float):
            return "value must be a number"
        return None if math.isfinite(float(v)) else "number must be finite"
    if tv.type is ValueType.BOOLEAN:
        return None if isinstance(v, bool) else "value must be a boolean"
    return _json_problem(v)


def validate_typed_value(key: str, tv: TypedValue, field: str = "env_vars") -> TypedValue:
    """Check ``tv`` against its type (400 naming the key); numbers are stored as doubles."""
    problem = _value_problem(tv)
    if problem:
        raise Validation(
            f"invalid value for {key}: {problem}", [FieldError(f"{field}.{key}", problem)]
        )
    if tv.type is ValueType.NUMBER:
        return TypedValue(type=ValueType.NUMBER, value=float(tv.value))
    return tv


def validate_env_vars(
    env_vars: Mapping[str, TypedValue | None], field: str = "env_vars"
) -> dict[str, TypedValue | None]:
    """Validate every key and value (None = removal, kept); reports all problems at once."""
    errors: list[FieldError] = []
    if len(env_vars) > MAX_ENV_VARS:
        errors.append(FieldError(field, f"at most {MAX_ENV_VARS} keys"))
    out: dict[str, TypedValue | None] = {}
    for key, tv in env_vars.items():
        problem = _key_problem(key) or (None if tv is None else _value_problem(tv))
        if problem:
            errors.append(FieldError(f"{field}.{key}", problem))
            continue
        out[key] = tv if tv is None else validate_typed_value(key, tv, field)
    if errors:
        raise Validation("invalid env_vars", errors)
    return out


def validate_secret_values(secrets: Mapping[str, str | None], field: str = "secrets") -> None:
    """Keys follow the key rules; plaintext values are 1..65536 chars (None = removal)."""
    errors: list[FieldError] = []
    if len(secrets) > MAX_SECRETS:
        errors.append(FieldError(field, f"at most {MAX_SECRETS} keys"))
    for key, value in secrets.items():
        problem = _key_problem(key)
        if problem is None and value is not None and not 1 <= len(value) <= MAX_VALUE_CHARS:
            problem = "secret value must be 1..65536 characters"
        if problem:
            errors.append(FieldError(f"{field}.{key}", problem))
    if errors:
        raise Validation("invalid secrets", errors)


def render_env_value(tv: TypedValue) -> str:
    """The process-environment form (DOMAIN.md §11.2): strings as-is, integral numbers
    without a decimal point, other numbers as the shortest repr, ``true``/``false``, and
    compact JSON."""
    v = tv.value
    if tv.type is ValueType.STRING:
        return str(v)
    if tv.type is ValueType.NUMBER:
        number = float(v)
        if number.is_integer():
            return str(int(number))
        return repr(number)
    if tv.type is ValueType.BOOLEAN:
        return "true" if v else "false"
    return json.dumps(v, ensure_ascii=False, separators=(",", ":"))
