"""``two_factor_required = everyone`` on the account pages: a signed-in user without a second
factor may only set one up. Every other page sends them to ``/account/totp``; the pages left
open are those that sign in and out, set up a second factor, confirm the password first (set-up
asks for it) and use a mailed link (verify an address, reset a password).

Under any other policy the pages are left as they are, at no cost. Under ``everyone`` a gated
page asks the database whether the user has a second factor before the page runs, and a
signed-in browser without one reads nothing from a private index either (``session_reader``).
"""

from __future__ import annotations

import functools

from starlette.requests import Request
from starlette.responses import Response

from strongroom.domain.principals import Principal
from strongroom.errors import Forbidden
from strongroom.web.pages.site import Handler, Site, guarded

SET_UP = "/account/totp?required=1"
OPEN = frozenset({
    "/account/login", "/account/logout", "/account/register", "/account/two-factor",
    "/account/reauth", "/account/totp", "/account/verify-email", "/account/reset",
    "/account/reset/confirm",
})
# Security keys are a second factor too: their pages stay open, as do the login's second step's.
OPEN_UNDER = ("/account/keys", "/account/two-factor")


def is_open(path: str) -> bool:
    """Whether the page at ``path`` serves a user who still owes a second factor."""
    return path in OPEN or any(path == prefix or path.startswith(prefix + "/")
                               for prefix in OPEN_UNDER)


def second_factor_gate(site: Site, path: str, handler: Handler) -> Handler:
    """``handler``, the page at ``path``, behind the policy's gate when the policy has one
    and the page is not open."""
    if not site.two_factor_required.covers_web or is_open(path):
        return handler

    @functools.wraps(handler)
    async def gated(site: Site, request: Request) -> Response:
        visit = await site.visit(request)
        if visit.user_id is not None and not await site.call(site.accounts.has_second_factor,
                                                             visit.user_id):
            return site.redirect(SET_UP, visit)
        return await handler(site, request)

    return guarded(gated)


def session_reader(site: Site, principal: Principal) -> Principal:
    """``principal``, a signed-in browser reading a private index, unless the policy covers
    the web and its user has no second factor: Forbidden then, saying where to set one up.
    (Runs in a worker thread: it may ask the database.)"""
    if (site.two_factor_required.covers_web and principal.user_id is not None
            and not site.accounts.has_second_factor(principal.user_id)):
        raise Forbidden("this index requires two-factor authentication: set it up at "
                        f"{site.url('/account/totp')} to read it signed in",
                        principal=principal)
    return principal
