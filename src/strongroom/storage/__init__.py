"""Blob stores: content-addressed bytes, keyed by their SHA-256."""

from strongroom.storage.base import BlobStore, DigestMismatch
from strongroom.storage.local import LocalBlobStore

__all__ = ["BlobStore", "DigestMismatch", "LocalBlobStore"]
