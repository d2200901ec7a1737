"""Profile precedence (DOMAIN.md §15.3), override conflicts (§12.2), environment lists (§5)."""

from __future__ import annotations

import pytest

from conman_domain.errors import Validation
from conman_domain.model import (
    DatabaseOverride,
    DatabaseSettings,
    DataStrategyOverride,
    OverrideOperation,
    OverrideSnapshot,
    ProfileSnapshot,
    ProvisioningMode,
    SecretOverride,
    SecretRecord,
    SeedMode,
    TypedValue,
    ValueType,
)
from conman_domain.rules import (
    ConflictKind,
    EnvironmentEntry,
    apply_env_var_overrides,
    find_override_conflicts,
    resolve_profile,
    typed_values_equal,
    validate_environment_list,
)


def tv(vtype: str, value: object) -> TypedValue:
    return TypedValue(type=ValueType(vtype), value=value)


def rec(plain: str) -> SecretRecord:
    # The fake "ciphertext" is the plaintext; decrypt() below reads it back.
    return SecretRecord(kid="v1", wrapped_dek="d", nonce=plain[::-1], ciphertext=plain)


def decrypt(record: SecretRecord, profile_id: str, key: str) -> str:
    return record.ciphertext


def ov(env: str = "E", **kw: object) -> OverrideSnapshot:
    return OverrideSnapshot(target_environment_id=env, target_profile_id=f"P{env}", **kw)  # type: ignore[arg-type]


DEFAULTS = ProfileSnapshot(
    name="App defaults",
    base_url="https://defaults",
    env_vars={"A": tv("string", "d"), "B": tv("number", 1.0)},
    secrets={"S": rec("default-secret"), "T": rec("t")},
    database=DatabaseSettings(connection_ref="IGNORED"),
)
ENV = ProfileSnapshot(
    name="prod",
    base_url="https://prod",
    env_vars={"B": tv("number", 2.0), "C": tv("boolean", True)},
    secrets={"S": rec("prod-secret")},
    database=DatabaseSettings(connection_ref="DB_URI"),
)


def test_later_layers_win_per_key_and_other_fields_come_from_the_profile() -> None:
    r = resolve_profile(("pd", DEFAULTS), ("pe", ENV))
    assert r.env_vars == {"A": tv("string", "d"), "B": tv("number", 2.0), "C": tv("boolean", True)}
    assert r.secrets["S"].record == rec("prod-secret")
    assert r.secrets["S"].profile_id == "pe"
    assert r.secrets["T"].profile_id == "pd"
    assert r.base_url == "https://prod"
    assert r.database.connection_ref == "DB_URI"


def test_overrides_apply_in_order_and_removals_delete_keys() -> None:
    first = ov(
        env_var_overrides_typed={"A": None, "D": tv("json", [1])},
        secret_overrides_encrypted={
            "S": SecretOverride(operation=OverrideOperation.SET, record=rec("override")),
            "T": SecretOverride(operation=OverrideOperation.REMOVE),
        },
        base_url="https://override",
        database_overrides=DatabaseOverride(provisioning_mode=ProvisioningMode.EMPTY),
        data_overrides=DataStrategyOverride(seed_mode=SeedMode.BASELINE),
    )
    second = ov(env_var_overrides_typed={"D": tv("json", [2]), "A": tv("string", "back")})
    r = resolve_profile(("pd", DEFAULTS), ("pe", ENV), [first, second])
    assert r.env_vars["A"] == tv("string", "back")
    assert r.env_vars["D"] == tv("json", [2])
    assert "T" not in r.secrets
    assert r.secrets["S"].record == rec("override")
    assert r.secrets["S"].profile_id == "PE"  # the override's target profile (AAD)
    assert r.base_url == "https://override"
    assert r.database.provisioning_mode is ProvisioningMode.EMPTY
    assert r.database.connection_ref == "DB_URI"  # not overridden
    assert r.data_strategy.seed_mode is SeedMode.BASELINE
    assert r.data_strategy.seed_source_ref is None


def test_an_override_can_set_a_database_field_to_null() -> None:
    r = resolve_profile(
        None, ("pe", ENV), [ov(database_overrides=DatabaseOverride(connection_ref=None))]
    )
    assert r.database.connection_ref is None


def test_request_env_var_overrides_set_and_remove() -> None:
    r = resolve_profile(None, ("pe", ENV))
    r = apply_env_var_overrides(r, {"B": None, "Z": tv("string", "z")})
    assert r.env_vars == {"C": tv("boolean", True), "Z": tv("string", "z")}


@pytest.mark.parametrize(
    ("a", "b", "equal"),
    [
        (tv("number", 1), tv("number", 1.0), True),
        (tv("json", {"x": [1, {"y": 2.0}]}), tv("json", {"x": [1.0, {"y": 2}]}), True),
        (tv("json", [True]), tv("json", [1]), False),
        (tv("json", {"a": 1}), tv("json", {"a": 1, "b": 2}), False),
        (tv("json", None), tv("json", None), True),
        (tv("string", "1"), tv("number", 1), False),
        (tv("json", "1"), tv("string", "1"), False),
        (tv("boolean", True), tv("boolean", True), True),
        (None, None, True),
        (None, tv("json", None), False),
    ],
)
def test_typed_value_equality(a: TypedValue | None, b: TypedValue | None, equal: bool) -> None:
    assert typed_values_equal(a, b) is equal
    assert typed_values_equal(b, a) is equal


