"""Embedded-mode key generation (API.md §16 "Modes and keys").

In embedded mode an unset ``CONMAN_JWT_SECRET`` or ``CONMAN_SECRETS_MASTER_KEY`` is
generated once (32 random bytes, base64url without padding) into
``<data dir>/keys/jwt-secret`` or ``master-key`` with mode 0600. The content is
written to a private temporary file first and then published with an exclusive
hard link, so the key file never exists half-written: a concurrent process either
creates it or reads the complete file another process created.
"""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

import msgspec

from conman_adapters.config import Settings
from conman_adapters.envvars import MIN_KEY_BYTES, ConfigError

__all__ = [
    "KEY_FILES",
    "KeyFile",
    "bootstrap_password_path",
    "ensure_embedded_keys",
    "read_or_create_key",
]

# Settings field -> (variable, file name under <data dir>/keys).
KEY_FILES: dict[str, tuple[str, str]] = {
    "jwt_secret": ("CONMAN_JWT_SECRET", "jwt-secret"),
    "secrets_master_key": ("CONMAN_SECRETS_MASTER_KEY", "master-key"),
}


class KeyFile(msgspec.Struct, frozen=True, kw_only=True):
    """Where an embedded key lives; ``created`` is true when this process generated it."""

    variable: str
    path: str
    created: bool


def _read_key(path: Path, variable: str) -> str:
    value = path.read_text(encoding="utf-8").strip()
    if len(value.encode("utf-8")) < MIN_KEY_BYTES:
        raise ConfigError(variable, f"key file {path} holds fewer than {MIN_KEY_BYTES} bytes")
    return value


def read_or_create_key(path: Path, variable: str) -> tuple[str, bool]:
    """Return ``(value, created)`` for the key file at ``path``, creating it if absent.

    Safe against concurrent callers in other processes: exactly one creates the
    file and all of them return its content.
    """
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if path.exists():
            return _read_key(path, variable), False
        return _create_key(path, variable)
    except OSError as exc:
        raise ConfigError("CONMAN_DATA_DIR", f"cannot use key file {path}: {exc.strerror}") from exc


def _create_key(path: Path, variable: str) -> tuple[str, bool]:
    value = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode("ascii")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(value)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            return _read_key(path, variable), False
    finally:
        tmp.unlink(missing_ok=True)
    return value, True


def ensure_embedded_keys(settings: Settings) -> tuple[Settings, list[KeyFile]]:
    """Fill unset keys from their files in embedded mode; report the files used.

    Outside embedded mode the settings are returned unchanged (``load_settings``
    already rejected missing keys there).
    """
    if not settings.embedded:
        return settings, []
    files: list[KeyFile] = []
    updates: dict[str, str] = {}
    for field, (variable, file_name) in KEY_FILES.items():
        if getattr(settings, field) is not None:
            continue
        path = settings.keys_path / file_name
        value, created = read_or_create_key(path, variable)
        updates[field] = value
        files.append(KeyFile(variable=variable, path=str(path), created=created))
    return msgspec.structs.replace(settings, **updates), files


def bootstrap_password_path(settings: Settings) -> Path:
    """Where the generated bootstrap password is written (mode 0600)."""
    return settings.keys_path / "bootstrap-password"
