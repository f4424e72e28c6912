"""RECORD parsing and comparison with the archive."""

from __future__ import annotations

import hashlib

from strongroom.domain.records import (
    RecordRow,
    compare_file,
    compare_listing,
    encode_digest,
    parse_record,
)
from tests.builders import record_digest, record_for

INFO = "demo-1.0.dist-info"


def test_builder_record_round_trips() -> None:
    members = {"demo/__init__.py": b"x = 1\n", f"{INFO}/METADATA": b"Name: demo\n"}
    rows, problems = parse_record(record_for(members, f"{INFO}/RECORD"), INFO)
    assert problems == []
    assert set(rows) == {*members, f"{INFO}/RECORD"}
    row = rows["demo/__init__.py"]
    assert (row.algorithm, row.size) == ("sha256", 6)
    assert f"sha256={row.digest}" == record_digest(b"x = 1\n")


def test_encode_digest_is_unpadded_urlsafe_base64() -> None:
    digest = encode_digest(hashlib.sha256(b"").digest())
    assert digest == "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU"


def test_stronger_hashes_and_signature_files_are_accepted() -> None:
    text = f"a.py,sha512=abc,3\n{INFO}/RECORD.jws,,\n{INFO}/RECORD,,\n\n"
    rows, problems = parse_record(text.encode(), INFO)
    assert problems == []
    assert rows[f"{INFO}/RECORD.jws"] == RecordRow(f"{INFO}/RECORD.jws", None, None, None)


def test_malformed_rows_are_all_reported() -> None:
    text = "\n".join(
        [
            "a.py,md5=abc,3",
            "b.py,sha256=abc",
            "c.py,sha256=abc,big",
            "d.py,,",
            "e.py,sha256=abc,1",
            "e.py,sha256=abc,1",
        ]
    )
    rows, problems = parse_record(text.encode(), INFO)
    assert list(rows) == ["e.py"]
    assert len(problems) == 5
    assert "sha256 (or stronger)" in problems[0]
    assert "3 fields" in problems[1]
    assert "invalid size 'big'" in problems[2]
    assert "'d.py' must have a sha256" in problems[3]
    assert "more than once" in problems[4]


def test_non_utf8_record_is_reported() -> None:
    assert parse_record(b"\xff", INFO) == ({}, ["RECORD is not valid UTF-8."])


def test_listing_differences_both_ways() -> None:
    rows = {"a.py": RecordRow("a.py", "sha256", "x", 1)}
    problems = compare_listing(rows, ["b.py", f"{INFO}/RECORD", f"{INFO}/RECORD.p7s"], INFO)
    assert problems == [
        "File 'b.py' is in the archive but not listed in RECORD.",
        "RECORD lists 'a.py', which is not in the archive.",
    ]


def test_compare_file() -> None:
    row = RecordRow("a.py", "sha256", "abc", 3)
    assert compare_file(row, "abc", 3) is None
    assert "hash of 'a.py'" in str(compare_file(row, "abd", 3))
    assert "(4 bytes) does not match RECORD (3)" in str(compare_file(row, "abc", 4))
