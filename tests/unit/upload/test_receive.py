"""Receiving the file: size limits and digest checks."""

from __future__ import annotations

import base64
import hashlib
import io

import pytest

from strongroom.errors import UploadRejected
from strongroom.upload.form import UploadForm
from strongroom.upload.receive import digest_problems, receive

DATA = b"distribution bytes"


def _form(**digests: str | None) -> UploadForm:
    values: dict[str, str | None] = {"sha256_digest": None, "blake2_256_digest": None,
                                     "md5_digest": None, **digests}
    return UploadForm(name="demo", version="1.0", filetype="sdist", pyversion="source",
                      metadata_version=None, summary=None, requires_python=None, comment=None,
                      **values)


def test_receive_hashes_counts_and_rewinds() -> None:
    received = receive(io.BytesIO(DATA), max_size=100, project="demo")
    assert received.size == len(DATA)
    assert received.sha256 == hashlib.sha256(DATA).hexdigest()
    assert received.content.read() == DATA


def test_receive_stops_at_the_limit_naming_the_project() -> None:
    with pytest.raises(UploadRejected, match=r"^content: File too large\. Limit for project "
                                             r"'Demo' is 3 MiB\.$"):
        receive(io.BytesIO(b"x" * (3 * 2**20 + 1)), max_size=3 * 2**20, project="Demo")


def test_receive_at_the_limit_exactly_passes() -> None:
    assert receive(io.BytesIO(DATA), max_size=len(DATA), project=None).size == len(DATA)


def test_an_unknown_project_is_not_named() -> None:
    with pytest.raises(UploadRejected, match=r"File too large\. Limit is 1 KiB\.$"):
        receive(io.BytesIO(b"x" * 1025), max_size=1024, project=None)


def test_receive_reads_in_chunks_whatever_the_size() -> None:
    reads: list[int] = []

    class Counted(io.BytesIO):
        def read(self, size: int | None = -1, /) -> bytes:
            data = super().read(size)
            reads.append(len(data))
            return data

    size = 5 * 2**20 + 3
    received = receive(Counted(b"y" * size), max_size=size, project="demo")
    assert received.size == size
    assert max(reads) <= 2**20


def test_matching_digests_in_every_form() -> None:
    received = receive(io.BytesIO(DATA), max_size=100, project="demo")
    md5 = hashlib.md5(DATA, usedforsecurity=False)
    for form in (
        _form(sha256_digest=hashlib.sha256(DATA).hexdigest()),
        _form(blake2_256_digest=hashlib.blake2b(DATA, digest_size=32).hexdigest()),
        _form(md5_digest=md5.hexdigest()),
        _form(md5_digest=base64.urlsafe_b64encode(md5.digest()).decode().rstrip("=")),
    ):
        assert digest_problems(form, received) == []


def test_every_mismatched_digest_is_named() -> None:
    received = receive(io.BytesIO(DATA), max_size=100, project="demo")
    form = _form(sha256_digest="0" * 64, blake2_256_digest="1" * 64, md5_digest="2" * 32)
    assert [p.field for p in digest_problems(form, received)] == [
        "sha256_digest", "blake2_256_digest", "md5_digest"]
