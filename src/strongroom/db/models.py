"""The journal's table, which every capability writes through journal.py. The capabilities'
own tables are in their packages' ``models.py``."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from strongroom.db.base import Base, UTCDateTime, utcnow


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
