"""The critical projects' tables: downloads per project and day, and which projects are
critical, since when and why."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Date, String
from sqlalchemy.orm import Mapped, mapped_column

from strongroom.db.base import Base, UTCDateTime


class ProjectDownloads(Base):
    """How many times a project's distributions were downloaded on one day (UTC): counted by
    each server process and added here in batches."""

    __tablename__ = "project_downloads"

    project: Mapped[str] = mapped_column(String(200), primary_key=True)  # normalised name
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True, index=True)
    count: Mapped[int] = mapped_column(BigInteger, default=0)


class CriticalProject(Base):
    """A project whose maintainers must use a second factor (when the index's policy says
    so): ranked among the most downloaded, or marked by an admin. ``pinned`` is an admin's
    word that outlasts the ranking: ``on`` (critical whatever its downloads) or ``off``
    (never made critical by the ranking); a row with ``since`` NULL is only such a word."""

    __tablename__ = "critical_projects"

    project: Mapped[str] = mapped_column(String(200), primary_key=True)  # normalised name
    since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    # "ranking" or "admin": what made it critical.
    source: Mapped[str | None] = mapped_column(String(10), default=None)
    pinned: Mapped[str | None] = mapped_column(String(3), default=None)
