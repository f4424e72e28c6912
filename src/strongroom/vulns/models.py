"""The vulnerabilities' tables: OSV records, the PyPI packages each concerns, and the feeds
they are synced from.

A record is kept whole (``record``, the OSV JSON as served by ``/osv/v1/vulns/<id>``) beside
the columns Strongroom filters on. ``vulnerability_packages`` has a row per (record, PyPI
package) with that package's ranges and listed versions as compact JSON (``affected``), so a
query for one package reads only its rows and parses only its part of each record. Records
of packages the index does not host are kept: audits and the proxy ask for them.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from strongroom.db.base import Base, UTCDateTime, utcnow


class VulnerabilityRecord(Base):
    """One OSV record, the newest ``modified`` seen for its id. ``withdrawn`` records stay (so
    an older copy cannot come back) but match nothing. ``source`` says where it last came
    from: a file, a URL, or the push endpoint."""

    __tablename__ = "vulnerability_records"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    modified: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    published: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    withdrawn: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    # What the JSON API shows, so a document's render parses no whole record.
    aliases: Mapped[str] = mapped_column(Text, default="[]")  # a JSON list of strings
    summary: Mapped[str | None] = mapped_column(Text, default=None)
    details: Mapped[str | None] = mapped_column(Text, default=None)
    link: Mapped[str] = mapped_column(Text, default="")
    record: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text, default="")
    imported: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class VulnerabilityPackage(Base):
    """A PyPI package (normalised ``name``) one record concerns, with that package's part of
    the record: ``{"ranges": [[[kind, version], ...], ...], "versions": [...]}`` (ECOSYSTEM
    ranges only, each a list of its events, as ``domain/advisories.py`` reads them)."""

    __tablename__ = "vulnerability_packages"

    record_id: Mapped[str] = mapped_column(
        String(100), ForeignKey("vulnerability_records.id", ondelete="CASCADE"),
        primary_key=True)
    # Indexed: every query, audit and JSON API document asks by package name.
    name: Mapped[str] = mapped_column(String(200), primary_key=True, index=True)
    affected: Mapped[str] = mapped_column(Text)


class VulnerabilityFeed(Base):
    """An HTTP(S) source ``strongroom admin vulns sync`` polls, with the validators of the
    last copy it imported (sent back as If-None-Match / If-Modified-Since)."""

    __tablename__ = "vulnerability_feeds"

    url: Mapped[str] = mapped_column(String(2000), primary_key=True)
    etag: Mapped[str | None] = mapped_column(Text, default=None)
    last_modified: Mapped[str | None] = mapped_column(Text, default=None)
    checked: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    imported: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    records: Mapped[int] = mapped_column(Integer, default=0)
