"""Issuing and verifying API tokens.

A token is ``strongroom-`` + a serialised macaroon whose identifier is the token's row id and whose
root key is a random secret stored in that row. The row's own limits (project, expiry) are checked
at every use as well, so an admin can restrict or revoke a token already handed out: revoking
deletes the row, and the next use of the token finds none. The two-factor policy
(tokens/twofactor.py) is checked when a token is made and at every use; whether its user has a
second factor is read in the same statement as the token's row, so it costs no query.

``authenticate`` runs on every upload and reads through prepared Core statements; issuing, listing
and revoking are admin work and use the ORM. Each is in the security history (``token.created``,
``token.revoked``, and ``token.used`` at a token's first use in each clock hour), recorded in the
transaction that makes the change.
"""

from __future__ import annotations

import datetime as dt
import functools
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from pymacaroons import Macaroon, Verifier
from sqlalchemy import Connection, bindparam, delete, func, or_, select, update
from sqlalchemy.orm import Session

from strongroom.accounts import (
    Client,
    Released,
    User,
    has_second_factor,
    second_factor_clause,
    user_named,
)
from strongroom.critical import CriticalProject
from strongroom.db.base import utcnow
from strongroom.db.engine import Database
from strongroom.db.statements import Prepared, execute, first
from strongroom.domain.names import is_valid_project_name, normalize
from strongroom.domain.policy import UPLOAD_ROLES
from strongroom.domain.principals import Credentials, Principal, PrincipalKind
from strongroom.errors import Forbidden, InvalidInput, NotAuthenticated, NotFound
from strongroom.history import EventKind, History
from strongroom.projects import Project, Role, team_role
from strongroom.tokens import caveats
from strongroom.tokens.models import Token
from strongroom.tokens.twofactor import SecondFactorRequired, TokenPolicy

TOKEN_PREFIX = "strongroom-"  # noqa: S105 - a prefix, not a secret
# No token this index issues is longer (a token for a 200-character project name with an expiry
# is about 600 characters), which leaves room for caveats a holder adds. A longer one is refused
# before it is parsed, so presenting huge tokens costs the server nothing.
MAX_TOKEN_LENGTH = 4096
MAX_TOKEN_PROJECT_LENGTH = 200  # what the tokens table holds
MAX_DESCRIPTION_LENGTH = 200
_LOCATION = "strongroom"
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


_TOKEN = Prepared(
    select(Token.key, Token.project, Token.expires, Token.last_used, Token.user_id,
           Token.read_only, Token.made_with_2fa,
           User.username, User.is_active, second_factor_clause().label("second_factor"),
           select(CriticalProject.since).where(CriticalProject.project == bindparam("project"))
           .scalar_subquery().label("critical_since"))
    .join(User, User.id == Token.user_id)
    .where(Token.id == bindparam("token_id"))
)
_TOUCH = Prepared(
    update(Token).where(Token.id == bindparam("token_id")).values(last_used=bindparam("now")))


@dataclass(frozen=True)
class TokenSummary:
    """An API token as an administrator sees it, without its key. Times are UTC."""

    id: str
    username: str
    description: str
    project: str | None  # the normalised project it is limited to; None for all the user's
    created: dt.datetime
    expires: dt.datetime | None  # None: never
    last_used: dt.datetime | None  # None: never used; recorded to LAST_USED_RESOLUTION
    read_only: bool = False  # reads a private index, never uploads
    made_with_2fa: bool = False  # its user had a second factor when it was made


def _summary(row: Token, username: str) -> TokenSummary:
    return TokenSummary(id=row.id, username=username, description=row.description,
                        project=row.project, created=row.created, expires=row.expires,
                        read_only=row.read_only, made_with_2fa=row.made_with_2fa,
                        last_used=row.last_used)


def _check_scope(session: Session, project: str, user: User) -> None:
    """Refuse to limit ``user``'s token to ``project`` unless it exists and they may upload
    (holding a role there, or in a team that does)."""
    found = session.execute(
        select(Project.name, func.coalesce(Role.role, team_role(Project.id, user.id)).label("role"))
        .outerjoin(Role, (Role.project_id == Project.id) & (Role.user_id == user.id))
        .where(Project.normalized_name == normalize(project))
    ).first()
    if found is None:
        raise NotFound(f"no project named {project!r}: a token can be limited only to a project "
                       "that exists (publish a new one with an account-wide token)",
                       project=project)
    if found.role not in UPLOAD_ROLES:
        raise Forbidden(f"the user {user.username!r} may not upload to project {found.name!r} "
                        "(no Owner or Maintainer role), so a token limited to it would be "
                        "useless", project=found.name)


