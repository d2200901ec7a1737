"""Strict query parameters and pagination (API.md §1.1, §1.5)."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any
from urllib.parse import parse_qsl

import msgspec
from litestar import Request

from conman_domain.errors import FieldError, Validation

__all__ = [
    "JOB_LOG_LIMITS",
    "LIST_LIMITS",
    "MAX_PAGE",
    "Limits",
    "Page",
    "parse_page",
    "strict_query",
]

_INT_RE = re.compile(r"-?[0-9]+")
MAX_PAGE = 10**12
"""Pages above this are served as this page: always past the end (at most 10**15 items
are skipped, within the stores' 64-bit offsets), so ``data`` is ``[]`` with the real total."""


class Limits(msgspec.Struct, frozen=True):
    default: int
    maximum: int


LIST_LIMITS = Limits(20, 100)
JOB_LOG_LIMITS = Limits(100, 1000)


class Page(msgspec.Struct, frozen=True):
    page: int
    limit: int

    @property
    def skip(self) -> int:
        return (self.page - 1) * self.limit


def _bad(field: str, message: str) -> Validation:
    return Validation(f"{field}: {message}", [FieldError(field, message)])


def strict_query(request: Request[Any, Any, Any], allowed: Collection[str]) -> dict[str, str]:
    """Return the query as a dict; unknown or repeated names → 400 ``validation_error``.

    ``page`` and ``limit`` must be listed in ``allowed`` by list routes.
    """
    raw = request.scope.get("query_string", b"").decode("latin-1")
    values: dict[str, str] = {}
    for name, value in parse_qsl(raw, keep_blank_values=True):
        if name not in allowed:
            raise _bad(name, "unknown query parameter")
        if name in values:
            raise _bad(name, "repeated query parameter")
        values[name] = value
    return values


def _clamped(text: str, low: int, high: int) -> int:
    """The integer ``text`` (matching ``_INT_RE``) clamped to low..high; digit strings
    too long for ``int()`` (Python's 4300-digit limit) clamp without conversion."""
    digits = text.lstrip("-").lstrip("0")
    if len(digits) > 30:
        return low if text.startswith("-") else high
    return min(max(int(text), low), high)


def parse_page(query: Mapping[str, str], limits: Limits = LIST_LIMITS) -> Page:
    """``page`` an integer ≥ 1 (else 400), served as at most ``MAX_PAGE``; ``limit`` an
    integer of any size clamped to 1..``limits.maximum``."""
    page = 1
    if "page" in query:
        text = query["page"]
        if not _INT_RE.fullmatch(text) or _clamped(text, 0, MAX_PAGE) < 1:
            raise _bad("page", "must be an integer >= 1")
        page = _clamped(text, 1, MAX_PAGE)
    limit = limits.default
    if "limit" in query:
        text = query["limit"]
        if not _INT_RE.fullmatch(text):
            raise _bad("limit", "must be an integer")
        limit = _clamped(text, 1, limits.maximum)
    return Page(page, limit)
