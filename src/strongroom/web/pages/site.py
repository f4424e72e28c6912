"""What every account page shares: the services it calls, the visit it answers, reading and
checking its form, and turning its answer (a page or a redirect) into a response with the
visit's cookies.

Services run in worker threads (they wait on the database, the password hasher and the mail
server); the event loop only parses and renders.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar
from urllib.parse import quote

from limits import RateLimitItem
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from strongroom.accounts import (
    AccountService,
    Addresses,
    Links,
    Logins,
    SecondFactors,
    SecurityKeys,
    SessionService,
)
from strongroom.config import TwoFactorRequired
from strongroom.db.base import utcnow
from strongroom.domain.osvapi import Mark
from strongroom.errors import StrongroomError, TooManyAttempts
from strongroom.history import History
from strongroom.mail import Sender, compose
from strongroom.oidc import Issuers, PublisherService
from strongroom.projects import InvitationService, RoleService, TeamService
from strongroom.tokens import TokenService
from strongroom.web.errors import status_for
from strongroom.web.pages.forms import read_form
from strongroom.web.pages.templates import PAGE_HEADERS, Templates
from strongroom.web.pages.visits import (
    SESSION_COOKIE,
    Visit,
    anonymous_csrf,
    check_form,
    client_address,
    cookie_value,
    set_cookies,
)
from strongroom.web.ratelimit import Throttle

P = ParamSpec("P")
T = TypeVar("T")
_USER_AGENT_CHARS = 300


@dataclass(frozen=True)
class AccountLimits:
    """Attempts allowed: logins per address and per user name, mails asked for (register,
    reset, verification, new address) per address and per recipient, second-factor codes per
    user."""

    login: list[RateLimitItem]
    mail: list[RateLimitItem]
    two_factor: list[RateLimitItem]


@dataclass(frozen=True)
class Site:
    """The account pages' services and settings."""

    accounts: AccountService
    logins: Logins
    factors: SecondFactors
    addresses: Addresses
    history: History
    roles: RoleService
    invitations: InvitationService
    teams: TeamService
    sessions: SessionService
    links: Links
    sender: Sender
    mail_from: str
    base_url: str
    templates: Templates
    throttle: Throttle
    limits: AccountLimits
    registration_open: bool
    keys: SecurityKeys
    tokens: TokenService
    two_factor_required: TwoFactorRequired
    publishers: PublisherService
    issuers: Issuers
    # A project's (normalised name) releases that advisories affect, with their marks.
    vulnerable_releases: Callable[[str], list[tuple[str, list[Mark]]]]

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")

    async def call(self, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``function`` in a worker thread."""
        return await run_in_threadpool(function, *args, **kwargs)

    async def visit(self, request: Request) -> Visit:
        """Who is asking: their live session, if their cookie names one."""
        now = utcnow()
        cookies: dict[str, str] = {}
        secret = cookie_value(request, SESSION_COOKIE)
        session = await self.call(self.sessions.find, secret, now=now) if secret else None
        if secret is not None and session is None:
            cookies[SESSION_COOKIE] = ""  # ended or expired: forget it
            secret = None
        csrf = session.csrf if session else anonymous_csrf(request, cookies)
        return Visit(secret=secret, session=session, csrf=csrf,
                     address=client_address(request),
                     user_agent=request.headers.get("user-agent", "")[:_USER_AGENT_CHARS],
                     now=now, cookies=cookies)

    async def form(self, request: Request, visit: Visit) -> dict[str, str]:
        """The posted form, once it is known to come from this site's own page."""
        form = await read_form(request)
        check_form(request, visit, form)
        return form

    def answer(self, response: Response, visit: Visit) -> Response:
        set_cookies(response, visit, secure=self.secure_cookies)
        return response

    def page(self, name: str, visit: Visit, *, status: int = 200, **context: Any) -> Response:
        return self.answer(self.templates.page(name, visit, status=status, **context), visit)

    def redirect(self, url: str, visit: Visit) -> Response:
        """See Other: a form's answer, so that reloading does not post it again."""
        return self.answer(RedirectResponse(url, status_code=303, headers=PAGE_HEADERS), visit)

    def to_login(self, request: Request, visit: Visit) -> Response:
        """Send an anonymous visitor to log in, and back here afterwards."""
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return self.redirect(f"/account/login?next={quote(target, safe='')}", visit)

    # The counters may be in Redis: each of these waits in a worker thread, never on the
    # event loop, so a slow Redis delays this visitor and no one else.

    async def limit(self, items: list[RateLimitItem], *identifiers: str) -> None:
        """Count an attempt; raises TooManyAttempts when over the limit."""
        await self.refuse_when_over(items, *identifiers)
        await self.count(items, *identifiers)

    async def refuse_when_over(self, items: list[RateLimitItem], *identifiers: str) -> None:
        """Raise TooManyAttempts when the attempts counted already reach a limit (failures
        are counted with ``count``)."""
        wait = await self.call(self.throttle.retry_after, items, *identifiers)
        if wait is not None:
            raise TooManyAttempts(wait)

    async def count(self, items: list[RateLimitItem], *identifiers: str) -> None:
        """Count one attempt (a failure, where only failures count) against ``items``."""
        await self.call(self.throttle.hit, items, *identifiers)

    def send(self, to: str, subject: str, text: str) -> None:
        """Mail ``text`` to ``to`` (in a worker thread: SMTP waits)."""
        self.sender.send(compose(sender=self.mail_from, to=to, subject=subject, text=text))

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"


Handler = Callable[[Site, Request], Awaitable[Response]]


def guarded(handler: Handler) -> Handler:
    """An account page whose refusals (bad form, CSRF, limits, mail down) become an error page
    with the refusal's words and status; a page that can say it better catches them first."""

    @functools.wraps(handler)
    async def page(site: Site, request: Request) -> Response:
        try:
            return await handler(site, request)
        except StrongroomError as error:
            visit = await site.visit(request)
            response = site.page("error.html", visit, status=status_for(error),
                                 error=error.message)
            if isinstance(error, TooManyAttempts):
                response.headers["Retry-After"] = str(error.retry_after)
            return response

    return page