class TokenService:
    """Creates tokens for users and checks tokens presented with requests: the API token
    ``Authenticator`` (strongroom.domain.principals), whose principals are users. ``policy``
    is the index's two-factor policy (default: nobody needs a second factor)."""

    def __init__(self, db: Database, *, policy: TokenPolicy | None = None) -> None:
        self._db = db
        self._history = History(db)
        self._policy = policy or TokenPolicy()

    def create(
        self,
        username: str,
        *,
        now: dt.datetime,
        project: str | None = None,
        expires_in: dt.timedelta | None = None,
        description: str = "",
        read_only: bool = False,
        without_2fa: bool = False,
        client: Client | None = None,
    ) -> str:
        """Issue a token for ``username``; returns the secret token text (shown once).
        A ``read_only`` token reads (a private index) and never uploads.

        A token limited to ``project`` needs that project to exist and the user to hold a role
        that may upload to it, as on PyPI (an account-wide token publishes a new project).
        A token the two-factor policy covers needs a user with a second factor, unless
        ``without_2fa`` (an administrator's override, recorded in ``token.created``). The
        history records ``client`` (the web's visitor) when given.
        Raises NotFound for an unknown user or project, Forbidden when the user holds no such
        role, SecondFactorRequired (a Forbidden) when the policy refuses, InvalidInput for a
        bad project name or lifetime.
        """
        if project is not None and not is_valid_project_name(project):
            raise InvalidInput(f"project {project!r}: not a valid project name")
        if project is not None and len(project) > MAX_TOKEN_PROJECT_LENGTH:
            raise InvalidInput(f"project {project[:40]!r}...: a token can name a project of at "
                               f"most {MAX_TOKEN_PROJECT_LENGTH} characters")
        if len(description) > MAX_DESCRIPTION_LENGTH:
            raise InvalidInput(f"description: at most {MAX_DESCRIPTION_LENGTH} characters")
        if expires_in is not None and expires_in <= dt.timedelta(0):
            raise InvalidInput("expires-in: must be a positive duration")
        key = secrets.token_hex(32)
        token_id = uuid.uuid4().hex
        with self._db.write() as session:
            user = user_named(session, username)
            if project is not None:
                _check_scope(session, project, user)
            factor = has_second_factor(session, user.id)
            needs_override = not factor and self._policy.covers(read_only=read_only)
            if needs_override and not without_2fa:
                raise self._policy.refuse_creation(user.username, read_only=read_only)
            row = Token(
                id=token_id,
                user_id=user.id,
                key=key,
                description=description,
                project=normalize(project) if project else None,
                created=now,
                expires=now + expires_in if expires_in else None,
                read_only=read_only,
                made_with_2fa=factor,
            )
            session.add(row)
            macaroon = Macaroon(location=_LOCATION, identifier=token_id, key=key)
            macaroon.add_first_party_caveat(caveats.user(user.id))
            if row.project:
                macaroon.add_first_party_caveat(caveats.projects([row.project]))
            if row.expires:
                macaroon.add_first_party_caveat(caveats.expiry(now, row.expires))
            if read_only:
                macaroon.add_first_party_caveat(caveats.actions([caveats.READ]))
            expires = row.expires.isoformat() if row.expires else None
            details = {"token_id": token_id, "description": description, "expires": expires,
                       "read_only": read_only, "made_with_2fa": factor}
            if needs_override:
                required = self._policy.required
                details["without_2fa"] = f"override of two_factor_required = {required}"
            self._history.record(session, EventKind.TOKEN_CREATED, user=user,
                                 project=row.project, now=now, details=details,
                                 **_where(client))
        return TOKEN_PREFIX + str(macaroon.serialize())

    def _second_factor_refusal(self, row: Any, project: str, principal: Principal, *,
                               action: str, now: dt.datetime) -> SecondFactorRequired | None:
        """Why the two-factor policy refuses this use of the token read as ``row``: one it
        covers, made without a second factor by a user who still has none; or, under
        ``critical``, an upload to a critical project past its grace by such a user."""
        if row.second_factor:
            return None
        if not row.made_with_2fa and self._policy.covers(read_only=row.read_only):
            return self._policy.refuse_use(project, principal)
        if row.critical_since is not None and action != caveats.READ:
            return self._policy.critical_refusal(project, principal,
                                                 critical_since=row.critical_since, now=now)
        return None

    def authenticate(self, credentials: Credentials, *, project: str, now: dt.datetime,
                     reading: Connection | None = None, action: str = caveats.UPLOAD
                     ) -> Principal:
        """The user a presented token speaks for, doing ``action`` (uploading, or reading a
        private index) on the normalised ``project`` ("": the list of every project) at
        ``now``: a Principal of kind USER with the account's id and name and the token's id.
        A read-only token may only read; a token limited to projects reads only those.

        The token's row is read on ``reading`` when given (the caller's read transaction),
        else in a read session of its own. Raises NotAuthenticated when the token is absent,
        malformed, unknown, forged or expired or its account disabled, and Forbidden when it
        is valid but not for this project. Both carry ``project``; the principal is carried
        only once the token's signature verifies (an expired token, a token for another
        project), never for one that could be forged.
        """
        macaroon = parse_token(credentials.secret or "", project)
        token_id = str(macaroon.identifier)
        if reading is None:
            with self._db.read_connection() as own:
                row = first(own, _TOKEN, {"token_id": token_id, "project": project})
        else:
            row = first(reading, _TOKEN, {"token_id": token_id, "project": project})
        if row is None:
            raise NotAuthenticated("Invalid API token: unknown or revoked", project=project)
        if not row.is_active:
            raise NotAuthenticated("Invalid API token: the account is disabled",
                                   project=project)
        principal = Principal(PrincipalKind.USER, name=row.username, user_id=row.user_id,
                              token_id=token_id)
        expired = row.expires is not None and now >= row.expires
        context = caveats.RequestContext(now=now, project=project, user_id=row.user_id,
                                         action=action)
        verifier = Verifier()
        verifier.satisfy_general(lambda caveat: caveats.satisfied(caveat, context))
        try:
            verified = not expired and bool(verifier.verify(macaroon, row.key))
        except Exception:  # the library signals failure many ways
            verified = False
        if not verified:
            # Only a genuine token is told it expired or names its account.
            if not signature_ok(macaroon, row.key):
                raise NotAuthenticated("Invalid API token: signature does not verify",
                                       project=project)
            if expired:
                raise NotAuthenticated("Invalid API token: expired", project=project,
                                       principal=principal)
            raise _not_for(project, principal, action, read_only=row.read_only)
        if (row.project is not None and row.project != project) or (
                row.read_only and action != caveats.READ):
            raise _not_for(project, principal, action, read_only=row.read_only)
        refusal = self._second_factor_refusal(row, project, principal, action=action, now=now)
        if refusal is not None:
            raise refusal
        stale = row.last_used is None or now - row.last_used >= LAST_USED_RESOLUTION
        if stale:
            # Recorded at most once a minute, so a burst of uploads is not a burst of writes;
            # the history's event rides on the first such write of each hour.
            with self._db.write_connection() as writer:
                execute(writer, _TOUCH, {"token_id": token_id, "now": now})
                if row.last_used is None or _hour(row.last_used) != _hour(now):
                    self._history.record(writer, EventKind.TOKEN_USED,
                                         user=(row.user_id, row.username),
                                         project=project or None, now=now,
                                         details={"token_id": token_id, "action": action})
        return principal

    def list_for(self, username: str) -> list[TokenSummary]:
        """The tokens of ``username`` (case-insensitive), oldest first, expired ones included.
        Raises NotFound for an unknown user."""
        with self._db.read() as session:
            user = user_named(session, username)
            rows = session.scalars(
                select(Token).where(Token.user_id == user.id).order_by(Token.created, Token.id)
            )
            return [_summary(row, user.username) for row in rows]

    def revoke(self, token_id: str, *, now: dt.datetime | None = None,
               user_id: int | None = None, client: Client | None = None) -> TokenSummary:
        """Delete the token ``token_id`` at ``now`` (default: the current time); what it was.
        Its next use is refused as unknown or revoked. With ``user_id``, only a token of that
        user is deleted (a user revoking their own). The history records ``client`` (the
        web's visitor) when given. Raises NotFound when no token has that id, or none of
        ``user_id``'s (the same words: nobody learns of another's token)."""
        with self._db.write() as session:
            row = session.get(Token, token_id)
            if row is None or (user_id is not None and row.user_id != user_id):
                raise NotFound(f"no token with id {token_id!r}")
            revoked = _summary(row, row.user.username)
            session.delete(row)
            self._history.record(session, EventKind.TOKEN_REVOKED, user=row.user,
                                 project=row.project, now=now or utcnow(),
                                 details={"token_id": token_id,
                                          "description": row.description},
                                 **_where(client))
        return revoked

    def projects_for(self, username: str) -> list[str]:
        """The projects a token of ``username`` may be limited to: those on which they, or a
        team of theirs, hold a role that may upload; by name, in order. Raises NotFound for an
        unknown user."""
        uploaders = sorted(UPLOAD_ROLES)
        with self._db.read() as session:
            user = user_named(session, username)
            own = select(Role.role).where(Role.project_id == Project.id,
                                          Role.user_id == user.id).scalar_subquery()
            return list(session.scalars(
                select(Project.name)
                .where(or_(own.in_(uploaders), team_role(Project.id, user.id).in_(uploaders)))
                .order_by(Project.normalized_name)))


