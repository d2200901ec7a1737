"""``conman config check``."""

from __future__ import annotations

from typing import Any

import click

from conman_adapters.config import gather_environment, select_backend, unknown_variables
from conman_adapters.container import select_git_backend
from conman_cli.common import emit, handle_errors, json_option, load_config

__all__ = ["config"]

SANDBOX_WARNING = (
    "CONMAN_SANDBOX_USER is unset: gate, deploy, migration and hook commands will run "
    "as the worker's own OS user (DOMAIN.md §11.2)"
)


@click.group()
def config() -> None:
    """Inspect the server configuration."""


@config.command("check")
@json_option
@handle_errors
def check(as_json: bool) -> None:
    """Load and validate the configuration (exit 6 on an error).

    In embedded mode this also generates missing keys, exactly as start-up does,
    and prints their file paths (never their values).
    """
    settings, key_files = load_config()
    store = select_backend(settings)
    git = select_git_backend(settings)
    warnings: list[str] = []
    if settings.sandbox_user is None:
        warnings.append(SANDBOX_WARNING)
    for name in unknown_variables(gather_environment()):
        warnings.append(f"{name} is not a Conman setting (typo?)")
    payload: dict[str, Any] = {
        "ok": True,
        "mode": "embedded" if settings.embedded else "mongodb",
        "store": store,
        "git": git,
        "data_dir": settings.data_dir,
        "key_files": [
            {"variable": k.variable, "path": k.path, "created": k.created} for k in key_files
        ],
        "warnings": warnings,
        "settings": settings.redacted(),
    }
    lines = [
        "configuration OK",
        f"  mode:     {payload['mode']}",
        f"  store:    {store}",
        f"  git:      {git}",
        f"  data dir: {settings.data_dir}",
    ]
    for key in key_files:
        state = "generated" if key.created else "existing"
        lines.append(f"  {key.variable}: {state} key file {key.path}")
    lines.extend(f"warning: {w}" for w in warnings)
    emit(as_json, payload, "\n".join(lines))
