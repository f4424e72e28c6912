"""The upload's tables: releases, their files, and every file name ever used.

Uploads write them; lifecycle yanks releases and collects unused blobs, the index reads them
(both through ``strongroom.upload``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from strongroom.db.base import Base, UTCDateTime, utcnow
from strongroom.projects import Project


class Release(Base):
    __tablename__ = "releases"
    __table_args__ = (UniqueConstraint("project_id", "canonical_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    version: Mapped[str] = mapped_column(String(100))
    canonical_version: Mapped[str] = mapped_column(String(100))
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    yanked: Mapped[bool] = mapped_column(Boolean, default=False)
    yanked_reason: Mapped[str] = mapped_column(Text, default="")
    requires_python: Mapped[str | None] = mapped_column(Text, default=None)
    # The core metadata read from the first file of the release, as packaging's RawMetadata.
    core_metadata: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    uploader_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)

    # One way only: the projects package does not know the upload's tables.
    project: Mapped[Project] = relationship()
    files: Mapped[list[File]] = relationship(back_populates="release")


class File(Base):
    __tablename__ = "files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Indexed: a project page loads its files by release.
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255), unique=True)
    # "sdist" or "bdist_wheel"
    packagetype: Mapped[str] = mapped_column(String(20))
    python_version: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    # Unique, as on PyPI: the same bytes are never published under a second name.
    blake2_256: Mapped[str] = mapped_column(String(64), index=True, unique=True)
    md5: Mapped[str] = mapped_column(String(32))
    upload_time: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    requires_python: Mapped[str | None] = mapped_column(Text, default=None)
    # The PEP 658 metadata file, when the distribution carries one (wheels).
    metadata_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    metadata_blake2_256: Mapped[str | None] = mapped_column(String(64), default=None)
    comment: Mapped[str | None] = mapped_column(Text, default=None)
    uploaded_via: Mapped[str | None] = mapped_column(String(200), default=None)
    # The upload rules an imported file breaks, which its import policy tolerated: a list of
    # {"rule", "field", "message"}; NULL when it breaks none.
    warnings: Mapped[list[dict[str, str]] | None] = mapped_column(JSON, default=None)

    release: Mapped[Release] = relationship(back_populates="files")


class FilenameRegistry(Base):
    """Every file name ever used. Rows are never deleted: a file name is never reusable."""

    __tablename__ = "filename_registry"

    filename: Mapped[str] = mapped_column(String(255), primary_key=True)
