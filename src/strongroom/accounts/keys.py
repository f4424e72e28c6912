"""Security keys: WebAuthn credentials (py_webauthn), several per user, each with a name, as a
second factor at login.

A ceremony has two steps. ``registration_options`` / ``authentication_options`` make a random
challenge, keep it in the browser's web session (``SessionService.set_challenge``) and give the
options ``navigator.credentials.create()`` / ``.get()`` want, as JSON. ``register`` /
``authenticate`` then *take* that challenge (read and cleared in one conditional write), so a
challenge serves one verification at most, failed or not, and one that is never answered ends
with its session.

The rules are PyPI's: attestation ``none`` (no maker is trusted or refused), user verification
discouraged (the password was the first factor; the key proves possession), and a credential
id is registered once across every account. Keys are not discoverable (the login names the
user first). The user handle the authenticator keeps is the account's id in decimal: stable,
and no name or address. An authenticator that counts signatures must show a count above the
last one seen; one that does not rise is a cloned key or a replay, refused and recorded.

Uses the ORM for reads and the rare writes; the sign count moves by a conditional UPDATE, so
two requests carrying one count cannot both pass.
"""

from __future__ import annotations

import datetime as dt
import secrets
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from strongroom.accounts.clients import Client
from strongroom.accounts.models import SecurityKey, User
from strongroom.accounts.sessions import SessionService
from strongroom.db.engine import Database
from strongroom.errors import Conflict, InvalidInput, NotFound
from strongroom.history import EventKind, History

MAX_NAME_LENGTH = 100
CHALLENGE_BYTES = 32
TIMEOUT_MS = 120_000  # a hint to the browser: time to find and touch the key
_DISCOURAGED = UserVerificationRequirement.DISCOURAGED


@dataclass(frozen=True)
class RelyingParty:
    """Who the keys are registered with: ``id`` is the host name of the index's base URL (a
    browser refuses an IP address), ``origin`` its scheme, host and port, ``name`` what the
    browser shows."""

    id: str
    name: str
    origin: str

    @classmethod
    def for_base_url(cls, base_url: str, *, name: str) -> RelyingParty:
        parts = urlsplit(base_url)
        return cls(id=parts.hostname or "localhost", name=name,
                   origin=f"{parts.scheme}://{parts.netloc}".lower())


@dataclass(frozen=True)
class KeyView:
    """A registered key as the account page lists it."""

    id: int
    name: str
    created: dt.datetime
    last_used: dt.datetime | None


def _view(key: SecurityKey) -> KeyView:
    return KeyView(key.id, key.name, key.created, key.last_used)


def checked_name(name: str) -> str:
    """``name`` without surrounding whitespace, once it is 1 to 100 printable characters.
    Raises InvalidInput."""
    name = name.strip()
    if not 1 <= len(name) <= MAX_NAME_LENGTH:
        raise InvalidInput(f"name: give the key a name of 1 to {MAX_NAME_LENGTH} characters")
    if any(unicodedata.category(c).startswith("C") for c in name):
        raise InvalidInput("name: control and unassigned characters are not allowed")
    return name


def _name_taken(session: Session, user_id: int, name: str) -> bool:
    names = session.scalars(select(SecurityKey.name).where(SecurityKey.user_id == user_id))
    return any(taken.casefold() == name.casefold() for taken in names)


def _raw_id(credential: Mapping[str, Any]) -> bytes | None:
    raw = credential.get("rawId")
    try:
        return base64url_to_bytes(raw) if isinstance(raw, str) else None
    except ValueError:
        return None