def forget_tokens(session: Session, user: User, *, now: dt.datetime, actor: str) -> Released:
    """Delete every API token of ``user``, whose account ``actor`` is deleting, in the
    deletion's transaction (an ``AccountDependent`` of strongroom.accounts): their next use is
    refused as unknown or revoked. Each is in the history as revoked."""
    tokens = session.execute(select(Token.id, Token.project, Token.description)
                             .where(Token.user_id == user.id).order_by(Token.id)).all()
    for token in tokens:
        History.record(session, EventKind.TOKEN_REVOKED, user=user, project=token.project,
                       now=now, details={"token_id": token.id, "description": token.description,
                                         "reason": "account deleted", "by": actor})
    session.execute(delete(Token).where(Token.user_id == user.id))
    return Released(f"{len(tokens)} API token(s) deleted")


def signature_ok(macaroon: Macaroon, key: str) -> bool:
    """Whether the signature of ``macaroon`` verifies with ``key`` when every caveat is taken
    as satisfied: a genuine token, which may be told why it does not reach a request."""
    verifier = Verifier()
    verifier.satisfy_general(lambda _caveat: True)
    try:
        return bool(verifier.verify(macaroon, key))
    except Exception:  # any failure here means a bad signature
        return False


def _where(client: Client | None) -> dict[str, str]:
    """The history's address and user agent of ``client``, if there is one."""
    return {} if client is None else {"address": client.address,
                                      "user_agent": client.user_agent}


