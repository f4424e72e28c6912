"""Garbage collection removes only old blobs that no file row names."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
from pathlib import Path

from strongroom.db.engine import Database
from strongroom.lifecycle import collect_garbage
from strongroom.projects import Project
from strongroom.storage import LocalBlobStore
from strongroom.upload import File, Release


def _blob(store: LocalBlobStore, data: bytes, age: dt.timedelta) -> str:
    key = hashlib.sha256(data).hexdigest()
    store.put(key, io.BytesIO(data))
    path = store.local_path(key)
    assert path is not None
    then = (dt.datetime.now(dt.UTC) - age).timestamp()
    os.utime(path, (then, then))
    return key


def test_only_old_unreferenced_blobs_go(database: Database, tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "files")
    day = dt.timedelta(days=1)
    kept_file = _blob(store, b"file", day)
    kept_metadata = _blob(store, b"metadata", day)
    orphan = _blob(store, b"orphan", day)
    in_flight = _blob(store, b"in flight", dt.timedelta(0))
    with database.write() as session:
        project = Project(name="p", normalized_name="p")
        release = Release(project=project, version="1.0", canonical_version="1")
        session.add(File(release=release, filename="p-1.0.tar.gz", packagetype="sdist",
                         python_version="source", size=4, sha256=kept_file,
                         blake2_256="0" * 64, md5="0" * 32, metadata_sha256=kept_metadata))
    now = dt.datetime.now(dt.UTC)

    dry = collect_garbage(database, store, now=now, grace=dt.timedelta(hours=1), dry_run=True)
    assert dry.removed == [orphan]
    assert store.exists(orphan)

    report = collect_garbage(database, store, now=now, grace=dt.timedelta(hours=1))
    assert report.removed == [orphan]
    assert report.kept == 3
    assert not store.exists(orphan)
    assert all(store.exists(k) for k in (kept_file, kept_metadata, in_flight))
