"""The attestations' table: per distribution file, its PEP 740 provenance object and how its
provenance compares with the release before.

A row exists for a file that has provenance, and for one whose upload was flagged (a file
without provenance after a release with some: ``lost``). Rows name the file and its release
by key only (``files.filename``, ``releases.id``): the upload package, which writes them in
its record transaction, imports this one, not the reverse.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from strongroom.db.base import Base, UTCDateTime, utcnow


class FileProvenance(Base):
    """``publisher`` is the provenance's publisher object as compact JSON with sorted keys,
    ``provenance`` the whole object as served; both NULL for a file without provenance.
    ``change`` is ``lost`` or ``changed`` when the file's provenance breaks with the release
    uploaded before its own (``previous_version``), else NULL."""

    __tablename__ = "file_provenance"

    filename: Mapped[str] = mapped_column(String(255), ForeignKey("files.filename"),
                                          primary_key=True)
    # Indexed: an upload reads the publishers and flags of a release by it.
    release_id: Mapped[int] = mapped_column(Integer, ForeignKey("releases.id"), index=True)
    publisher: Mapped[str | None] = mapped_column(Text, default=None)
    provenance: Mapped[str | None] = mapped_column(Text, default=None)
    change: Mapped[str | None] = mapped_column(String(10), default=None)
    previous_version: Mapped[str | None] = mapped_column(String(100), default=None)
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
