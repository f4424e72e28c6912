"""The manifest of real distributions: reading it, checking it, and where its files are cached."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from strongroom.domain import rules

MANIFEST = Path(__file__).with_name("manifest.toml")
CACHE_VARIABLE = "STRONGROOM_REAL_DISTS"

# Every rule a file can break (src/strongroom/domain/rules.py): the refusals' rule names and
# the `warnings` the import policy records on a file.
UPLOAD_RULES = frozenset(value for name, value in vars(rules).items()
                         if name.isupper() and isinstance(value, str))

_REQUIRED = {
    "filename": str, "project": str, "version": str, "url": str, "sha256": str, "size": int,
    "uploaded": str, "metadata_version": str, "upload_rules": list, "note": str,
}  # fmt: skip
_OPTIONAL = {"module": str, "build": bool}
_SHA256 = re.compile(r"[0-9a-f]{64}")
_FILES_HOST = "https://files.pythonhosted.org/packages/"


class ManifestError(Exception):
    """The manifest is not what this module expects; the message names the entry and field."""


@dataclass(frozen=True)
class RealDistribution:
    """One file of the corpus, as the manifest describes it.

    ``upload_rules`` is the set of upload-policy rule ids the file breaks (empty when today's
    upload rules accept it); ``module`` is importable once pip has installed the file;
    ``build`` marks an sdist that pip builds and installs in the tests.
    """

    filename: str
    project: str
    version: str
    url: str
    sha256: str
    size: int
    uploaded: str
    metadata_version: str
    upload_rules: frozenset[str]
    note: str
    module: str | None = None
    build: bool = False

    @property
    def is_wheel(self) -> bool:
        return self.filename.endswith(".whl")


def default_cache() -> Path:
    """Where the corpus is downloaded: ``$STRONGROOM_REAL_DISTS``, else
    ``$XDG_CACHE_HOME/strongroom/real-dists`` (``~/.cache`` when that is unset)."""
    if configured := os.environ.get(CACHE_VARIABLE):
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "strongroom" / "real-dists"


def load_manifest(path: Path = MANIFEST) -> list[RealDistribution]:
    """Every entry of the manifest at ``path``, in file order.

    Raises ManifestError for an unreadable file, a missing, unknown or mistyped field, an
    unknown rule id, a malformed sha256, a URL off files.pythonhosted.org (unless ``path`` is
    not the committed manifest: tests serve their own), or a file name listed twice.
    """
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ManifestError(f"{path}: cannot be read: {exc}") from exc
    entries = document.get("distribution")
    if not isinstance(entries, list) or set(document) != {"distribution"}:
        raise ManifestError(f"{path}: expected only [[distribution]] tables")
    distributions = [_entry(item, index, strict_urls=path == MANIFEST)
                     for index, item in enumerate(entries)]
    names = [d.filename for d in distributions]
    if twice := sorted({name for name in names if names.count(name) > 1}):
        raise ManifestError(f"{path}: listed more than once: {', '.join(twice)}")
    return distributions


def _entry(item: Any, index: int, *, strict_urls: bool) -> RealDistribution:
    where = f"distribution #{index + 1}"
    if not isinstance(item, dict):
        raise ManifestError(f"{where}: not a table")
    where = f"{where} ({item.get('filename', '?')})"
    unknown = set(item) - set(_REQUIRED) - set(_OPTIONAL)
    missing = set(_REQUIRED) - set(item)
    if unknown or missing:
        raise ManifestError(f"{where}: unknown fields {sorted(unknown)}, missing {sorted(missing)}")
    for field, kind in {**_REQUIRED, **_OPTIONAL}.items():
        if field in item and not isinstance(item[field], kind):
            raise ManifestError(f"{where}: {field} must be a {kind.__name__}")
    rules = item["upload_rules"]
    if not all(isinstance(rule, str) for rule in rules) or set(rules) - UPLOAD_RULES:
        raise ManifestError(f"{where}: unknown upload rules {sorted(set(rules) - UPLOAD_RULES)}")
    if not _SHA256.fullmatch(item["sha256"]):
        raise ManifestError(f"{where}: sha256 must be 64 lower-case hex digits")
    if strict_urls and not (item["url"].startswith(_FILES_HOST)
                            and item["url"].endswith("/" + item["filename"])):
        raise ManifestError(f"{where}: url must be its file on {_FILES_HOST}")
    return RealDistribution(
        filename=item["filename"], project=item["project"], version=item["version"],
        url=item["url"], sha256=item["sha256"], size=item["size"], uploaded=item["uploaded"],
        metadata_version=item["metadata_version"], upload_rules=frozenset(rules),
        note=item["note"], module=item.get("module"), build=item.get("build", False),
    )
