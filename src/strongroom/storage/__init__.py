"""Blob stores: content-addressed bytes, keyed by their SHA-256.

``open_blob_store(settings)`` picks the backend: the local directory by default, an S3-compatible
bucket when the storage URL is ``s3://bucket/prefix``.
"""

from strongroom.storage.base import BlobStore, DigestMismatch
from strongroom.storage.factory import open_blob_store
from strongroom.storage.local import LocalBlobStore

__all__ = ["BlobStore", "DigestMismatch", "LocalBlobStore", "open_blob_store"]
