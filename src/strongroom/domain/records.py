"""A wheel's RECORD file: parsing its rows and checking them against the archive's members."""

from __future__ import annotations

import base64
import csv
import hashlib
from dataclasses import dataclass

# The wheel spec requires sha256 or stronger; these are the stronger ones hashlib always has.
ALLOWED_ALGORITHMS = ("sha256", "sha384", "sha512")
# Files that cannot list their own hash (RECORD) or are signatures of it (PEP 815 deprecated).
UNHASHED_SUFFIXES = ("RECORD", "RECORD.jws", "RECORD.p7s")


@dataclass(frozen=True)
class RecordRow:
    """One RECORD line. ``algorithm``/``digest``/``size`` are None for an unhashed file."""

    path: str
    algorithm: str | None
    digest: str | None
    size: int | None


def is_unhashed(path: str, dist_info: str) -> bool:
    """Whether ``path`` is RECORD itself or one of its signature files in ``dist_info``."""
    return path in {f"{dist_info}/{suffix}" for suffix in UNHASHED_SUFFIXES}


def encode_digest(raw: bytes) -> str:
    """A digest as RECORD writes it: urlsafe base64 without ``=`` padding."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def new_hash(algorithm: str) -> hashlib._Hash:
    """A fresh hash object for one of ``ALLOWED_ALGORITHMS``."""
    return hashlib.new(algorithm)


def parse_record(data: bytes, dist_info: str) -> tuple[dict[str, RecordRow], list[str]]:
    """The rows of RECORD ``data`` keyed by path, and a description of every malformed row.

    Every file except RECORD and its signatures must carry an allowed hash and a size.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return {}, ["RECORD is not valid UTF-8."]
    rows: dict[str, RecordRow] = {}
    problems: list[str] = []
    try:
        lines = list(csv.reader(text.splitlines()))
    except csv.Error as exc:
        return {}, [f"RECORD is not valid CSV: {exc}."]
    for number, line in enumerate(lines, start=1):
        if not line:
            continue
        row, problem = _parse_row(line, number, dist_info)
        if problem:
            problems.append(problem)
        elif row is not None and row.path in rows:
            problems.append(f"RECORD lists {row.path!r} more than once.")
        elif row is not None:
            rows[row.path] = row
    return rows, problems


def _parse_row(line: list[str], number: int, dist_info: str) -> tuple[RecordRow | None, str]:
    if len(line) != 3:
        return None, f"RECORD line {number} does not have 3 fields."
    path, hash_field, size_field = line
    if not hash_field and not size_field and is_unhashed(path, dist_info):
        return RecordRow(path, None, None, None), ""
    algorithm, _, digest = hash_field.partition("=")
    if algorithm not in ALLOWED_ALGORITHMS or not digest:
        return None, (
            f"RECORD entry for {path!r} must have a sha256 (or stronger) hash, not {hash_field!r}."
        )
    if not size_field.isdigit():
        return None, f"RECORD entry for {path!r} has an invalid size {size_field!r}."
    return RecordRow(path, algorithm, digest, int(size_field)), ""


def compare_listing(rows: dict[str, RecordRow], members: list[str], dist_info: str) -> list[str]:
    """Problems where RECORD and the archive's file ``members`` do not list the same files."""
    present = set(members)
    problems = [
        f"File {name!r} is in the archive but not listed in RECORD."
        for name in members
        if name not in rows and not is_unhashed(name, dist_info)
    ]
    problems += [
        f"RECORD lists {path!r}, which is not in the archive."
        for path in rows
        if path not in present
    ]
    return problems


def compare_file(row: RecordRow, digest: str, size: int) -> str | None:
    """Why ``row`` does not describe a file with this ``digest`` and ``size``, or None."""
    if row.digest is not None and row.digest != digest:
        return f"The {row.algorithm} hash of {row.path!r} does not match RECORD."
    if row.size is not None and row.size != size:
        return f"The size of {row.path!r} ({size} bytes) does not match RECORD ({row.size})."
    return None
