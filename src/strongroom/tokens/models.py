"""The tokens' table: API tokens, each a macaroon's root key."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from strongroom.accounts import User
from strongroom.db.base import Base, UTCDateTime, utcnow


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
    # A read-only token reads a private index and never uploads.
    read_only: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Whether its user had a second factor when it was made (a 2FA policy may require one).
    made_with_2fa: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    user: Mapped[User] = relationship()
