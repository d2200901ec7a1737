"""The ``GitPort`` contract: repositories, refs, tags, commits, trees, blobs, history, diffs.

Merges, sync, revert and concurrency are in ``test_git_port_merges.py``. Every test
runs against every backend of ``git_backends.BACKENDS``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from git_backends import AUTHOR, BACKENDS, REPO, files_at, seed, write

from conman_domain.errors import Conflict, NotFound, Validation
from conman_domain.gitmodel import ZERO_OID, FileAction, RepoRef
from conman_domain.ports.git import GitPort

MAIN = "refs/heads/main"


@pytest.fixture(params=[name for name, _ in BACKENDS])
def git(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GitPort]:
    factory = dict(BACKENDS)[request.param]
    with factory(tmp_path) as port:
        yield port


# -- repositories ----------------------------------------------------------------------


def test_a_created_repository_exists_and_has_no_branches(git: GitPort) -> None:
    git.ping()
    assert not git.repository_exists(REPO)
    git.create_repository(REPO, default_branch="main")
    assert git.repository_exists(REPO)
    assert git.list_branches(REPO) == []
    assert git.resolve(REPO, MAIN) is None


def test_creating_an_existing_repository_is_a_conflict(git: GitPort) -> None:
    git.create_repository(REPO, default_branch="main")
    with pytest.raises(Conflict):
        git.create_repository(REPO, default_branch="main")


def test_a_removed_repository_is_gone_and_removing_it_again_is_not_found(git: GitPort) -> None:
    seed(git)
    git.remove_repository(REPO)
    assert not git.repository_exists(REPO)
    with pytest.raises(NotFound):
        git.remove_repository(REPO)


def test_every_call_on_a_missing_repository_is_not_found(git: GitPort) -> None:
    other = RepoRef(relative_path="apps/missing", gl_repository="app-missing")
    with pytest.raises(NotFound):
        git.resolve(other, MAIN)
    with pytest.raises(NotFound):
        git.list_branches(other)
    with pytest.raises(NotFound):
        git.list_tree(other, MAIN)


# -- refs and tags ---------------------------------------------------------------------


def test_resolve_answers_none_for_a_missing_ref_or_unknown_commit(git: GitPort) -> None:
    head = seed(git)
    assert git.resolve(REPO, MAIN) == head
    assert git.resolve(REPO, head) == head
    assert git.resolve(REPO, "refs/heads/nope") is None
    assert git.resolve(REPO, "1" * 40) is None


def test_creating_an_existing_branch_is_a_conflict(git: GitPort) -> None:
    head = seed(git)
    git.create_branch(REPO, "ws/alice/demo", head)
    assert git.resolve(REPO, "refs/heads/ws/alice/demo") == head
    with pytest.raises(Conflict):
        git.create_branch(REPO, "ws/alice/demo", head)


def test_creating_a_branch_at_an_unknown_commit_is_not_found(git: GitPort) -> None:
    seed(git)
    with pytest.raises(NotFound):
        git.create_branch(REPO, "feature", "2" * 40)
    assert git.resolve(REPO, "refs/heads/feature") is None


def test_update_ref_moves_only_from_the_expected_value(git: GitPort) -> None:
    first = seed(git)
    second = write(git, MAIN, {"a.txt": b"a\n"})
    git.update_ref(REPO, "refs/heads/env/prod", new_sha=first, expected_old=ZERO_OID)
    with pytest.raises(Conflict):
        git.update_ref(REPO, "refs/heads/env/prod", new_sha=second, expected_old=ZERO_OID)
    with pytest.raises(Conflict):
        git.update_ref(REPO, "refs/heads/env/prod", new_sha=second, expected_old=second)
    assert git.resolve(REPO, "refs/heads/env/prod") == first
    git.update_ref(REPO, "refs/heads/env/prod", new_sha=second, expected_old=first)
    assert git.resolve(REPO, "refs/heads/env/prod") == second


def test_an_unchecked_update_forces_a_scratch_ref(git: GitPort) -> None:
    first = seed(git)
    second = write(git, MAIN, {"a.txt": b"a\n"})
    git.update_ref(REPO, "refs/conman/sync/w1", new_sha=second, expected_old=None)
    git.update_ref(REPO, "refs/conman/sync/w1", new_sha=first, expected_old=None)
    assert git.resolve(REPO, "refs/conman/sync/w1") == first


def test_update_ref_to_an_unknown_commit_is_not_found(git: GitPort) -> None:
    seed(git)
    with pytest.raises(NotFound):
        git.update_ref(REPO, "refs/heads/x", new_sha="3" * 40, expected_old=None)


def test_delete_ref_checks_the_expected_value_and_unchecked_delete_is_idempotent(
    git: GitPort,
) -> None:
    head = seed(git)
    other = write(git, MAIN, {"a.txt": b"a\n"})
    git.update_ref(REPO, "refs/conman/compose/r1", new_sha=head, expected_old=ZERO_OID)
    with pytest.raises(Conflict):
        git.delete_ref(REPO, "refs/conman/compose/r1", expected_old=other)
    git.delete_ref(REPO, "refs/conman/compose/r1", expected_old=head)
    assert git.resolve(REPO, "refs/conman/compose/r1") is None
    git.delete_ref(REPO, "refs/conman/compose/r1", expected_old=None)
    with pytest.raises(Conflict):
        git.delete_ref(REPO, "refs/conman/compose/r1", expected_old=head)


@pytest.mark.parametrize(
    "ref", ["refs/heads/a..b", "refs/heads/x.lock", "heads/main", "refs/heads/a b"]
)
def test_invalid_ref_names_are_rejected(git: GitPort, ref: str) -> None:
    head = seed(git)
    with pytest.raises(Validation):
        git.update_ref(REPO, ref, new_sha=head, expected_old=None)


def test_branches_and_tags_are_listed_by_name_with_their_commits(git: GitPort) -> None:
    head = seed(git)
    second = write(git, MAIN, {"a.txt": b"a\n"})
    git.create_branch(REPO, "ws/bob/demo", head)
    git.create_branch(REPO, "env/prod", second)
    git.create_tag(REPO, "r2026.01.02.2", second)
    git.create_tag(REPO, "r2026.01.02.1", head)
    branches = [(b.name, b.sha) for b in git.list_branches(REPO)]
    assert branches == [("env/prod", second), ("main", second), ("ws/bob/demo", head)]
    tags = [(t.name, t.sha) for t in git.list_tags(REPO)]
    assert tags == [("r2026.01.02.1", head), ("r2026.01.02.2", second)]


def test_tags_are_immutable(git: GitPort) -> None:
    head = seed(git)
    second = write(git, MAIN, {"a.txt": b"a\n"})
    git.create_tag(REPO, "r2026.01.02.1", head)
    with pytest.raises(Conflict):
        git.create_tag(REPO, "r2026.01.02.1", second)
    with pytest.raises(Conflict):
        git.create_tag(REPO, "r2026.01.02.1", head)
    assert git.find_tag(REPO, "r2026.01.02.1") == head
    assert git.find_tag(REPO, "r2026.01.02.9") is None


# -- commits from file actions ---------------------------------------------------------


def test_a_commit_without_parent_is_a_root_commit_with_author_and_message(git: GitPort) -> None:
    head = seed(git)
    info = git.find_commit(REPO, head)
    assert info is not None
    assert info.parents == []
    assert info.message == "initial"
    assert (info.author.name, info.author.email) == (AUTHOR.name, AUTHOR.email)
    assert info.author.when == AUTHOR.when
    assert info.committer.email == AUTHOR.email
    assert files_at(git, head)["README.md"] == b"hello\n"


def test_creating_an_existing_file_is_a_conflict_and_writes_nothing(git: GitPort) -> None:
    head = seed(git)
    create = FileAction(action="create", path="README.md", content=b"x")
    with pytest.raises(Conflict):
        git.commit_files(
            REPO,
            ref=MAIN,
            parent=head,
            expected_old=head,
            actions=[create],
            message="m",
            author=AUTHOR,
        )
    assert git.resolve(REPO, MAIN) == head


@pytest.mark.parametrize("kind", ["update", "delete"])
def test_updating_or_deleting_a_missing_file_is_not_found(git: GitPort, kind: str) -> None:
    head = seed(git)
    action = FileAction(action=kind, path="nope.txt", content=b"x")  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        git.commit_files(
            REPO,
            ref=MAIN,
            parent=head,
            expected_old=head,
            actions=[action],
            message="m",
            author=AUTHOR,
        )


def test_deleting_a_directory_is_a_validation_error(git: GitPort) -> None:
    head = seed(git)
    action = FileAction(action="delete", path="config")
    with pytest.raises(Validation):
        git.commit_files(
            REPO,
            ref=MAIN,
            parent=head,
            expected_old=head,
            actions=[action],
            message="m",
            author=AUTHOR,
        )


def test_creating_a_file_below_a_file_is_a_conflict(git: GitPort) -> None:
    head = seed(git)
    action = FileAction(action="create", path="README.md/x", content=b"x")
    with pytest.raises(Conflict):
        git.commit_files(
            REPO,
            ref=MAIN,
            parent=head,
            expected_old=head,
            actions=[action],
            message="m",
            author=AUTHOR,
        )


@pytest.mark.parametrize("path", ["", "/abs", "a//b", "a/../b", "./a", "a/"])
def test_malformed_paths_and_empty_action_lists_are_validation_errors(
    git: GitPort, path: str
) -> None:
    head = seed(git)
    action = FileAction(action="create", path=path, content=b"x")
    with pytest.raises(Validation):
        git.commit_files(
            REPO,
            ref=MAIN,
            parent=head,
            expected_old=head,
            actions=[action],
            message="m",
            author=AUTHOR,
        )
    with pytest.raises(Validation):
        git.commit_files(
            REPO, ref=MAIN, parent=head, expected_old=head, actions=[], message="m", author=AUTHOR
        )


def test_move_keeps_the_content_and_removes_the_old_path(git: GitPort) -> None:
    head = seed(git)
    move = FileAction(action="move", path="docs/readme.md", previous_path="README.md")
    sha = git.commit_files(
        REPO, ref=MAIN, parent=head, expected_old=head, actions=[move], message="mv", author=AUTHOR
    )
    files = files_at(git, sha)
    assert files["docs/readme.md"] == b"hello\n"
    assert "README.md" not in files


def test_a_commit_with_a_stale_expected_head_is_a_conflict(git: GitPort) -> None:
    head = seed(git)
    write(git, MAIN, {"a.txt": b"a\n"})
    moved = git.resolve(REPO, MAIN)
    action = FileAction(action="create", path="b.txt", content=b"b")
    with pytest.raises(Conflict):
        git.commit_files(
            REPO,
            ref=MAIN,
            parent=head,
            expected_old=head,
            actions=[action],
            message="m",
            author=AUTHOR,
        )
    assert git.resolve(REPO, MAIN) == moved


def test_the_first_autosave_commit_starts_on_the_branch_head(git: GitPort) -> None:
    head = seed(git)
    autosave = "refs/conman/autosave/w1"
    action = FileAction(action="update", path="README.md", content=b"bye\n")
    sha = git.commit_files(
        REPO,
        ref=autosave,
        parent=head,
        expected_old=ZERO_OID,
        actions=[action],
        message="Update README.md",
        author=AUTHOR,
    )
    info = git.find_commit(REPO, sha)
    assert info is not None and info.parents == [head]
    assert git.resolve(REPO, MAIN) == head
    with pytest.raises(Conflict):
        git.commit_files(
            REPO,
            ref=autosave,
            parent=head,
            expected_old=ZERO_OID,
            actions=[action],
            message="again",
            author=AUTHOR,
        )


def test_squash_makes_one_commit_with_the_working_tree_on_the_branch_head(git: GitPort) -> None:
    head = seed(git)
    autosave = "refs/conman/autosave/w1"
    write(git, autosave, {"a.txt": b"1\n"}, parent=head)
    working = write(git, autosave, {"b.txt": b"2\n", "README.md": None})
    sha = git.squash(
        REPO,
        source_sha=working,
        branch_ref=MAIN,
        expected_old=head,
        message="Checkpoint",
        author=AUTHOR,
    )
    info = git.find_commit(REPO, sha)
    assert info is not None and info.parents == [head] and info.message == "Checkpoint"
    assert git.resolve(REPO, MAIN) == sha
    assert files_at(git, sha) == files_at(git, working)
    with pytest.raises(Conflict):
        git.squash(
            REPO,
            source_sha=working,
            branch_ref=MAIN,
            expected_old=head,
            message="again",
            author=AUTHOR,
        )


# -- trees and blobs -------------------------------------------------------------------

TREE_FILES: dict[str, bytes | None] = {
    "b.txt": b"b\n",
    "A.txt": b"A\n",
    "z/one.txt": b"1\n",
    "a/two.txt": b"2\n",
    "a/sub/three.txt": b"3\n",
    "a/a.txt": b"aa\n",
    "_x.txt": b"x\n",
}


def test_a_one_level_listing_has_directories_first_then_files_by_byte_order(
    git: GitPort,
) -> None:
    head = seed(git, TREE_FILES)
    page = git.list_tree(REPO, head)
    assert [(e.name, e.type) for e in page.entries] == [
        ("a", "tree"),
        ("z", "tree"),
        ("A.txt", "blob"),
        ("_x.txt", "blob"),
        ("b.txt", "blob"),
    ]
    assert page.total == 5
    blob = page.entries[2]
    assert blob.size == 2 and blob.mode == 0o100644 and len(blob.oid) == 40
    assert page.entries[0].size is None


def test_a_recursive_listing_is_a_pre_order_walk_with_directories_first(git: GitPort) -> None:
    head = seed(git, TREE_FILES)
    paths = [e.path for e in git.list_tree(REPO, head, recursive=True).entries]
    assert paths == [
        "a",
        "a/sub",
        "a/sub/three.txt",
        "a/a.txt",
        "a/two.txt",
        "z",
        "z/one.txt",
        "A.txt",
        "_x.txt",
        "b.txt",
    ]
    sub = git.list_tree(REPO, head, "a", recursive=True).entries
    assert [e.path for e in sub] == ["a/sub", "a/sub/three.txt", "a/a.txt", "a/two.txt"]


def test_a_listing_is_paginated_with_the_total(git: GitPort) -> None:
    head = seed(git, TREE_FILES)
    full = git.list_tree(REPO, head, recursive=True)
    page = git.list_tree(REPO, head, recursive=True, offset=3, limit=4)
    assert page.total == full.total == 10
    assert page.entries == full.entries[3:7]
    assert git.list_tree(REPO, head, "/a/", offset=10).entries == []


def test_listing_a_missing_path_is_not_found_and_a_file_is_a_validation_error(
    git: GitPort,
) -> None:
    head = seed(git, TREE_FILES)
    with pytest.raises(NotFound):
        git.list_tree(REPO, head, "nope")
    with pytest.raises(Validation):
        git.list_tree(REPO, head, "b.txt")
    with pytest.raises(NotFound):
        git.list_tree(REPO, "refs/heads/nope")


def test_get_entry_describes_files_directories_and_the_root(git: GitPort) -> None:
    head = seed(git, TREE_FILES)
    file = git.get_entry(REPO, head, "a/sub/three.txt")
    assert file is not None
    assert (file.path, file.name, file.type, file.size) == (
        "a/sub/three.txt",
        "three.txt",
        "blob",
        2,
    )
    folder = git.get_entry(REPO, head, "a/sub")
    assert folder is not None and folder.type == "tree" and folder.size is None
    root = git.get_entry(REPO, head, "")
    assert root is not None and root.type == "tree"
    assert git.get_entry(REPO, head, "a/nope") is None
    assert git.get_entry(REPO, head, "b.txt/x") is None


def test_read_blobs_returns_the_requested_files_in_order_and_skips_missing_ones(
    git: GitPort,
) -> None:
    head = seed(git, TREE_FILES)
    blobs = git.read_blobs(REPO, head, ["z/one.txt", "missing", "a", "b.txt"])
    assert [(b.path, b.data, b.size) for b in blobs] == [
        ("z/one.txt", b"1\n", 2),
        ("b.txt", b"b\n", 2),
    ]
    entry = git.get_entry(REPO, head, "b.txt")
    assert entry is not None and blobs[1].oid == entry.oid


def test_binary_content_round_trips(git: GitPort) -> None:
    data = bytes(range(256)) * 3
    head = seed(git, {"bin/blob.dat": data, "empty.txt": b""})
    blobs = git.read_blobs(REPO, head, ["bin/blob.dat", "empty.txt"])
    assert [b.data for b in blobs] == [data, b""]


def test_materialize_writes_the_tree_into_an_empty_directory(git: GitPort, tmp_path: Path) -> None:
    head = seed(git, TREE_FILES)
    dest = tmp_path / "out"
    git.materialize(REPO, head, dest)
    written = {str(p.relative_to(dest)): p.read_bytes() for p in dest.rglob("*") if p.is_file()}
    assert written == files_at(git, head)
    with pytest.raises(Validation):
        git.materialize(REPO, head, dest)


# -- history ---------------------------------------------------------------------------


def test_list_commits_is_newest_first_and_honours_exclude_and_limit(git: GitPort) -> None:
    root = seed(git)
    c1 = write(git, MAIN, {"a.txt": b"1\n"}, message="one")
    c2 = write(git, MAIN, {"a.txt": b"2\n"}, message="two")
    assert [c.sha for c in git.list_commits(REPO, MAIN)] == [c2, c1, root]
    assert [c.sha for c in git.list_commits(REPO, MAIN, exclude=root)] == [c2, c1]
    assert [c.message for c in git.list_commits(REPO, MAIN, limit=1)] == ["two"]
    assert git.list_commits(REPO, c1, exclude=c2) == []


def test_is_ancestor_and_merge_base(git: GitPort) -> None:
    root = seed(git)
    left = write(git, "refs/heads/left", {"l.txt": b"l\n"}, parent=root)
    right = write(git, "refs/heads/right", {"r.txt": b"r\n"}, parent=root)
    assert git.is_ancestor(REPO, root, left)
    assert git.is_ancestor(REPO, left, left)
    assert not git.is_ancestor(REPO, left, right)
    assert git.merge_base(REPO, left, right) == root
    lone = write(git, "refs/heads/lone", {"x.txt": b"x\n"}, parent=False)
    assert git.merge_base(REPO, lone, left) is None
    with pytest.raises(NotFound):
        git.is_ancestor(REPO, "4" * 40, left)


def test_find_commit_is_none_for_an_unknown_revision(git: GitPort) -> None:
    seed(git)
    assert git.find_commit(REPO, "refs/heads/nope") is None
    assert git.find_commit(REPO, "5" * 40) is None


# -- diffs -----------------------------------------------------------------------------


def test_a_diff_reports_added_modified_and_deleted_files_with_line_counts(git: GitPort) -> None:
    old = seed(git)
    new = write(
        git,
        MAIN,
        {
            "README.md": None,
            "config/app.yaml": b"a: 1\nb: 2\nc: 33\nd: 4\ne: 5\nf: 6\ng: 7\n",
            "n.txt": b"x\ny\n",
        },
    )
    diff = git.diff(REPO, old, new)
    summary = [(f.old_path, f.new_path, f.status, f.additions, f.deletions) for f in diff.files]
    assert summary == [
        ("README.md", None, "deleted", 0, 1),
        ("config/app.yaml", "config/app.yaml", "modified", 1, 1),
        (None, "n.txt", "added", 2, 0),
    ]
    assert diff.changed_paths == ["README.md", "config/app.yaml", "n.txt"]
    patch = diff.files[1].patch
    assert patch.startswith("diff --git a/config/app.yaml b/config/app.yaml\n")
    assert "@@ -1,6 +1,6 @@\n a: 1\n b: 2\n-c: 3\n+c: 33\n d: 4\n e: 5\n f: 6\n" in patch
    assert diff.patch == "".join(f.patch for f in diff.files)


def test_a_diff_detects_renames_with_their_old_path(git: GitPort) -> None:
    old = seed(git)
    move = FileAction(action="move", path="conf/app.yaml", previous_path="config/app.yaml")
    new = git.commit_files(
        REPO, ref=MAIN, parent=old, expected_old=old, actions=[move], message="mv", author=AUTHOR
    )
    [renamed] = git.diff(REPO, old, new).files
    assert (renamed.old_path, renamed.new_path, renamed.status) == (
        "config/app.yaml",
        "conf/app.yaml",
        "renamed",
    )
    assert (renamed.additions, renamed.deletions) == (0, 0)


def test_a_diff_from_the_empty_tree_adds_everything_and_marks_binaries(git: GitPort) -> None:
    head = seed(git, {"t.txt": b"one\ntwo\n", "b.bin": b"\x00\x01\x02"})
    diff = git.diff(REPO, None, head)
    assert [(f.new_path, f.status, f.binary, f.additions) for f in diff.files] == [
        ("b.bin", "added", True, 0),
        ("t.txt", "added", False, 2),
    ]
    assert "+one\n+two\n" in diff.files[1].patch
    assert git.diff(REPO, head, head).files == []


def test_of_concurrent_creators_of_one_repository_exactly_one_succeeds(git: GitPort) -> None:
    barrier = threading.Barrier(4)
    results: list[str] = []

    def create() -> None:
        barrier.wait()
        try:
            git.create_repository(REPO, default_branch="main")
            results.append("created")
        except Conflict:
            results.append("conflict")
        except Exception as exc:  # recorded so that the assertion shows it
            results.append(f"unexpected {exc!r}")

    pool = [threading.Thread(target=create) for _ in range(4)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert sorted(results) == ["conflict"] * 3 + ["created"]
    assert git.repository_exists(REPO)


def test_paths_with_spaces_and_non_ascii_letters_work_everywhere(git: GitPort) -> None:
    name = "dir with space/ünïcode file.txt"
    old = seed(git, {name: b"one\n", "plain.txt": b"p\n"})
    assert [e.path for e in git.list_tree(REPO, old, recursive=True).entries] == [
        "dir with space",
        name,
        "plain.txt",
    ]
    assert [b.data for b in git.read_blobs(REPO, old, [name])] == [b"one\n"]
    new = write(git, MAIN, {name: b"two\n"})
    [changed] = git.diff(REPO, old, new).files
    assert (changed.old_path, changed.new_path, changed.additions, changed.deletions) == (
        name,
        name,
        1,
        1,
    )
    # git ends a file name containing a space with a tab on the ---/+++ lines
    assert f"--- a/{name}\t\n+++ b/{name}\t\n@@ -1 +1 @@\n-one\n+two\n" in changed.patch
