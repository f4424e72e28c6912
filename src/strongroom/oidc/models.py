"""Trusted publishing's tables: publishers and the projects they publish, pending publishers
(registered for a project their first use makes), the upload tokens minted for CI runs, and the
OIDC tokens already exchanged (when no Redis keeps them).

A publisher is one CI identity at one issuer, found by ``lookup`` (GitHub's and GitLab's
repository in lower case, Google's e-mail address, another issuer's ``sub``) and told apart by
``variant`` (workflow and environment ...): claims.py's ``Registration`` computes both.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from strongroom.db.base import Base, UTCDateTime, utcnow


class _Identity:
    """The columns of a publisher's identity (claims.py's ``Registration``)."""

    issuer: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))  # GitHub, GitLab, Google, or another's name
    repository: Mapped[str] = mapped_column(String(200), default="")
    owner_id: Mapped[str] = mapped_column(String(40), default="")
    workflow: Mapped[str] = mapped_column(String(255), default="")
    environment: Mapped[str] = mapped_column(String(255), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    subject: Mapped[str] = mapped_column(String(255), default="")
    extra: Mapped[str] = mapped_column(Text, default="[]")  # JSON [[claim, value], ...]
    lookup: Mapped[str] = mapped_column(String(255))
    variant: Mapped[str] = mapped_column(String(600))
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TrustedPublisher(_Identity, Base):
    """A CI identity that may upload to the projects it is linked to."""

    __tablename__ = "trusted_publishers"
    __table_args__ = (UniqueConstraint("issuer", "lookup", "variant"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)


class PublisherProject(Base):
    """A publisher's right to upload to a project, given by one of its Owners."""

    __tablename__ = "trusted_publisher_projects"
    __table_args__ = (UniqueConstraint("project_id", "publisher_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    publisher_id: Mapped[int] = mapped_column(ForeignKey("trusted_publishers.id"), index=True)
    added: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    added_by: Mapped[str] = mapped_column(String(50))  # a username, or "admin"


class PendingPublisher(_Identity, Base):
    """A publisher registered by a user for a project that does not exist yet: its first
    token request makes the project, the user its Owner, and turns it into a publisher."""

    __tablename__ = "pending_publishers"
    __table_args__ = (UniqueConstraint("issuer", "lookup", "variant"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_name: Mapped[str] = mapped_column(String(200))  # as the user spelt it
    normalized_name: Mapped[str] = mapped_column(String(200), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    expires: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class PublisherToken(Base):
    """An upload token minted for one CI run: the macaroon's root key, the projects it was
    minted for, the run (JSON: its id, ref, commit and URL) and the projects it was used for
    so far (JSON list). A single-use token is ``spent`` by its first upload."""

    __tablename__ = "publisher_tokens"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    publisher_id: Mapped[int] = mapped_column(ForeignKey("trusted_publishers.id"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    projects: Mapped[str] = mapped_column(Text)
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    run: Mapped[str] = mapped_column(Text, default="{}")
    used_for: Mapped[str] = mapped_column(Text, default="[]")
    single_use: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    spent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class UsedOidcToken(Base):
    """An OIDC token already exchanged (its replay key, verify.py), kept until it expires."""

    __tablename__ = "oidc_used_tokens"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
