"""Parsing of structured config files with line-aware errors (DOMAIN.md §10.2, §11.3)."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import yaml

__all__ = ["PARSE_FAILURE_PREFIX", "ParseError", "ParsedFile", "parse_structured"]

PARSE_FAILURE_PREFIX = "invalid JSON/YAML: "
"""The failure message of §11.3 is this prefix plus the parser's own message."""


class ParseError(msgspec.Struct, frozen=True, kw_only=True):
    """Why a file does not parse; ``line`` is 1-based when the parser knows it."""

    message: str
    line: int | None = None


class ParsedFile(msgspec.Struct, frozen=True, kw_only=True):
    """The parsed value of a file, or the error that prevented parsing."""

    value: Any = None
    error: ParseError | None = None


def parse_structured(path: str, data: bytes) -> ParsedFile:
    """Parse ``.json`` as JSON and ``.yaml``/``.yml`` with a safe loader (one document).

    Bytes that are not UTF-8 and documents nested too deeply count as parse errors;
    several YAML documents in one file count as unparseable (§10.2). Never raises.
    """
    try:
        text = data.decode("utf-8-sig")  # a leading BOM is tolerated
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return ParsedFile(
            error=ParseError(message=f"{PARSE_FAILURE_PREFIX}{exc.reason}", line=line)
        )
    try:
        if path.endswith(".json"):
            return ParsedFile(value=json.loads(text))
        return ParsedFile(value=yaml.safe_load(text))
    except json.JSONDecodeError as exc:
        return ParsedFile(
            error=ParseError(message=f"{PARSE_FAILURE_PREFIX}{exc.msg}", line=exc.lineno)
        )
    except yaml.MarkedYAMLError as exc:
        return ParsedFile(error=_yaml_error(exc))
    except yaml.YAMLError as exc:
        return ParsedFile(error=ParseError(message=f"{PARSE_FAILURE_PREFIX}{exc}"))
    except RecursionError:
        return ParsedFile(error=ParseError(message=f"{PARSE_FAILURE_PREFIX}nesting too deep"))


def _yaml_error(exc: yaml.MarkedYAMLError) -> ParseError:
    parts = [part for part in (exc.context, exc.problem) if part]
    message = ", ".join(parts) if parts else "malformed document"
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark is not None else None
    return ParseError(message=f"{PARSE_FAILURE_PREFIX}{message}", line=line)
