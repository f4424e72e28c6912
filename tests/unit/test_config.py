"""Settings: file, then environment, then explicit overrides."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from strongroom.config import load_settings
from strongroom.errors import InvalidInput


def test_defaults_keep_everything_in_the_data_dir() -> None:
    settings = load_settings(environ={})
    assert settings.data_dir == Path("strongroom-data")
    assert settings.resolved_database_url.startswith("sqlite:///")
    assert settings.resolved_database_url.endswith("strongroom-data/strongroom.sqlite3")
    assert settings.resolved_storage_path == Path("strongroom-data/files")
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)


def test_file_then_environment_then_overrides(tmp_path: Path) -> None:
    config = tmp_path / "strongroom.toml"
    config.write_text('[strongroom]\nport = 9000\nhost = "::1"\ndata_dir = "from-file"\n')
    env = {"STRONGROOM_DATA_DIR": "from-env",
           "STRONGROOM_DATABASE_URL": "postgresql://db/strongroom"}
    settings = load_settings(config, environ=env, overrides={"port": 8100, "host": None})
    assert settings.port == 8100
    assert settings.host == "::1"
    assert settings.data_dir == Path("from-env")
    assert settings.resolved_database_url == "postgresql://db/strongroom"


def test_unknown_setting_is_named(tmp_path: Path) -> None:
    config = tmp_path / "strongroom.toml"
    config.write_text("[strongroom]\nprot = 1\n")
    with pytest.raises(InvalidInput, match="unknown setting 'prot'"):
        load_settings(config, environ={})


def test_unreadable_file_is_named(tmp_path: Path) -> None:
    config = tmp_path / "broken.toml"
    config.write_text("port = = 1\n")
    with pytest.raises(InvalidInput, match=r"broken\.toml"):
        load_settings(config, environ={})


def test_only_local_storage_for_now() -> None:
    settings = load_settings(environ={"STRONGROOM_STORAGE_URL": "s3://bucket/prefix"})
    with pytest.raises(InvalidInput, match="only file://"):
        _ = settings.resolved_storage_path


@pytest.mark.parametrize("value", ["0", "-1", "soon", "nan"])
def test_readme_timeout_must_be_a_positive_number(value: str) -> None:
    with pytest.raises(InvalidInput, match=r"readme_timeout: .* positive number of seconds"):
        load_settings(environ={"STRONGROOM_README_TIMEOUT": value})


def test_readme_timeout_from_the_environment() -> None:
    assert load_settings(environ={}).readme_timeout == 5.0
    assert load_settings(environ={"STRONGROOM_README_TIMEOUT": "0.5"}).readme_timeout == 0.5


@pytest.mark.parametrize("value", ["ftp://pkgs.example.org", "pkgs.example.org",
                                   "https://pkgs.example.org/?x=1", "https://", "http://a b"])
def test_base_url_must_be_a_plain_http_url(value: str) -> None:
    with pytest.raises(InvalidInput, match="setting base_url"):
        load_settings(environ={"STRONGROOM_BASE_URL": value})


@pytest.mark.parametrize(("environ", "expected"), [
    ({"STRONGROOM_BASE_URL": "https://pkgs.example.org/pypi/"}, "https://pkgs.example.org/pypi"),
    ({}, "http://127.0.0.1:8000"),
])
def test_the_public_base_url(environ: dict[str, str], expected: str) -> None:
    assert load_settings(environ=environ).public_base_url == expected


def test_the_public_base_url_of_a_wildcard_or_ipv6_address() -> None:
    wildcard = load_settings(environ={}, overrides={"host": "0.0.0.0", "port": 9000})  # noqa: S104
    assert wildcard.public_base_url == f"http://{socket.getfqdn()}:9000"
    ipv6 = load_settings(environ={}, overrides={"host": "::1"})
    assert ipv6.public_base_url == "http://[::1]:8000"
