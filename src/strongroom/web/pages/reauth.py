"""Asking for the password again before a sensitive action (addresses, password, second
factors, tokens) when it was last given more than 30 minutes ago."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from strongroom.errors import NotAuthenticated
from strongroom.web.pages.site import Site, guarded
from strongroom.web.pages.visits import Visit, safe_next


def needs_password(visit: Visit) -> bool:
    """Whether the signed-in visitor must give their password again first."""
    return visit.session is None or not visit.session.recently_authenticated(visit.now)


@guarded
async def reauthenticate(site: Site, request: Request) -> Response:
    visit = await site.visit(request)
    if visit.user_id is None or visit.secret is None:
        return site.to_login(request, visit)
    target = safe_next(request.query_params.get("next"))
    if request.method == "GET":
        return site.page("reauth.html", visit, next=target)
    form = await site.form(request, visit)
    target = safe_next(form.get("next"))
    await site.refuse_when_over(site.limits.login, "login-address", visit.address)
    try:
        await site.call(site.logins.confirm, visit.user_id, form.get("password", ""),
                        visit.client, now=visit.now)
    except NotAuthenticated:
        await site.count(site.limits.login, "login-address", visit.address)
        return site.page("reauth.html", visit, status=401, next=target,
                         error="That password is not right.")
    await site.call(site.sessions.reauthenticated, visit.secret, now=visit.now)
    return site.redirect(target, visit)
