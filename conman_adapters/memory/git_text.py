"""Text algorithms of ``InMemoryGit``: line-level three-way merge and unified diffs.

They follow git's observable rules: changes on both sides merge when their regions
of the base are separated by at least one unchanged line; overlapping or touching
regions with different results conflict. Files with a NUL byte in the first 8000
bytes are binary (no line merge, no patch lines).
"""

from __future__ import annotations

import difflib

__all__ = ["is_binary", "merge3", "similarity", "unified"]

Region = tuple[int, int, list[bytes]]


def is_binary(data: bytes) -> bool:
    """git's heuristic: a NUL byte in the first 8000 bytes."""
    return b"\0" in data[:8000]


def _regions(base: list[bytes], other: list[bytes]) -> list[Region]:
    matcher = difflib.SequenceMatcher(None, base, other, autojunk=False)
    return [
        (i1, i2, other[j1:j2]) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"
    ]


def merge3(base: bytes, ours: bytes, theirs: bytes) -> bytes | None:
    """Merge two edits of ``base`` line by line; ``None`` on a conflict."""
    if ours == theirs:
        return ours
    if base == ours:
        return theirs
    if base == theirs:
        return ours
    if is_binary(base) or is_binary(ours) or is_binary(theirs):
        return None
    lines = base.splitlines(keepends=True)
    tagged = [(*r, 0) for r in _regions(lines, ours.splitlines(keepends=True))]
    tagged += [(*r, 1) for r in _regions(lines, theirs.splitlines(keepends=True))]
    tagged.sort(key=lambda r: (r[0], r[1]))
    clusters: list[list[tuple[int, int, list[bytes], int]]] = []
    for region in tagged:
        # regions that overlap or touch (no unchanged line between them) form a cluster
        if clusters and region[0] <= max(r[1] for r in clusters[-1]):
            clusters[-1].append(region)
        else:
            clusters.append([region])
    merged: list[Region] = []
    for cluster in clusters:
        if len({r[3] for r in cluster}) > 1:
            first, *rest = cluster
            if any(r[:3] != first[:3] for r in rest) or len(cluster) != 2:
                return None
        merged.extend((r[0], r[1], r[2]) for r in cluster if r[3] == cluster[0][3])
    out: list[bytes] = []
    pos = 0
    for start, end, replacement in merged:
        out.extend(lines[pos:start])
        out.extend(replacement)
        pos = end
    out.extend(lines[pos:])
    return b"".join(out)


def similarity(a: bytes, b: bytes) -> float:
    """Share of common lines, for rename detection (git's threshold is 50 %)."""
    if a == b:
        return 1.0
    matcher = difflib.SequenceMatcher(
        None, a.splitlines(keepends=True), b.splitlines(keepends=True), autojunk=False
    )
    return matcher.ratio()


def _range(start: int, length: int) -> str:
    if length == 1:
        return str(start + 1)
    if length == 0:
        return f"{start},0"
    return f"{start + 1},{length}"


def unified(old: bytes, new: bytes) -> tuple[str, int, int]:
    """The hunks of a 3-context-line unified diff, and the added/deleted line counts."""
    a = old.decode("utf-8", errors="replace").splitlines(keepends=True)
    b = new.decode("utf-8", errors="replace").splitlines(keepends=True)
    out: list[str] = []
    added = deleted = 0
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for group in matcher.get_grouped_opcodes(3):
        i1, i2, j1, j2 = group[0][1], group[-1][2], group[0][3], group[-1][4]
        out.append(f"@@ -{_range(i1, i2 - i1)} +{_range(j1, j2 - j1)} @@\n")
        for tag, x1, x2, y1, y2 in group:
            if tag == "equal":
                out.extend(_line(" ", line) for line in a[x1:x2])
                continue
            out.extend(_line("-", line) for line in a[x1:x2])
            out.extend(_line("+", line) for line in b[y1:y2])
            deleted += x2 - x1
            added += y2 - y1
    return "".join(out), added, deleted


def _line(prefix: str, line: str) -> str:
    if line.endswith("\n"):
        return prefix + line
    return f"{prefix}{line}\n\\ No newline at end of file\n"
