"""Shared CLI plumbing: ``--json``, output, and the one error → exit-code table."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, ParamSpec, TypeVar

import click
import msgspec

from conman_adapters.config import Settings, load_settings
from conman_adapters.keys import KeyFile, ensure_embedded_keys
from conman_domain.errors import ConmanError
from conman_http.envelope import rfc3339_ms

__all__ = [
    "EXIT_CHECK_FAILED",
    "EXIT_CODE_BY_ERROR",
    "EXIT_CONFIG",
    "EXIT_CONFLICT",
    "EXIT_NOT_FOUND",
    "EXIT_OK",
    "EXIT_UNAVAILABLE",
    "EXIT_USAGE",
    "builtins",
    "emit",
    "exit_code_for",
    "handle_errors",
    "json_option",
    "load_config",
]

P = ParamSpec("P")
R = TypeVar("R")

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_USAGE = 2
EXIT_NOT_FOUND = 3
EXIT_CONFLICT = 4
EXIT_UNAVAILABLE = 5
EXIT_CONFIG = 6

# API.md §16: the only place that maps error codes to exit codes.
EXIT_CODE_BY_ERROR: dict[str, int] = {
    "validation_error": EXIT_USAGE,
    "not_found": EXIT_NOT_FOUND,
    "conflict": EXIT_CONFLICT,
    "invalid_transition": EXIT_CONFLICT,
    "uncommitted_changes": EXIT_CONFLICT,
    "drift_detected": EXIT_CONFLICT,
    "service_unavailable": EXIT_UNAVAILABLE,
    "git_error": EXIT_UNAVAILABLE,
    "git_timeout": EXIT_UNAVAILABLE,
    "config_error": EXIT_CONFIG,
}


def exit_code_for(error: ConmanError) -> int:
    """The exit code of ``error``; codes without an entry exit 1."""
    return EXIT_CODE_BY_ERROR.get(error.code, EXIT_CHECK_FAILED)


json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print machine-readable JSON instead of text."
)


def builtins(value: Any) -> Any:
    """``value`` as plain JSON-able data, keeping datetimes for ``emit`` to format."""
    return msgspec.to_builtins(value, builtin_types=(datetime,))


def _json_default(value: Any) -> Any:
    # Timestamps as in the API (API.md §1.7: RFC 3339 UTC, milliseconds, Z).
    return rfc3339_ms(value) if isinstance(value, datetime) else str(value)


def emit(as_json: bool, payload: Mapping[str, Any], text: str) -> None:
    """Print ``payload`` as one JSON line with ``--json``, else ``text``.

    Datetimes left in ``payload`` (see ``builtins``) are rendered like the API's.
    """
    click.echo(json.dumps(payload, default=_json_default) if as_json else text)


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn a ``ConmanError`` into its message and exit code (``--json`` aware)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except ConmanError as exc:
            code = exit_code_for(exc)
            if kwargs.get("as_json"):
                body: dict[str, Any] = {"code": exc.code, "message": exc.message}
                if exc.details:
                    body["details"] = exc.details
                click.echo(json.dumps({"error": body}, default=str))
            else:
                click.echo(f"error: {exc.message}", err=True)
            sys.exit(code)

    return wrapper


def load_config(overrides: Mapping[str, str] | None = None) -> tuple[Settings, list[KeyFile]]:
    """Startup step 2: load and validate the configuration, then in embedded mode
    generate missing keys. Raises ``ConfigError`` (exit 6)."""
    settings = load_settings(overrides=overrides)
    return ensure_embedded_keys(settings)
