"""Exchanging a CI run's OIDC token for an upload token (PyPI's ``/_/oidc/mint-token``).

The token is verified (verify.py); its claims pick the registered publisher they fit
(claims.py), a pending one first: a pending publisher makes its project, with the user who
registered it as Owner, and becomes a publisher of it. The OIDC token is then remembered as used
(replay.py) and an upload token minted: a macaroon like an API token, with its own row and an
identifier starting ``oidc-``, limited to the publisher, to the projects it may publish at this
moment, to uploading, and to 15 minutes. Minting, and the project a pending publisher makes, are
in the security history with the run that asked (its id, ref, commit and URL).

All of it is one write transaction (the ORM: rare work), so two runs racing with one pending
publisher cannot both make its project, and a replayed token is refused whichever comes first.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from pymacaroons import Macaroon
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from strongroom.accounts import Client, User
from strongroom.db import journal
from strongroom.db.engine import Database
from strongroom.history import EventKind, History
from strongroom.oidc.claims import Registration, choose, lookup_key
from strongroom.oidc.errors import ClaimMismatch, Code, TokenRequestFailed
from strongroom.oidc.issuers import Issuer, Provider
from strongroom.oidc.models import (
    PendingPublisher,
    PublisherProject,
    PublisherToken,
    TrustedPublisher,
)
from strongroom.oidc.publishers import find_registered, link, publisher_details
from strongroom.oidc.registrations import identity_columns, registration_of
from strongroom.oidc.replay import ReplayGuard
from strongroom.oidc.verify import TokenVerifier, VerifiedToken
from strongroom.projects import Project, new_project
from strongroom.tokens import TOKEN_PREFIX, caveats

TOKEN_LIFETIME = dt.timedelta(minutes=15)
IDENTIFIER_PREFIX = "oidc-"  # a minted token's macaroon identifier: "oidc-" + its row's id
_LOCATION = "strongroom"
_KEEP_EXPIRED = dt.timedelta(days=1)  # expired tokens' rows, so their use is told "expired"
_RUN_VALUE_LENGTH = 200


@dataclass(frozen=True)
class MintedToken:
    """An upload token (shown once), when it expires, the publisher it speaks for and the
    normalised projects it may upload to."""

    token: str
    expires: dt.datetime
    publisher: str
    projects: tuple[str, ...]


def not_enabled() -> TokenRequestFailed:
    return TokenRequestFailed(Code.NOT_ENABLED, "Trusted publishing functionality not enabled")


def _no_publisher(reason: str) -> TokenRequestFailed:
    return TokenRequestFailed(Code.INVALID_PUBLISHER,
                              f"valid token, but no corresponding publisher ({reason})")


def run_of(issuer: Issuer, claims: Mapping[str, Any]) -> dict[str, str]:
    """What the history keeps of the CI run a token came from: its ids, ref, commit, and the
    URL of the run where one can be made from the claims."""
    names = {Provider.GITHUB: ("run_id", "run_attempt", "ref", "sha", "workflow_ref",
                               "event_name", "actor"),
             Provider.GITLAB: ("pipeline_id", "job_id", "ref_path", "sha", "user_login")
             }.get(issuer.provider, ("sub",))
    run = {name: str(claims[name])[:_RUN_VALUE_LENGTH] for name in names
           if isinstance(claims.get(name), str | int)}
    if issuer.provider is Provider.GITHUB and "run_id" in run:
        parts = urlsplit(issuer.url)
        server = ("https://github.com" if parts.hostname == "token.actions.githubusercontent.com"
                  else f"{parts.scheme}://{parts.netloc}")
        run["url"] = f"{server}/{claims.get('repository')}/actions/runs/{run['run_id']}"
    elif issuer.provider is Provider.GITLAB and "job_id" in run:
        run["url"] = f"{issuer.url.rstrip('/')}/{claims.get('project_path')}/-/jobs/{run['job_id']}"
    return run


def _pick(rows: Sequence[Any], claims: Mapping[str, Any]) -> tuple[Any | None, str]:
    """The row whose registration ``claims`` fit, or None and why none does."""
    registrations = [registration_of(row) for row in rows]
    try:
        chosen = choose(registrations, claims)
    except ClaimMismatch as mismatch:
        return None, mismatch.reason
    return rows[registrations.index(chosen)], ""


class TrustedPublishing:
    """Mints upload tokens for verified OIDC tokens (``enabled``: the trusted_publishing
    setting). ``on_commit`` hears of the projects pending publishers make."""

    def __init__(self, db: Database, verifier: TokenVerifier, replay: ReplayGuard, *,
                 enabled: bool, on_commit: Callable[[journal.Written], None],
                 clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)) -> None:
        self._db = db
        self._verifier = verifier
        self._replay = replay
        self.enabled = enabled
        self._on_commit = on_commit
        self._clock = clock

    @property
    def audience(self) -> str:
        """The audience the OIDC tokens must name."""
        return self._verifier.audience

    def mint(self, raw: str, *, single_use: bool = False, client: Client | None = None
             ) -> MintedToken:
        """An upload token for the OIDC token ``raw`` (PEP 807's single-use feature when
        ``single_use``). Raises TokenRequestFailed with PyPI's code and words."""
        if not self.enabled:
            raise not_enabled()
        verified = self._verifier.verify(raw)
        try:
            key = lookup_key(verified.issuer, verified.claims)
        except ClaimMismatch as mismatch:
            raise _no_publisher(mismatch.reason) from None
        now = self._clock()
        written: journal.Written | None = None
        failure: TokenRequestFailed | None = None
        with self._db.write() as session:
            pending, publisher, reason = self._candidates(session, verified, key, now)
            if pending is None and publisher is None:
                raise _no_publisher(reason)
            if not self._replay.first_use(session.connection(), verified.replay_key,
                                          expires=verified.expires, now=now):
                raise TokenRequestFailed(Code.INVALID_REUSE_TOKEN, "invalid token: already used")
            if pending is not None:
                made = self._make_project(session, pending, verified, now, client)
                if isinstance(made, TokenRequestFailed):
                    failure = made
                else:
                    publisher, written = made
            if failure is None and publisher is not None:
                minted = self._issue(session, publisher, verified, now, single_use=single_use,
                                     client=client)
        if written is not None:
            self._on_commit(written)
        if failure is not None:
            raise failure
        return minted

    @staticmethod
    def _candidates(session: Session, verified: VerifiedToken, key: str, now: dt.datetime
                    ) -> tuple[PendingPublisher | None, TrustedPublisher | None, str]:
        """The pending publisher and the publisher the token fits (None: none), and why none
        of the publishers (else none of the pending ones) does."""
        issuer = verified.issuer.url
        pending_rows = session.scalars(select(PendingPublisher).where(
            PendingPublisher.issuer == issuer, PendingPublisher.lookup == key,
            PendingPublisher.expires > now).order_by(PendingPublisher.id)).all()
        rows = session.scalars(select(TrustedPublisher).where(
            TrustedPublisher.issuer == issuer, TrustedPublisher.lookup == key)
            .order_by(TrustedPublisher.id)).all()
        pending, pending_reason = _pick(pending_rows, verified.claims)
        publisher, reason = _pick(rows, verified.claims)
        return pending, publisher, reason if rows or not pending_rows else pending_reason

    def _make_project(self, session: Session, pending: PendingPublisher,
                      verified: VerifiedToken, now: dt.datetime, client: Client | None
                      ) -> tuple[TrustedPublisher, journal.Written] | TokenRequestFailed:
        """Make the pending publisher's project, owned by the user who registered it, and turn
        the pending publisher into a publisher of it (with its GitHub owner id, when it had
        none); or, when the project exists meanwhile, delete the pending publisher and say so.
        Other pending publishers of the same project name are deleted: it is taken."""
        registration = _with_owner_id(registration_of(pending), verified.claims)
        exists = session.scalar(select(Project.id).where(
            Project.normalized_name == pending.normalized_name))
        if exists is not None:
            session.delete(pending)
            return TokenRequestFailed(Code.INVALID_PENDING_PUBLISHER,
                                      "valid token, but project already exists",
                                      project=pending.project_name)
        owner = session.get_one(User, pending.user_id)
        project, serial = new_project(session, pending.project_name, owner,
                                      actor=registration.name[:50], now=now)
        publisher = find_registered(session, TrustedPublisher, registration)
        if publisher is None:
            publisher = TrustedPublisher(**identity_columns(registration), created=now)
            session.add(publisher)
            session.flush()
        link(session, project, publisher, added_by=owner.username, now=now)
        History.record(session, EventKind.PUBLISHER_ADDED, user=owner, project=project.name,
                       now=now, details={**publisher_details(registration, publisher.id),
                                         "by": owner.username, "from_pending": pending.id,
                                         "run": run_of(verified.issuer, verified.claims)},
                       **_where(client))
        session.execute(delete(PendingPublisher).where(
            PendingPublisher.normalized_name == pending.normalized_name))
        return publisher, journal.Written(serial, {project.normalized_name: frozenset()})

    @staticmethod
    def _issue(session: Session, publisher: TrustedPublisher, verified: VerifiedToken,
               now: dt.datetime, *, single_use: bool, client: Client | None) -> MintedToken:
        """The upload token for ``publisher``, its row written and its minting recorded."""
        registration = _with_owner_id(registration_of(publisher), verified.claims)
        publisher.owner_id = registration.owner_id  # known from its first use on
        projects = tuple(session.scalars(
            select(Project.normalized_name)
            .join(PublisherProject, PublisherProject.project_id == Project.id)
            .where(PublisherProject.publisher_id == publisher.id)
            .order_by(Project.normalized_name)))
        if not projects:
            raise _no_publisher("the publisher may publish no project")
        session.execute(delete(PublisherToken).where(PublisherToken.expires < now - _KEEP_EXPIRED))
        token_id, key, expires = uuid.uuid4().hex, secrets.token_hex(32), now + TOKEN_LIFETIME
        run = run_of(verified.issuer, verified.claims)
        session.add(PublisherToken(id=token_id, publisher_id=publisher.id, key=key,
                                   projects=json.dumps(projects), created=now, expires=expires,
                                   run=json.dumps(run, sort_keys=True), used_for="[]",
                                   single_use=single_use, spent=False))
        macaroon = Macaroon(location=_LOCATION, identifier=IDENTIFIER_PREFIX + token_id, key=key)
        macaroon.add_first_party_caveat(caveats.publisher(publisher.id))
        macaroon.add_first_party_caveat(caveats.projects(list(projects)))
        macaroon.add_first_party_caveat(caveats.expiry(now, expires))
        macaroon.add_first_party_caveat(caveats.actions([caveats.UPLOAD]))
        for project in projects:
            History.record(session, EventKind.PUBLISHER_MINTED, project=project, now=now,
                           details={**publisher_details(registration, publisher.id),
                                    "token_id": IDENTIFIER_PREFIX + token_id,
                                    "expires": expires.isoformat(), "single_use": single_use,
                                    "run": run}, **_where(client))
        return MintedToken(TOKEN_PREFIX + str(macaroon.serialize()), expires, registration.name,
                           projects)


def _where(client: Client | None) -> dict[str, Any]:
    """The history's address and user agent of the client that asked, if known."""
    return {} if client is None else {"address": client.address,
                                      "user_agent": client.user_agent}


def _with_owner_id(registration: Registration, claims: Mapping[str, Any]) -> Registration:
    """A GitHub registration with the token's owner id when it had none (claims fit it)."""
    if registration.issuer.provider is not Provider.GITHUB or registration.owner_id:
        return registration
    return Registration(registration.issuer, repository=registration.repository,
                        owner_id=str(claims["repository_owner_id"]),
                        workflow=registration.workflow, environment=registration.environment)
