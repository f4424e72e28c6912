"""The upload's authenticator for both kinds of token: an API token goes to ``TokenService``;
a token minted for a trusted publisher (its macaroon's identifier starts ``oidc-``) is verified
here, against its row and its publisher's, giving a Principal of kind PUBLISHER.

A minted token is refused once its publisher is removed (its row goes with it), once it expired,
for a project it was not minted for, for anything but an upload, and, when single use, after
its first upload. Its first use for each project is in the security history with the CI run
that minted it (``publisher.used``), written in a transaction of its own as an API token's use
is. Every check reads through prepared Core statements: it runs on every upload.
"""

from __future__ import annotations

import datetime as dt
import json

from pymacaroons import Macaroon, Verifier
from sqlalchemy import Connection, bindparam, select, update

from strongroom.db.engine import Database
from strongroom.db.statements import Prepared, execute, first
from strongroom.domain.principals import UPLOAD, Credentials, Principal, PrincipalKind
from strongroom.errors import Forbidden, NotAuthenticated
from strongroom.history import EventKind, History
from strongroom.oidc.minting import IDENTIFIER_PREFIX
from strongroom.oidc.models import PublisherToken, TrustedPublisher
from strongroom.oidc.registrations import registration_of
from strongroom.tokens import TokenService, caveats, parse_token, signature_ok

_TOKEN = Prepared(
    select(PublisherToken.key, PublisherToken.publisher_id, PublisherToken.expires,
           PublisherToken.projects, PublisherToken.used_for, PublisherToken.run,
           PublisherToken.single_use, PublisherToken.spent,
           TrustedPublisher.issuer, TrustedPublisher.kind, TrustedPublisher.repository,
           TrustedPublisher.owner_id, TrustedPublisher.workflow, TrustedPublisher.environment,
           TrustedPublisher.email, TrustedPublisher.subject, TrustedPublisher.extra)
    .join(TrustedPublisher, TrustedPublisher.id == PublisherToken.publisher_id)
    .where(PublisherToken.id == bindparam("token_id"))
)
_SPEND = (update(PublisherToken)
          .where(PublisherToken.id == bindparam("token_id"), PublisherToken.spent.is_(False))
          .values(spent=True))
_USED_FOR = Prepared(update(PublisherToken).where(PublisherToken.id == bindparam("token_id"))
                     .values(used_for=bindparam("used_for")))


class PublisherTokens:
    """API tokens through ``tokens``, minted publisher tokens here: the ``Authenticator`` the
    upload uses (strongroom.domain.principals)."""

    def __init__(self, db: Database, tokens: TokenService) -> None:
        self._db = db
        self._tokens = tokens

    def authenticate(self, credentials: Credentials, *, project: str, now: dt.datetime,
                     reading: Connection | None = None, action: str = UPLOAD) -> Principal:
        """The principal of the token presented, doing ``action`` on the normalised
        ``project``. Raises NotAuthenticated and Forbidden as TokenService does; a
        publisher's principal is named only once its token's signature verifies."""
        macaroon = parse_token(credentials.secret or "", project)
        identifier = str(macaroon.identifier)
        if not identifier.startswith(IDENTIFIER_PREFIX):
            return self._tokens.authenticate(credentials, project=project, now=now,
                                             reading=reading, action=action)
        token_id = identifier.removeprefix(IDENTIFIER_PREFIX)
        if reading is None:
            with self._db.read_connection() as own:
                row = first(own, _TOKEN, {"token_id": token_id})
        else:
            row = first(reading, _TOKEN, {"token_id": token_id})
        if row is None:
            raise NotAuthenticated("Invalid API token: unknown, or its trusted publisher was "
                                   "removed", project=project)
        registration = registration_of(row)
        principal = Principal(PrincipalKind.PUBLISHER, registration.name,
                              token_id=identifier, publisher_id=row.publisher_id,
                              publisher=registration.identity)
        if not signature_ok(macaroon, row.key):
            raise NotAuthenticated("Invalid API token: signature does not verify",
                                   project=project)
        if now >= row.expires:
            raise NotAuthenticated("Invalid API token: expired (a trusted publisher's token "
                                   "lasts 15 minutes: mint another)", project=project,
                                   principal=principal)
        context = caveats.RequestContext(now=now, project=project, user_id=None, action=action,
                                         publisher_id=row.publisher_id)
        if not _verifies(macaroon, row.key, context) or project not in json.loads(row.projects):
            raise Forbidden(f"OIDC scoped token is not valid for project '{project}'",
                            project=project or None, principal=principal)
        if row.single_use and row.spent:
            raise NotAuthenticated("Invalid API token: this single-use token was used already",
                                   project=project, principal=principal)
        used_for = json.loads(row.used_for)
        if row.single_use or project not in used_for:
            self._record_use(token_id, project, principal, single_use=row.single_use,
                             used_for=[*used_for, project], run=row.run, now=now)
        return principal

    def _record_use(self, token_id: str, project: str, principal: Principal, *,
                    single_use: bool, used_for: list[str], run: str, now: dt.datetime) -> None:
        """Spend a single-use token (refusing it if another upload just did), and record the
        token's first use for ``project``."""
        with self._db.write_connection() as writer:
            if single_use and writer.execute(_SPEND, {"token_id": token_id}).rowcount != 1:
                raise NotAuthenticated("Invalid API token: this single-use token was used "
                                       "already", project=project, principal=principal)
            if project not in used_for[:-1]:
                execute(writer, _USED_FOR, {"token_id": token_id,
                                            "used_for": json.dumps(sorted(set(used_for)))})
                assert principal.publisher_id is not None  # noqa: S101 - a publisher's
                History.record(writer, EventKind.PUBLISHER_USED, project=project, now=now,
                               details={"publisher_id": principal.publisher_id,
                                        "publisher": principal.name,
                                        "token_id": principal.token_id,
                                        "run": json.loads(run)})


def _verifies(macaroon: Macaroon, key: str, context: caveats.RequestContext) -> bool:
    """Whether every caveat of the (genuine) token holds for ``context``."""
    verifier = Verifier()
    verifier.satisfy_general(lambda caveat: caveats.satisfied(caveat, context))
    try:
        return bool(verifier.verify(macaroon, key))
    except Exception:  # the library signals failure many ways
        return False
