"""Publishing distributions through the legacy upload API that twine speaks."""

from strongroom.upload.readme_sandbox import ReadmeSandbox
from strongroom.upload.service import UploadOutcome, UploadRequest, UploadService

__all__ = ["ReadmeSandbox", "UploadOutcome", "UploadRequest", "UploadService"]
