"""Branch names, slugs, env refs, drift branches and release tags."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from conman_domain.errors import Validation
from conman_domain.model import TempEnvKind
from conman_domain.rules import (
    default_workspace_branch,
    drift_branch,
    env_branch_ref,
    environment_slug,
    next_release_tag,
    temp_db_name,
    temp_host,
    temp_snapshot_branch,
    temp_source_key,
    validate_branch_name,
)


@pytest.mark.parametrize(
    "name",
    [
        "../evil", "-x", "a b", "a;b", "$(x)", "", "x" * 201, "/a", ".a", "a/", "a.",
        "a.lock", "a..b", "a//b", "a@{b", "a/.b", "main", "refs/x", "env/x", "temp/x",
        "drift/x", "conman/x",
    ],
)  # fmt: skip
def test_custom_branch_names_outside_the_rules_are_rejected(name: str) -> None:
    with pytest.raises(Validation):
        validate_branch_name(name, integration_branch="main")


@pytest.mark.parametrize("name", ["feature/x", "a", "release-1.2", "x_y", "a.b/c-d", "x" * 200])
def test_custom_branch_names_within_the_rules_are_accepted(name: str) -> None:
    assert validate_branch_name(name, integration_branch="main") == name


def test_integration_branch_itself_is_checked_without_the_self_rule() -> None:
    assert validate_branch_name("main") == "main"


@pytest.mark.parametrize(
    ("email", "app", "expected"),
    [
        ("Alice@example.com", "My_App", "ws/alice/my_app"),
        ("alice.smith@example.com", "web-shop", "ws/alice-smith/web-shop"),
        ("...@example.com", "---", "ws/user/app"),
        ("Bob+Tag@x.io", "Shop  2", "ws/bob-tag/shop-2"),
    ],
)
def test_default_workspace_branch_examples(email: str, app: str, expected: str) -> None:
    assert default_workspace_branch(email, app) == expected


def test_taken_default_branch_names_get_numeric_suffixes() -> None:
    taken = {"ws/alice/my_app", "ws/alice/my_app-2"}
    assert default_workspace_branch("alice@x.io", "My_App", taken) == "ws/alice/my_app-3"
    assert default_workspace_branch("alice@x.io", "My_App", {"ws/alice/my_app"}) == (
        "ws/alice/my_app-2"
    )


@pytest.mark.parametrize(
    ("name", "slug"),
    [("Production", "production"), ("QA / Staging!", "qa-staging"), ("  UAT 2 ", "uat-2")],
)
def test_environment_slugs(name: str, slug: str) -> None:
    assert environment_slug(name) == slug


def test_a_name_without_slug_characters_is_invalid() -> None:
    with pytest.raises(Validation):
        environment_slug("!!!")


def test_env_branch_refs_get_suffixes_on_a_clash() -> None:
    assert env_branch_ref("qa") == "refs/heads/env/qa"
    assert env_branch_ref("qa", {"refs/heads/env/qa"}) == "refs/heads/env/qa-2"
    assert env_branch_ref("qa", {"refs/heads/env/qa", "refs/heads/env/qa-2"}) == (
        "refs/heads/env/qa-3"
    )


def test_drift_branch_takes_one_more_than_the_highest_number() -> None:
    assert drift_branch("prod", []) == "drift/prod/1"
    existing = ["drift/prod/1", "drift/prod/7", "drift/prod/x", "drift/qa/9", "drift/prod/3"]
    assert drift_branch("prod", existing) == "drift/prod/8"


def test_release_tag_numbers_restart_each_utc_day() -> None:
    day = datetime(2026, 2, 25, 23, 30, tzinfo=UTC)
    assert next_release_tag(day, []) == "r2026.02.25.1"
    tags = ["r2026.02.25.1", "r2026.02.25.10", "r2026.02.24.99", "r2026.02.25.x", "v1"]
    assert next_release_tag(day, tags) == "r2026.02.25.11"
    assert next_release_tag(day + timedelta(hours=1), tags) == "r2026.02.26.1"


def test_release_tag_uses_the_utc_date_of_an_offset_timestamp() -> None:
    local = datetime(2026, 2, 26, 1, 0, tzinfo=timezone(timedelta(hours=3)))
    assert next_release_tag(local, []) == "r2026.02.25.1"


def test_temp_env_hosts_are_built_from_app_kind_and_word() -> None:
    host = temp_host("My Shop!", TempEnvKind.WORKSPACE, "brave-otter", "preview.example.com")
    assert host == "my-shop-ws-brave-otter.preview.example.com"
    long = temp_host("A" * 40, TempEnvKind.CHANGESET, "calm-fox", "x.io", suffix="beef")
    assert long == "a" * 20 + "-cs-calm-fox-beef.x.io"


def test_temp_env_hosts_never_contain_conman() -> None:
    with pytest.raises(Validation):
        temp_host("conman-demo", TempEnvKind.WORKSPACE, "brave-otter", "x.io")


def test_temp_env_resource_names() -> None:
    app_id, tid = "0123456789abcdef01abcdef", "f" * 24
    assert temp_db_name(app_id, tid) == f"tmp_abcdef_{tid}"
    assert temp_snapshot_branch(tid, TempEnvKind.WORKSPACE, "ws/a/b") == f"temp/{tid}/ws/a/b"
    assert temp_snapshot_branch(tid, TempEnvKind.CHANGESET, "c1") == f"temp/{tid}/changeset-c1"
    assert temp_source_key(TempEnvKind.CHANGESET, "c1") == "cs:c1"
    assert temp_source_key(TempEnvKind.WORKSPACE, "w1") == "ws:w1"
