"""Names of temp environment resources (DOMAIN.md §16.4, §20)."""

from __future__ import annotations

import re

from conman_domain.errors import Validation
from conman_domain.model.temp_envs import TempEnvKind

__all__ = ["temp_db_name", "temp_host", "temp_snapshot_branch", "temp_source_key"]

_KIND_LABEL = {TempEnvKind.WORKSPACE: "ws", TempEnvKind.CHANGESET: "cs"}


def temp_host(app_name: str, kind: TempEnvKind, word: str, domain: str, suffix: str = "") -> str:
    """``<app>-<kind>-<word>[-<suffix>].<domain>``: app lowercased, runs outside ``[a-z0-9]``
    → ``-``, at most 20 chars. Raises ``Validation`` if the host would contain "conman" or
    a label longer than 63 chars."""
    app = re.sub("[^a-z0-9]+", "-", app_name.lower()).strip("-")[:20].strip("-") or "app"
    label = "-".join(p for p in (app, _KIND_LABEL[kind], word, suffix) if p)
    host = f"{label}.{domain}"
    if "conman" in host.lower():
        raise Validation("temp env host must not contain 'conman'")
    if any(len(part) > 63 for part in host.split(".")):
        raise Validation("temp env host has a label longer than 63 characters")
    return host


def temp_db_name(app_id: str, temp_env_id: str) -> str:
    """``tmp_<last 6 hex of app_id>_<temp_env_id>``."""
    return f"tmp_{app_id[-6:]}_{temp_env_id}"


def temp_snapshot_branch(temp_env_id: str, kind: TempEnvKind, source: str) -> str:
    """``temp/<id>/<workspace branch>`` or ``temp/<id>/changeset-<changesetId>``."""
    tail = source if kind is TempEnvKind.WORKSPACE else f"changeset-{source}"
    return f"temp/{temp_env_id}/{tail}"


def temp_source_key(kind: TempEnvKind, source_id: str) -> str:
    """``ws:<workspace_id>`` or ``cs:<changeset_id>`` (one live temp env per source)."""
    return f"{_KIND_LABEL[kind]}:{source_id}"
