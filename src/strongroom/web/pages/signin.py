"""Logging in and out, and registering.

Login takes a user name and password (a second factor follows on pages/twofactor.py for a user
who has one). Failed logins are limited per client address and per user name; a success
starts a new session under a new secret whatever cookie came with the form, so a session
planted before login is worth nothing. After login the browser goes where ``next`` said, if
that is a page of this site.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from strongroom.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotAuthenticated,
)
from strongroom.web.errors import status_for
from strongroom.web.pages.site import Site, guarded
from strongroom.web.pages.visits import safe_next

_LOGIN_FAILED = "The user name or password is not right."


@guarded
async def login(site: Site, request: Request) -> Response:
    visit = await site.visit(request)
    target = safe_next(request.query_params.get("next"))
    if request.method == "GET":
        if visit.user_id is not None:
            return site.redirect(target, visit)
        return site.page("login.html", visit, next=target, login_name="")
    form = await site.form(request, visit)
    name = form.get("username", "").strip()
    target = safe_next(form.get("next"))
    limits = site.limits.login
    await site.refuse_when_over(limits, "login-address", visit.address)
    await site.refuse_when_over(limits, "login-user", name.lower())
    try:
        user_id = await site.call(site.logins.log_in, name, form.get("password", ""),
                                  visit.client, now=visit.now)
    except NotAuthenticated:
        await site.count(limits, "login-address", visit.address)
        await site.count(limits, "login-user", name.lower())
        return site.page("login.html", visit, status=401, next=target, login_name=name,
                         error=_LOGIN_FAILED)
    visit.signed_in_as(await site.call(site.sessions.sign_in, visit.secret, user_id,
                                       now=visit.now))
    session = await site.call(site.sessions.find, visit.secret or "", now=visit.now)
    if session is not None and session.pending_user_id is not None:
        return site.redirect(f"/account/two-factor?next={target}", visit)
    return site.redirect(target, visit)


@guarded
async def logout(site: Site, request: Request) -> Response:
    visit = await site.visit(request)
    if request.method == "GET":
        return site.page("logout.html", visit)
    await site.form(request, visit)
    if visit.secret is not None:
        await site.call(site.sessions.end, visit.secret, visit.client, now=visit.now)
    visit.signed_out()
    return site.redirect("/account/login", visit)


@guarded
async def register(site: Site, request: Request) -> Response:
    visit = await site.visit(request)
    if not site.registration_open:
        raise Forbidden("this index does not take new accounts; ask its administrators for "
                        "an invitation")
    if visit.user_id is not None:
        return site.redirect("/account/", visit)
    if request.method == "GET":
        return site.page("register.html", visit, form={})
    form = await site.form(request, visit)
    await site.limit(site.limits.mail, "mail-address", visit.address)
    username, address = form.get("username", "").strip(), form.get("email", "").strip()
    password = form.get("password", "")
    if password != form.get("password_confirm", ""):
        return site.page("register.html", visit, status=400, form=form,
                         error="password: the two passwords differ")
    try:
        user = await site.call(site.accounts.create_user, username, email=address,
                               password=password, client=visit.client, now=visit.now)
    except (InvalidInput, Conflict) as error:
        return site.page("register.html", visit, status=status_for(error), form=form,
                         error=error.message)
    link = await site.call(site.links.verification, user.id, address, now=visit.now)
    await site.call(site.send, link.address, "Verify your e-mail address",
                    verification_text(site, link.username, link.secret))
    visit.signed_in_as(await site.call(site.sessions.sign_in, visit.secret, user.id,
                                       now=visit.now))
    return site.redirect("/account/?registered=1", visit)


def verification_text(site: Site, username: str, secret: str) -> str:
    """The mail asking ``username`` to verify an address."""
    return (f"Hello {username},\n\nplease verify this e-mail address for your account on "
            f"{site.base_url} by opening this link within 24 hours:\n\n"
            f"{site.url('/account/verify-email?token=' + secret)}\n\n"
            "If you did not ask for this, ignore this mail.\n")
