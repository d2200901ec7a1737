"""``SubprocessRunner``: the command sandbox of DOMAIN.md §11.2."""

from __future__ import annotations

import os
import pwd
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conman_adapters.runner import SubprocessRunner
from conman_adapters.security import AesGcmCipher
from conman_domain.errors import Internal, Validation
from conman_domain.model.overrides import OverrideOperation, OverrideSnapshot, SecretOverride
from conman_domain.model.profiles import ProfileSnapshot, TypedValue, ValueType
from conman_domain.ports.runner import CommandEnv, CommandMetadata, CommandResult
from conman_domain.ports.secrets import SecretAad
from conman_domain.rules.env_vars import render_env_value
from conman_domain.rules.resolution import resolve_profile
from conman_domain.usecases.validate import command_env


def fast_runner(**options: Any) -> SubprocessRunner:
    """A runner with a short kill grace and poll, so tests stay quick."""
    return SubprocessRunner(kill_grace_seconds=0.3, poll_interval=0.02, **options)


def write_tree(files: dict[str, str]) -> tuple[list[Path], Callable[[Path], None]]:
    seen: list[Path] = []

    def materialize(dest: Path) -> None:
        seen.append(dest)
        for name, text in files.items():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            (dest / name).write_text(text)

    return seen, materialize


def run(
    tmp_path: Path,
    command: str,
    env: CommandEnv | None = None,
    timeout: float = 30.0,
    files: dict[str, str] | None = None,
    **kwargs: Any,
) -> CommandResult:
    _, materialize = write_tree(files or {})
    runner = fast_runner(temp_root=str(tmp_path))
    return runner.run(
        command,
        materialize=materialize,
        env=env or CommandEnv(),
        timeout_seconds=timeout,
        **kwargs,
    )


def texts(result: CommandResult) -> list[str]:
    return [line.text for line in result.output]


def process_alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_the_command_runs_in_the_materialized_tree(tmp_path: Path) -> None:
    result = run(tmp_path, "cat config/app.yaml; ls", files={"config/app.yaml": "title: x\n"})
    assert result.passed
    assert result.exit_code == 0
    assert texts(result) == ["title: x", "config"]


def test_the_environment_is_built_from_scratch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONMAN_SECRETS_MASTER_KEY", "server-only-key-material-1234567890")
    env = CommandEnv(
        variables={"MODE": TypedValue(type=ValueType.STRING, value="prod")},
        secrets={"TOKEN": "tok-123456"},
        metadata=CommandMetadata(job_id="j1", app_id="a1", gate="submit", commit_sha="abc"),
    )
    result = run(tmp_path, "env | cut -d= -f1 | sort", env=env)
    assert texts(result) == sorted(
        [
            "CONMAN_APP_ID",
            "CONMAN_COMMIT_SHA",
            "CONMAN_ENTITY_ID",
            "CONMAN_ENTITY_TYPE",
            "CONMAN_GATE",
            "CONMAN_JOB_ID",
            "CONMAN_JOB_TYPE",
            "HOME",
            "LANG",
            "MODE",
            "PATH",
            "PWD",  # set by the shell itself
            "TOKEN",
        ]
    )


def test_home_is_a_fresh_writable_directory_outside_the_tree(tmp_path: Path) -> None:
    result = run(tmp_path, 'touch "$HOME/x" && test "$HOME" != "$PWD" && echo "$LANG"')
    assert result.passed
    assert texts(result) == ["C.UTF-8"]


def test_metadata_variables_cannot_be_overridden(tmp_path: Path) -> None:
    env = CommandEnv(
        extra={"CONMAN_GATE": "forged", "CONMAN_MIGRATION_DIR": "db/m"},
        metadata=CommandMetadata(gate="release", job_type="msuite_merge"),
    )
    result = run(tmp_path, 'echo "$CONMAN_GATE $CONMAN_JOB_TYPE $CONMAN_MIGRATION_DIR"', env=env)
    assert texts(result) == ["release msuite_merge db/m"]


@pytest.mark.parametrize(
    ("value", "rendered"),
    [
        (TypedValue(type=ValueType.STRING, value="a b"), "a b"),
        (TypedValue(type=ValueType.NUMBER, value=3.0), "3"),
        (TypedValue(type=ValueType.NUMBER, value=42), "42"),
        (TypedValue(type=ValueType.NUMBER, value=0.1), "0.1"),
        (TypedValue(type=ValueType.NUMBER, value=-2.5e-7), "-2.5e-07"),
        (TypedValue(type=ValueType.BOOLEAN, value=True), "true"),
        (TypedValue(type=ValueType.BOOLEAN, value=False), "false"),
        (
            TypedValue(type=ValueType.JSON, value={"a": [1, None], "b": "é"}),
            '{"a":[1,null],"b":"é"}',
        ),
        (TypedValue(type=ValueType.JSON, value=None), "null"),
    ],
)
def test_typed_values_are_rendered_as_documented(value: TypedValue, rendered: str) -> None:
    assert render_env_value(value) == rendered


