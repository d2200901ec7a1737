"""``plan_actions``: the file-action rules every git adapter applies."""

from __future__ import annotations

import pytest

from conman_domain.errors import Conflict, NotFound, Validation
from conman_domain.gitactions import FILE_MODE, PathChange, PathInfo, plan_actions
from conman_domain.gitmodel import FileAction, tree_sort_key

TREE = {
    "a.txt": PathInfo("blob", 0o100755, "1" * 40),
    "dir": PathInfo("tree", 0o40000, "2" * 40),
    "dir/b.txt": PathInfo("blob", FILE_MODE, "3" * 40),
}


def lookup(path: str) -> PathInfo | None:
    return TREE.get(path)


def test_update_keeps_the_mode_and_create_uses_a_regular_file_mode() -> None:
    changes = plan_actions(
        [
            FileAction(action="update", path="a.txt", content=b"x"),
            FileAction(action="create", path="new/c.txt", content=b"y"),
        ],
        lookup,
    )
    assert changes == {
        "a.txt": PathChange(mode=0o100755, content=b"x"),
        "new/c.txt": PathChange(mode=FILE_MODE, content=b"y"),
    }


def test_a_move_reuses_the_blob_and_deletes_the_source() -> None:
    changes = plan_actions(
        [FileAction(action="move", path="moved.txt", previous_path="dir/b.txt")], lookup
    )
    assert changes == {"dir/b.txt": None, "moved.txt": PathChange(mode=FILE_MODE, oid="3" * 40)}


def test_actions_see_the_effects_of_earlier_actions_of_the_same_commit() -> None:
    changes = plan_actions(
        [
            FileAction(action="delete", path="a.txt"),
            FileAction(action="create", path="a.txt", content=b"again"),
            FileAction(action="create", path="x/y.txt", content=b"1"),
        ],
        lookup,
    )
    assert changes["a.txt"] == PathChange(mode=FILE_MODE, content=b"again")
    with pytest.raises(Conflict):
        plan_actions(
            [
                FileAction(action="create", path="x/y.txt", content=b"1"),
                FileAction(action="create", path="x", content=b"2"),
            ],
            lookup,
        )


@pytest.mark.parametrize(
    ("action", "error"),
    [
        (FileAction(action="create", path="a.txt", content=b""), Conflict),
        (FileAction(action="create", path="dir", content=b""), Conflict),
        (FileAction(action="create", path="a.txt/sub", content=b""), Conflict),
        (FileAction(action="update", path="nope", content=b""), NotFound),
        (FileAction(action="delete", path="nope"), NotFound),
        (FileAction(action="delete", path="dir"), Validation),
        (FileAction(action="update", path="a.txt"), Validation),
        (FileAction(action="move", path="m.txt"), Validation),
        (FileAction(action="create", path="a/../b", content=b""), Validation),
    ],
)
def test_each_rule_violation_maps_to_its_domain_error(
    action: FileAction, error: type[Exception]
) -> None:
    with pytest.raises(error):
        plan_actions([action], lookup)


def test_listing_order_puts_directories_before_files_and_parents_before_children() -> None:
    entries = [
        ("b.txt", "blob"),
        ("a", "tree"),
        ("a/z.txt", "blob"),
        ("a/k", "tree"),
        ("B", "blob"),
    ]
    ordered = sorted(entries, key=lambda e: tree_sort_key(e[0], e[1]))  # type: ignore[arg-type]
    assert [p for p, _ in ordered] == ["a", "a/k", "a/z.txt", "B", "b.txt"]
