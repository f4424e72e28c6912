"""The accounts' tables: users, their e-mail addresses, second factors, web sessions and the
one-time links sent by mail."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Integer, LargeBinary, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from strongroom.db.base import Base, UTCDateTime, utcnow


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(50), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    password_changed: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_login: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    # TOTP (RFC 6238): the base32 secret once enrolled, and the last time step whose code was
    # accepted, so that no code is accepted twice.
    totp_secret: Mapped[str | None] = mapped_column(String(64), default=None)
    totp_last_step: Mapped[int | None] = mapped_column(Integer, default=None)

    emails: Mapped[list[Email]] = relationship(back_populates="user", order_by="Email.id",
                                               cascade="all, delete-orphan")
    security_keys: Mapped[list[SecurityKey]] = relationship(order_by="SecurityKey.id",
                                                            cascade="all, delete-orphan")

    @property
    def has_second_factor(self) -> bool:
        """Whether the user has enrolled TOTP or at least one security key."""
        return self.totp_secret is not None or bool(self.security_keys)

    @property
    def primary_email(self) -> Email | None:
        """The address mail goes to first, if the user has any."""
        return next((e for e in self.emails if e.primary), None)


class Email(Base):
    """One address of a user. Only a verified address receives a password reset; an address
    whose domain stops resolving is unverified again (``unverified_reason`` says why)."""

    __tablename__ = "emails"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    address: Mapped[str] = mapped_column(String(254))
    # The address in lower case: one address belongs to one account.
    normalized: Mapped[str] = mapped_column(String(254), unique=True)
    primary: Mapped[bool] = mapped_column(Boolean, default=False)
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    verified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    unverified_reason: Mapped[str | None] = mapped_column(String(300), default=None)
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship(back_populates="emails")


class RecoveryCode(Base):
    """A single-use recovery code, stored as its Argon2 hash."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(200))
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    used: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)


class SecurityKey(Base):
    """A WebAuthn credential (a security key or passkey) registered by a user."""

    __tablename__ = "security_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    credential_id: Mapped[bytes] = mapped_column(LargeBinary(1024), unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary(4096))
    sign_count: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)


class WebSession(Base):
    """A browser's session, found by the SHA-256 of the secret in its cookie.

    A session is signed in once ``user_id`` is set and, for a user with a second factor,
    ``second_factor`` too; ``authenticated`` is when the password was last given (sensitive
    actions ask again after a while). ``csrf`` is the secret each form must carry back.
    """

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                                index=True, default=None)
    csrf: Mapped[str] = mapped_column(String(64))
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    authenticated: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    second_factor: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # A WebAuthn ceremony's challenge, while one is under way.
    challenge: Mapped[bytes | None] = mapped_column(LargeBinary(64), default=None)


class AccountLink(Base):
    """A link sent by mail (verify an address, reset a password): found by the SHA-256 of its
    secret, short-lived and used at most once."""

    __tablename__ = "account_links"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    email_id: Mapped[int | None] = mapped_column(ForeignKey("emails.id", ondelete="CASCADE"),
                                                 default=None)
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    used: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
