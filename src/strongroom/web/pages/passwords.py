"""Changing a password (signed in, old password required) and resetting a forgotten one
through a mailed link.

A reset is asked for by user name or address and mailed only to a verified address; the page
says the same whether or not an account matched, so nobody learns who has an account here.
A reset link works once, for an hour. Either way the password changes, every other session of
the account ends.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from strongroom.errors import InvalidInput, NotAuthenticated
from strongroom.web.pages.site import Site, guarded

_RESET_SENT = ("If an account matches, we sent a reset link to its verified address. "
               "It works once, within an hour.")


def _new_password(form: dict[str, str]) -> str:
    password = form.get("new_password", "")
    if password != form.get("password_confirm", ""):
        raise InvalidInput("password: the two new passwords differ")
    return password


@guarded
async def change(site: Site, request: Request) -> Response:
    visit = await site.visit(request)
    if visit.user_id is None or visit.secret is None:
        return site.to_login(request, visit)
    if request.method == "GET":
        return site.page("password.html", visit)
    form = await site.form(request, visit)
    try:
        await site.call(site.logins.change_password, visit.user_id,
                        form.get("password", ""), _new_password(form), visit.client,
                        keep=visit.secret, now=visit.now)
    except NotAuthenticated:
        return site.page("password.html", visit, status=401,
                         error="Your current password is not right.")
    except InvalidInput as error:
        return site.page("password.html", visit, status=400, error=error.message)
    return site.redirect("/account/?password=1", visit)


@guarded
async def ask_reset(site: Site, request: Request) -> Response:
    visit = await site.visit(request)
    if request.method == "GET":
        return site.page("reset.html", visit)
    form = await site.form(request, visit)
    who = form.get("who", "").strip()
    await site.limit(site.limits.mail, "mail-address", visit.address)
    await site.limit(site.limits.mail, "mail-recipient", who.lower())
    link = await site.call(site.links.password_reset, who, now=visit.now)
    if link is not None:
        await site.call(site.send, link.address, "Reset your password", (
            f"Hello {link.username},\n\nsomeone (we hope you) asked to reset the password of "
            f"your account on {site.base_url}. Open this link within an hour to choose a new "
            f"one:\n\n{site.url('/account/reset/confirm?token=' + link.secret)}\n\n"
            f"The request came from {visit.address}. If it was not you, ignore this mail: "
            "your password stays as it is.\n"))
    return site.page("reset.html", visit, notice=_RESET_SENT)


@guarded
async def reset(site: Site, request: Request) -> Response:
    """GET shows the form (the link's secret travels on in it), POST uses the link."""
    visit = await site.visit(request)
    if request.method == "GET":
        return site.page("reset_confirm.html", visit, token=request.query_params.get("token", ""))
    form = await site.form(request, visit)
    token = form.get("token", "")
    try:
        username = await site.call(site.logins.reset_password, token, _new_password(form),
                                   visit.client, now=visit.now)
    except InvalidInput as error:
        return site.page("reset_confirm.html", visit, status=400, token=token,
                         error=error.message)
    if visit.secret is not None:  # whoever was signed in here is signed out
        await site.call(site.sessions.end, visit.secret, visit.client, now=visit.now)
        visit.signed_out()
    return site.page("login.html", visit, next="/account/", login_name=username,
                     notice="Your password was changed. Log in with it.")
