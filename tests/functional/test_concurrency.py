"""Concurrent writers: exactly one upload of a file name wins, and the journal stays a chain."""

from __future__ import annotations

import hashlib
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.builders import make_wheel
from tests.functional.server import LiveIndex
from tests.functional.uploads import post_upload

pytestmark = pytest.mark.functional
RACERS = 8
JSON = "application/vnd.pypi.simple.v1+json"


def _fields(data: bytes, name: str, version: str) -> dict[str, str]:
    return {":action": "file_upload", "protocol_version": "1", "name": name, "version": version,
            "filetype": "bdist_wheel", "pyversion": "py3",
            "sha256_digest": hashlib.sha256(data).hexdigest()}


Upload = tuple[str, str, bytes, str, str]  # token, file name, bytes, project, version


def _race(index: LiveIndex, uploads: list[Upload]) -> list[httpx.Response]:
    """Post every upload at once (after a barrier) and return the responses in order."""
    barrier = threading.Barrier(len(uploads))

    def send(upload: Upload) -> httpx.Response:
        token, filename, data, name, version = upload
        with httpx.Client() as client:
            barrier.wait()
            return post_upload(index.url, token, filename, data, _fields(data, name, version),
                               client=client)

    with ThreadPoolExecutor(len(uploads)) as pool:
        return list(pool.map(send, uploads))


def test_one_of_many_different_files_with_one_name_wins(index: LiveIndex, tmp_path: Path) -> None:
    index.create_user("racer")
    token = index.token("racer")
    wheels = [make_wheel(tmp_path / str(i), "race-one", "1.0", summary=f"variant {i}")
              for i in range(RACERS)]
    assert len({w.name for w in wheels}) == 1
    assert len({w.read_bytes() for w in wheels}) == RACERS

    responses = _race(index, [(token, w.name, w.read_bytes(), "race-one", "1.0")
                              for w in wheels])

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [400] * (RACERS - 1)
    assert all("File already exists" in r.reason_phrase for r in responses if r.status_code == 400)
    winner = wheels[[r.status_code for r in responses].index(200)]
    files = httpx.get(f"{index.url}/pypi/race-one/json").json()["urls"]
    assert [f["digests"]["sha256"] for f in files] == [
        hashlib.sha256(winner.read_bytes()).hexdigest()]
    assert "journal intact" in index.cli("admin", "journal", "verify").stderr


def _stored_blobs(index: LiveIndex) -> set[str]:
    return {p.name for p in (index.data_dir / "files").glob("??/??/*")}


def _named_blobs(index: LiveIndex) -> set[str]:
    """The sha256 of every file and metadata file the index lists."""
    root = httpx.get(f"{index.url}/simple/", headers={"Accept": JSON}).json()
    named = set()
    for project in root["projects"]:
        page = httpx.get(f"{index.url}/simple/{project['name']}/", headers={"Accept": JSON})
        for file in page.json()["files"]:
            named.add(file["hashes"]["sha256"])
            if file.get("core-metadata"):
                named.add(file["core-metadata"]["sha256"])
    return named


def test_losers_bytes_are_left_to_gc_which_keeps_everything_named(
        index: LiveIndex, tmp_path: Path) -> None:
    # Racers pass every check before the write lock, so each stores its blobs; the losers'
    # are named by no row, never served, and removed by gc (README: what an upload must pass).
    index.create_user("gc-racer")
    token = index.token("gc-racer")
    wheels = [make_wheel(tmp_path / str(i), "race-gc", "1.0", summary=f"variant {i}",
                         extra_files={"race_gc/pad.bin": bytes([i]) * 300_000})
              for i in range(RACERS)]
    responses = _race(index, [(token, w.name, w.read_bytes(), "race-gc", "1.0")
                              for w in wheels])
    assert sorted(r.status_code for r in responses) == [200] + [400] * (RACERS - 1)
    losers = {hashlib.sha256(w.read_bytes()).hexdigest()
              for w, r in zip(wheels, responses, strict=True) if r.status_code != 200}
    time.sleep(1.1)  # past the grace period below
    removed = set(index.cli("admin", "gc", "--grace", "1s").stdout.split())
    named = _named_blobs(index)
    assert not removed & named
    assert not losers & _stored_blobs(index)  # never stored (refused early) or removed now
    assert _stored_blobs(index) == named


def test_identical_concurrent_uploads_all_succeed_once(index: LiveIndex, tmp_path: Path) -> None:
    index.create_user("twin")
    token = index.token("twin")
    wheel = make_wheel(tmp_path, "race-same", "1.0")
    data = wheel.read_bytes()

    responses = _race(index, [(token, wheel.name, data, "race-same", "1.0")] * RACERS)

    assert [r.status_code for r in responses] == [200] * RACERS
    assert len(httpx.get(f"{index.url}/pypi/race-same/json").json()["urls"]) == 1


def test_two_users_racing_for_a_new_name_get_one_owner(index: LiveIndex, tmp_path: Path) -> None:
    index.create_user("first")
    index.create_user("second")
    uploads = [
        (index.token(user), w.name, w.read_bytes(), "race-name", version)
        for user, version in (("first", "1.0"), ("second", "2.0"))
        for w in [make_wheel(tmp_path / user, "race-name", version)]
    ]

    responses = _race(index, uploads)

    assert sorted(r.status_code for r in responses) == [200, 403]
    loser = next(r for r in responses if r.status_code == 403)
    assert "isn't allowed to upload to project 'race-name'" in loser.reason_phrase
    assert len(httpx.get(f"{index.url}/pypi/race-name/json").json()["releases"]) == 1
