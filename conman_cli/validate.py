"""``conman validate PATH_OR_REF [--app ID] [--json]``: the built-in validator (D§11.3)."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import click
import msgspec

from conman_adapters.container import build_container
from conman_cli.common import handle_errors, json_option, load_config
from conman_domain.gitmodel import RepoRef
from conman_domain.usecases.validate import ValidateRevision
from conman_domain.validator import ValidationResult, is_structured_file, run_builtin_validator

__all__ = ["read_directory", "validate"]


def read_directory(root: Path) -> dict[str, bytes]:
    """The structured files under ``root`` by POSIX relative path; ``.git`` is skipped and
    symbolic links are not followed."""
    files: dict[str, bytes] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d != ".git")
        for name in filenames:
            full = Path(dirpath) / name
            relative = full.relative_to(root).as_posix()
            if is_structured_file(relative) and not full.is_symlink() and full.is_file():
                files[relative] = full.read_bytes()
    return files


def _print_human(result: ValidationResult, target: str) -> None:
    for failure in result.failures:
        location = failure.path or "<command>"
        if failure.line is not None:
            location = f"{location}:{failure.line}"
        click.echo(f"{location}: {failure.message}")
    verdict = "passed" if result.passed else "FAILED"
    click.echo(
        f"{target}: validation {verdict} ({result.checks} checks, "
        f"{len(result.failures)} failures, {result.duration_ms} ms)",
        err=not result.passed,
    )


def _validate_ref(app_id: str, ref: str) -> ValidationResult:
    """Validate ``ref`` of the repository of app ``app_id`` with the configured store and
    git backend. Unknown app or ref → ``NotFound`` (exit 3); backends down → exit 5."""
    settings, _ = load_config()
    container = build_container(settings)
    try:
        app = container.repositories().apps.get(app_id)
        repo = RepoRef(relative_path=app.repo_path, gl_repository=f"app-{app.id}")
        return ValidateRevision(container.git(), container.clock())(repo, ref)
    finally:
        container.store().close()


@click.command("validate")
@click.argument("path_or_ref")
@click.option("--app", "app_id", default=None, help="Validate a ref of this app's repository.")
@json_option
@handle_errors
def validate(path_or_ref: str, app_id: str | None, as_json: bool) -> None:
    """Run the built-in validator on a directory, or on a ref of app --app's repository.

    Every .json/.yaml/.yml file must parse; config objects need a "name", a matching
    "type", a unique name per type, and resolvable references. Exit 0 when validation
    passes, 1 when it fails, 2 for a usage error, 3 for an unknown app or ref, 5 when
    the store or git is unavailable. A ref is a branch or tag name, a full ref name or
    a commit id.
    """
    if app_id is None:
        root = Path(path_or_ref)
        if not root.is_dir():
            raise click.UsageError(
                f"{path_or_ref} is not a directory (use --app ID to validate a ref)"
            )
        result = run_builtin_validator(read_directory(root), time.monotonic)
    else:
        result = _validate_ref(app_id, path_or_ref)
    if as_json:
        sys.stdout.write(msgspec.json.encode(result).decode() + "\n")
    else:
        _print_human(result, path_or_ref)
    if not result.passed:
        sys.exit(1)
