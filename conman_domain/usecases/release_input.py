"""Input checks of the release routes: the ``state`` filter and id lists (API.md §11)."""

from __future__ import annotations

from conman_domain.errors import FieldError, Validation
from conman_domain.model import ReleaseState
from conman_domain.usecases.changeset_deps import check_object_id

__all__ = ["check_release_ids", "parse_release_state"]


def parse_release_state(text: str | None) -> ReleaseState | None:
    """The ``state`` query filter; an unknown value → 400."""
    if text is None:
        return None
    try:
        return ReleaseState(text)
    except ValueError:
        allowed = ", ".join(s.value for s in ReleaseState)
        message = f"unknown value {text!r} (allowed: {allowed})"
        raise Validation(f"state: {message}", [FieldError("state", message)]) from None


def check_release_ids(field: str, ids: list[str]) -> None:
    """Well-formed ids without duplicates (400)."""
    seen: set[str] = set()
    for index, value in enumerate(ids):
        check_object_id(f"{field}[{index}]", value)
        if value in seen:
            message = f"duplicate id {value}"
            raise Validation(f"{field}: {message}", [FieldError(f"{field}[{index}]", message)])
        seen.add(value)
