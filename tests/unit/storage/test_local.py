"""The local blob store: content-addressed, atomic, and never wrong about its bytes."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import pytest

from strongroom.errors import StorageUnavailable
from strongroom.storage import DigestMismatch, LocalBlobStore


def test_put_open_list_delete(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    data = b"some bytes"
    key = hashlib.sha256(data).hexdigest()
    store.put(key, io.BytesIO(data))
    store.put(key, io.BytesIO(data))  # the same bytes again are harmless
    with store.open(key) as blob:
        assert blob.read() == data
    assert [k for k, _ in store.list()] == [key]
    assert store.local_path(key) == tmp_path / key[:2] / key[2:4] / key
    store.delete(key)
    assert not store.exists(key)


def test_wrong_bytes_leave_nothing_behind(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    key = hashlib.sha256(b"expected").hexdigest()
    with pytest.raises(DigestMismatch):
        store.put(key, io.BytesIO(b"something else"))
    assert not store.exists(key)
    assert list((tmp_path / "tmp").iterdir()) == []


@pytest.mark.parametrize("key", ["../../etc/passwd", "A" * 64, "a" * 63, ""])
def test_keys_must_be_sha256_hex(tmp_path: Path, key: str) -> None:
    with pytest.raises(ValueError, match="SHA-256"):
        LocalBlobStore(tmp_path).open(key)


def test_a_store_that_cannot_write_says_so_and_keeps_nothing(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    scratch = tmp_path / "tmp"
    scratch.rmdir()
    scratch.write_bytes(b"")  # where temporary files go is no longer a folder
    data = b"bytes with nowhere to go"
    key = hashlib.sha256(data).hexdigest()
    with pytest.raises(StorageUnavailable, match="could not save the upload"):
        store.put(key, io.BytesIO(data))
    assert not store.exists(key)


def test_a_blob_whose_folder_cannot_be_made_is_refused_and_leaves_nothing(
        tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    data = b"bytes whose folder cannot be made"
    key = hashlib.sha256(data).hexdigest()
    (tmp_path / key[:2]).write_bytes(b"")  # a file where the blob's folder should go
    with pytest.raises(StorageUnavailable, match="could not save the upload"):
        store.put(key, io.BytesIO(data))
    assert not store.exists(key)
    assert list((tmp_path / "tmp").iterdir()) == []


def test_only_a_flushed_put_waits_for_the_disk(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    flushed: list[int] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        flushed.append(fd)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    store = LocalBlobStore(tmp_path)
    store.put(hashlib.sha256(b"a wheel").hexdigest(), io.BytesIO(b"a wheel"))
    assert len(flushed) == 1
    store.put(hashlib.sha256(b"its metadata").hexdigest(), io.BytesIO(b"its metadata"),
              flush=False)
    assert len(flushed) == 1
