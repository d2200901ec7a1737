"""``build_container`` chooses adapters from the settings (ARCHITECTURE.md §5)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conman_adapters.config import ConfigError, load_settings
from conman_adapters.container import build_container
from conman_adapters.keys import ensure_embedded_keys
from conman_adapters.localgit import LocalGit
from conman_adapters.mail import FileMailer, SmtpMailer
from conman_adapters.memory import InMemoryGit
from conman_adapters.store import MemoryStore, SqliteStore

KEY = "k" * 32


def test_embedded_defaults_are_sqlite_and_local_git(tmp_path: Path) -> None:
    settings, _ = ensure_embedded_keys(load_settings({}, cwd=tmp_path))
    container = build_container(settings)
    store = container.store()
    try:
        assert isinstance(store, SqliteStore)
        assert store.backend == "sqlite"
        store.ping()
        assert (tmp_path / "conman-data" / "conman.db").exists()
        assert isinstance(container.git(), LocalGit)
        assert isinstance(container.mailer(), FileMailer)
        assert container.health()().components[0].status == "healthy"
    finally:
        store.close()


def test_memory_backends_for_tests(tmp_path: Path) -> None:
    container = build_container(
        load_settings({}, cwd=tmp_path), backend="memory", git_backend="memory"
    )
    assert isinstance(container.store(), MemoryStore)
    assert isinstance(container.git(), InMemoryGit)
    assert container.store() is container.store()


def test_smtp_host_selects_the_smtp_mailer(tmp_path: Path) -> None:
    settings = load_settings({"CONMAN_SMTP_HOST": "mail.example"}, cwd=tmp_path)
    assert isinstance(build_container(settings, backend="memory").mailer(), SmtpMailer)


def test_gitaly_backend_needs_an_address(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        build_container(load_settings({}, cwd=tmp_path), git_backend="gitaly")
    assert caught.value.variable == "CONMAN_GITALY_ADDRESS"


def test_cipher_uses_the_loaded_master_key(tmp_path: Path) -> None:
    settings = load_settings(
        {"CONMAN_SECRETS_MASTER_KEY": KEY, "CONMAN_SECRETS_MASTER_KEY_VERSION": "3"}, cwd=tmp_path
    )
    cipher = build_container(settings, backend="memory").cipher()
    assert cipher.current_kid == "v3"


def test_cipher_without_keys_names_the_variable(tmp_path: Path) -> None:
    container = build_container(load_settings({}, cwd=tmp_path), backend="memory")
    with pytest.raises(ConfigError) as caught:
        container.cipher()
    assert caught.value.variable == "CONMAN_SECRETS_MASTER_KEY"
