"""Publishing distributions through the legacy upload API that twine speaks."""

from strongroom.upload.service import UploadOutcome, UploadRequest, UploadService

__all__ = ["UploadOutcome", "UploadRequest", "UploadService"]
