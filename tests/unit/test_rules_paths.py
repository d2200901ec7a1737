"""Path safety (API.md §8.1) and blocked-path globs (DOMAIN.md §8.3)."""

from __future__ import annotations

import pytest

from conman_domain.errors import Forbidden, Validation
from conman_domain.model import DEFAULT_BLOCKED_PATHS
from conman_domain.rules import blocked_by, check_not_blocked, glob_matches, validate_path

DEFAULTS = list(DEFAULT_BLOCKED_PATHS)


@pytest.mark.parametrize("path", [".git/config", ".github/workflows/ci.yml", ".gitignore"])
def test_default_patterns_block_the_spec_examples(path: str) -> None:
    with pytest.raises(Forbidden, match="path is blocked by app policy: `"):
        check_not_blocked(path, DEFAULTS)


@pytest.mark.parametrize("path", ["src/.gitignore", "src/.gitkeep", "config/app.json"])
def test_default_patterns_allow_the_spec_examples(path: str) -> None:
    check_not_blocked(path, DEFAULTS)
    assert blocked_by(path, DEFAULTS) is None


@pytest.mark.parametrize("path", ["a/.git/x", "a/.GIT", ".Git/config", "x/.gIt/y/z"])
def test_any_git_segment_in_any_case_is_always_blocked(path: str) -> None:
    assert blocked_by(path, []) == ".git"


def test_the_block_message_names_the_matching_pattern() -> None:
    with pytest.raises(Forbidden) as info:
        check_not_blocked(".github/x", DEFAULTS)
    assert info.value.message == "path is blocked by app policy: `.github/**`"


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("*.json", "a.json", True),
        ("*.json", "dir/sub/a.json", True),  # * crosses '/'
        ("**", "anything/at/all", True),
        ("secrets/**", "secrets/a/b", True),
        ("secrets/**", "other/secrets/a", False),  # no implicit prefix
        ("config/*.yml", "config/a.YML", False),  # case-sensitive
        ("a?c", "abc", True),
        ("a?c", "ac", False),
        ("a?c", "abbc", False),
        ("file[0-9].txt", "file5.txt", True),
        ("file[0-9].txt", "filex.txt", False),
        ("file[!0-9].txt", "filex.txt", True),
        ("file[!0-9].txt", "file5.txt", False),
        ("*.{json,yaml}", "x/a.yaml", True),
        ("*.{json,yaml}", "a.yml", False),
        ("{src,lib}/**", "lib/a", True),
        ("{src,lib}/**", "doc/a", False),
        ("a{b,{c,d}}e", "ade", True),
        ("a.b", "axb", False),  # '.' is literal
        ("a+b(c)", "a+b(c)", True),
        ("[unclosed", "[unclosed", True),
        ("{unclosed", "{unclosed", True),
        ("x", "x/y", False),  # whole-path match
    ],
)
def test_glob_semantics(pattern: str, path: str, matches: bool) -> None:
    assert glob_matches(pattern, path) is matches


@pytest.mark.parametrize(
    "path",
    [
        "/abs",
        "a/../b",
        "..",
        "./a",
        "a/./b",
        "a//b",
        "a/",
        "a\\b",
        "a\x00b",
        "a\x1fb",
        "a\x7fb",
        "a%2eb",
        "a%2Fb",
        "a%5cb",
        "a%5Cb",
        "x" * 4097,
        "é" * 2049,  # 4098 UTF-8 bytes
    ],
)
def test_malformed_paths_are_rejected(path: str) -> None:
    with pytest.raises(Validation, match=r"^validation: malformed path"):
        validate_path(path, for_write=True)
    with pytest.raises(Validation):
        validate_path(path, for_write=False)


def test_empty_path_is_the_root_for_reads_but_invalid_for_writes() -> None:
    assert validate_path("", for_write=False) == ""
    assert validate_path("/", for_write=False) == ""
    with pytest.raises(Validation):
        validate_path("", for_write=True)
    with pytest.raises(Validation):
        validate_path("/", for_write=True)


@pytest.mark.parametrize("path", ["a", "dir/file.json", "x" * 4096, "a/.hidden", "a%20b", "ü/ñ"])
def test_well_formed_paths_are_accepted(path: str) -> None:
    assert validate_path(path, for_write=True) == path
