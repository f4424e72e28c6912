"""Building the ASGI application from settings: the only place web services are assembled."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.routing import BaseRoute
from starlette.types import ASGIApp

from strongroom.accounts import (
    AccountService,
    Addresses,
    Links,
    Logins,
    PasswordPolicy,
    RecoveryCodeService,
    RelyingParty,
    SecondFactors,
    SecurityKeys,
    SessionService,
    TotpService,
)
from strongroom.attestations import AttestationVerifier, ProvenanceNotices
from strongroom.config import Settings
from strongroom.critical import DownloadCounter
from strongroom.db.base import utcnow
from strongroom.db.engine import Database
from strongroom.domain.access import PUBLIC, SIGNED_IN, ReadAccess
from strongroom.domain.principals import READ, Credentials, Principal
from strongroom.history import History
from strongroom.index import CommitHook, IndexReader, open_change_feed
from strongroom.index.commits import open_purger
from strongroom.mail import open_sender
from strongroom.oidc import (
    HttpKeyFetcher,
    Issuers,
    PublisherService,
    PublisherTokens,
    TokenVerifier,
    TrustedPublishing,
    open_replay_guard,
)
from strongroom.projects import InvitationService, RoleService, TeamService
from strongroom.rendering import ReadmeSandbox
from strongroom.storage import open_blob_store
from strongroom.tokens import TokenPolicy, TokenService
from strongroom.upload import UploadService
from strongroom.web.guard import CatchAll
from strongroom.web.oidc import oidc_routes
from strongroom.web.osv import OsvApi
from strongroom.web.pages import AccountLimits, Site, Templates, account_routes
from strongroom.web.pages.required import session_reader
from strongroom.web.ratelimit import (
    AddressFailures,
    RateLimits,
    Throttle,
    open_storage,
    parse_rate,
)
from strongroom.web.reads import Reads
from strongroom.web.upload import LegacyUpload, UploadsFirst, upload_routes
from strongroom.web.vulnpush import vulnerability_report_routes


def _site(settings: Settings, db: Database, on_commit: CommitHook, tokens: TokenService,
          reader: IndexReader) -> Site:
    """The account pages' services."""
    limits = AccountLimits(
        login=parse_rate(settings.login_rate, "login_rate"),
        mail=parse_rate(settings.account_mail_rate, "account_mail_rate"),
        two_factor=parse_rate(settings.two_factor_rate, "two_factor_rate"))
    policy = PasswordPolicy.from_settings(settings)
    accounts = AccountService(db, policy=policy)
    factors = SecondFactors(db, TotpService(db, issuer=settings.index_name),
                            RecoveryCodeService(db))
    sessions = SessionService(db)
    party = RelyingParty.for_base_url(settings.public_base_url, name=settings.index_name)
    return Site(accounts=accounts, logins=Logins(db, accounts, policy=policy),
                factors=factors, addresses=Addresses(db), history=History(db),
                roles=RoleService(db, on_commit=on_commit),
                invitations=InvitationService(db, on_commit=on_commit),
                teams=TeamService(db, on_commit=on_commit),
                sessions=sessions, links=Links(db), sender=open_sender(settings),
                mail_from=settings.mail_sender, base_url=settings.public_base_url,
                templates=Templates(index_name=settings.index_name),
                throttle=Throttle(open_storage(settings)), limits=limits,
                registration_open=settings.registration,
                keys=SecurityKeys(db, sessions, party),
                tokens=tokens, two_factor_required=settings.two_factor_required,
                publishers=PublisherService(
                    db, pending_lifetime=settings.pending_publisher_lifetime),
                issuers=Issuers.from_settings(settings),
                vulnerable_releases=reader.vulnerable_releases)


