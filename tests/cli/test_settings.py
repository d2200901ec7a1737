"""``load_settings``, backend selection and embedded key files."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from conman_adapters.config import ConfigError, load_settings, select_backend
from conman_adapters.keys import ensure_embedded_keys, read_or_create_key

KEY = "k" * 32


def test_defaults_match_the_configuration_table(tmp_path: Path) -> None:
    settings = load_settings({}, cwd=tmp_path)
    assert (settings.host, settings.port) == ("127.0.0.1", 3000)
    assert settings.data_dir == str(tmp_path / "conman-data")
    assert settings.embedded
    assert settings.git_timeout_merge_s == 60.0
    assert settings.job_timeouts_s["msuite_merge"] == 3600
    assert settings.smtp_tls == "starttls"
    assert (settings.rate_limit_user_per_min, settings.rate_limit_auth_ip_per_min) == (100, 10)
    assert select_backend(settings) == "sqlite"


def test_trusted_proxies_accept_ips_and_cidrs(tmp_path: Path) -> None:
    settings = load_settings(
        {"CONMAN_TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.7 ,2001:db8::/32"}, cwd=tmp_path
    )
    assert settings.trusted_proxies == ("10.0.0.0/8", "192.168.1.7/32", "2001:db8::/32")


def test_job_timeouts_are_overridable_per_type(tmp_path: Path) -> None:
    settings = load_settings({"CONMAN_JOB_TIMEOUT_DEPLOY_RELEASE_S": "120"}, cwd=tmp_path)
    assert settings.job_timeouts_s["deploy_release"] == 120
    assert settings.job_timeouts_s["msuite_submit"] == 900


def test_temp_db_uri_defaults_to_the_mongo_uri(tmp_path: Path) -> None:
    env = {
        "CONMAN_MONGO_URI": "mongodb://db:27017",
        "CONMAN_JWT_SECRET": KEY,
        "CONMAN_SECRETS_MASTER_KEY": KEY,
    }
    settings = load_settings(env, cwd=tmp_path)
    assert settings.temp_db_uri == "mongodb://db:27017"
    assert select_backend(settings) == "mongo"
    assert ensure_embedded_keys(settings) == (settings, [])


def test_mongo_backend_without_uri_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        select_backend(load_settings({}, cwd=tmp_path), "mongo")
    assert caught.value.variable == "CONMAN_MONGO_URI"


def test_overrides_win_over_the_environment(tmp_path: Path) -> None:
    settings = load_settings(
        {"CONMAN_PORT": "4000"}, cwd=tmp_path, overrides={"CONMAN_PORT": "4001"}
    )
    assert settings.port == 4001


def test_a_short_key_file_is_rejected_naming_the_variable(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "jwt-secret"
    path.parent.mkdir()
    path.write_text("too-short")
    with pytest.raises(ConfigError) as caught:
        read_or_create_key(path, "CONMAN_JWT_SECRET")
    assert caught.value.variable == "CONMAN_JWT_SECRET"
    assert "too-short" not in caught.value.message


def test_concurrent_key_creation_yields_one_value(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "master-key"
    results: list[tuple[str, bool]] = []
    barrier = threading.Barrier(8)

    def create() -> None:
        barrier.wait()
        results.append(read_or_create_key(path, "CONMAN_SECRETS_MASTER_KEY"))

    threads = [threading.Thread(target=create) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({value for value, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert results[0][0] == path.read_text()
    assert sorted(p.name for p in path.parent.iterdir()) == ["master-key"]


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        (
            {"CONMAN_SECRETS_PREVIOUS_MASTER_KEY": "p" * 32},
            "CONMAN_SECRETS_PREVIOUS_MASTER_KEY_VERSION",
        ),
        ({"CONMAN_SECRETS_PREVIOUS_MASTER_KEY_VERSION": "1"}, "CONMAN_SECRETS_PREVIOUS_MASTER_KEY"),
        (
            {
                "CONMAN_SECRETS_MASTER_KEY_VERSION": "2",
                "CONMAN_SECRETS_PREVIOUS_MASTER_KEY": "p" * 32,
                "CONMAN_SECRETS_PREVIOUS_MASTER_KEY_VERSION": "2",
            },
            "CONMAN_SECRETS_PREVIOUS_MASTER_KEY_VERSION",
        ),
    ],
)
def test_an_inconsistent_previous_master_key_is_a_startup_error(
    tmp_path: Path, env: dict[str, str], variable: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(env, cwd=tmp_path)
    assert caught.value.variable == variable


def test_a_previous_master_key_with_its_own_version_is_accepted(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "CONMAN_SECRETS_MASTER_KEY_VERSION": "2",
            "CONMAN_SECRETS_PREVIOUS_MASTER_KEY": "p" * 32,
            "CONMAN_SECRETS_PREVIOUS_MASTER_KEY_VERSION": "1",
        },
        cwd=tmp_path,
    )
    assert (settings.secrets_master_key_version, settings.secrets_previous_master_key_version) == (
        2,
        1,
    )
