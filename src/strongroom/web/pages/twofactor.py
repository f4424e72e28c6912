"""Second factors on the web: the login's second step (a TOTP code or a recovery code; a
security key through pages/keys.py), and setting up TOTP and recovery codes.

A user with a second factor is not signed in until they give it (accounts/sessions.py); codes
are limited per user. Setting up TOTP shows the secret as a QR code and as text, and stores it
once the app's first code matches; recovery codes are shown once, when made.
"""

from __future__ import annotations

import segno
from starlette.requests import Request
from starlette.responses import Response

from strongroom.errors import Conflict, InvalidInput
from strongroom.web.errors import status_for
from strongroom.web.pages.reauth import needs_password
from strongroom.web.pages.site import Site, guarded
from strongroom.web.pages.visits import Visit, safe_next

# Shown when the two-factor policy sent the user here (web/pages/required.py).
_REQUIRED = ("This index requires two-factor authentication: set up an authenticator app here, "
             "or a security key at /account/keys, to use your account. Until then you can only "
             "set one up, verify your address or log out.")


@guarded
async def second_step(site: Site, request: Request) -> Response:
    """The login's second step, for a visitor who gave their password and owes a factor."""
    visit = await site.visit(request)
    user_id, secret = visit.pending_user_id, visit.secret
    target = safe_next(request.query_params.get("next"))
    if user_id is None or secret is None:
        return site.redirect(target if visit.user_id else "/account/login", visit)
    # A user with security keys is offered them too (pages/keys.py checks their answers).
    keys = (await site.call(site.factors.state, user_id)).security_keys > 0
    if request.method == "GET":
        return site.page("two_factor.html", visit, next=target, security_key=keys)
    form = await site.form(request, visit)
    target = safe_next(form.get("next"))
    await site.refuse_when_over(site.limits.two_factor, "two-factor", str(user_id))
    code = form.get("code", "")
    accepted = await site.call(site.factors.verify, user_id, code, visit.client,
                               now=visit.now)
    if not accepted:
        await site.count(site.limits.two_factor, "two-factor", str(user_id))
        return site.page("two_factor.html", visit, status=401, next=target,
                         security_key=keys, error="That code is not right, or was used already.")
    visit.signed_in_as(await site.call(site.sessions.second_factor_given, secret,
                                       now=visit.now))
    return site.redirect(target, visit)


def _qr(uri: str) -> str:
    return str(segno.make(uri, error="m").svg_data_uri(scale=5))


@guarded
async def totp(site: Site, request: Request) -> Response:
    """GET: a new secret to scan. POST ``action=confirm`` stores it once its code matches
    (and makes recovery codes, shown once, if the user has none); ``action=remove`` removes
    TOTP."""
    visit = await site.visit(request)
    if visit.user_id is None or visit.secret is None:
        return site.to_login(request, visit)
    if needs_password(visit):
        return site.redirect("/account/reauth?next=/account/totp", visit)
    user_id = visit.user_id
    if request.method == "GET":
        return await _enrolment_page(site, visit, user_id, notice=_REQUIRED
                                     if "required" in request.query_params else None)
    form = await site.form(request, visit)
    if form.get("action") == "remove":
        await site.call(site.factors.remove_totp, user_id, visit.client, now=visit.now)
        return site.redirect("/account/?totp-removed=1", visit)
    await site.refuse_when_over(site.limits.two_factor, "two-factor", str(user_id))
    try:
        codes = await site.call(site.factors.confirm_totp, user_id, form.get("secret", ""),
                                form.get("code", ""), visit.client, now=visit.now)
    except (InvalidInput, Conflict) as error:
        await site.count(site.limits.two_factor, "two-factor", str(user_id))
        return await _enrolment_page(site, visit, user_id, status=status_for(error),
                                     error=error.message, secret=form.get("secret", ""))
    # The factor was just proven in this session: it stays signed in.
    visit.signed_in_as(await site.call(site.sessions.second_factor_given, visit.secret,
                                       now=visit.now))
    return site.page("recovery_codes.html", visit, codes=codes,
                     notice="TOTP is set up. Keep your recovery codes somewhere safe."
                     if codes else "TOTP is set up.")


async def _enrolment_page(site: Site, visit: Visit, user_id: int, *, status: int = 200,
                          error: str | None = None, secret: str = "",
                          notice: str | None = None) -> Response:
    state = await site.call(site.factors.state, user_id)
    if state.totp:
        return site.page("totp.html", visit, status=status, enrolled=True, error=error)
    enrolment = await site.call(site.factors.enrol_totp, user_id, secret=secret or None)
    return site.page("totp.html", visit, status=status, enrolled=False, error=error,
                     notice=notice, secret=enrolment.secret, qr=_qr(enrolment.uri))


@guarded
async def recovery_codes(site: Site, request: Request) -> Response:
    """POST: a new set of recovery codes (the old set stops working), shown once."""
    visit = await site.visit(request)
    if visit.user_id is None:
        return site.to_login(request, visit)
    if request.method == "GET" or needs_password(visit):
        target = "/account/reauth?next=/account/" if needs_password(visit) else "/account/"
        return site.redirect(target, visit)
    await site.form(request, visit)
    codes = await site.call(site.factors.new_recovery_codes, visit.user_id, visit.client,
                            now=visit.now)
    return site.page("recovery_codes.html", visit, codes=codes,
                     notice="New recovery codes: the old ones no longer work.")
