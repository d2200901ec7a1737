"""``conman secrets rotate-master-key`` over the embedded store (API.md §16, D§15.4)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conman_adapters.container import build_container
from conman_adapters.security import AesGcmCipher
from conman_cli.common import load_config
from conman_cli.main import main
from conman_domain.model import ProfileKind, RuntimeProfile
from conman_domain.ports.secrets import SecretAad

NEW_KEY = "a brand new master key of at least 32 bytes"
PROFILE_ID = "b" * 24
APP_ID = "a" * 24
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def aad(key: str) -> SecretAad:
    return SecretAad(app_id=APP_ID, profile_id=PROFILE_ID, key=key)


@pytest.fixture
def seeded(workdir: Path) -> dict[str, str]:
    """A profile with two secrets under the embedded (generated) master key v1."""
    settings, _ = load_config()
    container = build_container(settings)
    cipher = container.cipher()
    values = {"DB_URL": "mongodb://u:p@db/prod", "API_TOKEN": "tok-123456789"}
    try:
        container.repositories().runtime_profiles.insert(
            RuntimeProfile(
                id=PROFILE_ID, created_at=T0, updated_at=T0, app_id=APP_ID, name="prod",
                kind=ProfileKind.PERSISTENT_ENV,
                secrets={k: cipher.encrypt(v, aad(k)) for k, v in values.items()},
            )
        )  # fmt: skip
    finally:
        container.store().close()
    return values


def stored_secrets() -> dict[str, Any]:
    settings, _ = load_config()
    container = build_container(settings)
    try:
        return dict(container.repositories().runtime_profiles.get(PROFILE_ID).secrets)
    finally:
        container.store().close()


def rotate(runner: CliRunner, *args: str) -> tuple[int, Any]:
    result = runner.invoke(main, ["secrets", "rotate-master-key", *args])
    if "--json" in args and result.output.startswith("{"):
        return result.exit_code, json.loads(result.output)
    return result.exit_code, result.output + result.stderr


def test_rotation_rewraps_the_secrets_and_a_second_run_does_nothing(
    runner: CliRunner, seeded: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONMAN_SECRETS_NEW_MASTER_KEY", NEW_KEY)

    code, body = rotate(runner, "--new-version", "2", "--json")

    assert code == 0
    assert body["kid"] == "v2"
    assert (body["records_rewrapped"], body["records_current"]) == (2, 0)
    assert body["collections"]["runtime_profiles"]["documents_updated"] == 1
    only_new = AesGcmCipher({2: NEW_KEY}, current=2)
    secrets = stored_secrets()
    assert {k: only_new.decrypt(r, aad(k)) for k, r in secrets.items()} == seeded

    code, body = rotate(runner, "--new-version", "2", "--json")
    assert code == 0
    assert (body["records_rewrapped"], body["records_current"]) == (0, 2)
    assert stored_secrets() == secrets

    code, text = rotate(runner, "--new-version", "2")
    assert code == 0
    assert "0 records rewrapped under v2, 2 already current" in text


def test_a_missing_new_key_is_a_configuration_error_naming_it(
    runner: CliRunner, seeded: dict[str, str]
) -> None:
    code, body = rotate(runner, "--new-version", "2", "--json")

    assert code == 6
    assert body["error"]["code"] == "config_error"
    assert "CONMAN_SECRETS_NEW_MASTER_KEY" in body["error"]["message"]
    assert {r.kid for r in stored_secrets().values()} == {"v1"}


def test_the_current_version_is_a_usage_error(
    runner: CliRunner, seeded: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONMAN_SECRETS_NEW_MASTER_KEY", NEW_KEY)

    code, body = rotate(runner, "--new-version", "1", "--json")
    assert code == 2 and body["error"]["code"] == "validation_error"
    code, text = rotate(runner, "--new-version", "1")
    assert code == 2 and "must differ" in text
    assert rotate(runner, "--new-version", "0")[0] == 2
    assert {r.kid for r in stored_secrets().values()} == {"v1"}


def test_the_previous_version_is_a_usage_error_too(
    runner: CliRunner, seeded: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONMAN_SECRETS_NEW_MASTER_KEY", NEW_KEY)
    monkeypatch.setenv("CONMAN_SECRETS_PREVIOUS_MASTER_KEY", "an older master key of 32+ bytes")
    monkeypatch.setenv("CONMAN_SECRETS_PREVIOUS_MASTER_KEY_VERSION", "5")

    code, body = rotate(runner, "--new-version", "5", "--json")

    assert code == 2 and "v1, v5" in body["error"]["message"]
    assert rotate(runner, "--new-version", "6", "--json")[0] == 0
    assert {r.kid for r in stored_secrets().values()} == {"v6"}
