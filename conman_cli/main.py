"""The ``conman`` command (API.md §16 "CLI").

Every command or command group lives in its own module and is registered here;
modules written by other work streams are listed in ``OPTIONAL_COMMANDS`` and
registered when present. Shared plumbing (``--json``, the exit-code table,
configuration loading) is in ``conman_cli.common``.
"""

from __future__ import annotations

import importlib
import importlib.util

import click

from conman_adapters.container import VERSION
from conman_cli.common import emit, json_option
from conman_cli.configcmd import config
from conman_cli.serve import serve
from conman_cli.worker import worker

__all__ = ["main"]

# (module, attribute) of commands registered only when the module exists.
OPTIONAL_COMMANDS = (
    ("conman_cli.db", "db"),
    ("conman_cli.validate", "validate"),
    ("conman_cli.mail", "mail"),
    ("conman_cli.users", "users"),
    ("conman_cli.apps", "apps"),
    ("conman_cli.invites", "invites"),
    ("conman_cli.audit", "audit"),
    ("conman_cli.jobs", "jobs"),
    ("conman_cli.secrets", "secrets"),
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Conman: Git-backed configuration manager (server and admin CLI)."""


@main.command()
@json_option
def version(as_json: bool) -> None:
    """Print the version."""
    emit(as_json, {"version": VERSION}, f"conman {VERSION}")


main.add_command(serve)
main.add_command(worker)
main.add_command(config)

for _module_name, _attr in OPTIONAL_COMMANDS:
    # find_spec only asks whether the module file exists; a module that exists but
    # fails to import raises here instead of silently disappearing from the CLI.
    if importlib.util.find_spec(_module_name) is not None:
        main.add_command(getattr(importlib.import_module(_module_name), _attr))
