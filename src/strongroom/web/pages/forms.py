"""Reading a page's form: ``application/x-www-form-urlencoded``, at most ``MAX_FORM_BYTES``
and ``MAX_FIELDS`` fields, UTF-8; a field sent twice keeps its first value."""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import Request

from strongroom.errors import InvalidInput, TooLarge

MAX_FORM_BYTES = 64 * 1024
MAX_FIELDS = 50


async def read_form(request: Request) -> dict[str, str]:
    """The form of ``request``. Raises InvalidInput for another content type, malformed
    UTF-8 or too many fields, and TooLarge past MAX_FORM_BYTES (without reading further)."""
    content_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise InvalidInput("send this form as application/x-www-form-urlencoded")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise TooLarge(f"a form may hold at most {MAX_FORM_BYTES // 1024} KiB")
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True,
                          max_num_fields=MAX_FIELDS, errors="strict")
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidInput(f"this form could not be read: {exc}") from exc
    form: dict[str, str] = {}
    for key, value in pairs:
        form.setdefault(key, value)
    return form
