"""The ``GitPort`` contract, part two: merges, three-way, sync, revert and concurrency."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from git_backends import AUTHOR, BACKENDS, REPO, files_at, seed, write

from conman_domain.errors import Conflict, NotImplementedYet
from conman_domain.gitmodel import ZERO_OID, FileAction, TreeMergeOutcome
from conman_domain.ports.git import GitPort

MAIN = "refs/heads/main"
APP = "config/app.yaml"
BASE_APP = b"a: 1\nb: 2\nc: 3\nd: 4\ne: 5\nf: 6\ng: 7\n"


@pytest.fixture(params=[name for name, _ in BACKENDS])
def git(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GitPort]:
    factory = dict(BACKENDS)[request.param]
    with factory(tmp_path) as port:
        yield port


def edit(line: str, new: str) -> bytes:
    return BASE_APP.replace(f"{line}\n".encode(), f"{new}\n".encode())


def three_way(git: GitPort, base: str, ours: str, theirs: str) -> TreeMergeOutcome:
    try:
        return git.three_way(REPO, base_tree=base, ours=ours, theirs=theirs)
    except NotImplementedYet:
        pytest.skip("backend has no explicit-base merge")


# -- merge_to_ref ----------------------------------------------------------------------


def test_merge_to_ref_writes_a_merge_commit_with_first_parent_semantics(git: GitPort) -> None:
    root = seed(git)
    ws = write(git, "refs/heads/ws", {"w.txt": b"w\n", APP: edit("a: 1", "a: 10")}, parent=root)
    main = write(git, MAIN, {"m.txt": b"m\n", APP: edit("g: 7", "g: 70")})
    git.update_ref(REPO, "refs/conman/compose/r1", new_sha=main, expected_old=ZERO_OID)
    out = git.merge_to_ref(
        REPO,
        source_sha=ws,
        first_parent="refs/conman/compose/r1",
        target_ref="refs/conman/compose/r1",
        message="Merge changeset 'x' (c1)",
        author=AUTHOR,
    )
    assert out.clean and out.sha is not None and out.conflicting_paths == []
    info = git.find_commit(REPO, out.sha)
    assert info is not None
    assert info.parents == [main, ws] and info.message == "Merge changeset 'x' (c1)"
    assert git.resolve(REPO, "refs/conman/compose/r1") == out.sha
    assert git.resolve(REPO, MAIN) == main
    files = files_at(git, out.sha)
    assert files["w.txt"] == b"w\n" and files["m.txt"] == b"m\n"
    assert files[APP] == BASE_APP.replace(b"a: 1\n", b"a: 10\n").replace(b"g: 7\n", b"g: 70\n")
    first_parents = [c.sha for c in git.list_commits(REPO, out.sha, first_parent=True)]
    assert first_parents == [out.sha, main, root]


def test_a_merge_conflict_reports_the_paths_and_writes_nothing(git: GitPort) -> None:
    root = seed(git)
    ws = write(
        git, "refs/heads/ws", {APP: edit("c: 3", "c: ours"), "same.txt": b"s\n"}, parent=root
    )
    main = write(git, MAIN, {APP: edit("c: 3", "c: theirs"), "README.md": None})
    write(git, "refs/heads/ws", {"README.md": b"changed\n"})
    ws = git.resolve(REPO, "refs/heads/ws") or ws
    out = git.merge_to_ref(
        REPO,
        source_sha=ws,
        first_parent=main,
        target_ref="refs/conman/revalidate/c1",
        message="m",
        author=AUTHOR,
    )
    assert out.sha is None and not out.clean
    assert out.conflicting_paths == ["README.md", APP]
    assert git.resolve(REPO, "refs/conman/revalidate/c1") is None


def test_merge_to_ref_with_a_stale_expected_target_is_a_conflict(git: GitPort) -> None:
    root = seed(git)
    other = write(git, "refs/heads/other", {"o.txt": b"o\n"}, parent=root)
    with pytest.raises(Conflict):
        git.merge_to_ref(
            REPO,
            source_sha=other,
            first_parent=MAIN,
            target_ref=MAIN,
            message="m",
            author=AUTHOR,
            expected_old=other,
        )
    assert git.resolve(REPO, MAIN) == root


# -- three_way -------------------------------------------------------------------------


def test_three_way_uses_the_explicit_base(git: GitPort) -> None:
    root = seed(git)
    ours = write(git, "refs/heads/ours", {APP: edit("b: 2", "b: 20"), "o.txt": b"o\n"}, parent=root)
    theirs = write(
        git, "refs/heads/theirs", {APP: edit("f: 6", "f: 60"), "README.md": None}, parent=root
    )
    out = three_way(git, root, ours, theirs)
    assert out.tree is not None
    assert _tree_files(git, out.tree) == {
        APP: BASE_APP.replace(b"b: 2", b"b: 20").replace(b"f: 6", b"f: 60"),
        "o.txt": b"o\n",
    }
    # with theirs as the base, the merge undoes theirs' changes on top of ours instead
    back = three_way(git, theirs, ours, root)
    assert back.tree is not None
    assert _tree_files(git, back.tree)["README.md"] == b"hello\n"
    info_ours = git.find_commit(REPO, ours)
    assert info_ours is not None
    assert three_way(git, root, ours, root).tree == info_ours.tree


def _tree_files(git: GitPort, tree: str) -> dict[str, bytes]:
    """Files of a tree id (tree reads accept tree ids as revisions)."""
    entries = git.list_tree(REPO, tree, recursive=True).entries
    paths = [e.path for e in entries if e.type == "blob"]
    return {b.path: b.data for b in git.read_blobs(REPO, tree, paths)}


def test_three_way_conflicts_report_paths(git: GitPort) -> None:
    root = seed(git)
    ours = write(
        git, "refs/heads/ours", {APP: edit("d: 4", "d: x"), "README.md": b"x\n"}, parent=root
    )
    theirs = write(
        git, "refs/heads/theirs", {APP: edit("d: 4", "d: y"), "README.md": None}, parent=root
    )
    out = three_way(git, root, ours, theirs)
    assert out.tree is None and out.conflicting_paths == ["README.md", APP]


# -- sync ------------------------------------------------------------------------------


def test_sync_builds_the_merge_in_the_scratch_ref_and_writes_no_branch(git: GitPort) -> None:
    root = seed(git)
    ws = write(git, "refs/heads/ws/a/demo", {"w.txt": b"w\n"}, parent=root)
    main = write(git, MAIN, {"m.txt": b"m\n"})
    out = git.sync_branch(
        REPO,
        branch_sha=ws,
        onto_sha=main,
        working_sha=None,
        scratch_ref="refs/conman/sync/w1",
        working_scratch_ref="refs/conman/sync-working/w1",
        message="Sync with main",
        author=AUTHOR,
    )
    assert out.clean and out.branch_sha is not None and out.working_sha is None
    assert git.resolve(REPO, "refs/conman/sync/w1") == out.branch_sha
    assert git.resolve(REPO, "refs/conman/sync-working/w1") is None
    assert git.resolve(REPO, MAIN) == main
    assert git.resolve(REPO, "refs/heads/ws/a/demo") == ws
    info = git.find_commit(REPO, out.branch_sha)
    assert info is not None and info.parents == [ws, main]
    assert git.is_ancestor(REPO, main, out.branch_sha)


def test_sync_replays_the_working_state_commits_onto_the_new_head(git: GitPort) -> None:
    root = seed(git)
    ws = write(git, "refs/heads/ws", {APP: edit("a: 1", "a: ws")}, parent=root)
    auto = "refs/conman/autosave/w1"
    write(git, auto, {"draft.txt": b"d1\n"}, parent=ws, message="Update draft.txt")
    working = write(
        git, auto, {APP: edit("a: 1", "a: ws").replace(b"e: 5", b"e: auto")}, message="Update app"
    )
    main = write(git, MAIN, {APP: edit("g: 7", "g: main")})
    out = git.sync_branch(
        REPO,
        branch_sha=ws,
        onto_sha=main,
        working_sha=working,
        scratch_ref="refs/conman/sync/w1",
        working_scratch_ref="refs/conman/sync-working/w1",
        message="Sync",
        author=AUTHOR,
    )
    assert out.branch_sha is not None and out.working_sha is not None
    assert git.resolve(REPO, "refs/conman/sync-working/w1") == out.working_sha
    replayed = git.list_commits(REPO, out.working_sha, exclude=out.branch_sha)
    assert [c.message for c in replayed] == ["Update app", "Update draft.txt"]
    files = files_at(git, out.working_sha)
    assert files[APP] == BASE_APP.replace(b"a: 1", b"a: ws").replace(b"e: 5", b"e: auto").replace(
        b"g: 7", b"g: main"
    )
    assert files["draft.txt"] == b"d1\n"
    assert git.resolve(REPO, auto) == working


def test_a_sync_conflict_changes_nothing_and_lists_the_paths(git: GitPort) -> None:
    root = seed(git)
    ws = write(git, "refs/heads/ws", {"w.txt": b"w\n"}, parent=root)
    working = write(git, "refs/conman/autosave/w1", {APP: edit("c: 3", "c: mine")}, parent=ws)
    main = write(git, MAIN, {APP: edit("c: 3", "c: main")})
    out = git.sync_branch(
        REPO,
        branch_sha=ws,
        onto_sha=main,
        working_sha=working,
        scratch_ref="refs/conman/sync/w1",
        working_scratch_ref="refs/conman/sync-working/w1",
        message="Sync",
        author=AUTHOR,
    )
    assert not out.clean and out.conflicting_paths == [APP]
    assert git.resolve(REPO, "refs/conman/sync/w1") is None
    assert git.resolve(REPO, "refs/conman/sync-working/w1") is None
    assert git.resolve(REPO, "refs/heads/ws") == ws and git.resolve(REPO, MAIN) == main


# -- revert ----------------------------------------------------------------------------


def _release(git: GitPort, changes: dict[str, bytes | None]) -> str:
    head = git.resolve(REPO, MAIN)
    assert head is not None
    ws = write(git, "refs/heads/ws", changes, parent=head)
    out = git.merge_to_ref(
        REPO, source_sha=ws, first_parent=MAIN, target_ref=MAIN, message="release", author=AUTHOR
    )
    assert out.sha is not None
    return out.sha


def test_revert_release_builds_one_commit_that_undoes_the_rolled_back_releases(
    git: GitPort,
) -> None:
    seed(git)
    target = _release(git, {"t.txt": b"t\n"})
    _release(git, {APP: edit("a: 1", "a: r2"), "new.txt": b"n\n"})
    current = _release(git, {APP: edit("a: 1", "a: r2").replace(b"g: 7", b"g: r3")})
    later = write(git, MAIN, {"hotfix.txt": b"h\n"})
    out = git.revert_release(
        REPO,
        integration_branch="main",
        expected_head=later,
        current_sha=current,
        target_sha=target,
        scratch_branch="conman/revert/rel1",
        message="Revert release r2 to r1",
        author=AUTHOR,
    )
    assert out.sha is not None and not out.empty and out.conflicting_paths == []
    assert git.resolve(REPO, MAIN) == later
    # LocalGit/InMemoryGit write one commit on H; Gitaly one revert per release merge
    reverts = git.list_commits(REPO, out.sha, exclude=later)
    assert reverts and all(len(c.parents) == 1 for c in reverts)
    assert reverts[-1].parents == [later]
    assert reverts[0].message == "Revert release r2 to r1"
    files = files_at(git, out.sha)
    assert files[APP] == BASE_APP and "new.txt" not in files
    assert files["hotfix.txt"] == b"h\n" and files["t.txt"] == b"t\n"


def test_revert_release_with_nothing_to_revert_is_empty(git: GitPort) -> None:
    seed(git)
    target = _release(git, {"t.txt": b"t\n"})
    out = git.revert_release(
        REPO,
        integration_branch="main",
        expected_head=target,
        current_sha=target,
        target_sha=target,
        scratch_branch="conman/revert/rel1",
        message="Revert",
        author=AUTHOR,
    )
    assert out.empty and out.sha is None
    assert git.resolve(REPO, "refs/heads/conman/revert/rel1") is None


def test_revert_release_reports_conflicts_with_later_changes(git: GitPort) -> None:
    seed(git)
    target = _release(git, {"t.txt": b"t\n"})
    current = _release(git, {APP: edit("c: 3", "c: r2")})
    later = write(git, MAIN, {APP: edit("c: 3", "c: hotfix")})
    out = git.revert_release(
        REPO,
        integration_branch="main",
        expected_head=later,
        current_sha=current,
        target_sha=target,
        scratch_branch="conman/revert/rel1",
        message="Revert",
        author=AUTHOR,
    )
    assert out.sha is None and out.conflicting_paths == [APP]
    assert git.resolve(REPO, "refs/heads/conman/revert/rel1") is None
    assert git.resolve(REPO, MAIN) == later


def test_revert_release_with_a_moved_integration_branch_is_a_conflict(git: GitPort) -> None:
    root = seed(git)
    current = _release(git, {"t.txt": b"t\n"})
    with pytest.raises(Conflict):
        git.revert_release(
            REPO,
            integration_branch="main",
            expected_head=root,
            current_sha=current,
            target_sha=root,
            scratch_branch="conman/revert/rel1",
            message="Revert",
            author=AUTHOR,
        )


# -- concurrency -----------------------------------------------------------------------


def test_concurrent_writers_on_one_ref_lose_by_conflict_and_no_commit_is_lost(git: GitPort) -> None:
    seed(git)
    threads, barrier = 8, threading.Barrier(8)
    conflicts: list[int] = []
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            barrier.wait()
            while True:
                head = git.resolve(REPO, MAIN)
                action = FileAction(action="create", path=f"t/{n}.txt", content=f"{n}\n".encode())
                try:
                    git.commit_files(
                        REPO,
                        ref=MAIN,
                        parent=head,
                        expected_old=head or ZERO_OID,
                        actions=[action],
                        message=f"w{n}",
                        author=AUTHOR,
                    )
                    return
                except Conflict:
                    conflicts.append(n)
        except BaseException as exc:
            errors.append(exc)

    pool = [threading.Thread(target=writer, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert errors == []
    history = git.list_commits(REPO, MAIN)
    assert sorted(c.message for c in history[:threads]) == sorted(f"w{n}" for n in range(threads))
    assert len(history) == threads + 1
    assert {f"t/{n}.txt" for n in range(threads)} <= set(files_at(git, MAIN))


def test_of_writers_racing_from_one_head_exactly_one_wins(git: GitPort) -> None:
    head = seed(git)
    barrier = threading.Barrier(8)
    results: list[str] = []

    def writer(n: int) -> None:
        barrier.wait()
        action = FileAction(action="create", path=f"{n}.txt", content=b"x")
        try:
            git.commit_files(
                REPO,
                ref=MAIN,
                parent=head,
                expected_old=head,
                actions=[action],
                message="m",
                author=AUTHOR,
            )
            results.append("won")
        except Conflict:
            results.append("lost")

    pool = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert sorted(results) == ["lost"] * 7 + ["won"]
    assert len(git.list_commits(REPO, MAIN)) == 2
