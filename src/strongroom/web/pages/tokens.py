"""The user's API tokens: the list (never a secret), making one, revoking one.

A new token is shown once, on the answer to the form that made it (pages are never cached);
afterwards only its description and limits are. Making a token is sensitive: it asks for the
password again when it was last given more than 30 minutes ago. A token is limited, if at all,
to one project on which the user may upload (the form lists them; the token service checks the
choice again, whatever the form sent). Under a two-factor policy that covers the token, a user
without a second factor is told to set one up, and the token service refuses the token. A user
revokes only their own tokens: another's id is "no token with id", as an unknown one is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from strongroom.errors import Forbidden, InvalidInput, NotFound
from strongroom.web.errors import status_for
from strongroom.web.pages.reauth import needs_password
from strongroom.web.pages.site import Site, guarded
from strongroom.web.pages.visits import Visit

TOKENS = "/account/tokens"
NEW_TOKEN = "/account/tokens/new"  # noqa: S105 - a path, not a secret
# The lifetimes the form offers, by the value it sends: days, or None for never.
EXPIRIES: dict[str, int | None] = {"never": None, "30": 30, "90": 90, "365": 365}


@dataclass(frozen=True)
class _Request:
    """What the new-token form asks for."""

    description: str
    project: str | None  # None: every project of the user
    read_only: bool
    expires_in: dt.timedelta | None


def _read(form: dict[str, str]) -> _Request:
    """The form's choices. Raises InvalidInput for a lifetime the form does not offer."""
    expiry = form.get("expires", "never")
    if expiry not in EXPIRIES:
        raise InvalidInput(f"expires: {expiry!r} is not one of the lifetimes offered "
                           "(never, 30, 90 or 365 days)")
    days = EXPIRIES[expiry]
    return _Request(description=form.get("description", "").strip(),
                    project=form.get("project", "").strip() or None,
                    read_only=form.get("read_only") == "on",
                    expires_in=dt.timedelta(days=days) if days else None)


def _username(visit: Visit) -> str:
    """The signed-in user's name (callers checked that someone is signed in)."""
    return visit.session.username or "" if visit.session else ""


@guarded
async def tokens(site: Site, request: Request) -> Response:
    """GET: the user's tokens, each with a button that revokes it."""
    visit = await site.visit(request)
    if visit.user_id is None:
        return site.to_login(request, visit)
    notice = "The token was revoked." if "revoked" in request.query_params else None
    return await _list(site, visit, notice=notice)


async def _list(site: Site, visit: Visit, *, status: int = 200, error: str | None = None,
                notice: str | None = None) -> Response:
    listed = await site.call(site.tokens.list_for, _username(visit))
    return site.page("tokens.html", visit, status=status, tokens=listed, now=visit.now,
                     error=error, notice=notice)


@guarded
async def new_token(site: Site, request: Request) -> Response:
    """GET: the form. POST: make the token and show it, this once."""
    visit = await site.visit(request)
    if visit.user_id is None:
        return site.to_login(request, visit)
    if needs_password(visit):
        return site.redirect(f"/account/reauth?next={NEW_TOKEN}", visit)
    if request.method == "GET":
        return await _form(site, visit, visit.user_id, {})
    form = await site.form(request, visit)
    try:
        wanted = _read(form)
        secret = await site.call(
            site.tokens.create, _username(visit), now=visit.now, project=wanted.project,
            expires_in=wanted.expires_in, description=wanted.description,
            read_only=wanted.read_only, client=visit.client)
    except (InvalidInput, Forbidden, NotFound) as error:
        return await _form(site, visit, visit.user_id, form, status=status_for(error),
                           error=error.message)
    return site.page("token_created.html", visit, secret=secret, wanted=wanted,
                     upload_url=site.url("/legacy/"),
                     notice="Copy the token now: it is shown only this once.")


async def _form(site: Site, visit: Visit, user_id: int, form: dict[str, str], *,
                status: int = 200, error: str | None = None) -> Response:
    projects = await site.call(site.tokens.projects_for, _username(visit))
    factor = await site.call(site.accounts.has_second_factor, user_id)
    required = site.two_factor_required
    return site.page("token_new.html", visit, status=status, error=error, form=form,
                     projects=projects, expiries=list(EXPIRIES),
                     factor_needed_for_upload=not factor and required.covers_token(
                         read_only=False),
                     factor_needed_for_reading=not factor and required.covers_token(
                         read_only=True))


@guarded
async def revoke(site: Site, request: Request) -> Response:
    """POST only: revoke one of the user's own tokens."""
    visit = await site.visit(request)
    if visit.user_id is None:
        return site.to_login(request, visit)
    form = await site.form(request, visit)
    try:
        await site.call(site.tokens.revoke, form.get("token_id", ""), now=visit.now,
                        user_id=visit.user_id, client=visit.client)
    except NotFound as error:
        return await _list(site, visit, status=status_for(error), error=error.message)
    return site.redirect(f"{TOKENS}?revoked=1", visit)
