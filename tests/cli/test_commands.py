"""``conman version``, ``conman config check`` and the exit-code table (API.md §16)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from conman_adapters.container import VERSION
from conman_cli.common import handle_errors, json_option
from conman_cli.main import main
from conman_domain.errors import Conflict, ConmanError, GitUnavailable, NotFound

KEY = "k" * 32


def test_version_prints_the_package_version(runner: CliRunner) -> None:
    result = runner.invoke(main, ["version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"conman {VERSION}"


def test_version_json_is_machine_readable(runner: CliRunner) -> None:
    result = runner.invoke(main, ["version", "--json"])
    assert json.loads(result.output) == {"version": VERSION}


def test_an_unknown_command_is_a_usage_error(runner: CliRunner) -> None:
    assert runner.invoke(main, ["frobnicate"]).exit_code == 2


def test_config_check_passes_with_defaults_and_warns_about_the_sandbox(
    runner: CliRunner,
) -> None:
    result = runner.invoke(main, ["config", "check"])
    assert result.exit_code == 0, result.output
    assert "configuration OK" in result.output
    assert "warning: CONMAN_SANDBOX_USER is unset" in result.output


def test_config_check_json_reports_backends_and_redacts_secrets(
    runner: CliRunner, workdir: Path
) -> None:
    result = runner.invoke(
        main,
        ["config", "check", "--json"],
        env={"CONMAN_SANDBOX_USER": "conman-run", "CONMAN_JWT_SECRET": KEY},
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["store"] == "sqlite"
    assert payload["git"] == "local"
    assert payload["warnings"] == []
    assert payload["data_dir"] == str(workdir / "conman-data")
    assert payload["settings"]["jwt_secret"] == "<set>"
    assert KEY not in result.output
    assert [k["variable"] for k in payload["key_files"]] == ["CONMAN_SECRETS_MASTER_KEY"]


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"CONMAN_PORT": "abc"}, "CONMAN_PORT"),
        ({"CONMAN_PORT": "70000"}, "CONMAN_PORT"),
        ({"CONMAN_JWT_SECRET": "short"}, "CONMAN_JWT_SECRET"),
        ({"CONMAN_SECRETS_MASTER_KEY": "é" * 15}, "CONMAN_SECRETS_MASTER_KEY"),
        ({"CONMAN_SMTP_TLS": "tls"}, "CONMAN_SMTP_TLS"),
        ({"CONMAN_TRUSTED_PROXIES": "10.0.0.0/8, proxy.local"}, "CONMAN_TRUSTED_PROXIES"),
        ({"CONMAN_JOB_TIMEOUT_NO_SUCH_TYPE_S": "10"}, "CONMAN_JOB_TIMEOUT_NO_SUCH_TYPE_S"),
        ({"CONMAN_JOB_RUNNER_ENABLED": "maybe"}, "CONMAN_JOB_RUNNER_ENABLED"),
        (
            {"CONMAN_MONGO_URI": "mongodb://db", "CONMAN_SECRETS_MASTER_KEY": KEY},
            "CONMAN_JWT_SECRET",
        ),
        (
            {"CONMAN_MONGO_URI": "mongodb://db", "CONMAN_JWT_SECRET": KEY},
            "CONMAN_SECRETS_MASTER_KEY",
        ),
    ],
)
def test_config_check_exits_6_naming_the_bad_variable(
    runner: CliRunner, env: dict[str, str], variable: str
) -> None:
    result = runner.invoke(main, ["config", "check"], env=env)
    assert result.exit_code == 6
    assert variable in result.output
    assert "short" not in result.output


def test_config_check_json_error_names_the_variable(runner: CliRunner) -> None:
    result = runner.invoke(main, ["config", "check", "--json"], env={"CONMAN_PORT": "0"})
    assert result.exit_code == 6
    error = json.loads(result.output)["error"]
    assert error["code"] == "config_error"
    assert error["message"].startswith("CONMAN_PORT:")


def test_embedded_keys_are_generated_once_with_mode_0600(runner: CliRunner, workdir: Path) -> None:
    first = json.loads(runner.invoke(main, ["config", "check", "--json"]).output)
    keys = workdir / "conman-data" / "keys"
    paths = [keys / "jwt-secret", keys / "master-key"]
    assert [k["path"] for k in first["key_files"]] == [str(p) for p in paths]
    assert all(k["created"] for k in first["key_files"])
    contents = [p.read_text() for p in paths]
    for path, content in zip(paths, contents, strict=True):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert len(content) == 43  # 32 bytes, base64url without padding
        assert content not in json.dumps(first)
    second = json.loads(runner.invoke(main, ["config", "check", "--json"]).output)
    assert not any(k["created"] for k in second["key_files"])
    assert [p.read_text() for p in paths] == contents
    assert contents[0] != contents[1]


def test_dot_env_is_read_and_real_environment_variables_win(
    runner: CliRunner, workdir: Path
) -> None:
    (workdir / ".env").write_text(
        "# local settings\nexport CONMAN_PORT=4000\nCONMAN_MONGO_DB='fromfile'\n"
    )
    result = runner.invoke(main, ["config", "check", "--json"], env={"CONMAN_PORT": "5000"})
    settings = json.loads(result.output)["settings"]
    assert settings["port"] == 5000
    assert settings["mongo_db"] == "fromfile"


def test_unknown_conman_variables_are_reported_as_warnings(runner: CliRunner) -> None:
    result = runner.invoke(main, ["config", "check", "--json"], env={"CONMAN_PROT": "1"})
    assert any("CONMAN_PROT" in w for w in json.loads(result.output)["warnings"])


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (NotFound("user", "x@y"), 3),
        (Conflict("email exists"), 4),
        (GitUnavailable("down"), 5),
        (ConmanError("unexpected"), 1),
    ],
)
def test_errors_map_to_exit_codes(error: ConmanError, code: int) -> None:
    @click.command()
    @json_option
    @handle_errors
    def failing(as_json: bool) -> None:
        raise error

    assert CliRunner().invoke(failing, []).exit_code == code


def test_an_unusable_data_dir_is_a_configuration_error(runner: CliRunner, workdir: Path) -> None:
    (workdir / "not-a-dir").write_text("a file")
    result = runner.invoke(main, ["config", "check"], env={"CONMAN_DATA_DIR": "not-a-dir"})
    assert result.exit_code == 6
    assert "CONMAN_DATA_DIR" in result.output
