"""``conman users|apps|invites|audit`` and the bootstrap user (API.md §4.1, §16)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from conman_adapters.container import build_container
from conman_adapters.envvars import ConfigError
from conman_cli.common import load_config
from conman_cli.main import main
from conman_cli.users import ensure_bootstrap

PASSWORD = "a long enough password"


def run(runner: CliRunner, *args: str, stdin: str | None = None) -> tuple[int, str]:
    result = runner.invoke(main, list(args), input=stdin)
    return result.exit_code, result.output


def create_admin(runner: CliRunner) -> None:
    code, _ = run(
        runner, "users", "create", "--email", "admin@localhost", "--name", "Admin",
        "--password-stdin", stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert code == 0


def test_users_create_and_list(runner: CliRunner) -> None:
    code, out = run(
        runner, "users", "create", "--email", "Ann@Example.com", "--name", "Ann",
        "--password-stdin", "--json", stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert code == 0
    created = json.loads(out)
    assert created["email"] == "ann@example.com" and "password" not in out
    again = run(
        runner, "users", "create", "--email", "ann@example.com", "--name", "Ann",
        "--password-stdin", stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert again[0] == 4
    short = run(
        runner, "users", "create", "--email", "bob@example.com", "--name", "Bob",
        "--password-stdin", stdin="short\n",
    )  # fmt: skip
    assert short[0] == 2
    code, out = run(runner, "users", "list", "--json")
    assert code == 0 and [u["email"] for u in json.loads(out)["users"]] == ["ann@example.com"]
    assert "argon2" not in out


def test_users_create_reads_the_bootstrap_password_variable(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONMAN_BOOTSTRAP_PASSWORD", PASSWORD)
    assert run(runner, "users", "create", "--email", "c@example.com", "--name", "C")[0] == 0


def test_apps_invites_and_audit_commands(runner: CliRunner, workdir: Path) -> None:
    create_admin(runner)
    code, out = run(
        runner, "apps", "create", "--name", "shop", "--repo-path", "team/shop", "--json"
    )
    assert code == 0, out
    app_id = json.loads(out)["id"]
    assert (
        run(runner, "apps", "create", "--name", "x", "--repo-path", "x", "--as", "no@pe.com")[0]
        == 3
    )
    assert run(runner, "apps", "create", "--name", "shop", "--repo-path", "other")[0] == 4
    code, out = run(runner, "apps", "list", "--json")
    assert [a["name"] for a in json.loads(out)["apps"]] == ["shop"]
    code, out = run(
        runner, "invites", "create", "--app", app_id, "--email", "bob@example.com",
        "--role", "reviewer", "--json",
    )  # fmt: skip
    assert code == 0 and json.loads(out)["role"] == "reviewer"
    missing = run(
        runner, "invites", "create", "--app", "f" * 24, "--email", "c@example.com", "--role", "user"
    )
    assert missing[0] == 3
    code, out = run(runner, "audit", "verify", "--app", app_id, "--json")
    assert code == 0 and json.loads(out)["verified"] is True
    assert run(runner, "audit", "verify")[0] == 0
    code, out = run(runner, "audit", "export", "--app", app_id)
    lines = [json.loads(line) for line in out.splitlines()]
    assert [e["seq"] for e in lines] == list(range(1, len(lines) + 1))
    assert lines[-1]["action"] == "invite.created"


def test_audit_verify_exits_1_on_a_broken_chain(runner: CliRunner) -> None:
    create_admin(runner)
    code, out = run(runner, "apps", "create", "--name", "shop", "--repo-path", "shop", "--json")
    app_id = json.loads(out)["id"]
    settings, _ = load_config()
    container = build_container(settings)
    store = container.store()
    first = container.repositories().audit.chain(app_id)[0]
    store.collection("audit_events").update_one(
        {"_id": first.id}, {"$set": {"action": "app.forged"}}
    )
    store.close()
    code, out = run(runner, "audit", "verify", "--app", app_id, "--json")
    assert code == 1 and json.loads(out)["broken_at"]["reason"] == "hash_mismatch"


def test_bootstrap_generates_a_private_password_file_once(workdir: Path) -> None:
    settings, _ = load_config()
    container = build_container(settings)
    outcome = ensure_bootstrap(container, settings)
    assert outcome.created and outcome.password_generated
    path = workdir / "conman-data" / "keys" / "bootstrap-password"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert len(path.read_text()) >= 12
    assert not ensure_bootstrap(container, settings).created
    container.store().close()


def test_a_bootstrap_password_outside_the_policy_is_a_config_error(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONMAN_BOOTSTRAP_PASSWORD", "short")
    settings, _ = load_config()
    container = build_container(settings)
    with pytest.raises(ConfigError, match="CONMAN_BOOTSTRAP_PASSWORD"):
        ensure_bootstrap(container, settings)
    container.store().close()