class SecurityKeys:
    """Users' security keys: the two ceremonies, the list, removal; recorded in the security
    history with the client's address and user agent."""

    def __init__(self, db: Database, sessions: SessionService, party: RelyingParty) -> None:
        self._db = db
        self._sessions = sessions
        self._party = party

    def _user(self, session: Session, user_id: int) -> User:
        user = session.get(User, user_id)
        if user is None:
            raise NotFound(f"no user with id {user_id}")
        return user

    def _challenge(self, secret: str) -> bytes:
        challenge = secrets.token_bytes(CHALLENGE_BYTES)
        self._sessions.set_challenge(secret, challenge)
        return challenge

    def _take_challenge(self, secret: str) -> bytes:
        challenge = self._sessions.take_challenge(secret)
        if challenge is None:
            raise InvalidInput("credential: no security key request is under way here, or it "
                               "was answered already; start again")
        return challenge

    def of(self, user_id: int) -> list[KeyView]:
        """The user's keys, oldest first."""
        with self._db.read() as session:
            return [_view(key) for key in self._user(session, user_id).security_keys]

    def registration_options(self, user_id: int, secret: str, name: str) -> str:
        """Options (JSON) to register a key named ``name`` for the user signed in to the
        session ``secret``, excluding the keys they have. Raises InvalidInput for a bad name,
        Conflict when the user has a key of that name already, NotFound for no user."""
        name = checked_name(name)
        with self._db.read() as session:
            user = self._user(session, user_id)
            if _name_taken(session, user_id, name):
                raise Conflict(f"name: you have a key named {name!r} already")
            username = user.username
            known = [PublicKeyCredentialDescriptor(id=key.credential_id)
                     for key in user.security_keys]
        options = generate_registration_options(
            rp_id=self._party.id, rp_name=self._party.name, user_id=str(user_id).encode(),
            user_name=username, challenge=self._challenge(secret), timeout=TIMEOUT_MS,
            attestation=AttestationConveyancePreference.NONE, exclude_credentials=known,
            authenticator_selection=AuthenticatorSelectionCriteria(
                resident_key=ResidentKeyRequirement.DISCOURAGED, user_verification=_DISCOURAGED))
        return options_to_json(options)

    def register(self, user_id: int, secret: str, name: str, credential: Mapping[str, Any],
                 client: Client, *, now: dt.datetime) -> KeyView:
        """Store the key ``credential`` (what ``navigator.credentials.create()`` gave, as
        JSON) under ``name`` once it answers the session's challenge (used up either way);
        records ``2fa.key.added``. Raises InvalidInput (a bad name, no challenge, a response
        that does not verify), Conflict (the name is taken, or the key is registered already,
        to this account or another), NotFound."""
        name = checked_name(name)
        challenge = self._take_challenge(secret)
        try:
            verified = verify_registration_response(
                credential=dict(credential), expected_challenge=challenge,
                expected_rp_id=self._party.id, expected_origin=self._party.origin,
                require_user_verification=False)
        except WebAuthnException as error:
            raise InvalidInput(f"credential: the key's answer does not verify: {error}") from error
        with self._db.write() as session:
            user = self._user(session, user_id)
            if _name_taken(session, user_id, name):
                raise Conflict(f"name: you have a key named {name!r} already")
            taken = session.scalar(select(SecurityKey.user_id).where(
                SecurityKey.credential_id == verified.credential_id))
            if taken is not None:
                raise Conflict("credential: this key is registered already"
                               + (" to your account" if taken == user_id else ""))
            key = SecurityKey(user_id=user_id, name=name, credential_id=verified.credential_id,
                              public_key=verified.credential_public_key,
                              sign_count=verified.sign_count, created=now)
            session.add(key)
            History.record(session, EventKind.SECURITY_KEY_ADDED, user=user,
                           address=client.address, user_agent=client.user_agent,
                           details={"name": name}, now=now)
            return _view(key)

    def authentication_options(self, user_id: int, secret: str) -> str:
        """Options (JSON) for the user who owes their second factor in session ``secret`` to
        sign with one of their keys. Raises NotFound when they have none."""
        with self._db.read() as session:
            allowed = [PublicKeyCredentialDescriptor(id=key.credential_id)
                       for key in self._user(session, user_id).security_keys]
        if not allowed:
            raise NotFound("this account has no security key")
        options = generate_authentication_options(
            rp_id=self._party.id, challenge=self._challenge(secret), timeout=TIMEOUT_MS,
            allow_credentials=allowed, user_verification=_DISCOURAGED)
        return options_to_json(options)

    def authenticate(self, user_id: int, secret: str, credential: Mapping[str, Any],
                     client: Client, *, now: dt.datetime) -> bool:
        """Whether ``credential`` (what ``navigator.credentials.get()`` gave, as JSON) is a
        signature over the session's challenge (used up either way) by one of the user's
        keys, with a signature count above the last one seen. Records ``2fa.used`` or
        ``2fa.failed`` (with the reason). Raises InvalidInput when no challenge is under way."""
        challenge = self._take_challenge(secret)
        raw_id = _raw_id(credential)
        with self._db.read() as session:
            user = self._user(session, user_id)
            who = (user_id, user.username)
            key = next((k for k in user.security_keys if k.credential_id == raw_id), None)
        if key is None:
            return self._failed(who, client, now, reason="not a key of this account")
        try:
            verified = verify_authentication_response(
                credential=dict(credential), expected_challenge=challenge,
                expected_rp_id=self._party.id, expected_origin=self._party.origin,
                credential_public_key=key.public_key,
                # The count is compared below, where a clone can be told from a bad signature.
                credential_current_sign_count=0, require_user_verification=False)
        except WebAuthnException as error:
            return self._failed(who, client, now, reason=str(error), key=key.name)
        counted = verified.new_sign_count
        if (counted or key.sign_count) and counted <= key.sign_count:
            return self._failed(who, client, now, key=key.name,
                                reason=f"signature count {counted} after {key.sign_count}: "
                                "a cloned key or a replayed answer")
        with self._db.write_connection() as connection:
            moved = connection.execute(
                update(SecurityKey)
                .where(SecurityKey.id == key.id, SecurityKey.sign_count == key.sign_count)
                .values(sign_count=counted, last_used=now)).rowcount == 1
            if moved:
                History.record(connection, EventKind.SECOND_FACTOR_USED,
                               user=who, address=client.address,
                               user_agent=client.user_agent,
                               details={"method": "security_key", "key": key.name}, now=now)
        return moved or self._failed(who, client, now, key=key.name,
                                     reason="the key was used by another request meanwhile")

    def _failed(self, who: tuple[int, str], client: Client, now: dt.datetime, *,
                reason: str, key: str | None = None) -> bool:
        details = {"method": "security_key", "reason": reason[:200]}
        if key is not None:
            details["key"] = key
        History(self._db).record_now(EventKind.SECOND_FACTOR_FAILED, user=who,
                                     address=client.address, user_agent=client.user_agent,
                                     details=details, now=now)
        return False

    def remove(self, user_id: int, key_id: int, client: Client, *, now: dt.datetime) -> str:
        """Remove the user's key ``key_id`` (``2fa.key.removed``); returns its name. The last
        second factor may go too, as on PyPI: the password was just asked for again, and
        what an account without one may do is the 2FA policy's business. Raises NotFound
        when the user has no such key."""
        with self._db.write() as session:
            user = self._user(session, user_id)
            key = session.scalar(select(SecurityKey).where(SecurityKey.id == key_id,
                                                           SecurityKey.user_id == user_id))
            if key is None:
                raise NotFound("you have no such security key")
            session.delete(key)
            History.record(session, EventKind.SECURITY_KEY_REMOVED, user=user,
                           address=client.address, user_agent=client.user_agent,
                           details={"name": key.name}, now=now)
            return key.name
