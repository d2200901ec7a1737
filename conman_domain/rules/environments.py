"""Validation of a replacement environment list (DOMAIN.md §5; API.md §6 PATCH
environments). Store-dependent checks (ids and profiles belonging to the app, active
deployments of omitted environments) are the caller's."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from conman_domain.errors import FieldError, Validation
from conman_domain.rules.branches import environment_slug

__all__ = ["NEW_ENVIRONMENT_ID", "EnvironmentEntry", "validate_environment_list"]

NEW_ENVIRONMENT_ID = "new"
MAX_ENVIRONMENTS = 20


class EnvironmentEntry(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    name: str
    position: int
    is_canonical: bool
    runtime_profile_id: str | None = None


def validate_environment_list(entries: Sequence[EnvironmentEntry]) -> list[str]:
    """Check the list and return each entry's slug, in input order. Raises ``Validation``
    with every problem found."""
    errors: list[FieldError] = []
    if not 1 <= len(entries) <= MAX_ENVIRONMENTS:
        errors.append(FieldError("environments", "must have 1..20 entries"))
    canonical = sum(1 for e in entries if e.is_canonical)
    if canonical != 1:
        errors.append(FieldError("environments", "exactly one environment must be canonical"))
    slugs: list[str] = []
    seen_names: set[str] = set()
    seen_slugs: set[str] = set()
    seen_ids: set[str] = set()
    seen_profiles: set[str] = set()
    for i, e in enumerate(entries):
        field = f"environments[{i}]"
        if not 1 <= len(e.name) <= 64:
            errors.append(FieldError(f"{field}.name", "must be 1..64 characters"))
        if e.name.lower() in seen_names:
            errors.append(FieldError(f"{field}.name", "duplicate name (case-insensitive)"))
        seen_names.add(e.name.lower())
        try:
            slug = environment_slug(e.name)
        except Validation:
            errors.append(FieldError(f"{field}.name", "name has an empty slug"))
            slug = ""
        if slug and slug in seen_slugs:
            errors.append(FieldError(f"{field}.name", f"duplicate slug {slug!r}"))
        seen_slugs.add(slug)
        slugs.append(slug)
        if e.id != NEW_ENVIRONMENT_ID:
            if e.id in seen_ids:
                errors.append(FieldError(f"{field}.id", "duplicate id"))
            seen_ids.add(e.id)
        if e.runtime_profile_id is not None:
            if e.runtime_profile_id in seen_profiles:
                errors.append(FieldError(f"{field}.runtime_profile_id", "profile used twice"))
            seen_profiles.add(e.runtime_profile_id)
    if sorted(e.position for e in entries) != list(range(len(entries))):
        errors.append(FieldError("environments", "positions must be exactly 0..N-1"))
    if errors:
        raise Validation("invalid environments", errors)
    return slugs
