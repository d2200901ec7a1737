"""Pure operations of ``InMemoryGit`` over an ``ObjectStore``: merges, diffs, history."""

from __future__ import annotations

from conman_adapters.memory.git_objects import FileMap, ObjectStore
from conman_adapters.memory.git_text import is_binary, merge3, similarity, unified
from conman_domain.gitmodel import DiffResult, FileDiff

__all__ = ["ancestors", "diff_maps", "merge_base", "merge_maps", "topo_order"]


def merge_maps(
    store: ObjectStore, base: FileMap, ours: FileMap, theirs: FileMap
) -> tuple[FileMap | None, list[str]]:
    """Three-way merge of file maps; file-level first, then line-level for both-changed."""
    result: FileMap = {}
    conflicts: list[str] = []
    for path in set(base) | set(ours) | set(theirs):
        b, o, t = base.get(path), ours.get(path), theirs.get(path)
        if t in (o, b):
            merged = o
        elif o == b:
            merged = t
        elif o is None or t is None:
            conflicts.append(path)  # modify/delete
            continue
        else:
            data = merge3(store.data(b[1]) if b else b"", store.data(o[1]), store.data(t[1]))
            if data is None:
                conflicts.append(path)
                continue
            mode = t[0] if b is not None and o[0] == b[0] else o[0]
            merged = (mode, store.write("blob", data))
        if merged is not None:
            result[path] = merged
    # a file where the other side needs a directory (file/directory conflict)
    dirs = {p.rsplit("/", i)[0] for p in result for i in range(1, p.count("/") + 1)}
    conflicts.extend(p for p in result if p in dirs)
    if conflicts:
        return None, sorted(set(conflicts))
    return result, []


def ancestors(store: ObjectStore, sha: str) -> set[str]:
    """``sha`` and every commit reachable from it."""
    seen: set[str] = set()
    stack = [sha]
    while stack:
        cur = stack.pop()
        if cur not in seen:
            seen.add(cur)
            stack.extend(store.commit(cur).parents)
    return seen


def merge_base(store: ObjectStore, a: str, b: str) -> str | None:
    """A best common ancestor: one no other common ancestor descends from."""
    common = ancestors(store, a) & ancestors(store, b)
    if not common:
        return None
    below: set[str] = set()
    for sha in common:
        for parent in store.commit(sha).parents:
            below |= ancestors(store, parent)
    best = sorted(common - below)
    return best[0] if best else None


def topo_order(store: ObjectStore, head: str, excluded: set[str], first_parent: bool) -> list[str]:
    """Commits from ``head`` not in ``excluded``, children before parents."""
    if first_parent:
        out: list[str] = []
        cur: str | None = head
        while cur is not None and cur not in excluded:
            out.append(cur)
            parents = store.commit(cur).parents
            cur = parents[0] if parents else None
        return out
    reachable = ancestors(store, head) - excluded
    children: dict[str, int] = dict.fromkeys(reachable, 0)
    for sha in reachable:
        for parent in store.commit(sha).parents:
            if parent in children:
                children[parent] += 1
    result: list[str] = []
    stack = [head] if head in reachable else []
    while stack:
        cur = stack.pop()
        result.append(cur)
        for parent in reversed(store.commit(cur).parents):
            if parent in children:
                children[parent] -= 1
                if children[parent] == 0:
                    stack.append(parent)
    return result


def _short(oid: str | None) -> str:
    return oid[:7] if oid else "0000000"


