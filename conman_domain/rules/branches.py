"""Branch and ref names (API.md §8.1; DOMAIN.md §5, §8.1, §15.10)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from conman_domain.errors import FieldError, Validation

__all__ = [
    "default_workspace_branch",
    "drift_branch",
    "env_branch_ref",
    "environment_slug",
    "validate_branch_name",
    "with_suffix",
]

_BRANCH_CHARS = re.compile(r"[A-Za-z0-9._/-]{1,200}")
_RESERVED_PREFIXES = ("refs/", "env/", "temp/", "drift/", "conman/")


def validate_branch_name(
    name: str, integration_branch: str | None = None, field: str = "branch_name"
) -> str:
    """Return ``name`` if it is an acceptable custom branch name, else raise ``Validation``.

    ``integration_branch`` None checks the name as an integration branch itself.
    """

    def bad(reason: str) -> Validation:
        return Validation(f"invalid branch name: {reason}", [FieldError(field, reason)])

    if not _BRANCH_CHARS.fullmatch(name):
        raise bad("use 1..200 characters of letters, digits, '.', '_', '/' and '-'")
    if name[0] in "-/.":
        raise bad("must not start with '-', '/' or '.'")
    if name.endswith(("/", ".", ".lock")):
        raise bad("must not end with '/', '.' or '.lock'")
    if ".." in name or "//" in name or "@{" in name:
        raise bad("must not contain '..', '//' or '@{'")
    if any(seg.startswith(".") for seg in name.split("/")):
        raise bad("no segment may start with '.'")
    if integration_branch is not None and name == integration_branch:
        raise bad("must differ from the integration branch")
    if name.startswith(_RESERVED_PREFIXES):
        raise bad("must not start with refs/, env/, temp/, drift/ or conman/")
    return name


def _slug_part(text: str, allowed: str, fallback: str) -> str:
    part = re.sub(f"[^{allowed}]+", "-", text.lower()).strip("-")
    return part or fallback


def with_suffix(candidate: str, taken: Iterable[str]) -> str:
    """``candidate``, or ``candidate-2``, ``-3``, … — the first that is not taken."""
    used = set(taken)
    if candidate not in used:
        return candidate
    n = 2
    while f"{candidate}-{n}" in used:
        n += 1
    return f"{candidate}-{n}"


def default_workspace_branch(email: str, app_name: str, taken: Iterable[str] = ()) -> str:
    """``ws/<local>/<app>`` (DOMAIN.md §8.1) with ``-2``, ``-3``… on the last segment."""
    local = _slug_part(email.rsplit("@", 1)[0], "a-z0-9_", "user")
    app = _slug_part(app_name, "a-z0-9_", "app")
    return with_suffix(f"ws/{local}/{app}", taken)


def environment_slug(name: str) -> str:
    """The lowercased name with runs outside ``[a-z0-9]`` replaced by ``-``, trimmed.

    Raises ``Validation`` when nothing is left.
    """
    slug = re.sub("[^a-z0-9]+", "-", name.lower()).strip("-")
    if not slug:
        raise Validation(f"environment name {name!r} has an empty slug")
    return slug


def env_branch_ref(slug: str, taken_refs: Iterable[str] = ()) -> str:
    """``refs/heads/env/<slug>``, with ``-2``, ``-3``… appended on a clash."""
    return with_suffix(f"refs/heads/env/{slug}", taken_refs)


def drift_branch(slug: str, existing_branches: Iterable[str]) -> str:
    """``drift/<slug>/<n>`` where n = 1 + the highest existing n for that slug."""
    prefix = f"drift/{slug}/"
    numbers = [
        int(b[len(prefix) :])
        for b in existing_branches
        if b.startswith(prefix) and b[len(prefix) :].isdigit()
    ]
    return f"{prefix}{max(numbers, default=0) + 1}"