def test_typed_values_reach_the_command_rendered(tmp_path: Path) -> None:
    env = CommandEnv(variables={"RETRIES": TypedValue(type=ValueType.NUMBER, value=3.0)})
    assert texts(run(tmp_path, 'echo "$RETRIES"', env=env)) == ["3"]


def test_secret_values_are_masked_in_both_streams(tmp_path: Path) -> None:
    env = CommandEnv(secrets={"PASSWORD": "hunter22", "PIN": "123", "NESTED": "hunter22x"})
    logged: list[tuple[str, str]] = []
    result = run(
        tmp_path,
        'echo "pw=$PASSWORD pin=$PIN n=$NESTED"; echo "err $PASSWORD" >&2',
        env=env,
        log=lambda level, line: logged.append((level, line)),
    )
    assert sorted(texts(result)) == ["err ****", "pw=**** pin=123 n=****"]
    assert sorted(logged) == [("info", "pw=**** pin=123 n=****"), ("warn", "err ****")]
    assert {line.stream for line in result.output} == {"stdout", "stderr"}


def test_each_line_of_a_multi_line_secret_is_masked(tmp_path: Path) -> None:
    env = CommandEnv(secrets={"KEY": "-----BEGIN-----\nAAAABBBB\n-----END-----"})
    result = run(tmp_path, 'printf "%s\\n" "$KEY"', env=env)
    assert texts(result) == ["****", "****", "****"]


def test_a_failing_command_reports_its_exit_code(tmp_path: Path) -> None:
    result = run(tmp_path, "echo no; exit 7")
    assert (result.exit_code, result.passed, result.timed_out) == (7, False, False)


def test_output_is_capped_at_ten_thousand_lines(tmp_path: Path) -> None:
    logged: list[str] = []
    result = run(tmp_path, "seq 1 12000", log=lambda _level, line: logged.append(line))
    assert result.truncated
    assert len(result.output) == 10_001
    assert texts(result)[9_999] == "10000"
    assert texts(result)[-1] == "output truncated"
    assert logged[-1] == "output truncated"
    assert len(logged) == 10_001


def test_an_unterminated_last_line_is_kept(tmp_path: Path) -> None:
    assert texts(run(tmp_path, "printf 'a\\nb'")) == ["a", "b"]


def test_stdin_is_empty(tmp_path: Path) -> None:
    result = run(tmp_path, "cat; echo done")
    assert texts(result) == ["done"]


def test_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    result = run(tmp_path, "sleep 60 & echo $!; sleep 60", timeout=0.5)
    assert result.timed_out
    assert not result.passed
    child = int(texts(result)[0])
    assert not process_alive(child)


def test_a_command_ignoring_sigterm_is_killed_after_the_grace(tmp_path: Path) -> None:
    command = "trap '' TERM; (trap '' TERM; sleep 60) & echo $!; sleep 60; sleep 60"
    result = run(tmp_path, command, timeout=0.3)
    assert result.timed_out
    assert result.exit_code != 0
    assert not process_alive(int(texts(result)[0]))


def test_background_stragglers_of_a_finished_command_are_killed(tmp_path: Path) -> None:
    result = run(tmp_path, "sleep 60 & echo $!; exit 0")
    assert result.passed
    assert not process_alive(int(texts(result)[0]))


def test_a_command_that_closes_its_output_is_still_awaited(tmp_path: Path) -> None:
    result = run(tmp_path, "exec >/dev/null 2>&1; sleep 0.2; exit 3")
    assert result.exit_code == 3


def test_cancel_stops_the_command(tmp_path: Path) -> None:
    calls: list[int] = []

    def should_cancel() -> bool:
        calls.append(1)
        return len(calls) > 2

    result = run(tmp_path, "echo started; sleep 60", should_cancel=should_cancel)
    assert result.canceled
    assert not result.timed_out
    assert not result.passed
    assert texts(result) == ["started"]


