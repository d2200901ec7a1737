"""The pure parts of drift: category comparison, migration sets and drift branch numbers
(DOMAIN.md §15.8-§15.10)."""

from __future__ import annotations

from conman_domain.model.profiles import (
    DatabaseSettings,
    ProvisioningMode,
    SecretRecord,
    TypedValue,
    ValueType,
)
from conman_domain.rules.resolution import ResolvedProfile, SourcedSecret
from conman_domain.usecases.drift_fix import drift_branch
from conman_domain.usecases.drift_report import compare_resolved, migration_drift


def _secret(ciphertext: str, profile_id: str = "p") -> SourcedSecret:
    record = SecretRecord(kid="v1", wrapped_dek="w", nonce="n", ciphertext=ciphertext)
    return SourcedSecret(record=record, profile_id=profile_id)


def _plain(_key: str, secret: SourcedSecret) -> str:
    """A fake decryption: the plaintext is the ciphertext up to its first ``#``."""
    return secret.record.ciphertext.split("#", 1)[0]


def test_identical_resolved_states_have_no_drift() -> None:
    state = ResolvedProfile(
        base_url="https://a.example.com",
        env_vars={"A": TypedValue(type=ValueType.STRING, value="x")},
        secrets={"S": _secret("one#1")},
    )
    assert compare_resolved(state, state, _plain).any() is False


def test_secrets_differing_only_in_encryption_are_not_rotated() -> None:
    old = ResolvedProfile(secrets={"S": _secret("same#1", "defaults"), "R": _secret("a#1")})
    new = ResolvedProfile(secrets={"S": _secret("same#2", "env"), "R": _secret("b#2")})
    drift = compare_resolved(old, new, _plain)
    assert (drift.secrets.added, drift.secrets.removed, drift.secrets.rotated) == ([], [], ["R"])


def test_a_value_type_change_alone_is_a_changed_env_var() -> None:
    old = ResolvedProfile(env_vars={"N": TypedValue(type=ValueType.STRING, value="1")})
    new = ResolvedProfile(env_vars={"N": TypedValue(type=ValueType.NUMBER, value=1.0)})
    (change,) = compare_resolved(old, new, _plain).env_vars.changed
    assert (change.key, change.from_.type, change.to.type) == ("N", "string", "number")


def test_database_changes_list_each_changed_field_in_order() -> None:
    old = ResolvedProfile(database=DatabaseSettings())
    new = ResolvedProfile(
        database=DatabaseSettings(
            connection_ref="DB", provisioning_mode=ProvisioningMode.CLONE_FROM_BASE
        )
    )
    changes = compare_resolved(old, new, _plain).database
    assert [(c.field, c.from_, c.to) for c in changes] == [
        ("connection_ref", None, "DB"),
        ("provisioning_mode", "existing", "clone_from_base"),
    ]


def test_migration_ids_are_split_into_pending_and_unexpected_in_byte_order() -> None:
    drift = migration_drift(["m/b", "m/B", "m/a", "m/c"], ["m/a", "m/z", "m/Z"])
    assert drift.pending == ["m/B", "m/b", "m/c"]
    assert drift.unexpected == ["m/Z", "m/z"]


def test_drift_branches_take_one_more_than_the_highest_number_of_the_slug() -> None:
    assert drift_branch("qa", set()) == "drift/qa/1"
    taken = {"drift/qa/2", "drift/qa/10", "drift/qa/x", "drift/qa2/40", "drift/qa/07", "main"}
    assert drift_branch("qa", taken) == "drift/qa/11"
    assert drift_branch("prod", taken) == "drift/prod/1"
