"""The account page and the user's e-mail addresses: verifying one (from the mailed link),
adding one, choosing the primary one, removing one, asking for a new verification mail.

Changing addresses is sensitive (a reset goes to a verified address), so it asks for the
password again when it was last given more than 30 minutes ago (pages/reauth.py).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from strongroom.errors import Conflict, InvalidInput, NotFound
from strongroom.web.errors import status_for
from strongroom.web.pages.reauth import needs_password
from strongroom.web.pages.signin import verification_text
from strongroom.web.pages.site import Site, guarded
from strongroom.web.pages.visits import Visit

_NOTICES = {
    "registered": "Welcome! We sent you a mail: open its link to verify your address.",
    "verification": "We sent a new verification mail.",
    "added": "Address added. We sent a mail to it: open its link to verify it.",
    "password": "Your password was changed; your other sessions were logged out.",
    "totp-removed": "The authenticator app was removed from your account.",
}


async def _overview(site: Site, visit: Visit, *, status: int = 200, error: str | None = None,
                    notice: str | None = None) -> Response:
    assert visit.user_id is not None  # noqa: S101 - callers checked
    addresses = await site.call(site.addresses.of, visit.user_id)
    factors = await site.call(site.factors.state, visit.user_id)
    return site.page("account.html", visit, status=status, addresses=addresses,
                     factors=factors, error=error, notice=notice)


@guarded
async def account(site: Site, request: Request) -> Response:
    visit = await site.visit(request)
    if visit.user_id is None:
        return site.to_login(request, visit)
    notice = next((text for key, text in _NOTICES.items() if key in request.query_params),
                  None)
    return await _overview(site, visit, notice=notice)


@guarded
async def verify_email(site: Site, request: Request) -> Response:
    """GET shows a button, POST uses the link: mail scanners that open links must not use
    them up."""
    visit = await site.visit(request)
    token = request.query_params.get("token", "")
    if request.method == "GET":
        return site.page("verify_email.html", visit, token=token, verified=None)
    form = await site.form(request, visit)
    try:
        address = await site.call(site.links.verify, form.get("token", ""), visit.client,
                                  now=visit.now)
    except InvalidInput as error:
        return site.page("verify_email.html", visit, status=400, token="", verified=None,
                         error=error.message)
    return site.page("verify_email.html", visit, token="", verified=address)


@guarded
async def emails(site: Site, request: Request) -> Response:
    """POST only: the account page's address forms (``action``: add, verify, primary,
    remove)."""
    visit = await site.visit(request)
    if visit.user_id is None:
        return site.to_login(request, visit)
    form = await site.form(request, visit)
    action, address = form.get("action", ""), form.get("address", "").strip()
    if action in ("add", "primary", "remove") and needs_password(visit):
        return site.redirect("/account/reauth?next=/account/", visit)
    try:
        target = await _change_address(site, visit, visit.user_id, action, address)
    except (InvalidInput, Conflict, NotFound) as error:
        return await _overview(site, visit, status=status_for(error), error=error.message)
    return site.redirect(target, visit)


async def _change_address(site: Site, visit: Visit, user_id: int, action: str,
                          address: str) -> str:
    """Do what the address form asked; returns where to go next."""
    if action == "add":
        await site.limit(site.limits.mail, "mail-address", visit.address)
        address = await site.call(site.addresses.add, user_id, address, visit.client,
                                  now=visit.now)
        await _send_verification(site, visit, user_id, address)
        return "/account/?added=1"
    if action == "verify":
        await site.limit(site.limits.mail, "mail-address", visit.address)
        await _send_verification(site, visit, user_id, address)
        return "/account/?verification=1"
    if action == "primary":
        await site.call(site.addresses.make_primary, user_id, address, visit.client,
                        now=visit.now)
    elif action == "remove":
        await site.call(site.addresses.remove, user_id, address, visit.client, now=visit.now)
    else:
        raise InvalidInput(f"unknown action {action!r}")
    return "/account/"


async def _send_verification(site: Site, visit: Visit, user_id: int, address: str) -> None:
    await site.limit(site.limits.mail, "mail-recipient", address.lower())
    link = await site.call(site.links.verification, user_id, address, now=visit.now)
    await site.call(site.send, link.address, "Verify your e-mail address",
                    verification_text(site, link.username, link.secret))