def test_the_temporary_directories_are_always_removed(tmp_path: Path) -> None:
    seen, materialize = write_tree({"a.txt": "x"})
    runner = fast_runner(temp_root=str(tmp_path))
    for command in ["true", "exit 1", "sleep 60"]:
        runner.run(command, materialize=materialize, env=CommandEnv(), timeout_seconds=0.3)
    assert len(seen) == 3
    assert not any(path.exists() for path in seen)
    assert list(tmp_path.iterdir()) == []


def test_a_materialize_error_propagates_and_cleans_up(tmp_path: Path) -> None:
    def broken(dest: Path) -> None:
        (dest / "partial").write_text("x")
        raise RuntimeError("git down")

    runner = fast_runner(temp_root=str(tmp_path))
    with pytest.raises(RuntimeError, match="git down"):
        runner.run("true", materialize=broken, env=CommandEnv(), timeout_seconds=5)
    assert list(tmp_path.iterdir()) == []


def test_an_environment_value_with_nul_is_rejected(tmp_path: Path) -> None:
    env = CommandEnv(secrets={"BAD": "a\0b"})
    with pytest.raises(Validation):
        run(tmp_path, "true", env=env)
    assert list(tmp_path.iterdir()) == []


def test_an_unknown_sandbox_user_is_a_configuration_error() -> None:
    with pytest.raises(Validation, match="CONMAN_SANDBOX_USER"):
        SubprocessRunner(sandbox_user="no-such-user-conman")


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("setpriv") is None, reason="needs root and setpriv"
)
def test_commands_run_as_the_sandbox_user() -> None:
    nobody = pwd.getpwnam("nobody")
    seen, materialize = write_tree({"a.txt": "content\n"})
    # The default temp root (/tmp) is traversable by other users; pytest's is not.
    runner = fast_runner(sandbox_user="nobody")
    result = runner.run(
        'id -u; cat a.txt; touch "$HOME/h" new-file && echo wrote',
        materialize=materialize,
        env=CommandEnv(),
        timeout_seconds=10,
    )
    assert texts(result) == [str(nobody.pw_uid), "content", "wrote"]
    assert not seen[0].parent.exists()


def test_a_gate_command_sees_the_resolved_profile_with_decrypted_masked_secrets(
    tmp_path: Path,
) -> None:
    app, defaults_id, env_id = "a" * 24, "d" * 24, "e" * 24
    cipher = AesGcmCipher({1: "x" * 32}, 1)

    def seal(profile_id: str, key: str, value: str) -> Any:
        return cipher.encrypt(value, SecretAad(app_id=app, profile_id=profile_id, key=key))

    defaults = ProfileSnapshot(
        name="App defaults",
        env_vars={
            "MODE": TypedValue(type=ValueType.STRING, value="dev"),
            "RETRIES": TypedValue(type=ValueType.NUMBER, value=1),
            "GONE": TypedValue(type=ValueType.BOOLEAN, value=True),
        },
        secrets={"API_KEY": seal(defaults_id, "API_KEY", "default-api-key")},
    )
    staging = ProfileSnapshot(
        name="staging",
        env_vars={"MODE": TypedValue(type=ValueType.STRING, value="staging")},
        secrets={"DB_PASSWORD": seal(env_id, "DB_PASSWORD", "staging-db-pw")},
    )
    override = OverrideSnapshot(
        target_environment_id="f" * 24,
        target_profile_id=env_id,
        env_var_overrides_typed={
            "RETRIES": TypedValue(type=ValueType.NUMBER, value=3.0),
            "GONE": None,
        },
        secret_overrides_encrypted={
            "DB_PASSWORD": SecretOverride(
                operation=OverrideOperation.SET,
                record=seal(env_id, "DB_PASSWORD", "overridden-pw"),
            )
        },
    )
    resolved = resolve_profile((defaults_id, defaults), (env_id, staging), [override])
    env = command_env(
        resolved, cipher, app_id=app, metadata=CommandMetadata(app_id=app, gate="release")
    )
    result = run(
        tmp_path,
        'echo "$MODE $RETRIES ${GONE:-unset} $CONMAN_GATE"; '
        'echo "$API_KEY"; test "$DB_PASSWORD" = overridden-pw && echo "db=$DB_PASSWORD"',
        env=env,
    )
    assert texts(result) == ["staging 3 unset release", "****", "db=****"]


def test_an_unusable_temporary_root_is_an_internal_error(tmp_path: Path) -> None:
    runner = SubprocessRunner(temp_root=str(tmp_path / "missing"))
    with pytest.raises(Internal, match="command directory"):
        runner.run("true", materialize=lambda dest: None, env=CommandEnv(), timeout_seconds=5)
