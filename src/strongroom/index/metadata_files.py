"""Metadata files (PEP 658) as the read side finds them on a local disk.

An upload stores a wheel's metadata file without flushing it to the disk: it can always be made
again from the wheel, which is flushed before its row commits (one flush per upload instead of
two). A crash of the machine may therefore leave a metadata file missing or cut short, so the
read side checks one the first time a process locates it: bytes that do not hash to the digest
recorded at upload are made again from the wheel and stored, flushed this time. A store without
local paths (S3) keeps whatever it acknowledged, and is trusted.
"""

from __future__ import annotations

import hashlib
import io
import logging

from strongroom.domain.wheels import wheel_metadata
from strongroom.index.views import StoredFile
from strongroom.storage import BlobStore

log = logging.getLogger(__name__)


def metadata_file_sound(blobs: BlobStore, stored: StoredFile) -> bool:
    """Whether the metadata file ``stored`` holds the bytes its digest names, after making it
    again from its wheel when it did not. False only when that is impossible too."""
    path = blobs.local_path(stored.sha256)
    if path is None or stored.source is None:
        return True
    try:
        if hashlib.sha256(path.read_bytes()).hexdigest() == stored.sha256:
            return True
    except OSError:  # missing, or its folder is
        pass
    try:
        with blobs.open(stored.source) as wheel:
            data = wheel_metadata(wheel)
    except OSError:
        data = None
    if data is None or hashlib.sha256(data).hexdigest() != stored.sha256:
        log.error("metadata file %s of %s is damaged and cannot be made again from its wheel",
                  stored.sha256, stored.filename)
        return False
    blobs.delete(stored.sha256)  # else put would take the damaged file for the blob
    blobs.put(stored.sha256, io.BytesIO(data))
    log.warning("metadata file %s of %s was damaged; made again from its wheel",
                stored.sha256, stored.filename)
    return True