def _hour(moment: dt.datetime) -> dt.datetime:
    """The clock hour (UTC) ``moment`` falls in."""
    return moment.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)


def parse_token(raw: str, project: str) -> Macaroon:
    """The macaroon a presented token carries (an API token's, or a token minted for a trusted
    publisher, which strongroom.oidc verifies); NotAuthenticated, carrying ``project``, when
    there is none."""
    if not raw.startswith(TOKEN_PREFIX):
        raise NotAuthenticated("Invalid API token: not a Strongroom token", project=project)
    if len(raw) > MAX_TOKEN_LENGTH:
        raise NotAuthenticated(f"Invalid API token: longer than {MAX_TOKEN_LENGTH} "
                               "characters, which no token of this index is", project=project)
    try:
        macaroon = _deserialize(raw.removeprefix(TOKEN_PREFIX))
        str(macaroon.identifier)
    except Exception as exc:  # pymacaroons raises many unrelated types
        raise NotAuthenticated("Invalid API token: could not be decoded",
                               project=project) from exc
    return macaroon


def _not_for(project: str, principal: Principal, action: str, *, read_only: bool
             ) -> Forbidden:
    """A genuine token that does not reach ``project`` for ``action``."""
    if read_only and action == caveats.UPLOAD:
        return Forbidden(f"The given token is read-only: it may install from this index but "
                         f"not upload to project {project!r}; upload with a token made "
                         "without --read-only", project=project, principal=principal)
    if action == caveats.READ:
        what = f"project {project!r}" if project else "the list of all projects"
        return Forbidden(f"The given token isn't allowed to read {what}", project=project or None,
                         principal=principal)
    return Forbidden(f"The given token isn't allowed to upload to project {project!r}",
                     project=project, principal=principal)


@functools.lru_cache(maxsize=256)
def _deserialize(serialized: str) -> Macaroon:
    """The macaroon a token's text encodes. Parsing is deterministic and costs more than
    verifying, so a token used for a run of uploads is parsed once; the signature and every
    caveat are still checked at each use (the parsed macaroon is only read). The cache holds
    at most 256 tokens of at most ``MAX_TOKEN_LENGTH`` characters: a few MiB with their
    parsed forms, whatever clients present."""
    return Macaroon.deserialize(serialized)
