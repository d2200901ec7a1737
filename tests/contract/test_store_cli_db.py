"""``conman db init|check`` against a real SQLite store and an unreachable MongoDB."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from store_backends import free_port

from conman_cli.db import db


@pytest.fixture
def embedded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("CONMAN_MONGO_URI", "CONMAN_JWT_SECRET", "CONMAN_SECRETS_MASTER_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CONMAN_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


def test_check_reports_missing_indexes_until_init_creates_them(embedded: Path) -> None:
    runner = CliRunner()
    before = runner.invoke(db, ["check", "--json"])
    assert before.exit_code == 1, before.output
    assert json.loads(before.output)["indexes"]["missing"]
    init = runner.invoke(db, ["init", "--json"])
    assert init.exit_code == 0, init.output
    assert json.loads(init.output)["backend"] == "sqlite"
    again = runner.invoke(db, ["init"])
    assert again.exit_code == 0, again.output
    after = runner.invoke(db, ["check", "--json"])
    report = json.loads(after.output)
    assert after.exit_code == 0, after.output
    assert (report["backend"], report["ok"], report["indexes"]["missing"]) == ("sqlite", True, [])
    assert "users" in report["collections"] and "audit_events" in report["collections"]


def test_check_exits_5_when_mongodb_is_unreachable(
    embedded: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    uri = f"mongodb://127.0.0.1:{free_port()}/?directConnection=true&serverSelectionTimeoutMS=300"
    monkeypatch.setenv("CONMAN_MONGO_URI", uri)
    monkeypatch.setenv("CONMAN_JWT_SECRET", "j" * 40)
    monkeypatch.setenv("CONMAN_SECRETS_MASTER_KEY", "m" * 40)
    result = CliRunner().invoke(db, ["check", "--json"])
    assert result.exit_code == 5, result.output
    assert json.loads(result.output)["error"]["code"] == "service_unavailable"
