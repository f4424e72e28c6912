"""Reading an upload's ``multipart/form-data`` body into its text fields and its file part.

The body is parsed as it arrives by ``multipart``'s push parser (sans-I/O; on twine's forms
about four times faster here than Starlette's parser over python-multipart). The file part
named ``content`` goes to a spooled file, in memory up to 1 MiB; other file parts are skipped,
as PyPI ignores them. Every limit is checked while reading, so an
oversized or malformed body is refused before it is read to the end:

- more bytes in all than the form's project allows (``BodyLimit``; a declared Content-Length
  over every project's allowance is refused unread);
- more than ``max_fields`` parts, or a text field over ``max_field_size`` bytes;
- a part without a name, a text field that is not UTF-8, or a stream that breaks off.

A body that is not ``multipart/form-data`` holds no form, which the upload's own checks then
refuse (an unknown ``:action``). Errors are ``InvalidInput`` (``TooLarge`` for size) with a message
naming what is wrong.
"""

from __future__ import annotations

import asyncio
import io
import tempfile
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import BinaryIO, cast

import multipart

from strongroom.config import format_size
from strongroom.errors import InvalidInput, TooLarge

_SPOOL = 1024 * 1024  # bytes of the file part kept in memory before it spills to disk


@dataclass(frozen=True)
class BodyLimit:
    """How large a body may be. ``default`` bytes for a project with the index's default file
    limit; a larger body only when ``larger(name)`` (awaited at most twice per body, and only
    for bodies over ``default``) allows it: with the form's ``name`` field, that project's
    allowance; with None, the largest any project has (a body whose ``name`` comes after its
    file, or a declared length checked before anything is read). Every body within
    ``default`` costs no lookup."""

    default: int
    larger: Callable[[str | None], Awaitable[int]] | None = None

    async def allowance(self, project: str | None) -> int:
        """The most bytes a body for ``project`` (None: any project) may have."""
        if self.larger is None:
            return self.default
        return max(self.default, await self.larger(project))


def _too_large(limit: int) -> TooLarge:
    return TooLarge(f"File too large. Limit is {format_size(limit)} for the whole upload "
                    "request.")


@dataclass
class ReceivedForm:
    """The text fields (each name with every value sent, in order) and the file part."""

    fields: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    content: BinaryIO | None = None
    filename: str | None = None

    def close(self) -> None:
        """Free the file part's memory or temporary file."""
        if self.content is not None:
            self.content.close()


def _form_error(reason: str) -> InvalidInput:
    return InvalidInput(f"Invalid upload form: {reason}")


def _boundary(content_type: str) -> str | None:
    """The multipart boundary, or None when the body is not ``multipart/form-data``."""
    media_type, options = multipart.parse_options_header(content_type)
    if media_type != "multipart/form-data":
        return None
    boundary = options.get("boundary")
    if not boundary:
        raise _form_error("the Content-Type header has no boundary")
    return str(boundary)


class _Reader:
    """Turns the parser's events into fields and the file part, checking the limits."""

    def __init__(self, form: ReceivedForm, max_fields: int, max_field_size: int,
                 in_memory: bool) -> None:
        self.form = form
        self.in_memory = in_memory  # the whole body is known to fit the spool
        self.max_fields = max_fields
        self.max_field_size = max_field_size
        self.parts = 0
        self.name = ""
        self.value: bytearray | None = None  # the text field being read
        self.file: BinaryIO | None = None  # the file part being read, when it is "content"
        self.file_size = 0

    def begin(self, segment: multipart.MultipartSegment) -> None:
        self.parts += 1
        if self.parts > self.max_fields:
            raise _form_error(f"more than {self.max_fields} fields")
        if not segment.name:
            raise _form_error(f"part {self.parts} has no name in its Content-Disposition")
        self.name, self.value, self.file = segment.name, None, None
        if segment.filename is None:
            self.value = bytearray()
        elif segment.name == "content" and self.form.content is None:
            # A plain buffer when the whole body fits the spool (its reads cost less than the
            # spooled file's, and validation reads the file part many times in small pieces).
            # typeshed's SpooledTemporaryFile is an IO[bytes], not a BinaryIO; it is one.
            self.file = io.BytesIO() if self.in_memory else cast(
                BinaryIO, tempfile.SpooledTemporaryFile(max_size=_SPOOL))  # noqa: SIM115 - the form owns and closes it
            self.form.content, self.form.filename = self.file, segment.filename

    async def data(self, chunk: bytes) -> None:
        if self.value is not None:
            if len(self.value) + len(chunk) > self.max_field_size:
                raise _form_error(f"field {self.name!r} is larger than "
                                  f"{self.max_field_size // 2**20} MiB")
            self.value += chunk
        elif self.file is not None:
            self.file_size += len(chunk)
            if self.file_size > _SPOOL:
                # Past the spool size the file is on disk: write off the event loop.
                await asyncio.get_running_loop().run_in_executor(None, self.file.write, chunk)
            else:
                self.file.write(chunk)

    async def read(self, parser: multipart.PushMultipartParser, chunks: AsyncIterator[bytes],
                   limit: BodyLimit, declared: int | None) -> None:
        """Feed every chunk to ``parser`` and act on its events, to the end of the stream."""
        received, allowed, widened = 0, limit.default, False
        async for chunk in chunks:
            received += len(chunk)
            if received > allowed and not widened:
                # Past the default: the form's project (its name field came first, as twine
                # sends it) may allow more; a body declared longer than that stops here.
                names = self.form.fields.get("name")
                allowed = await limit.allowance(names[0].strip() if names else None)
                widened = True
                if declared is not None and declared > allowed:
                    raise _too_large(allowed)
            if received > allowed:
                raise _too_large(allowed)
            for event in parser.parse(chunk):
                if isinstance(event, multipart.MultipartSegment):
                    self.begin(event)
                elif event is None:
                    self.end()
                else:
                    await self.data(event)
        parser.close()

    def end(self) -> None:
        if self.value is not None:
            try:
                self.form.fields[self.name].append(self.value.decode("utf-8"))
            except UnicodeDecodeError:
                raise _form_error(f"field {self.name!r} is not UTF-8 text") from None
        self.value = None


async def read_form(content_type: str, declared_length: str, chunks: AsyncIterator[bytes], *,
                    max_body: BodyLimit, max_fields: int, max_field_size: int) -> ReceivedForm:
    """Parse a request body given its Content-Type and Content-Length headers and its chunks.

    Returns the form, rewound to the start of its file part; the caller closes it. Raises
    TooLarge or InvalidInput as the module docstring lists, having closed what it opened.
    """
    declared = int(declared_length) if declared_length.isdigit() else None
    if declared is not None and declared > max_body.default:
        largest = await max_body.allowance(None)
        if declared > largest:
            raise _too_large(largest)
    form = ReceivedForm()
    boundary = _boundary(content_type)
    if boundary is None:
        return form
    parser = multipart.PushMultipartParser(boundary, max_header_count=16)
    try:
        in_memory = declared is not None and declared <= _SPOOL
        await _Reader(form, max_fields, max_field_size, in_memory).read(parser, chunks, max_body,
                                                                        declared)
    except multipart.MultipartError as exc:
        form.close()
        raise _form_error(str(exc)) from None
    except BaseException:  # a refused form, or a client gone mid-body: free the file part
        form.close()
        raise
    if form.content is not None:
        form.content.seek(0)
    return form
