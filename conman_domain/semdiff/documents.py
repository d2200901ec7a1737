"""Parsing config files into JSON-like values with line spans (DOMAIN.md §10.2).

A ``Document`` holds the parsed value (normalized to JSON types) and, for every
container member, the 1-based line span of ``key: value`` (mapping members) or of the
item (list members), keyed by the raw path of keys and indices. YAML spans come from
the composer's node marks; JSON spans from a small re-scan of the (already valid) text.
"""

from __future__ import annotations

import base64
import bisect
import datetime as dt
import json
import re
from collections.abc import Callable
from json.decoder import scanstring  # type: ignore[attr-defined]
from typing import Any

import msgspec
import yaml

__all__ = ["Document", "RawPath", "Span", "parse_document"]

RawPath = tuple[str | int, ...]
Span = tuple[int, int]

MAX_NODES = 200_000  # expanded size above which a file counts as unparseable (alias bombs)
_JSON_SCALAR = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false|null")
_WS = re.compile(r"[ \t\n\r]*")


class Document(msgspec.Struct, frozen=True, kw_only=True):
    """A parsed file: ``value`` with member ``spans``; ``root`` spans the whole text."""

    value: Any
    spans: dict[RawPath, Span]
    root: Span


class _TooLarge(Exception):
    pass


def parse_document(path: str, data: bytes) -> Document | None:
    """Parse a ``.json``/``.yaml``/``.yml`` file; ``None`` when it is not one of those or
    does not parse (bad UTF-8, syntax, several YAML documents, too deep or too large)."""
    is_json = path.endswith(".json")
    if not (is_json or path.endswith((".yaml", ".yml"))):
        return None
    try:
        text = data.decode("utf-8-sig")
        spans: dict[RawPath, Span] = {}
        if is_json:
            raw = json.loads(text)
            _JsonSpans(text, spans).scan(_WS.match(text, 0).end(), ())  # type: ignore[union-attr]
        else:
            raw = _load_yaml(text, spans)
        value = _normalize(raw, [0])
    except (UnicodeDecodeError, ValueError, yaml.YAMLError, RecursionError, _TooLarge):
        return None
    lines = max(1, text.count("\n") + (0 if text.endswith("\n") else 1))
    return Document(value=value, spans=spans, root=(1, lines))


def _normalize(value: Any, budget: list[int]) -> Any:
    """JSON types only: string keys, ISO dates, base64 binaries, sets as sorted lists."""
    budget[0] += 1
    if budget[0] > MAX_NODES:
        raise _TooLarge
    if isinstance(value, dict):
        return {_key(k): _normalize(v, budget) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_normalize(v, budget) for v in value]
    if isinstance(value, set):
        return sorted(_key(v) for v in value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value


def _key(key: Any) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, bool) or key is None:
        return json.dumps(key)
    if isinstance(key, dt.date | dt.datetime):
        return key.isoformat()
    return str(key)


class _LineLoader(yaml.SafeLoader):
    """A safe loader whose composed node tree is kept for line numbers."""


class _Lines:
    """1-based line numbers of character offsets in a text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._newlines = [i for i, c in enumerate(text) if c == "\n"]

    def line(self, offset: int) -> int:
        return bisect.bisect_right(self._newlines, offset - 1) + 1

    def last_line_before(self, offset: int, start: int) -> int:
        """The line of the last non-blank character before ``offset`` (a YAML end mark
        sits after trailing newlines and indentation), at least ``start``."""
        while offset > 0 and self.text[offset - 1] in " \t\r\n":
            offset -= 1
        return max(start, self.line(offset - 1) if offset > 0 else 1)


def _load_yaml(text: str, spans: dict[RawPath, Span]) -> Any:
    loader = _LineLoader(text)
    try:
        node = loader.get_single_node()  # several documents -> ComposerError
        if node is None:
            return None
        value = loader.construct_document(node)
    finally:
        loader.dispose()
    _yaml_spans(node, (), spans, set(), _Lines(text))
    return value


def _yaml_spans(
    node: yaml.Node, path: RawPath, spans: dict[RawPath, Span], seen: set[int], lines: _Lines
) -> None:
    if id(node) in seen or len(spans) > MAX_NODES:
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue
            start = key_node.start_mark.line + 1
            member = (*path, key_node.value)
            spans[member] = (start, lines.last_line_before(value_node.end_mark.index, start))
            _yaml_spans(value_node, member, spans, seen, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            start = item.start_mark.line + 1
            spans[(*path, index)] = (start, lines.last_line_before(item.end_mark.index, start))
            _yaml_spans(item, (*path, index), spans, seen, lines)


class _JsonSpans:
    """Re-scans valid JSON text, recording the line span of every member."""

    def __init__(self, text: str, spans: dict[RawPath, Span]) -> None:
        self._text = text
        self._spans = spans
        self._line = _Lines(text).line

    def _ws(self, idx: int) -> int:
        return _WS.match(self._text, idx).end()  # type: ignore[union-attr]

    def scan(self, idx: int, path: RawPath) -> int:
        """Scan the value at ``idx``; return the offset just after it."""
        char = self._text[idx]
        if char == "{":
            return self._members(idx, path, "}", self._object_member)
        if char == "[":
            return self._members(idx, path, "]", self._array_member)
        if char == '"':
            return int(scanstring(self._text, idx + 1)[1])
        match = _JSON_SCALAR.match(self._text, idx)
        if match is None:  # NaN / Infinity, accepted by json.loads
            match = re.compile(r"-?(?:NaN|Infinity)").match(self._text, idx)
        assert match is not None
        return match.end()

    def _members(
        self, idx: int, path: RawPath, close: str, member: Callable[[int, RawPath, int], int]
    ) -> int:
        idx = self._ws(idx + 1)
        count = 0
        while self._text[idx] != close:
            idx = self._ws(member(idx, path, count))
            count += 1
            if self._text[idx] == ",":
                idx = self._ws(idx + 1)
        return idx + 1

    def _object_member(self, idx: int, path: RawPath, _count: int) -> int:
        key, after_key = scanstring(self._text, idx + 1)
        colon = self._ws(after_key)
        end = self.scan(self._ws(colon + 1), (*path, key))
        self._spans[(*path, key)] = (self._line(idx), self._line(end - 1))
        return end

    def _array_member(self, idx: int, path: RawPath, count: int) -> int:
        end = self.scan(idx, (*path, count))
        self._spans[(*path, count)] = (self._line(idx), self._line(end - 1))
        return end
