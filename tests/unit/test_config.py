"""Settings: file, then environment, then explicit overrides."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from strongroom.config import (
    ConnectionLimits,
    Limits,
    TwoFactorRequired,
    format_size,
    load_settings,
    parse_size,
)
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
    with pytest.raises(InvalidInput, match=r"setting readme_timeout .* is not a positive number"):
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


def test_connection_limits_have_safe_defaults() -> None:
    settings = load_settings(environ={})
    assert settings.keep_alive_timeout == 5
    assert settings.connection_limits == ConnectionLimits()
    assert ConnectionLimits() == ConnectionLimits(
        head_timeout=15, body_timeout=20, min_body_rate=500, send_timeout=60,
        max_connections=1024, max_request_line=8192, max_header_bytes=65536)


def test_connection_limits_from_file_and_environment(tmp_path: Path) -> None:
    config = tmp_path / "strongroom.toml"
    config.write_text("[strongroom]\nhead_timeout = 2\nmin_body_rate = 1000.5\n"
                      "max_connections = 50\nsend_timeout = 30\n")
    env = {"STRONGROOM_SEND_TIMEOUT": "0.5", "STRONGROOM_MAX_HEADER_BYTES": "4096",
           "STRONGROOM_KEEP_ALIVE_TIMEOUT": "75", "STRONGROOM_BODY_TIMEOUT": "1e1",
           "STRONGROOM_MAX_REQUEST_LINE": "2048"}
    settings = load_settings(config, environ=env)
    assert settings.keep_alive_timeout == 75.0
    assert settings.connection_limits == ConnectionLimits(
        head_timeout=2.0, body_timeout=10.0, min_body_rate=1000.5, send_timeout=0.5,
        max_connections=50, max_request_line=2048, max_header_bytes=4096)
    assert isinstance(settings.head_timeout, float)
    assert isinstance(settings.max_connections, int)


@pytest.mark.parametrize(("variable", "value", "message"), [
    ("STRONGROOM_HEAD_TIMEOUT", "soon", r"setting head_timeout \(STRONGROOM_HEAD_TIMEOUT\): "
                                        "'soon' is not a positive number"),
    ("STRONGROOM_BODY_TIMEOUT", "0", "body_timeout .*'0' is not a positive number"),
    ("STRONGROOM_MIN_BODY_RATE", "-5", "min_body_rate .*'-5'"),
    ("STRONGROOM_SEND_TIMEOUT", "nan", "send_timeout .*'nan'"),
    ("STRONGROOM_KEEP_ALIVE_TIMEOUT", "inf", "keep_alive_timeout .*'inf'"),
    ("STRONGROOM_MAX_CONNECTIONS", "1.5", "max_connections .*'1.5' is not a positive whole"),
    ("STRONGROOM_MAX_REQUEST_LINE", "8k", "max_request_line .*'8k'"),
    ("STRONGROOM_MAX_HEADER_BYTES", "-1", "max_header_bytes .*'-1'"),
])
def test_bad_connection_limits_are_named(variable: str, value: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        load_settings(environ={variable: value})


@pytest.mark.parametrize(("line", "message"), [
    ("max_connections = 10.0", "max_connections .*10.0 is not a positive whole number"),
    ("max_header_bytes = true", "max_header_bytes .*True"),
    ("head_timeout = 0", "head_timeout .*0 is not a positive number"),
    ('body_timeout = "slow"', "body_timeout .*'slow'"),
])
def test_bad_connection_limits_in_the_file_are_named(tmp_path: Path, line: str,
                                                     message: str) -> None:
    config = tmp_path / "strongroom.toml"
    config.write_text(f"[strongroom]\n{line}\n")
    with pytest.raises(InvalidInput, match=message):
        load_settings(config, environ={})


@pytest.mark.parametrize(("text", "size"), [
    ("104857600", 100 * 2**20), ("100MiB", 100 * 2**20), ("2 GiB", 2 * 2**30),
    ("1.5gib", 3 * 2**29), ("512KiB", 2**19), ("1GB", 10**9), ("10mb", 10**7), ("1B", 1),
    ("1TiB", 2**40), (" 3 MiB ", 3 * 2**20), ("0.5KiB", 512),
])
def test_sizes_as_people_write_them(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "0", "0MiB", "0.1B", "-1MiB", "2 GiBs", "1e9", "MiB",
                                  "1.5.5GiB", "2 XB", "nan"])
def test_what_is_not_a_size(text: str) -> None:
    with pytest.raises(ValueError, match="is not a"):
        parse_size(text)


@pytest.mark.parametrize(("size", "text"), [
    (100 * 2**20, "100 MiB"), (10 * 2**30, "10 GiB"), (2**40, "1 TiB"), (2048 * 2**20, "2 GiB"),
    (3 * 2**29, "1536 MiB"), (2**19, "512 KiB"), (1500, "1500 bytes"),
    (int(1.25 * 2**20) + 1, "1.25 MiB"), (10**9, "953.67 MiB"),
])
def test_sizes_written_back(size: int, text: str) -> None:
    assert format_size(size) == text


def test_upload_limits_default_to_pypis() -> None:
    limits = load_settings(environ={}).limits
    assert (limits.max_file_size, limits.max_project_size) == (100 * 2**20, 10 * 2**30)
    assert limits == Limits()


def test_upload_limits_from_file_and_environment(tmp_path: Path) -> None:
    config = tmp_path / "strongroom.toml"
    config.write_text('[strongroom]\nmax_file_size = "1GiB"\nmax_project_size = 5000000000\n')
    settings = load_settings(config, environ={"STRONGROOM_MAX_FILE_SIZE": "300MiB"})
    assert settings.limits.max_file_size == 300 * 2**20
    assert settings.limits.max_project_size == 5 * 10**9


@pytest.mark.parametrize(("line", "message"), [
    ("max_file_size = 0", r"max_file_size \(STRONGROOM_MAX_FILE_SIZE\): 0 is not a positive"),
    ('max_project_size = "lots"', "max_project_size .*'lots' is not a positive size"),
    ("max_file_size = 1.5", "max_file_size .*1.5"),
    ("max_file_size = true", "max_file_size .*True"),
])
def test_bad_upload_limits_are_named(tmp_path: Path, line: str, message: str) -> None:
    config = tmp_path / "strongroom.toml"
    config.write_text(f"[strongroom]\n{line}\n")
    with pytest.raises(InvalidInput, match=message):
        load_settings(config, environ={})


def test_a_projects_limits_replace_the_defaults() -> None:
    defaults = Limits(max_file_size=100, max_project_size=1000)
    own = defaults.for_project(50, None)
    assert (own.max_file_size, own.max_project_size) == (50, 1000)
    assert defaults.for_project(None, 5000).max_project_size == 5000
    assert defaults.for_project(None, None).max_file_size == 100


def test_a_raised_file_limit_raises_the_uncompressed_cap_but_not_the_ratio() -> None:
    defaults = Limits()
    assert defaults.for_project(None, None).max_uncompressed_size == 2 * 2**30
    raised = defaults.for_project(2 * 2**30, 50 * 2**30)
    assert raised.max_uncompressed_size == 40 * 2**30
    assert raised.max_compression_ratio == defaults.max_compression_ratio
    assert raised.ratio_threshold_size == defaults.ratio_threshold_size
    assert defaults.for_project(1024, None).max_uncompressed_size == 2 * 2**30


@pytest.mark.parametrize(("source", "value", "private"), [
    ("env", "true", True), ("env", "1", True), ("env", "Off", False), ("env", "no", False),
    ("file", "true", True), ("file", "false", False),
])
def test_private_from_file_or_environment(tmp_path: Path, source: str, value: str,
                                          private: bool) -> None:
    config = tmp_path / "strongroom.toml"
    config.write_text(f"[strongroom]\nprivate = {value}\n" if source == "file" else "")
    environ = {"STRONGROOM_PRIVATE": value} if source == "env" else {}
    assert load_settings(config, environ=environ).private is private
    assert load_settings(None, environ={}).private is False


@pytest.mark.parametrize(("environ", "line"), [
    ({"STRONGROOM_PRIVATE": "maybe"}, ""), ({}, "private = 1"), ({}, 'private = "yes please"')])
def test_a_private_setting_that_is_not_a_boolean_is_named(tmp_path: Path,
                                                          environ: dict[str, str],
                                                          line: str) -> None:
    config = tmp_path / "strongroom.toml"
    config.write_text(f"[strongroom]\n{line}\n")
    with pytest.raises(InvalidInput, match=r"setting private \(STRONGROOM_PRIVATE\): .* is not "
                                           "true or false"):
        load_settings(config, environ=environ)


def test_mail_settings_from_the_environment() -> None:
    defaults = load_settings(environ={})
    assert (defaults.smtp_url, defaults.mail_from, defaults.smtp_timeout) == (None, "", 10.0)
    settings = load_settings(environ={
        "STRONGROOM_SMTP_URL": "smtp+starttls://user:pw@mail.example.org",
        "STRONGROOM_MAIL_FROM": "PyPI <noreply@pypi.example.org>",
        "STRONGROOM_SMTP_TIMEOUT": "2.5",
    })
    assert settings.smtp_url == "smtp+starttls://user:pw@mail.example.org"
    assert settings.mail_sender == "PyPI <noreply@pypi.example.org>"
    assert settings.smtp_timeout == 2.5


@pytest.mark.parametrize(("environ", "sender"), [
    ({"STRONGROOM_BASE_URL": "https://pypi.example.org:8443/index/"},
     "strongroom@pypi.example.org"),
    ({}, "strongroom@127.0.0.1"),
    ({"STRONGROOM_BASE_URL": "http://[::1]:8000"}, "strongroom@[IPv6:::1]"),
])
def test_mail_comes_from_the_host_of_the_index_by_default(
        environ: dict[str, str], sender: str) -> None:
    assert load_settings(environ=environ).mail_sender == sender


@pytest.mark.parametrize("value", ["0", "-1", "soon", "inf"])
def test_smtp_timeout_must_be_a_positive_number(value: str) -> None:
    with pytest.raises(InvalidInput, match=r"setting smtp_timeout \(STRONGROOM_SMTP_TIMEOUT\)"):
        load_settings(environ={"STRONGROOM_SMTP_TIMEOUT": value})


def test_dns_servers_are_addresses_with_optional_ports() -> None:
    settings = load_settings(environ={
        "STRONGROOM_DNS_SERVERS": "192.0.2.53, 192.0.2.54:5353,2001:db8::53,[2001:db8::54]:54",
        "STRONGROOM_DNS_TIMEOUT": "0.5"})
    assert settings.dns_nameservers == [("192.0.2.53", 53), ("192.0.2.54", 5353),
                                        ("2001:db8::53", 53), ("2001:db8::54", 54)]
    assert settings.dns_timeout == 0.5
    defaults = load_settings(environ={})
    assert (defaults.dns_nameservers, defaults.dns_timeout) == ([], 5.0)  # resolv.conf's


@pytest.mark.parametrize("entry", ["dns.example.org", "192.0.2.53:0", "192.0.2.53:65536",
                                   "192.0.2.53:dns", "[2001:db8::53]:", "[2001:db8::53]x",
                                   "[192.0.2]:53", ":53"])
def test_a_dns_server_that_is_not_an_address_is_named(entry: str) -> None:
    pattern = (r"setting dns_servers \(STRONGROOM_DNS_SERVERS\): .* is not an IP address with "
               "an optional port")
    with pytest.raises(InvalidInput, match=pattern):
        load_settings(environ={"STRONGROOM_DNS_SERVERS": f"192.0.2.1, {entry}"})


@pytest.mark.parametrize("value", ["0", "-1", "never"])
def test_the_dns_timeout_must_be_a_positive_number(value: str) -> None:
    with pytest.raises(InvalidInput, match=r"setting dns_timeout .* is not a positive number"):
        load_settings(environ={"STRONGROOM_DNS_TIMEOUT": value})


def test_dns_canaries_and_the_lapsed_domains_ceiling(tmp_path: Path) -> None:
    defaults = load_settings(environ={})
    assert defaults.dns_canary_domains == ["gmail.com", "outlook.com", "yahoo.com"]
    assert defaults.lapsed_domains_ceiling == 0.2
    from_env = load_settings(environ={"STRONGROOM_DNS_CANARIES": " mail.internal, ,b.internal",
                                      "STRONGROOM_LAPSED_DOMAINS_CEILING": "5%"})
    assert from_env.dns_canary_domains == ["mail.internal", "b.internal"]
    assert from_env.lapsed_domains_ceiling == 0.05
    config = tmp_path / "strongroom.toml"
    config.write_text('[strongroom]\ndns_canaries = ["mail.internal"]\n'
                      "lapsed_domains_ceiling = 0.5\n")
    from_file = load_settings(config, environ={})
    assert (from_file.dns_canary_domains, from_file.lapsed_domains_ceiling) == (
        ["mail.internal"], 0.5)


@pytest.mark.parametrize("value", ["0", "0%", "1.5", "101%", "most", "nan"])
def test_the_lapsed_domains_ceiling_is_a_share(value: str) -> None:
    pattern = (r"setting lapsed_domains_ceiling \(STRONGROOM_LAPSED_DOMAINS_CEILING\): .* is "
               "not a share such as 20% or 0.2")
    with pytest.raises(InvalidInput, match=pattern):
        load_settings(environ={"STRONGROOM_LAPSED_DOMAINS_CEILING": value})


def test_no_dns_canary_is_refused() -> None:
    with pytest.raises(InvalidInput, match=r"setting dns_canaries .*name at least one domain"):
        load_settings(environ={"STRONGROOM_DNS_CANARIES": " , "})


def test_failed_read_authentications_are_limited_by_default() -> None:
    assert load_settings(environ={}).read_auth_failure_rate == "30/minute;300/hour"
    assert load_settings(environ={"STRONGROOM_READ_AUTH_FAILURE_RATE": "off"}
                         ).read_auth_failure_rate == "off"


def test_nobody_needs_a_second_factor_by_default() -> None:
    assert load_settings(environ={}).two_factor_required is TwoFactorRequired.NOBODY


@pytest.mark.parametrize(("source", "value", "required"), [
    ("env", "nobody", TwoFactorRequired.NOBODY),
    ("env", " Uploaders ", TwoFactorRequired.UPLOADERS),
    ("env", "EVERYONE", TwoFactorRequired.EVERYONE),
    ("env", "critical", TwoFactorRequired.CRITICAL),
    ("file", '"uploaders"', TwoFactorRequired.UPLOADERS),
])
def test_two_factor_required_from_file_or_environment(tmp_path: Path, source: str, value: str,
                                                      required: TwoFactorRequired) -> None:
    config = tmp_path / "strongroom.toml"
    config.write_text(f"[strongroom]\ntwo_factor_required = {value}\n" if source == "file"
                      else "")
    environ = {"STRONGROOM_TWO_FACTOR_REQUIRED": value} if source == "env" else {}
    assert load_settings(config, environ=environ).two_factor_required is required


@pytest.mark.parametrize(("environ", "line", "shown"), [
    ({"STRONGROOM_TWO_FACTOR_REQUIRED": "maintainers"}, "", "'maintainers'"),
    ({}, 'two_factor_required = ""', "''"), ({}, "two_factor_required = true", "True"),
    ({}, "two_factor_required = 1", "1"),
])
def test_a_two_factor_policy_that_is_not_one_is_named(tmp_path: Path, environ: dict[str, str],
                                                      line: str, shown: str) -> None:
    config = tmp_path / "strongroom.toml"
    config.write_text(f"[strongroom]\n{line}\n")
    with pytest.raises(InvalidInput) as caught:
        load_settings(config, environ=environ)
    assert caught.value.message == (
        f"setting two_factor_required (STRONGROOM_TWO_FACTOR_REQUIRED): {shown} is not one of "
        "nobody, critical, uploaders, everyone")


@pytest.mark.parametrize(("required", "upload_token", "read_only_token", "web"), [
    (TwoFactorRequired.NOBODY, False, False, False),
    (TwoFactorRequired.CRITICAL, False, False, False),  # decided per project, at upload
    (TwoFactorRequired.UPLOADERS, True, False, False),
    (TwoFactorRequired.EVERYONE, True, True, True),
])
def test_whom_each_policy_covers(required: TwoFactorRequired, upload_token: bool,
                                 read_only_token: bool, web: bool) -> None:
    assert required.covers_token(read_only=False) is upload_token
    assert required.covers_token(read_only=True) is read_only_token
    assert required.covers_web is web


def test_attestations_use_sigstores_root_unless_a_file_is_named(tmp_path: Path) -> None:
    assert load_settings(environ={}).attestation_trusted_root is None
    config = tmp_path / "strongroom.toml"
    config.write_text('[strongroom]\nattestation_trusted_root = "/etc/strongroom/root.json"\n')
    assert load_settings(config, environ={}).attestation_trusted_root == Path(
        "/etc/strongroom/root.json")
    environ = {"STRONGROOM_ATTESTATION_TRUSTED_ROOT": "/srv/trusted_root.json"}
    assert load_settings(config, environ=environ).attestation_trusted_root == Path(
        "/srv/trusted_root.json")
