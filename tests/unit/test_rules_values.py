"""Masking, env var validation and rendering, baseline resolution, settings."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from conman_domain.errors import Validation
from conman_domain.model import (
    AppSettings,
    BaselineMode,
    BaseRefType,
    GateConfig,
    Release,
    ReleaseState,
    TypedValue,
    ValidationGates,
    ValueType,
)
from conman_domain.rules import (
    mask_secret,
    render_env_value,
    resolve_baseline,
    validate_env_key,
    validate_env_vars,
    validate_secret_values,
    validate_settings,
    validate_typed_value,
)

NOW = datetime(2026, 2, 25, tzinfo=UTC)


@pytest.mark.parametrize(
    ("plain", "masked"),
    [
        ("", "****"),
        ("abcd", "****"),
        ("abcde", "****bcde"),
        ("abcdefgh", "****efgh"),
        ("abcdefghi", "abcd****fghi"),
        ("😀😀😀😀😀", "****😀😀😀😀"),  # code points, not bytes
        ("ßßßßßßßßßß", "ßßßß****ßßßß"),
    ],
)
def test_secret_previews_follow_the_length_table(plain: str, masked: str) -> None:
    assert mask_secret(plain) == masked


@pytest.mark.parametrize(
    "key", ["1ABC", "A-B", "", "A" * 129, "CONMAN_X", "conman_x", "Conman_Token", "A B"]
)
def test_invalid_or_reserved_env_keys_are_rejected(key: str) -> None:
    with pytest.raises(Validation):
        validate_env_key(key)


@pytest.mark.parametrize("key", ["A", "_x", "a1_B", "A" * 128, "CONMANX", "MY_CONMAN_X"])
def test_valid_env_keys_are_accepted(key: str) -> None:
    validate_env_key(key)


@pytest.mark.parametrize(
    ("vtype", "value"),
    [
        ("string", 1),
        ("string", "x" * 65_537),
        ("number", True),
        ("number", "1"),
        ("number", float("inf")),
        ("number", float("nan")),
        ("boolean", "yes"),
        ("boolean", 0),
        ("json", "x" * 65_536),  # serialized with quotes: 65,538 chars
        ("json", float("nan")),
    ],
)
def test_typed_values_that_do_not_match_their_type_are_rejected(vtype: str, value: Any) -> None:
    with pytest.raises(Validation) as info:
        validate_typed_value("KEY", TypedValue(type=ValueType(vtype), value=value))
    assert info.value.fields[0].field == "env_vars.KEY"


@pytest.mark.parametrize(
    ("vtype", "value"),
    [
        ("string", ""),
        ("string", "x" * 65_536),
        ("number", 1),
        ("number", -2.5),
        ("boolean", False),
        ("json", None),
        ("json", {"a": [1, "b", None]}),
    ],
)
def test_typed_values_matching_their_type_are_accepted(vtype: str, value: Any) -> None:
    validate_typed_value("KEY", TypedValue(type=ValueType(vtype), value=value))


def test_numbers_are_stored_as_doubles() -> None:
    tv = validate_typed_value("N", TypedValue(type=ValueType.NUMBER, value=3))
    assert tv.value == 3.0
    assert isinstance(tv.value, float)


def test_env_var_maps_report_every_bad_entry_and_keep_removals() -> None:
    good = {"A": TypedValue(type=ValueType.STRING, value="x"), "B": None}
    assert validate_env_vars(good) == good
    bad = {"1X": None, "Y": TypedValue(type=ValueType.BOOLEAN, value=1), "OK": None}
    with pytest.raises(Validation) as info:
        validate_env_vars(bad)
    assert [f.field for f in info.value.fields] == ["env_vars.1X", "env_vars.Y"]
    with pytest.raises(Validation):
        validate_env_vars({f"K{i}": None for i in range(501)})


def test_secret_values_need_one_to_65536_characters() -> None:
    validate_secret_values({"A": "x", "B": None, "C": "y" * 65_536})
    for bad in ({"A": ""}, {"A": "y" * 65_537}, {"CONMAN_A": "x"}):
        with pytest.raises(Validation):
            validate_secret_values(bad)
    with pytest.raises(Validation):
        validate_secret_values({f"K{i}": "v" for i in range(201)})


@pytest.mark.parametrize(
    ("vtype", "value", "rendered"),
    [
        ("string", "a b", "a b"),
        ("number", 5.0, "5"),
        ("number", 5, "5"),
        ("number", -0.0, "0"),
        ("number", 0.1, "0.1"),
        ("number", 1e20, "100000000000000000000"),
        ("number", 1.5e-7, "1.5e-07"),
        ("boolean", True, "true"),
        ("boolean", False, "false"),
        ("json", {"b": [1, "é"], "a": None}, '{"b":[1,"é"],"a":null}'),
        ("json", None, "null"),
    ],
)
def test_env_values_render_for_commands(vtype: str, value: Any, rendered: str) -> None:
    assert render_env_value(TypedValue(type=ValueType(vtype), value=value)) == rendered


def _release(sha: str | None, tag: str | None) -> Release:
    return Release(
        id="r" * 24,
        created_at=NOW,
        updated_at=NOW,
        app_id="a" * 24,
        state=ReleaseState.DEPLOYED_FULL,
        published_sha=sha,
        tag=tag,
        created_by="u",
    )


def test_baseline_is_the_canonical_release_tag_when_deployed() -> None:
    b = resolve_baseline(
        BaselineMode.CANONICAL_ENV_RELEASE, "main", "h" * 40, _release("p" * 40, "r2026.02.25.1")
    )
    assert (b.sha, b.ref_type, b.ref_value) == ("p" * 40, BaseRefType.TAG, "r2026.02.25.1")


def test_baseline_is_the_integration_head_when_never_deployed_or_in_head_mode() -> None:
    for mode, release in [
        (BaselineMode.CANONICAL_ENV_RELEASE, None),
        (BaselineMode.INTEGRATION_HEAD, _release("p" * 40, "r2026.02.25.1")),
    ]:
        b = resolve_baseline(mode, "main", "h" * 40, release)
        assert (b.sha, b.ref_type, b.ref_value) == ("h" * 40, BaseRefType.BRANCH, "main")


def test_default_settings_are_valid() -> None:
    validate_settings(AppSettings())


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"blocked_paths": [""]}, "blocked_paths[0]"),
        ({"blocked_paths": ["x" * 257]}, "blocked_paths[0]"),
        ({"blocked_paths": ["a"] * 101}, "blocked_paths"),
        ({"file_size_limit_bytes": 0}, "file_size_limit_bytes"),
        ({"file_size_limit_bytes": 52_428_801}, "file_size_limit_bytes"),
        ({"required_approvals": 0}, "required_approvals"),
        ({"required_approvals": 6}, "required_approvals"),
        ({"deploy_command": GateConfig(command="")}, "deploy_command.command"),
        ({"deploy_command": GateConfig(timeout_seconds=7201)}, "deploy_command.timeout_seconds"),
        (
            {"validation_gates": ValidationGates(release=GateConfig(command="x" * 4097))},
            "validation_gates.release.command",
        ),
        ({"temp_url_domain": "Bad.Example"}, "temp_url_domain"),
        ({"temp_url_domain": "a..b"}, "temp_url_domain"),
        ({"temp_url_domain": ("a" * 63 + ".") * 4 + "abc"}, "temp_url_domain"),
        ({"temp_url_domain": "x" * 64 + ".io"}, "temp_url_domain"),
        ({"temp_env_ttl_hours": 0}, "temp_env_ttl_hours"),
        ({"temp_env_ttl_hours": 169}, "temp_env_ttl_hours"),
        ({"temp_env_grace_hours": -1}, "temp_env_grace_hours"),
        ({"temp_env_grace_hours": 73}, "temp_env_grace_hours"),
    ],
)
def test_settings_outside_their_ranges_are_rejected(changes: dict[str, Any], field: str) -> None:
    import msgspec

    with pytest.raises(Validation) as info:
        validate_settings(msgspec.structs.replace(AppSettings(), **changes))
    assert field in [f.field for f in info.value.fields]


def test_settings_at_their_bounds_are_accepted() -> None:
    import msgspec

    s = msgspec.structs.replace(
        AppSettings(),
        blocked_paths=["x" * 256] * 100,
        file_size_limit_bytes=52_428_800,
        required_approvals=5,
        deploy_command=GateConfig(command="x" * 4096, timeout_seconds=7200),
        temp_url_domain="preview.example-1.com",
        temp_env_ttl_hours=168,
        temp_env_grace_hours=0,
    )
    validate_settings(s)
