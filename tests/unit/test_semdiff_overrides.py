"""Profile override changes relative to the target profile (DOMAIN.md §10.3)."""

from __future__ import annotations

import json

import msgspec

from conman_domain.model.overrides import (
    DatabaseOverride,
    OverrideOperation,
    OverrideSnapshot,
    SecretOverride,
)
from conman_domain.model.profiles import (
    DatabaseSettings,
    ProfileSnapshot,
    SecretRecord,
    TypedValue,
    ValueType,
)
from conman_domain.semdiff import override_changes

RECORD = SecretRecord(kid="k1", wrapped_dek="d", nonce="n", ciphertext="c2VjcmV0")


def test_override_operations_are_relative_to_the_current_profile_and_hide_secrets() -> None:
    profile = ProfileSnapshot(
        name="prod",
        base_url="https://shop.example.com",
        env_vars={
            "LOG_LEVEL": TypedValue(type=ValueType.STRING, value="info"),
            "WORKERS": TypedValue(type=ValueType.NUMBER, value=4),
            "OLD": TypedValue(type=ValueType.BOOLEAN, value=True),
        },
        secrets={"STRIPE_KEY": RECORD},
        database=DatabaseSettings(connection_ref="vault://db"),
    )
    override = OverrideSnapshot(
        target_environment_id="env1",
        target_profile_id="p1",
        env_var_overrides_typed={
            "LOG_LEVEL": TypedValue(type=ValueType.STRING, value="debug"),
            "WORKERS": TypedValue(type=ValueType.NUMBER, value=4),
            "OLD": None,
            "MISSING": None,
            "NEW": TypedValue(type=ValueType.JSON, value={"a": 1}),
        },
        secret_overrides_encrypted={
            "STRIPE_KEY": SecretOverride(operation=OverrideOperation.SET, record=RECORD),
            "WEBHOOK": SecretOverride(operation=OverrideOperation.SET, record=RECORD),
            "GONE": SecretOverride(operation=OverrideOperation.REMOVE),
        },
        base_url="https://new.example.com",
        database_overrides=DatabaseOverride(connection_ref="vault://db"),
    )
    changes = override_changes(override, "Production", profile)
    summary = [(c.kind, c.key, c.operation) for c in changes]
    assert summary == [
        ("envVar", "LOG_LEVEL", "modified"),
        ("envVar", "NEW", "added"),
        ("envVar", "OLD", "removed"),
        ("secret", "STRIPE_KEY", "rotated"),
        ("secret", "WEBHOOK", "added"),
        ("baseUrl", "base_url", "modified"),
    ]
    assert changes[0].before == {"type": "string", "value": "info"}
    assert changes[0].after == {"type": "string", "value": "debug"}
    encoded = json.loads(msgspec.json.encode(changes))
    assert encoded[3] == {
        "environmentId": "env1",
        "environmentName": "Production",
        "kind": "secret",
        "key": "STRIPE_KEY",
        "operation": "rotated",
    }
    assert b"c2VjcmV0" not in msgspec.json.encode(changes)