def test_conflicts_are_the_keys_given_different_values_for_the_same_environment() -> None:
    mine = [
        ov(
            env_var_overrides_typed={
                "SAME": tv("number", 1),
                "DIFF": tv("string", "a"),
                "RM": None,
            },
            secret_overrides_encrypted={
                "S1": SecretOverride(operation=OverrideOperation.SET, record=rec("x")),
                "S2": SecretOverride(operation=OverrideOperation.SET, record=rec("x")),
                "S3": SecretOverride(operation=OverrideOperation.REMOVE),
            },
            base_url="https://a",
            database_overrides=DatabaseOverride(
                connection_ref="A", provisioning_mode=ProvisioningMode.EMPTY
            ),
            data_overrides=DataStrategyOverride(seed_mode=SeedMode.NONE),
        ),
        ov("OTHER_ENV", env_var_overrides_typed={"DIFF": tv("string", "z")}),
    ]
    theirs = [
        ov(
            env_var_overrides_typed={
                "SAME": tv("number", 1.0),
                "DIFF": tv("string", "b"),
                "RM": tv("json", None),
            },
            secret_overrides_encrypted={
                # same plaintext under a different encryption is no conflict
                "S1": SecretOverride(
                    operation=OverrideOperation.SET,
                    record=SecretRecord(kid="v2", wrapped_dek="q", nonce="n", ciphertext="x"),
                ),
                "S2": SecretOverride(operation=OverrideOperation.REMOVE),
                "S3": SecretOverride(operation=OverrideOperation.REMOVE),
            },
            base_url="https://b",
            database_overrides=DatabaseOverride(
                connection_ref="A", provisioning_mode=ProvisioningMode.EXISTING
            ),
            data_overrides=DataStrategyOverride(seed_source_ref="s"),
        ),
    ]
    found = find_override_conflicts(mine, theirs, decrypt)
    assert [(c.environment_id, c.kind, c.key) for c in found] == sorted(
        [
            ("E", ConflictKind.ENV_VAR, "DIFF"),
            ("E", ConflictKind.ENV_VAR, "RM"),
            ("E", ConflictKind.SECRET, "S2"),
            ("E", ConflictKind.BASE_URL, "base_url"),
            ("E", ConflictKind.DATABASE, "provisioning_mode"),
        ]
    )


def test_overrides_for_different_environments_never_conflict() -> None:
    a = [ov("E1", env_var_overrides_typed={"K": tv("string", "a")})]
    b = [ov("E2", env_var_overrides_typed={"K": tv("string", "b")})]
    assert find_override_conflicts(a, b, decrypt) == []


def test_secret_comparison_uses_the_decrypt_function_with_each_target_profile() -> None:
    seen: list[tuple[str, str]] = []

    def spy(record: SecretRecord, profile_id: str, key: str) -> str:
        seen.append((profile_id, key))
        return "same"

    a = [
        ov(
            secret_overrides_encrypted={
                "K": SecretOverride(operation=OverrideOperation.SET, record=rec("1"))
            }
        )
    ]
    b = [
        ov(
            secret_overrides_encrypted={
                "K": SecretOverride(operation=OverrideOperation.SET, record=rec("2"))
            }
        )
    ]
    assert find_override_conflicts(a, b, spy) == []
    assert seen == [("PE", "K"), ("PE", "K")]


def env(
    i: int,
    name: str,
    pos: int,
    canonical: bool = False,
    *,
    eid: str = "new",
    profile: str | None = None,
) -> EnvironmentEntry:
    return EnvironmentEntry(
        id=eid, name=name, position=pos, is_canonical=canonical, runtime_profile_id=profile
    )


def test_a_valid_environment_list_returns_slugs() -> None:
    entries = [env(0, "Development", 1), env(1, "Production", 0, True, eid="e" * 24)]
    assert validate_environment_list(entries) == ["development", "production"]


@pytest.mark.parametrize(
    "entries",
    [
        [],
        [env(0, f"E{i}", i, i == 0) for i in range(21)],
        [env(0, "A", 0), env(1, "B", 1)],  # no canonical
        [env(0, "A", 0, True), env(1, "B", 1, True)],  # two canonical
        [env(0, "Prod", 0, True), env(1, "PROD", 1)],  # names case-insensitive
        [env(0, "QA 1", 0, True), env(1, "qa-1", 1)],  # same slug
        [env(0, "A", 0, True), env(1, "B", 2)],  # positions not 0..N-1
        [env(0, "A", 1, True), env(1, "B", 1)],
        [env(0, "A", 0, True, eid="x"), env(1, "B", 1, eid="x")],  # duplicate ids
        [env(0, "A", 0, True, profile="p"), env(1, "B", 1, profile="p")],  # same profile
        [env(0, "", 0, True)],
        [env(0, "x" * 65, 0, True)],
        [env(0, "***", 0, True)],  # empty slug
    ],
)
def test_invalid_environment_lists_are_rejected(entries: list[EnvironmentEntry]) -> None:
    with pytest.raises(Validation):
        validate_environment_list(entries)


def test_twenty_environments_are_allowed() -> None:
    validate_environment_list([env(i, f"E{i}", i, i == 3) for i in range(20)])
