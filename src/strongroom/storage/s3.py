"""A blob store in an S3-compatible bucket: ``<prefix><sha256>``, written by one PutObject.

``put`` hashes the bytes on this side while spooling them to a temporary file and uploads only
when they match the key, so a wrong upload never reaches the bucket, whatever the server checks.
The PutObject then carries ``ChecksumSHA256`` (the same digest), so a server that verifies
checksums (AWS S3 and most compatible ones) also refuses bytes damaged in transit. A PutObject
is atomic: readers see the whole object or none, never a partial one.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, cast

from botocore.exceptions import BotoCoreError, ClientError

from strongroom.errors import StorageUnavailable
from strongroom.storage.base import DigestMismatch

_KEY = re.compile(r"^[0-9a-f]{64}$")
_CHUNK = 1024 * 1024
_SPOOL_IN_MEMORY = 8 * 1024 * 1024
_ABSENT = {"404", "NoSuchKey", "NotFound"}


def _absent(error: ClientError) -> bool:
    return str(error.response.get("Error", {}).get("Code")) in _ABSENT


class S3BlobStore:
    """Content-addressed objects in one bucket under a key prefix (``""`` or ending in ``/``).

    ``client`` is a boto3 S3 client; credentials, region and endpoint are its business.
    """

    def __init__(self, client: Any, bucket: str, prefix: str = "") -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix

    def _key(self, sha256: str) -> str:
        if not _KEY.match(sha256):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        return self.prefix + sha256

    def put(self, sha256: str, source: BinaryIO, *, flush: bool = True) -> None:
        # An acknowledged PutObject is stored: there is nothing to flush.
        del flush
        try:
            self._put(sha256, source)
        except (BotoCoreError, ClientError, OSError) as exc:
            raise StorageUnavailable(
                f"The file store could not save the upload ({exc}); nothing was published. "
                "Try again later.") from exc

    def _put(self, sha256: str, source: BinaryIO) -> None:
        key = self._key(sha256)
        if self.exists(sha256):
            # Copying the object onto itself renews LastModified, so garbage collection's grace
            # period covers this new reference, as the local store's utime does.
            self.client.copy_object(Bucket=self.bucket, Key=key, MetadataDirective="REPLACE",
                                    CopySource={"Bucket": self.bucket, "Key": key})
            return
        digest = hashlib.sha256()
        with tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY) as spool:
            while chunk := source.read(_CHUNK):
                digest.update(chunk)
                spool.write(chunk)
            if digest.hexdigest() != sha256:
                raise DigestMismatch(f"bytes hash to {digest.hexdigest()}, not {sha256}")
            size = spool.tell()
            spool.seek(0)
            self.client.put_object(
                Bucket=self.bucket, Key=key, Body=spool, ContentLength=size,
                ChecksumSHA256=base64.b64encode(digest.digest()).decode("ascii"),
            )

    def open(self, sha256: str) -> BinaryIO:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._key(sha256))
        except ClientError as error:
            if _absent(error):
                raise FileNotFoundError(f"no blob {sha256} in s3://{self.bucket}") from error
            raise
        # botocore's StreamingBody is an io.IOBase with read() and close(): a binary stream.
        return cast(BinaryIO, response["Body"])

    def local_path(self, sha256: str) -> Path | None:
        self._key(sha256)
        return None

    def exists(self, sha256: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(sha256))
        except ClientError as error:
            if _absent(error):
                return False
            raise
        return True

    def delete(self, sha256: str) -> None:
        # DeleteObject succeeds for absent keys.
        self.client.delete_object(Bucket=self.bucket, Key=self._key(sha256))

    def list(self) -> Iterator[tuple[str, dt.datetime]]:
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix):
            for item in page.get("Contents", ()):
                name = str(item["Key"])[len(self.prefix):]
                if _KEY.match(name):
                    yield name, cast(dt.datetime, item["LastModified"])
