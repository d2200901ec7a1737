"""Regression tests for CLI contract problems found by probing (API.md §1.7, §16)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

from conman_cli.main import main

PASSWORD = "a long enough password"
API_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def run_json(runner: CliRunner, *args: str, stdin: str | None = None) -> object:
    result = runner.invoke(main, [*args, "--json"], input=stdin)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def timestamps(value: object, key: str = "") -> list[tuple[str, str]]:
    """Every (key, value) whose key ends in ``_at`` (the timestamp fields of §2)."""
    if isinstance(value, dict):
        return [pair for k, v in value.items() for pair in timestamps(v, k)]
    if isinstance(value, list):
        return [pair for v in value for pair in timestamps(v, key)]
    return [(key, value)] if key.endswith("_at") and isinstance(value, str) else []


def test_cli_json_timestamps_use_the_api_format_with_milliseconds_and_z(
    runner: CliRunner,
) -> None:
    outputs = [
        run_json(
            runner, "users", "create", "--email", "admin@localhost", "--name", "Admin",
            "--password-stdin", stdin=PASSWORD + "\n",
        ),
        run_json(runner, "users", "list"),
        run_json(runner, "apps", "create", "--name", "shop", "--repo-path", "repos/shop"),
        run_json(runner, "apps", "list"),
    ]  # fmt: skip
    app_id = outputs[2]["id"]  # type: ignore[index]
    outputs.append(
        run_json(
            runner, "invites", "create", "--app", app_id, "--email", "bob@example.com",
            "--role", "user",
        )
    )  # fmt: skip
    found = [pair for output in outputs for pair in timestamps(output)]
    assert {key for key, _ in found} >= {"created_at", "updated_at", "expires_at"}
    assert [pair for pair in found if not API_TIMESTAMP.fullmatch(pair[1])] == []


def test_mail_list_json_dates_use_the_api_format_in_utc(runner: CliRunner, workdir: Path) -> None:
    outbox = workdir / "conman-data" / "mail"
    outbox.mkdir(parents=True)
    (outbox / "20261128T113946.000000Z-abc.eml").write_text(
        "From: conman@localhost\nTo: bob@example.com\nSubject: Hello\n"
        "Date: Sat, 28 Nov 2026 12:39:46 +0100\n\nbody\n"
    )
    listed = run_json(runner, "mail", "list")
    assert [m["date"] for m in listed["mails"]] == ["2026-11-28T11:39:46.000Z"]  # type: ignore[index]