def _oidc(settings: Settings, db: Database, on_commit: CommitHook) -> list[BaseRoute]:
    """Trusted publishing's endpoints and the services behind them."""
    verifier = TokenVerifier(Issuers.from_settings(settings),
                             HttpKeyFetcher(timeout=settings.oidc_timeout),
                             audience=settings.audience)
    publishing = TrustedPublishing(db, verifier, open_replay_guard(settings),
                                   enabled=settings.trusted_publishing, on_commit=on_commit)
    limit = parse_rate(settings.mint_failure_rate, "mint_failure_rate")
    failures = (AddressFailures(open_storage(settings), limit, kind="mint-failures")
                if limit else None)
    return oidc_routes(publishing, base_url=settings.public_base_url,
                       base_path=urlsplit(settings.public_base_url).path.rstrip("/"),
                       failures=failures)


def create_app(settings: Settings, *, migrate: bool = True,
               read_access: ReadAccess | None = None) -> ASGIApp:
    """The whole index as one ASGI app.

    With ``migrate`` (the default) the database is first brought to the newest schema; workers
    started by a parent that migrated already pass False, so they never race each other.
    The blob store, change feed, purger and rate-limit counters follow the settings (local,
    file and memory by default; S3, Redis and HTTP PURGE when configured). ``read_access``
    decides who may read what (web/reads.py); by default everyone, or on a private index
    (``settings.private``) whoever presents an API token that verifies, with the failures of
    that limited per client address (``read_auth_failure_rate``).
    """
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.resolved_database_url)
    if migrate:
        db.migrate()
    blobs = open_blob_store(settings)
    feed = open_change_feed(settings)
    on_commit = CommitHook(feed, open_purger(settings))
    readmes = ReadmeSandbox(timeout=settings.readme_timeout)
    readmes.start()
    tokens = TokenService(db, policy=TokenPolicy(settings.two_factor_required,
                                                 settings.public_base_url,
                                                 settings.critical_grace_period))
    notices = ProvenanceNotices(db, open_sender(settings), mail_from=settings.mail_sender,
                                base_url=settings.public_base_url)
    uploads = UploadService(db, blobs, PublisherTokens(db, tokens), settings.limits,
                            render=readmes, on_commit=on_commit,
                            verifier=AttestationVerifier(settings.attestation_trusted_root),
                            on_provenance_change=notices.tell)
    reader = IndexReader(db, blobs, feed, base_url=settings.public_base_url)
    downloads = DownloadCounter(db)
    endpoint = LegacyUpload(uploads)
    upload: ASGIApp = endpoint
    upload_limits = parse_rate(settings.upload_rate, "upload_rate")
    failure_limits = parse_rate(settings.auth_failure_rate, "auth_failure_rate")
    if upload_limits or failure_limits:
        upload = RateLimits(upload, open_storage(settings), uploads=upload_limits,
                            auth_failures=failure_limits)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        downloads.start()
        yield
        downloads.close()
        endpoint.close()
        readmes.close()
        db.dispose()

    # Reads and uploads are answered outside the framework: they pass through nothing else.
    site = _site(settings, db, on_commit, tokens, reader)
    framework = Starlette(routes=[*upload_routes(upload), *_oidc(settings, db, on_commit),
                                  *account_routes(site), *vulnerability_report_routes(
                                      db, tokens, on_commit=on_commit,
                                      keys=settings.report_keys,
                                      reporters=settings.reporters)], lifespan=lifespan)

    def authenticate(credentials: Credentials, project: str | None) -> Principal:
        if credentials.session is not None:  # a signed-in browser reads every project
            return session_reader(site, site.sessions.principal(credentials.session,
                                                                now=utcnow()))
        return tokens.authenticate(credentials, project=project or "", now=utcnow(),
                                   action=READ)

    if read_access is None:
        read_access = SIGNED_IN if settings.private else PUBLIC
    read_failures = parse_rate(settings.read_auth_failure_rate, "read_auth_failure_rate")
    failures = None
    if read_failures and read_access is not PUBLIC:  # a public index authenticates no read
        failures = AddressFailures(open_storage(settings), read_failures,
                                   kind="read-auth-failures")

    return CatchAll(OsvApi(Reads(UploadsFirst(framework, upload), reader,
                                 base_url=settings.public_base_url, access=read_access,
                                 authenticate=authenticate,
                                 connection_limits=settings.connection_limits,
                                 count_download=downloads.count, failures=failures), db))
