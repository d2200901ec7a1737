"""App settings validation (DOMAIN.md §4.1).

Existence checks (``canonical_env_id``, ``default_temp_base_profile_id``) need the store and
are the caller's; everything else is checked here, reporting every problem at once.
"""

from __future__ import annotations

import re

from conman_domain.errors import FieldError, Validation
from conman_domain.model.apps import AppSettings, GateConfig
from conman_domain.rules.paths import glob_to_regex

__all__ = ["validate_dns_name", "validate_settings"]

_LABEL = re.compile(r"[a-z0-9-]{1,63}")


def validate_dns_name(name: str) -> str | None:
    """A problem with a temp URL domain, or None: labels ``[a-z0-9-]`` 1..63, ≤253 total."""
    if not name or len(name) > 253:
        return "domain must be 1..253 characters"
    if not all(_LABEL.fullmatch(label) for label in name.split(".")):
        return "each label must be 1..63 characters of [a-z0-9-]"
    return None


def _compiles(pattern: str) -> bool:
    """Whether the glob compiles; a bad bracket range such as ``[z-a]`` would otherwise
    fail every later write of the app."""
    try:
        glob_to_regex(pattern)
    except re.error:
        return False
    return True


def _range(errors: list[FieldError], field: str, value: int, low: int, high: int) -> None:
    if isinstance(value, bool) or not low <= value <= high:
        errors.append(FieldError(field, f"must be between {low} and {high}"))


def _gate(errors: list[FieldError], field: str, gate: GateConfig) -> None:
    if gate.command is not None and not 1 <= len(gate.command) <= 4096:
        errors.append(FieldError(f"{field}.command", "must be null or 1..4096 characters"))
    _range(errors, f"{field}.timeout_seconds", gate.timeout_seconds, 1, 7200)


def validate_settings(settings: AppSettings) -> AppSettings:
    """Return ``settings`` when every constraint of §4.1 holds, else raise ``Validation``."""
    errors: list[FieldError] = []
    if len(settings.blocked_paths) > 100:
        errors.append(FieldError("blocked_paths", "at most 100 patterns"))
    for i, pattern in enumerate(settings.blocked_paths):
        if not 1 <= len(pattern) <= 256:
            errors.append(FieldError(f"blocked_paths[{i}]", "must be 1..256 characters"))
        elif not _compiles(pattern):
            errors.append(FieldError(f"blocked_paths[{i}]", "is not a valid glob (§8.3)"))
    _range(errors, "file_size_limit_bytes", settings.file_size_limit_bytes, 1, 52_428_800)
    _range(errors, "required_approvals", settings.required_approvals, 1, 5)
    for gate_name in ("submit", "release", "deploy"):
        gate = getattr(settings.validation_gates, gate_name)
        _gate(errors, f"validation_gates.{gate_name}", gate)
    _gate(errors, "deploy_command", settings.deploy_command)
    if settings.temp_url_domain is not None:
        problem = validate_dns_name(settings.temp_url_domain)
        if problem:
            errors.append(FieldError("temp_url_domain", problem))
    _range(errors, "temp_env_ttl_hours", settings.temp_env_ttl_hours, 1, 168)
    _range(errors, "temp_env_grace_hours", settings.temp_env_grace_hours, 0, 72)
    if errors:
        raise Validation("invalid settings", errors)
    return settings
