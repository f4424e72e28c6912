"""The BlobStore contract, run over every backend: the local directory and S3 (a real
moto_server on loopback)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from strongroom.config import load_settings
from strongroom.storage import BlobStore, DigestMismatch, LocalBlobStore, open_blob_store
from strongroom.storage.s3 import S3BlobStore
from tests.functional.server import free_port
from tests.services import S3_CREDENTIALS, S3Server, moto_s3


@pytest.fixture(scope="module")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with moto_s3(free_port(), log) as server:
        yield server


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    if request.param == "local":
        return LocalBlobStore(tmp_path / "blobs")
    server: S3Server = request.getfixturevalue("s3_server")
    return S3BlobStore(server.client(), server.new_bucket(), "files/")


def _key(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_put_then_read_back(store: BlobStore) -> None:
    data = b"wheel bytes " * 100_000
    store.put(_key(data), io.BytesIO(data))
    assert store.exists(_key(data))
    with store.open(_key(data)) as stream:
        assert stream.read() == data


def test_wrong_digest_leaves_nothing(store: BlobStore) -> None:
    claimed = _key(b"what the uploader claimed")
    with pytest.raises(DigestMismatch):
        store.put(claimed, io.BytesIO(b"something else"))
    assert not store.exists(claimed)
    assert [key for key, _ in store.list()] == []


def test_absent_blob(store: BlobStore) -> None:
    absent = _key(b"never stored")
    assert not store.exists(absent)
    with pytest.raises(FileNotFoundError):
        store.open(absent)
    store.delete(absent)  # absent blobs are ignored


def test_delete(store: BlobStore) -> None:
    data = b"short-lived"
    store.put(_key(data), io.BytesIO(data))
    store.delete(_key(data))
    assert not store.exists(_key(data))


def test_list_names_every_blob_with_its_time(store: BlobStore) -> None:
    before = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=2)
    blobs = [f"blob {i}".encode() for i in range(3)]
    for data in blobs:
        store.put(_key(data), io.BytesIO(data))
    listed = dict(store.list())
    assert set(listed) == {_key(d) for d in blobs}
    assert all(before <= written <= dt.datetime.now(dt.UTC) for written in listed.values())


def test_putting_again_renews_the_time(store: BlobStore) -> None:
    data = b"referenced again"
    store.put(_key(data), io.BytesIO(data))
    first = dict(store.list())[_key(data)]
    time.sleep(1.1)  # S3 keeps LastModified in whole seconds
    store.put(_key(data), io.BytesIO(data))
    assert dict(store.list())[_key(data)] > first
    with store.open(_key(data)) as stream:
        assert stream.read() == data


def test_keys_must_be_digests(store: BlobStore) -> None:
    with pytest.raises(ValueError, match="SHA-256"):
        store.exists("../../etc/passwd")


def test_s3_store_has_no_local_path_and_keeps_its_prefix(s3_server: S3Server) -> None:
    client, bucket = s3_server.client(), s3_server.new_bucket()
    store = S3BlobStore(client, bucket, "index-a/")
    other = S3BlobStore(client, bucket, "index-b/")
    data = b"prefixed"
    store.put(_key(data), io.BytesIO(data))
    assert store.local_path(_key(data)) is None
    assert not other.exists(_key(data))
    assert [k for k, _ in other.list()] == []
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys == [f"index-a/{_key(data)}"]


def test_factory_picks_the_backend(s3_server: S3Server, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in S3_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    bucket = s3_server.new_bucket()
    settings = load_settings(environ={"STRONGROOM_STORAGE_URL": f"s3://{bucket}/pkgs",
                                      "STRONGROOM_S3_ENDPOINT_URL": s3_server.endpoint})
    store = open_blob_store(settings)
    assert isinstance(store, S3BlobStore)
    assert (store.bucket, store.prefix) == (bucket, "pkgs/")
    data = b"through the factory"
    store.put(_key(data), io.BytesIO(data))
    assert s3_server.client().head_object(Bucket=bucket, Key=f"pkgs/{_key(data)}")
    local = open_blob_store(load_settings(environ={"STRONGROOM_DATA_DIR": str(tmp_path)}))
    assert isinstance(local, LocalBlobStore)
    assert local.root == tmp_path / "files"


def test_a_put_without_flush_stores_the_same(store: BlobStore) -> None:
    data = b"a metadata file"
    store.put(_key(data), io.BytesIO(data), flush=False)
    with store.open(_key(data)) as stream:
        assert stream.read() == data


def test_a_put_without_flush_checks_the_digest_too(store: BlobStore) -> None:
    claimed = _key(b"what the uploader claimed")
    with pytest.raises(DigestMismatch):
        store.put(claimed, io.BytesIO(b"something else"), flush=False)
    assert not store.exists(claimed)
    assert [key for key, _ in store.list()] == []
