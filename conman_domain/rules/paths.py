"""Repository path safety (API.md §8.1) and blocked-path globs (DOMAIN.md §8.3)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from conman_domain.errors import FieldError, Forbidden, Validation

__all__ = [
    "blocked_by",
    "check_not_blocked",
    "glob_matches",
    "glob_to_regex",
    "validate_path",
]

MAX_PATH_BYTES = 4096
_CONTROL = re.compile(r"[\x00-\x1f\x7f\\]")
_ENCODED = re.compile(r"%(2e|2f|5c)", re.IGNORECASE)


def _malformed(reason: str, field: str) -> Validation:
    return Validation(f"malformed path: {reason}", [FieldError(field, reason)])


def validate_path(path: str, *, for_write: bool, field: str = "path") -> str:
    """Return the normalized repo-relative path or raise ``Validation`` (400).

    Reads accept ``""`` and ``"/"`` for the root (returned as ``""``); writes need a
    non-empty path. The query string must already be URL-decoded exactly once.
    """
    if path in ("", "/") and not for_write:
        return ""
    if path == "":
        raise _malformed("path is empty", field)
    if path.startswith("/"):
        raise _malformed("path must not start with '/'", field)
    if _CONTROL.search(path):
        raise _malformed("path contains a control character or backslash", field)
    if _ENCODED.search(path):
        raise _malformed("path contains an encoded '.', '/' or '\\'", field)
    if len(path.encode("utf-8")) > MAX_PATH_BYTES:
        raise _malformed("path exceeds 4096 bytes", field)
    if any(seg in ("", ".", "..") for seg in path.split("/")):
        raise _malformed("path contains an empty, '.' or '..' segment", field)
    return path


def _translate(pattern: str, i: int, in_brace: bool) -> tuple[str, int]:
    """Translate from ``i`` until the end (or the closing ``}``/``,`` inside a brace)."""
    out: list[str] = []
    n = len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            while i < n and pattern[i] == "*":
                i += 1
            out.append(".*")
            continue
        if c == "?":
            out.append(".")
        elif c == "[":
            j = i + 1
            if j < n and pattern[j] in "!^":
                j += 1
            if j < n and pattern[j] == "]":
                j += 1
            while j < n and pattern[j] != "]":
                j += 1
            if j >= n:
                out.append(re.escape(c))  # an unclosed bracket is a literal
            else:
                body = pattern[i + 1 : j]
                negate = body[:1] in ("!", "^")
                body = body[1:] if negate else body
                body = body.replace("\\", "\\\\").replace("^", "\\^").replace("[", "\\[")
                out.append(f"[{'^' if negate else ''}{body}]")
                i = j
        elif c == "{":
            alternatives: list[str] = []
            j = i + 1
            closed = False
            while j <= n:
                alt, j = _translate(pattern, j, True)
                alternatives.append(alt)
                if j < n and pattern[j] == ",":
                    j += 1
                    continue
                closed = j < n and pattern[j] == "}"
                break
            if closed:
                out.append("(?:" + "|".join(alternatives) + ")")
                i = j
            else:
                out.append(re.escape(c))
        elif in_brace and c in ",}":
            return "".join(out), i
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out), i


@lru_cache(maxsize=1024)
def glob_to_regex(pattern: str) -> re.Pattern[str]:
    """Compile a blocked-path glob: ``*``/``**`` match any sequence including ``/``, ``?``
    one character, ``[...]`` (``!`` or ``^`` negates) and ``{a,b}`` alternatives."""
    body, _ = _translate(pattern, 0, False)
    return re.compile(body, re.DOTALL)


def glob_matches(pattern: str, path: str) -> bool:
    """Whole-path, case-sensitive match with no implicit prefix."""
    return glob_to_regex(pattern).fullmatch(path) is not None


def blocked_by(path: str, patterns: Iterable[str]) -> str | None:
    """The pattern that blocks ``path``, ``".git"`` for a ``.git`` segment in any case, or
    None when the path may be written."""
    if any(seg.lower() == ".git" for seg in path.split("/")):
        return ".git"
    for pattern in patterns:
        if glob_matches(pattern, path):
            return pattern
    return None


def check_not_blocked(path: str, patterns: Iterable[str]) -> None:
    """Raise ``Forbidden`` (403) for a write or delete of a blocked path."""
    pattern = blocked_by(path, patterns)
    if pattern is not None:
        raise Forbidden(f"path is blocked by app policy: `{pattern}`")
