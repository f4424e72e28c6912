"""Settings: defaults, overridden by a TOML file, overridden by the environment.

Every component receives the values it needs as arguments; nothing reads this module's state.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from strongroom.errors import InvalidInput

DEFAULT_DATA_DIR = Path("strongroom-data")
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
    limits: Limits = field(default_factory=Limits)

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to SQLite inside the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'strongroom.sqlite3').resolve()}"

    @property
    def resolved_storage_path(self) -> Path:
        """The directory of the local blob store."""
        if self.storage_url:
            if not self.storage_url.startswith("file://"):
                raise InvalidInput(
                    f"STRONGROOM_STORAGE_URL {self.storage_url!r}: only file:// URLs are "
                    "supported by this version"
                )
            return Path(self.storage_url.removeprefix("file://"))
        return self.data_dir / "files"


_ENV = {
    "STRONGROOM_DATA_DIR": "data_dir",
    "STRONGROOM_DATABASE_URL": "database_url",
    "STRONGROOM_STORAGE_URL": "storage_url",
    "STRONGROOM_BASE_URL": "base_url",
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
    return replace(Settings(), **values)  # type: ignore[arg-type]
