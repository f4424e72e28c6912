"""Settings: defaults, overridden by a TOML file, overridden by the environment.

Every component receives the values it needs as arguments; nothing reads this module's state.
"""

from __future__ import annotations

import os
import socket
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from strongroom.errors import InvalidInput

DEFAULT_DATA_DIR = Path("strongroom-data")
_WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "::"})  # noqa: S104 - names, not a bind
MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Upload limits, in bytes or ratios."""

    max_file_size: int = 100 * MIB
    max_project_size: int = 10 * 1024 * MIB
    max_uncompressed_size: int = 2048 * MIB
    max_compression_ratio: float = 50.0
    # A high ratio alone is normal for tiny, repetitive files; only large expansions count.
    ratio_threshold_size: int = 64 * MIB
    max_members: int = 100_000


@dataclass(frozen=True)
class Settings:
    """Everything a Strongroom process needs to know to start."""

    data_dir: Path = DEFAULT_DATA_DIR
    database_url: str | None = None
    storage_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    base_url: str | None = None
    # Scale-out (see README "Scale-out"): Redis shares the change feed and rate limits between
    # workers; S3 settings apply when storage_url is s3://bucket/prefix (credentials come from
    # boto3's own chain: AWS_ACCESS_KEY_ID ..., ~/.aws, instance roles).
    redis_url: str | None = None
    # Keys of one index in a shared Redis start with this (several indexes, or tests, apart).
    redis_prefix: str = "strongroom:"
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    # Comma-separated base URLs of caching proxies to send PURGE requests to after each write.
    purge_urls: str | None = None
    # GET + X-Strongroom-Refresh (stock nginx, deploy/nginx.conf) or PURGE (Varnish, CDNs).
    purge_method: str = "GET"
    # Rate limits in the ``limits`` notation ("60/minute"); "off" (the zero-configuration
    # default, so one address may bulk-publish to a private index) turns a limit off.
    upload_rate: str = "off"
    auth_failure_rate: str = "off"
    # Seconds a long description may take to render before the upload is refused.
    readme_timeout: float = 5.0
    limits: Limits = field(default_factory=Limits)

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to SQLite inside the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'strongroom.sqlite3').resolve()}"

    @property
    def public_base_url(self) -> str:
        """Where clients reach this index (no trailing slash), for absolute URLs in documents:
        ``base_url`` when set, else the address ``strongroom serve`` listens on (a wildcard
        address names this machine by its host name)."""
        if self.base_url:
            return self.base_url.rstrip("/")
        host = socket.getfqdn() if self.host in _WILDCARD_HOSTS else self.host
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    @property
    def resolved_storage_path(self) -> Path:
        """The directory of the local blob store."""
        if self.storage_url:
            if not self.storage_url.startswith("file://"):
                raise InvalidInput(
                    f"STRONGROOM_STORAGE_URL {self.storage_url!r} has no local path: only "
                    "file:// URLs do"
                )
            return Path(self.storage_url.removeprefix("file://"))
        return self.data_dir / "files"


    @property
    def s3_location(self) -> tuple[str, str] | None:
        """(bucket, key prefix) when the storage URL is ``s3://bucket[/prefix]``, else None."""
        if not self.storage_url or not self.storage_url.startswith("s3://"):
            return None
        bucket, _, prefix = self.storage_url.removeprefix("s3://").partition("/")
        if not bucket:
            raise InvalidInput(f"STRONGROOM_STORAGE_URL {self.storage_url!r}: no bucket named")
        prefix = prefix.strip("/")
        return bucket, f"{prefix}/" if prefix else ""

    @property
    def purge_targets(self) -> list[str]:
        """The caching proxies' base URLs, without trailing slashes."""
        return [u.strip().rstrip("/") for u in (self.purge_urls or "").split(",") if u.strip()]


_ENV = {
    "STRONGROOM_DATA_DIR": "data_dir",
    "STRONGROOM_DATABASE_URL": "database_url",
    "STRONGROOM_STORAGE_URL": "storage_url",
    "STRONGROOM_BASE_URL": "base_url",
    "STRONGROOM_REDIS_URL": "redis_url",
    "STRONGROOM_REDIS_PREFIX": "redis_prefix",
    "STRONGROOM_S3_ENDPOINT_URL": "s3_endpoint_url",
    "STRONGROOM_S3_REGION": "s3_region",
    "STRONGROOM_PURGE_URLS": "purge_urls",
    "STRONGROOM_PURGE_METHOD": "purge_method",
    "STRONGROOM_UPLOAD_RATE": "upload_rate",
    "STRONGROOM_AUTH_FAILURE_RATE": "auth_failure_rate",
    "STRONGROOM_README_TIMEOUT": "readme_timeout",
}


def load_settings(
    config_file: Path | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, object] | None = None,
) -> Settings:
    """Build settings from an optional TOML file, the environment and explicit overrides.

    Raises InvalidInput when the file cannot be read or names an unknown setting.
    """
    values: dict[str, object] = {}
    if config_file is not None:
        try:
            document = tomllib.loads(config_file.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise InvalidInput(f"config file {config_file}: {exc}") from exc
        section = document.get("strongroom", document)
        known = set(Settings.__dataclass_fields__) - {"limits"}
        for key, value in section.items():
            if key not in known:
                raise InvalidInput(f"config file {config_file}: unknown setting {key!r}")
            values[key] = value
    env = os.environ if environ is None else environ
    for variable, key in _ENV.items():
        if env.get(variable):
            values[key] = env[variable]
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    if "data_dir" in values:
        values["data_dir"] = Path(str(values["data_dir"]))
    if "port" in values:
        values["port"] = int(str(values["port"]))
    if values.get("base_url"):
        values["base_url"] = _base_url(str(values["base_url"]))
    if "readme_timeout" in values:
        values["readme_timeout"] = _positive_seconds("readme_timeout", values["readme_timeout"])
    return replace(Settings(), **values)  # type: ignore[arg-type]


def _base_url(value: str) -> str:
    """``value`` if it is an http(s) URL without query or fragment, else InvalidInput."""
    try:
        parts = urlsplit(value)
    except ValueError:
        parts = None
    if (parts is None or parts.scheme not in ("http", "https") or not parts.netloc
            or parts.query or parts.fragment or not value.isprintable()
            or any(c.isspace() for c in value)):
        raise InvalidInput(f"setting base_url: {value!r} is not an http(s) URL such as "
                           "'https://pypi.example.org' (no query or fragment)")
    return value


def _positive_seconds(key: str, value: object) -> float:
    try:
        seconds = float(str(value))
    except ValueError:
        seconds = 0.0
    if not seconds > 0:
        raise InvalidInput(f"setting {key}: {value!r} is not a positive number of seconds")
    return seconds
