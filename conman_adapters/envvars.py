"""Reading ``CONMAN_*`` variables: ``.env`` files, merging, typed access.

Every failure raises ``ConfigError`` whose message starts with the variable's name
and never contains a secret value.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

from conman_domain.errors import ConmanError

__all__ = [
    "JOB_TIMEOUT_RE",
    "KNOWN_VARIABLES",
    "MIN_KEY_BYTES",
    "ConfigError",
    "EnvReader",
    "gather_environment",
    "read_env_file",
    "unknown_variables",
]

MIN_KEY_BYTES = 32
JOB_TIMEOUT_RE = re.compile(r"^CONMAN_JOB_TIMEOUT_([A-Z0-9_]+)_S$")


class ConfigError(ConmanError):
    """A configuration value is missing or invalid; ``variable`` names it (CLI exit 6)."""

    code = "config_error"

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


def read_env_file(path: Path) -> dict[str, str]:
    """Parse ``KEY=VALUE`` lines (``#`` comments, optional ``export``, optional quotes)."""
    values: dict[str, str] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        line = line.removeprefix("export ").strip()
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            raise ConfigError(str(path), f"line {number} is not KEY=VALUE")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[key] = value
    return values


class EnvReader:
    """Typed access to the merged variables; every failure names the variable."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env

    def text(self, name: str, default: str | None = None) -> str | None:
        value = self.env.get(name)
        return default if value is None or value == "" else value

    def required_text(self, name: str, default: str) -> str:
        value = self.text(name, default)
        return default if value is None else value

    def integer(self, name: str, default: int, low: int, high: int | None = None) -> int:
        value = self.text(name)
        if value is None:
            return default
        bounds = f">= {low}" if high is None else f"{low}..{high}"
        valid = re.fullmatch(r"[0-9]{1,18}", value) is not None
        if not valid or int(value) < low or (high is not None and int(value) > high):
            raise ConfigError(name, f"must be an integer {bounds}, got {value!r}")
        return int(value)

    def seconds(self, name: str, default: float) -> float:
        value = self.text(name)
        if value is None:
            return default
        try:
            parsed = float(value)
        except ValueError:
            parsed = -1.0
        if not parsed > 0 or parsed == float("inf"):
            raise ConfigError(name, f"must be a positive number of seconds, got {value!r}")
        return parsed

    def boolean(self, name: str, default: bool) -> bool:
        value = self.text(name)
        if value is None:
            return default
        lowered = value.lower()
        if lowered in ("true", "1", "yes", "on"):
            return True
        if lowered in ("false", "0", "no", "off"):
            return False
        raise ConfigError(name, f"must be true or false, got {value!r}")

    def key(self, name: str) -> str | None:
        value = self.text(name)
        if value is not None and len(value.encode("utf-8")) < MIN_KEY_BYTES:
            raise ConfigError(name, f"must be at least {MIN_KEY_BYTES} bytes in UTF-8")
        return value

    def url(self, name: str, default: str | None) -> str | None:
        value = self.text(name, default)
        if value is not None and not re.match(r"^https?://[^\s/]+", value):
            raise ConfigError(name, f"must be an http(s) URL, got {value!r}")
        return value

    def choice(self, name: str, default: str, allowed: tuple[str, ...]) -> str:
        value = self.required_text(name, default)
        if value not in allowed:
            raise ConfigError(name, f"must be one of {', '.join(allowed)}, got {value!r}")
        return value


def gather_environment(
    environ: Mapping[str, str] | None = None,
    *,
    cwd: Path | None = None,
    env_file: Path | None = None,
    overrides: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The ``CONMAN_*`` variables: ``.env`` (lowest), then ``environ``, then ``overrides``.

    ``env_file`` defaults to ``<cwd>/.env`` and is skipped when it does not exist.
    """
    base = Path.cwd() if cwd is None else cwd
    env_path = base / ".env" if env_file is None else env_file
    merged: dict[str, str] = {}
    if env_path.is_file():
        merged.update(read_env_file(env_path))
    merged.update(os.environ if environ is None else environ)
    merged.update(overrides or {})
    return {k: v for k, v in merged.items() if k.startswith("CONMAN_")}


KNOWN_VARIABLES: frozenset[str] = frozenset(
    {
        "CONMAN_BOOTSTRAP_EMAIL",
        "CONMAN_BOOTSTRAP_PASSWORD",
        "CONMAN_DATA_DIR",
        "CONMAN_EMAIL_FROM_ADDRESS",
        "CONMAN_GITALY_ADDRESS",
        "CONMAN_GITALY_STORAGE",
        "CONMAN_GIT_TIMEOUT_DIFF_S",
        "CONMAN_GIT_TIMEOUT_MERGE_S",
        "CONMAN_GIT_TIMEOUT_METADATA_S",
        "CONMAN_GIT_TIMEOUT_READ_S",
        "CONMAN_GIT_TIMEOUT_WRITE_S",
        "CONMAN_HOST",
        "CONMAN_INVITE_EXPIRY_DAYS",
        "CONMAN_JOB_CONCURRENCY",
        "CONMAN_JOB_LEASE_S",
        "CONMAN_JOB_POLL_INTERVAL_MS",
        "CONMAN_JOB_RUNNER_ENABLED",
        "CONMAN_JWT_EXPIRY_HOURS",
        "CONMAN_JWT_SECRET",
        "CONMAN_LLM_API_KEY",
        "CONMAN_LLM_BASE_URL",
        "CONMAN_LLM_MODEL",
        "CONMAN_MONGO_DB",
        "CONMAN_MONGO_URI",
        "CONMAN_PORT",
        "CONMAN_PUBLIC_URL",
        "CONMAN_RATE_LIMIT_AUTH_IP_PER_MIN",
        "CONMAN_RATE_LIMIT_USER_PER_MIN",
        "CONMAN_RATE_LIMIT_WRITES_PER_MIN",
        "CONMAN_SANDBOX_USER",
        "CONMAN_SECRETS_MASTER_KEY",
        "CONMAN_SECRETS_MASTER_KEY_VERSION",
        "CONMAN_SECRETS_NEW_MASTER_KEY",
        "CONMAN_SECRETS_PREVIOUS_MASTER_KEY",
        "CONMAN_SECRETS_PREVIOUS_MASTER_KEY_VERSION",
        "CONMAN_SMTP_HOST",
        "CONMAN_SMTP_PASSWORD",
        "CONMAN_SMTP_PORT",
        "CONMAN_SMTP_TLS",
        "CONMAN_SMTP_USERNAME",
        "CONMAN_TEMP_DB_URI",
        "CONMAN_TEMP_ENV_CLEANUP_COMMAND",
        "CONMAN_TEMP_ENV_PROVISION_COMMAND",
        "CONMAN_TEMP_ENV_SWEEP_INTERVAL_S",
        "CONMAN_TEMP_URL_DOMAIN",
        "CONMAN_TRUSTED_PROXIES",
    }
)


def unknown_variables(environ: Mapping[str, str]) -> list[str]:
    """``CONMAN_*`` names that no setting reads (likely typos), sorted."""
    return sorted(
        name
        for name in environ
        if name.startswith("CONMAN_")
        and name not in KNOWN_VARIABLES
        and not JOB_TIMEOUT_RE.match(name)
    )
