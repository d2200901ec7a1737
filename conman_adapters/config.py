"""Server configuration: ``CONMAN_*`` environment variables (API.md §16).

``load_settings`` reads the process environment plus an optional ``.env`` file in the
working directory (real environment variables win), validates every value and
returns a frozen ``Settings``. Any invalid value raises ``ConfigError`` whose message
starts with the variable's name and never contains a secret value.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import msgspec

from conman_adapters.envvars import (
    JOB_TIMEOUT_RE,
    KNOWN_VARIABLES,
    ConfigError,
    EnvReader,
    gather_environment,
    read_env_file,
    unknown_variables,
)

__all__ = [
    "DEFAULT_JOB_TIMEOUTS_S",
    "KEY_VARIABLES",
    "KNOWN_VARIABLES",
    "SECRET_FIELDS",
    "ConfigError",
    "Settings",
    "gather_environment",
    "load_settings",
    "read_env_file",
    "select_backend",
    "unknown_variables",
]

Backend = Literal["sqlite", "mongo", "memory"]
BACKENDS: tuple[str, ...] = ("sqlite", "mongo", "memory")

# DOMAIN.md §17.1; msuite_deploy is never enqueued in v1 and has no timeout.
DEFAULT_JOB_TIMEOUTS_S: dict[str, int] = {
    "msuite_submit": 900,
    "msuite_merge": 3600,
    "revalidate_queued_changeset": 900,
    "release_assemble": 600,
    "deploy_release": 3600,
    "runtime_profile_drift_check": 900,
    "temp_env_provision": 1800,
    "temp_env_expire": 60,
    "temp_env_cleanup": 600,
}

KEY_VARIABLES = (
    "CONMAN_JWT_SECRET",
    "CONMAN_SECRETS_MASTER_KEY",
    "CONMAN_SECRETS_PREVIOUS_MASTER_KEY",
    "CONMAN_SECRETS_NEW_MASTER_KEY",
)
SECRET_FIELDS = frozenset(
    {
        "jwt_secret",
        "secrets_master_key",
        "secrets_previous_master_key",
        "secrets_new_master_key",
        "bootstrap_password",
        "smtp_password",
        "llm_api_key",
    }
)


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """Validated configuration. Field ``x`` comes from ``CONMAN_X`` unless noted."""

    host: str = "127.0.0.1"
    port: int = 3000
    data_dir: str = "./conman-data"  # made absolute at load time
    mongo_uri: str | None = None
    mongo_db: str = "conman"
    gitaly_address: str | None = None
    gitaly_storage: str = "default"
    git_timeout_metadata_s: float = 5.0
    git_timeout_read_s: float = 10.0
    git_timeout_diff_s: float = 30.0
    git_timeout_write_s: float = 30.0
    git_timeout_merge_s: float = 60.0
    jwt_secret: str | None = None
    secrets_master_key: str | None = None
    secrets_master_key_version: int = 1
    secrets_previous_master_key: str | None = None
    secrets_previous_master_key_version: int | None = None
    secrets_new_master_key: str | None = None
    bootstrap_email: str = "admin@localhost"
    bootstrap_password: str | None = None
    jwt_expiry_hours: int = 24
    invite_expiry_days: int = 7
    trusted_proxies: tuple[str, ...] = ()  # normalized CIDRs
    sandbox_user: str | None = None
    temp_url_domain: str = "localhost"
    temp_db_uri: str | None = None  # defaults to mongo_uri
    temp_env_provision_command: str | None = None
    temp_env_cleanup_command: str | None = None
    temp_env_sweep_interval_s: int = 300
    public_url: str = "http://localhost:3000"
    job_runner_enabled: bool = True
    job_concurrency: int = 4
    job_poll_interval_ms: int = 1000
    job_lease_s: int = 60
    job_timeouts_s: dict[str, int] = msgspec.field(
        default_factory=lambda: dict(DEFAULT_JOB_TIMEOUTS_S)
    )
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_tls: Literal["starttls", "ssl", "none"] = "starttls"
    email_from_address: str = "conman@localhost"
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = None
    rate_limit_user_per_min: int = 100
    rate_limit_writes_per_min: int = 30
    rate_limit_auth_ip_per_min: int = 10

    @property
    def embedded(self) -> bool:
        """Embedded mode: no MongoDB URI configured (API.md §16)."""
        return self.mongo_uri is None

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir)

    @property
    def keys_path(self) -> Path:
        return self.data_path / "keys"

    @property
    def ai_enabled(self) -> bool:
        return self.llm_base_url is not None and self.llm_model is not None

    def trusted_networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        return [ipaddress.ip_network(cidr) for cidr in self.trusted_proxies]

    def redacted(self) -> dict[str, Any]:
        """Every field as builtins, with secret values replaced by ``"<set>"``."""
        out: dict[str, Any] = msgspec.to_builtins(self)
        for name in SECRET_FIELDS:
            if out.get(name) is not None:
                out[name] = "<set>"
        return out


def _trusted_proxies(reader: EnvReader) -> tuple[str, ...]:
    raw = reader.text("CONMAN_TRUSTED_PROXIES") or ""
    networks: list[str] = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        try:
            networks.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError as exc:
            raise ConfigError("CONMAN_TRUSTED_PROXIES", f"not an IP or CIDR: {item!r}") from exc
    return tuple(networks)


def _job_timeouts(reader: EnvReader) -> dict[str, int]:
    timeouts = dict(DEFAULT_JOB_TIMEOUTS_S)
    for name in sorted(reader.env):
        match = JOB_TIMEOUT_RE.match(name)
        if match is None:
            continue
        job_type = match.group(1).lower()
        if job_type not in timeouts:
            raise ConfigError(name, f"unknown job type {job_type!r}")
        timeouts[job_type] = reader.integer(name, timeouts[job_type], 1)
    return timeouts


def _email(reader: EnvReader) -> str:
    value = reader.required_text("CONMAN_BOOTSTRAP_EMAIL", "admin@localhost").strip().lower()
    local, at, domain = value.partition("@")
    if not at or not local or not domain or any(ch.isspace() for ch in value):
        raise ConfigError("CONMAN_BOOTSTRAP_EMAIL", f"not an email address: {value!r}")
    return value


def _parse(reader: EnvReader, cwd: Path) -> Settings:
    r = reader
    mongo_uri = r.text("CONMAN_MONGO_URI")
    if mongo_uri is not None and not mongo_uri.startswith(("mongodb://", "mongodb+srv://")):
        raise ConfigError("CONMAN_MONGO_URI", "must start with mongodb:// or mongodb+srv://")
    settings = Settings(
        host=r.required_text("CONMAN_HOST", "127.0.0.1"),
        port=r.integer("CONMAN_PORT", 3000, 1, 65535),
        data_dir=str((cwd / r.required_text("CONMAN_DATA_DIR", "./conman-data")).resolve()),
        mongo_uri=mongo_uri,
        mongo_db=r.required_text("CONMAN_MONGO_DB", "conman"),
        gitaly_address=r.text("CONMAN_GITALY_ADDRESS"),
        gitaly_storage=r.required_text("CONMAN_GITALY_STORAGE", "default"),
        git_timeout_metadata_s=r.seconds("CONMAN_GIT_TIMEOUT_METADATA_S", 5.0),
        git_timeout_read_s=r.seconds("CONMAN_GIT_TIMEOUT_READ_S", 10.0),
        git_timeout_diff_s=r.seconds("CONMAN_GIT_TIMEOUT_DIFF_S", 30.0),
        git_timeout_write_s=r.seconds("CONMAN_GIT_TIMEOUT_WRITE_S", 30.0),
        git_timeout_merge_s=r.seconds("CONMAN_GIT_TIMEOUT_MERGE_S", 60.0),
        jwt_secret=r.key("CONMAN_JWT_SECRET"),
        secrets_master_key=r.key("CONMAN_SECRETS_MASTER_KEY"),
        secrets_master_key_version=r.integer("CONMAN_SECRETS_MASTER_KEY_VERSION", 1, 1),
        secrets_previous_master_key=r.key("CONMAN_SECRETS_PREVIOUS_MASTER_KEY"),
        secrets_previous_master_key_version=(
            r.integer("CONMAN_SECRETS_PREVIOUS_MASTER_KEY_VERSION", 0, 1)
            if r.text("CONMAN_SECRETS_PREVIOUS_MASTER_KEY_VERSION") is not None
            else None
        ),
        secrets_new_master_key=r.key("CONMAN_SECRETS_NEW_MASTER_KEY"),
        bootstrap_email=_email(r),
        bootstrap_password=r.text("CONMAN_BOOTSTRAP_PASSWORD"),
        jwt_expiry_hours=r.integer("CONMAN_JWT_EXPIRY_HOURS", 24, 1),
        invite_expiry_days=r.integer("CONMAN_INVITE_EXPIRY_DAYS", 7, 1),
        trusted_proxies=_trusted_proxies(r),
        sandbox_user=r.text("CONMAN_SANDBOX_USER"),
        temp_url_domain=r.required_text("CONMAN_TEMP_URL_DOMAIN", "localhost"),
        temp_db_uri=r.text("CONMAN_TEMP_DB_URI", mongo_uri),
        temp_env_provision_command=r.text("CONMAN_TEMP_ENV_PROVISION_COMMAND"),
        temp_env_cleanup_command=r.text("CONMAN_TEMP_ENV_CLEANUP_COMMAND"),
        temp_env_sweep_interval_s=r.integer("CONMAN_TEMP_ENV_SWEEP_INTERVAL_S", 300, 1),
        public_url=r.url("CONMAN_PUBLIC_URL", "http://localhost:3000") or "",
        job_runner_enabled=r.boolean("CONMAN_JOB_RUNNER_ENABLED", True),
        job_concurrency=r.integer("CONMAN_JOB_CONCURRENCY", 4, 1, 256),
        job_poll_interval_ms=r.integer("CONMAN_JOB_POLL_INTERVAL_MS", 1000, 10),
        job_lease_s=r.integer("CONMAN_JOB_LEASE_S", 60, 3),
        job_timeouts_s=_job_timeouts(r),
        smtp_host=r.text("CONMAN_SMTP_HOST"),
        smtp_port=r.integer("CONMAN_SMTP_PORT", 587, 1, 65535),
        smtp_username=r.text("CONMAN_SMTP_USERNAME"),
        smtp_password=r.text("CONMAN_SMTP_PASSWORD"),
        smtp_tls=r.choice("CONMAN_SMTP_TLS", "starttls", ("starttls", "ssl", "none")),  # type: ignore[arg-type]
        email_from_address=r.required_text("CONMAN_EMAIL_FROM_ADDRESS", "conman@localhost"),
        llm_base_url=r.url("CONMAN_LLM_BASE_URL", None),
        llm_model=r.text("CONMAN_LLM_MODEL"),
        llm_api_key=r.text("CONMAN_LLM_API_KEY"),
        rate_limit_user_per_min=r.integer("CONMAN_RATE_LIMIT_USER_PER_MIN", 100, 0),
        rate_limit_writes_per_min=r.integer("CONMAN_RATE_LIMIT_WRITES_PER_MIN", 30, 0),
        rate_limit_auth_ip_per_min=r.integer("CONMAN_RATE_LIMIT_AUTH_IP_PER_MIN", 10, 0),
    )
    _check_previous_master_key(settings)
    if not settings.embedded:
        for name, value in (
            ("CONMAN_JWT_SECRET", settings.jwt_secret),
            ("CONMAN_SECRETS_MASTER_KEY", settings.secrets_master_key),
        ):
            if value is None:
                raise ConfigError(name, "is required when CONMAN_MONGO_URI is set")
    return settings


def _check_previous_master_key(settings: Settings) -> None:
    # A previous key under the current version would replace the current key in the
    # cipher's key ring: new secrets would be sealed with the old key under the new id.
    previous, version = (
        settings.secrets_previous_master_key,
        settings.secrets_previous_master_key_version,
    )
    if previous is not None and version is None:
        raise ConfigError(
            "CONMAN_SECRETS_PREVIOUS_MASTER_KEY_VERSION",
            "is required with CONMAN_SECRETS_PREVIOUS_MASTER_KEY",
        )
    if version is not None and previous is None:
        raise ConfigError(
            "CONMAN_SECRETS_PREVIOUS_MASTER_KEY",
            "is required with CONMAN_SECRETS_PREVIOUS_MASTER_KEY_VERSION",
        )
    if version is not None and version == settings.secrets_master_key_version:
        raise ConfigError(
            "CONMAN_SECRETS_PREVIOUS_MASTER_KEY_VERSION",
            "must differ from CONMAN_SECRETS_MASTER_KEY_VERSION",
        )


def load_settings(
    environ: Mapping[str, str] | None = None,
    *,
    cwd: Path | None = None,
    env_file: Path | None = None,
    overrides: Mapping[str, str] | None = None,
) -> Settings:
    """Validate the variables of ``gather_environment`` (same arguments).

    Raises ``ConfigError`` naming the first invalid variable. Keys missing in
    embedded mode stay ``None`` here; ``conman_adapters.keys`` generates them.
    Relative paths (``CONMAN_DATA_DIR``) are resolved against ``cwd``.
    """
    env = gather_environment(environ, cwd=cwd, env_file=env_file, overrides=overrides)
    return _parse(EnvReader(env), Path.cwd() if cwd is None else cwd)


def select_backend(settings: Settings, override: str | None = None) -> str:
    """The store backend: ``override`` if given, else mongo with a URI, else sqlite."""
    if override is None:
        return "sqlite" if settings.embedded else "mongo"
    if override not in BACKENDS:
        raise ConfigError("--backend", f"must be one of {', '.join(BACKENDS)}")
    if override == "mongo" and settings.mongo_uri is None:
        raise ConfigError("CONMAN_MONGO_URI", "is required for --backend mongo")
    return override
