"""OSV records for the audit's tests, built in one line each, and zips of them."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

REAL_ZIP = Path(__file__).parents[4] / "shared" / "fixtures" / "osv" / "PyPI-all.zip"


def record(record_id: str, name: str, *events: dict[str, str], versions: tuple[str, ...] = (),
           aliases: tuple[str, ...] = (), withdrawn: str | None = None,
           summary: str | None = None, **extra: Any) -> dict[str, Any]:
    """An OSV record of one PyPI package with one ECOSYSTEM range of ``events`` (none: no
    range) and the listed ``versions``."""
    affected: dict[str, Any] = {"package": {"ecosystem": "PyPI", "name": name},
                                "versions": list(versions)}
    if events:
        affected["ranges"] = [{"type": "ECOSYSTEM", "events": list(events)}]
    out: dict[str, Any] = {"schema_version": "1.6.0", "id": record_id,
                           "modified": "2024-01-01T00:00:00Z", "aliases": list(aliases),
                           "affected": [affected], **extra}
    if withdrawn is not None:
        out["withdrawn"] = withdrawn
    if summary is not None:
        out["summary"] = summary
    return out


def write_zip(path: Path, records: list[Any], *, raw: dict[str, bytes] | None = None) -> Path:
    """A zip of ``<id>.json`` members (``raw``: members written as given)."""
    with zipfile.ZipFile(path, "w") as archive:
        for i, item in enumerate(records):
            name = item.get("id", f"unnamed-{i}") if isinstance(item, dict) else f"odd-{i}"
            archive.writestr(f"{name}.json", json.dumps(item))
        for name, data in (raw or {}).items():
            archive.writestr(name, data)
    return path
