"""``diff`` for ``LocalGit``: ``diff-tree --raw --numstat`` for stats, ``-p`` for patches."""

from __future__ import annotations

from pathlib import Path

from conman_adapters.localgit.proc import run_git
from conman_domain.gitmodel import EMPTY_TREE_OID, DiffResult, FileDiff

__all__ = ["diff_trees"]

_STATUS = {"A": "added", "D": "deleted", "M": "modified", "T": "modified", "R": "renamed"}
_OPTS = ["-c", "core.quotePath=false", "diff-tree", "-r", "-M", "--no-ext-diff", "--no-color"]


def _parse_raw_numstat(out: bytes) -> list[tuple[str, str | None, str | None, int, int, bool]]:
    """``(status, old_path, new_path, additions, deletions, binary)`` per changed file."""
    fields = out.split(b"\0")
    raw: list[tuple[str, str | None, str | None]] = []
    stats: list[tuple[int, int, bool]] = []
    i = 0
    while i < len(fields) and fields[i]:
        item = fields[i].decode()
        if item.startswith(":"):
            letter = item.split()[-1][0]
            if letter in ("R", "C"):
                src, dst = fields[i + 1].decode(), fields[i + 2].decode()
                i += 3
            else:
                src = dst = fields[i + 1].decode()
                i += 2
            old = None if letter == "A" else src
            new = None if letter == "D" else dst
            raw.append((letter, old, new))
            continue
        added, deleted, path = item.split("\t", 2)
        i += 1 if path else 3  # a rename's numstat carries both paths as extra fields
        binary = added == "-"
        stats.append((0 if binary else int(added), 0 if binary else int(deleted), binary))
    return [(s, o, n, *stats[k]) for k, (s, o, n) in enumerate(raw)]


def _split_patch(patch: str) -> list[str]:
    parts: list[str] = []
    for line in patch.splitlines(keepends=True):
        if line.startswith("diff --git ") or not parts:
            parts.append(line)
        else:
            parts[-1] += line
    return parts


def diff_trees(git_dir: Path, old_tree: str | None, new_tree: str) -> DiffResult:
    """Diff two trees (``None`` = the empty tree)."""
    left = old_tree or EMPTY_TREE_OID
    # one call: NUL-separated --raw and --numstat records, an empty field, the patch
    out = run_git(git_dir, [*_OPTS, "-z", "--raw", "--numstat", "-p", "-U3", left, new_tree]).stdout
    cut = out.find(b"\0\0diff --git ")
    stats, patch = (out, b"") if cut < 0 else (out[: cut + 1], out[cut + 2 :])
    files = _parse_raw_numstat(stats)
    patches = _split_patch(patch.decode("utf-8", errors="replace"))
    result = [
        FileDiff(
            old_path=old,
            new_path=new,
            status=_STATUS.get(letter, "modified"),  # type: ignore[arg-type]
            additions=plus,
            deletions=minus,
            patch=patches[k] if k < len(patches) else "",
            binary=binary,
        )
        for k, (letter, old, new, plus, minus, binary) in enumerate(files)
    ]
    result.sort(key=lambda f: f.new_path or f.old_path or "")
    return DiffResult(files=result, patch="".join(f.patch for f in result))