def _file_patch(
    store: ObjectStore, old: tuple[str, int, str] | None, new: tuple[str, int, str] | None
) -> tuple[str, int, int, bool]:
    """One file's patch text and counts; ``old``/``new`` are ``(path, mode, oid)``."""
    a_path = old[0] if old else (new[0] if new else "")
    b_path = new[0] if new else a_path
    head = [f"diff --git a/{a_path} b/{b_path}\n"]
    old_data = store.data(old[2]) if old else b""
    new_data = store.data(new[2]) if new else b""
    if old and new and old[0] != new[0]:
        pct = int(similarity(old_data, new_data) * 100)
        head += [f"similarity index {pct}%\n", f"rename from {a_path}\n", f"rename to {b_path}\n"]
        if old[2] == new[2]:
            return "".join(head), 0, 0, False
    if old is None and new is not None:
        head += [f"new file mode {new[1]:o}\n", f"index 0000000..{_short(new[2])}\n"]
    elif new is None and old is not None:
        head += [f"deleted file mode {old[1]:o}\n", f"index {_short(old[2])}..0000000\n"]
    elif old is not None and new is not None:
        if old[1] != new[1]:
            head += [f"old mode {old[1]:o}\n", f"new mode {new[1]:o}\n"]
        mode = f" {new[1]:o}" if old[1] == new[1] else ""
        if old[2] != new[2]:
            head.append(f"index {_short(old[2])}..{_short(new[2])}{mode}\n")
    if old is not None and new is not None and old[2] == new[2]:
        return "".join(head), 0, 0, False
    minus = f"a/{a_path}" if old else "/dev/null"
    plus = f"b/{b_path}" if new else "/dev/null"
    if is_binary(old_data) or is_binary(new_data):
        head.append(f"Binary files {minus} and {plus} differ\n")
        return "".join(head), 0, 0, True
    hunks, added, deleted = unified(old_data, new_data)
    if hunks:
        # like git (and GNU diff), a name containing a space is followed by a tab
        tab_a, tab_b = ("\t" if " " in minus else ""), ("\t" if " " in plus else "")
        head += [f"--- {minus}{tab_a}\n", f"+++ {plus}{tab_b}\n", hunks]
    return "".join(head), added, deleted, False


def diff_maps(store: ObjectStore, old: FileMap, new: FileMap) -> DiffResult:
    """Diff two file maps with rename detection (exact first, then ≥50 % similar)."""
    deleted = sorted(p for p in old if p not in new)
    added = sorted(p for p in new if p not in old)
    renames: dict[str, str] = {}
    for src in deleted:
        match = next(
            (d for d in added if d not in renames.values() and new[d][1] == old[src][1]), None
        )
        if match is not None:
            renames[src] = match
    for src in deleted:
        if src in renames:
            continue
        scored = [
            (similarity(store.data(old[src][1]), store.data(new[d][1])), d)
            for d in added
            if d not in renames.values()
        ]
        best = max(scored, default=(0.0, ""), key=lambda x: (x[0], x[1] == ""))
        if best[0] >= 0.5:
            renames[src] = best[1]
    files: list[FileDiff] = []

    def entry(fmap: FileMap, path: str) -> tuple[str, int, str]:
        return (path, fmap[path][0], fmap[path][1])

    for path in sorted(set(old) | set(new)):
        if path in renames.values() or (path in renames):
            continue
        if path in old and path in new:
            if old[path] == new[path]:
                continue
            o, n, status = entry(old, path), entry(new, path), "modified"
        elif path in new:
            o, n, status = None, entry(new, path), "added"
        else:
            o, n, status = entry(old, path), None, "deleted"
        patch, plus, minus, binary = _file_patch(store, o, n)
        files.append(
            FileDiff(
                old_path=path if o else None,
                new_path=path if n else None,
                status=status,  # type: ignore[arg-type]
                additions=plus,
                deletions=minus,
                patch=patch,
                binary=binary,
            )
        )
    for src, dst in renames.items():
        patch, plus, minus, binary = _file_patch(store, entry(old, src), entry(new, dst))
        files.append(
            FileDiff(
                old_path=src,
                new_path=dst,
                status="renamed",
                additions=plus,
                deletions=minus,
                patch=patch,
                binary=binary,
            )
        )
    files.sort(key=lambda f: f.new_path or f.old_path or "")
    return DiffResult(files=files, patch="".join(f.patch for f in files))
