"""Publishing distributions through the legacy upload API that twine speaks, and the tables it
writes (``Release``, ``File``, ``FilenameRegistry``), which lifecycle and the index use too."""

from strongroom.upload.models import File, FilenameRegistry, Release
from strongroom.upload.service import UploadOutcome, UploadRequest, UploadService
from strongroom.upload.uploaders import forget_uploader

__all__ = [
    "File",
    "FilenameRegistry",
    "Release",
    "UploadOutcome",
    "UploadRequest",
    "UploadService",
    "forget_uploader",
]
