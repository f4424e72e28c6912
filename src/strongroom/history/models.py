"""The security history's table: one row per security-relevant event."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from strongroom.db.base import Base, UTCDateTime, utcnow


class SecurityEvent(Base):
    """What happened (``kind``: ``login``, ``token.created`` ...), to whom and on which project,
    from where (address and user agent), with details as a JSON object."""

    __tablename__ = "security_events"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"),
                                    primary_key=True)
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    kind: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"),
                                                index=True, default=None)
    # The name as it was: the history outlives a deleted account.
    username: Mapped[str | None] = mapped_column(String(50), default=None)
    project: Mapped[str | None] = mapped_column(String(200), index=True, default=None)
    address: Mapped[str | None] = mapped_column(String(45), default=None)
    user_agent: Mapped[str | None] = mapped_column(String(300), default=None)
    details: Mapped[str] = mapped_column(Text, default="{}")
