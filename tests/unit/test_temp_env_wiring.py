"""The container registers the temp env job handlers, the provision cancel effect and
the MongoDB provisioner (DOMAIN.md §16, §17.1, §17.5)."""

from __future__ import annotations

from pathlib import Path

from conman_adapters.config import load_settings
from conman_adapters.container import build_container
from conman_adapters.mongoprov import MongoProvisioner

KEYS = {"CONMAN_JWT_SECRET": "j" * 40, "CONMAN_SECRETS_MASTER_KEY": "m" * 40}


def test_the_three_temp_env_job_types_have_handlers(tmp_path: Path) -> None:
    settings = load_settings({**KEYS, "CONMAN_TEMP_DB_URI": "mongodb://db:27017"}, cwd=tmp_path)
    container = build_container(settings, backend="memory", git_backend="memory")
    handlers = container.job_handlers()
    for job_type in ("temp_env_provision", "temp_env_expire", "temp_env_cleanup"):
        assert job_type in handlers
    deps = container.temp_env_deps()
    assert isinstance(deps.provisioner, MongoProvisioner)
    assert deps.config.db_uri == "mongodb://db:27017"
    assert deps.config.url_domain == "localhost"


def test_the_temp_db_uri_defaults_to_the_mongo_uri(tmp_path: Path) -> None:
    values = {**KEYS, "CONMAN_MONGO_URI": "mongodb://main:27017/conman"}
    settings = load_settings(values, cwd=tmp_path)
    container = build_container(settings, backend="memory", git_backend="memory")
    assert container.temp_env_deps().config.db_uri == "mongodb://main:27017/conman"
