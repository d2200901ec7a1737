"""Split a unified ``git diff`` (RawDiff) into per-file ``FileDiff`` values."""

from __future__ import annotations

from conman_domain.gitmodel import DiffResult, DiffStatus, FileDiff

__all__ = ["parse_diff"]

_HEADER = "diff --git "
_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "a": "\a", "b": "\b", "f": "\f"}


def _unquote(path: str) -> str:
    """Undo git's C-style quoting of a path (``"a/caf\\303\\251"``)."""
    if not (path.startswith('"') and path.endswith('"')):
        return path
    body = path[1:-1]
    out = bytearray()
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt in "01234567" and i + 4 <= len(body):
                out.append(int(body[i + 1 : i + 4], 8))
                i += 4
                continue
            out += _ESCAPES.get(nxt, nxt).encode()
            i += 2
            continue
        out += ch.encode("utf-8", "surrogateescape")
        i += 1
    return out.decode("utf-8", "surrogateescape")


def _strip_prefix(path: str) -> str | None:
    # git ends ---/+++ names that contain a space with a tab
    path = _unquote(path.removesuffix("\t"))
    if path == "/dev/null":
        return None
    return path[2:] if path[:2] in {"a/", "b/"} else path


def _header_paths(line: str) -> tuple[str, str]:
    rest = line[len(_HEADER) :]
    if rest.startswith('"'):
        end = rest.index('" ', 1) + 1
        left, right = rest[:end], rest[end + 1 :]
    else:
        half = (len(rest) - 1) // 2  # "a/<p> b/<p>" when both sides are equal
        left, right = rest[:half], rest[half + 1 :]
    return _strip_prefix(left) or "", _strip_prefix(right) or ""


def _file(chunk: list[str]) -> FileDiff:
    old_path, new_path = _header_paths(chunk[0].rstrip("\n"))
    status: DiffStatus = "modified"
    additions = deletions = 0
    binary = in_hunk = False
    for raw in chunk[1:]:
        line = raw.rstrip("\n")
        if in_hunk:
            if line.startswith("+"):
                additions += 1
            elif line.startswith("-"):
                deletions += 1
            continue
        if line.startswith("@@"):
            in_hunk = True
        elif line.startswith("new file mode"):
            status = "added"
        elif line.startswith("deleted file mode"):
            status = "deleted"
        elif line.startswith("rename from "):
            status, old_path = "renamed", _unquote(line[len("rename from ") :])
        elif line.startswith("rename to "):
            new_path = _unquote(line[len("rename to ") :])
        elif line.startswith("--- "):
            old_path = _strip_prefix(line[4:]) or old_path
        elif line.startswith("+++ "):
            new_path = _strip_prefix(line[4:]) or new_path
        elif line.startswith(("Binary files ", "GIT binary patch")):
            binary = True
    return FileDiff(
        old_path=None if status == "added" else old_path,
        new_path=None if status == "deleted" else new_path,
        status=status,
        additions=additions,
        deletions=deletions,
        patch="".join(chunk),
        binary=binary,
    )


def parse_diff(patch: str) -> DiffResult:
    """Every file of ``patch`` (sorted by new, else old, path) and the patch itself."""
    chunks: list[list[str]] = []
    for line in patch.splitlines(keepends=True):
        if line.startswith(_HEADER):
            chunks.append([line])
        elif chunks:
            chunks[-1].append(line)
    files = [_file(c) for c in chunks]
    files.sort(key=lambda f: (f.new_path or f.old_path or "").encode())
    return DiffResult(files=files, patch=patch)
