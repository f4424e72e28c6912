"""The projects' tables: projects, the roles users hold in them, invitations to a role, and
teams (named groups of users) with the roles they hold.

Uploads make projects too (a project's first file makes it), through ``strongroom.projects``;
their releases and files are the upload's tables, which point here.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from strongroom.accounts import User
from strongroom.db.base import Base, UTCDateTime, utcnow


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


class RoleInvitation(Base):
    """An Owner's invitation of a user to a role, open until it is accepted (it becomes a
    ``Role``), declined or revoked (the row goes) or replaced by a new one once it expired.
    One per project and user."""

    __tablename__ = "role_invitations"
    __table_args__ = (UniqueConstraint("project_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    # Who invited, as the journal names actors: a username, or "admin".
    invited_by: Mapped[str] = mapped_column(String(50))
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class Team(Base):
    """A named group of users; its name is unique without regard to case."""

    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    normalized_name: Mapped[str] = mapped_column(String(50), unique=True)
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TeamMember(Base):
    __tablename__ = "team_members"
    __table_args__ = (UniqueConstraint("team_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)


class TeamRole(Base):
    """A team's role in a project: each member may upload to it as if they held the role."""

    __tablename__ = "team_roles"
    __table_args__ = (UniqueConstraint("team_id", "project_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    # Indexed: an upload looks a project's team roles up by project.
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
