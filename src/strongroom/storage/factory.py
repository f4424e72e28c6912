"""Choosing the blob store from settings."""

from __future__ import annotations

from strongroom.config import Settings
from strongroom.storage.base import BlobStore
from strongroom.storage.local import LocalBlobStore


def open_blob_store(settings: Settings) -> BlobStore:
    """The store the settings name: S3 for ``s3://bucket/prefix``, else a local directory.

    The S3 client comes from boto3's usual configuration (``AWS_ACCESS_KEY_ID``,
    ``AWS_SECRET_ACCESS_KEY``, ``~/.aws``, instance roles), with ``s3_endpoint_url`` and
    ``s3_region`` from the settings when given; a custom endpoint is addressed path-style,
    which every S3-compatible server understands. Raises InvalidInput for other URL schemes.
    """
    location = settings.s3_location
    if location is None:
        return LocalBlobStore(settings.resolved_storage_path)
    # Imported here so that the default, local configuration never pays for loading boto3.
    import boto3  # noqa: PLC0415
    from botocore.config import Config  # noqa: PLC0415

    from strongroom.storage.s3 import S3BlobStore  # noqa: PLC0415

    style = "path" if settings.s3_endpoint_url else "auto"
    client = boto3.session.Session().client(
        "s3", endpoint_url=settings.s3_endpoint_url, region_name=settings.s3_region,
        config=Config(s3={"addressing_style": style}, retries={"mode": "standard"}),
    )
    bucket, prefix = location
    return S3BlobStore(client, bucket, prefix)
