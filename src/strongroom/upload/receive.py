"""Receiving the file part: hashing and counting it, within the size limit."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from typing import BinaryIO

from strongroom.config import format_size
from strongroom.errors import Problem, UploadRejected
from strongroom.upload.form import UploadForm

_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class ReceivedFile:
    """The uploaded bytes, rewound, with their size and digests (hex)."""

    content: BinaryIO
    size: int
    sha256: str
    blake2_256: str
    md5: str


def receive(content: BinaryIO, *, max_size: int, project: str | None) -> ReceivedFile:
    """Hash and count the seekable ``content`` in one pass, then rewind it.

    The web layer already holds the body in a spooled file (memory, or disk past 1 MiB), so the
    bytes are read where they lie rather than copied again, a chunk at a time whatever the
    file's size. Raises UploadRejected naming ``project`` (when known) as soon as more than
    ``max_size`` bytes arrive.
    """
    sha256, blake2, md5 = hashlib.sha256(), hashlib.blake2b(digest_size=32), hashlib.md5()  # noqa: S324 - md5 only reported, as PyPI does
    size = 0
    while chunk := content.read(_CHUNK):
        size += len(chunk)
        if size > max_size:
            whose = f" for project '{project}'" if project else ""
            raise UploadRejected([Problem(
                "content", f"File too large. Limit{whose} is {format_size(max_size)}.")],
                project=project)
        for digest in (sha256, blake2, md5):
            digest.update(chunk)
    content.seek(0)
    return ReceivedFile(content, size, sha256.hexdigest(), blake2.hexdigest(), md5.hexdigest())


def digest_problems(form: UploadForm, received: ReceivedFile) -> list[Problem]:
    """Every digest the client supplied must match the bytes that arrived."""
    mismatched = []
    if form.sha256_digest and not hmac.compare_digest(form.sha256_digest, received.sha256):
        mismatched.append("sha256_digest")
    if form.blake2_256_digest and not hmac.compare_digest(form.blake2_256_digest,
                                                          received.blake2_256):
        mismatched.append("blake2_256_digest")
    if form.md5_digest and not _md5_matches(form.md5_digest, received.md5):
        mismatched.append("md5_digest")
    return [Problem(field, "The digest supplied does not match a digest calculated from the "
                           "uploaded file.") for field in mismatched]


def _md5_matches(supplied: str, hex_digest: str) -> bool:
    """MD5 comes as 32 hex digits or as 22 characters of unpadded urlsafe base64."""
    if len(supplied) == 32:
        return hmac.compare_digest(supplied.lower(), hex_digest)
    as_base64 = base64.urlsafe_b64encode(bytes.fromhex(hex_digest)).decode().rstrip("=")
    return hmac.compare_digest(supplied, as_base64)
