"""The security history as its people see it: a user's own events, newest first, a page at a
time (``?before=`` the last id shown); and downloads as JSON lines, oldest first, in the
format of ``strongroom admin history export``: a user's own events, and a project's for its
Owners.

A project's download leaves out the address and user agent of each event: its events are
caused by several people (co-maintainers making tokens, invitees answering), and the page that
shows them to the Owners leaves those out too. A user's own download keeps them, as their page
does. The export is written to a spooled file (memory up to ``SPOOL_BYTES``, then disk) in one
read of the database and sent from there, so a slow client holds no database connection and
memory stays flat however long the history is.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from typing import IO

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from strongroom.domain.names import normalize
from strongroom.errors import Forbidden
from strongroom.projects import OWNER
from strongroom.web.pages.site import Site, guarded
from strongroom.web.pages.templates import PAGE_HEADERS
from strongroom.web.pages.visits import Visit

PAGE_SIZE = 50
JSON_LINES = "application/x-ndjson"
SPOOL_BYTES = 1024 * 1024
_CHUNK = 64 * 1024

# Writes the export to the callable it is given; returns how many events it wrote.
Export = Callable[[Callable[[str], object]], int]


def _before(request: Request) -> int | None:
    value = request.query_params.get("before", "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 19 else None


@guarded
async def own(site: Site, request: Request) -> Response:
    visit = await site.visit(request)
    if visit.user_id is None:
        return site.to_login(request, visit)
    events = await site.call(site.history.for_user, visit.user_id, limit=PAGE_SIZE,
                             before_id=_before(request))
    older = events[-1].id if len(events) == PAGE_SIZE else None
    return site.page("history.html", visit, events=events, older=older)


@guarded
async def own_download(site: Site, request: Request) -> Response:
    """The signed-in user's own events, with the addresses and user agents."""
    visit = await site.visit(request)
    if visit.user_id is None:
        return site.to_login(request, visit)
    user_id = visit.user_id
    return await _download(site, visit, "security-history.jsonl",
                           lambda write: site.history.export(write, user_id=user_id))


@guarded
async def project_download(site: Site, request: Request) -> Response:
    """The project's events, for its Owners only (Forbidden for anyone else, NotFound for an
    unknown project, as its page), without addresses and user agents."""
    visit = await site.visit(request)
    if visit.user_id is None:
        return site.to_login(request, visit)
    name = request.path_params["name"]
    if await site.call(site.roles.acting_role, name, by=visit.principal) != OWNER:
        raise Forbidden(f"only the Owners of project {name!r} may download its security "
                        "history", project=name, principal=visit.principal)
    # The project exists, so its normalised name is one PyPI allows: safe in a header.
    project = normalize(name)
    return await _download(site, visit, f"{project}-security-history.jsonl",
                           lambda write: site.history.export(write, project=project,
                                                             client=False))


async def _download(site: Site, visit: Visit, filename: str, export: Export) -> Response:
    # Closed by _chunks once sent, or here when the export fails.
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115
    try:
        await site.call(export, lambda line: spool.write(line.encode()))
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    headers = {**PAGE_HEADERS, "Content-Disposition": f'attachment; filename="{filename}"'}
    return site.answer(StreamingResponse(_chunks(spool), media_type=JSON_LINES,
                                         headers=headers), visit)


def _chunks(spool: IO[bytes]) -> Iterator[bytes]:
    with spool:
        while chunk := spool.read(_CHUNK):
            yield chunk
