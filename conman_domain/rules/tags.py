"""Release tag names ``r<YYYY.MM.DD>.<N>`` (DOMAIN.md §13.5)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime

__all__ = ["next_release_tag", "tag_date_prefix"]


def tag_date_prefix(published_at: datetime) -> str:
    """``r<YYYY.MM.DD>`` of the UTC date of ``published_at``."""
    return "r" + published_at.astimezone(UTC).strftime("%Y.%m.%d")


def next_release_tag(published_at: datetime, existing_tags: Iterable[str]) -> str:
    """``r<date>.<N>`` with N = 1 + the highest N among ``existing_tags`` of that date
    (git tags and the app's releases together); 1 if none. Other names are ignored."""
    prefix = tag_date_prefix(published_at)
    pattern = re.compile(re.escape(prefix) + r"\.([0-9]+)")
    numbers = [int(m.group(1)) for t in existing_tags if (m := pattern.fullmatch(t))]
    return f"{prefix}.{max(numbers, default=0) + 1}"
