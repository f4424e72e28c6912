"""The tables. Every state change also appends a JournalEntry (see journal.py)."""

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


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(50), unique=True)
    email: Mapped[str] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Project(Base):
    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    normalized_name: Mapped[str] = mapped_column(String(200), unique=True)
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # PEP 792: active, archived, quarantined or deprecated.
    status: Mapped[str] = mapped_column(String(20), default="active")
    status_reason: Mapped[str | None] = mapped_column(Text, default=None)
    last_serial: Mapped[int] = mapped_column(BigInteger, default=0)
    total_size: Mapped[int] = mapped_column(BigInteger, default=0)
    # The project's own limits in bytes, set by an admin; NULL: the index's default.
    upload_limit: Mapped[int | None] = mapped_column(BigInteger, default=None)
    total_size_limit: Mapped[int | None] = mapped_column(BigInteger, default=None)

    releases: Mapped[list[Release]] = relationship(back_populates="project")
    roles: Mapped[list[Role]] = relationship(back_populates="project")


class Role(Base):
    __tablename__ = "roles"
    __table_args__ = (UniqueConstraint("project_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # "Owner" or "Maintainer", as on PyPI.
    role: Mapped[str] = mapped_column(String(20))

    project: Mapped[Project] = relationship(back_populates="roles")
    user: Mapped[User] = relationship()


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

    project: Mapped[Project] = relationship(back_populates="releases")
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


class Token(Base):
    """An API token. The secret is the macaroon's root key; the user holds the macaroon."""

    __tablename__ = "tokens"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    key: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(String(200), default="")
    # Normalised project name the token is limited to, or None for every project of the user.
    project: Mapped[str | None] = mapped_column(String(200), default=None)
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_used: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)

    user: Mapped[User] = relationship()


class JournalEntry(Base):
    """One state change. ``id`` is the serial; ``hash`` chains each entry to the one before."""

    __tablename__ = "journal"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                    autoincrement=False)
    project: Mapped[str] = mapped_column(String(200))
    version: Mapped[str | None] = mapped_column(String(100), default=None)
    filename: Mapped[str | None] = mapped_column(String(255), default=None)
    action: Mapped[str] = mapped_column(Text)
    submitted_by: Mapped[str | None] = mapped_column(String(50), default=None)
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
