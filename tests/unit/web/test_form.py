"""Reading upload forms: twine's multipart bodies, fed in chunks as uvicorn delivers them, and
every way a body can be malformed or too large, each refused with a message naming it."""

from __future__ import annotations

import asyncio
import gc
import io
from collections.abc import AsyncIterator

import pytest
from tests.builders import multipart_form as encode

from strongroom.errors import InvalidInput, TooLarge
from strongroom.web.form import BodyLimit, ReceivedForm, read_form

MiB = 2**20


async def _chunks(body: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start:start + size]


def read(content_type: str, body: bytes, *, chunk: int = 7, declared: str | None = None,
         max_body: int | BodyLimit = 64 * MiB, max_fields: int = 50, max_field_size: int = MiB
         ) -> ReceivedForm:
    length = str(len(body)) if declared is None else declared
    limit = max_body if isinstance(max_body, BodyLimit) else BodyLimit(max_body)
    return asyncio.run(read_form(content_type, length, _chunks(body, chunk), max_body=limit,
                                 max_fields=max_fields, max_field_size=max_field_size))


def test_fields_and_the_file_part_as_twine_sends_them() -> None:
    content_type, body = encode([(":action", "file_upload"), ("name", "démo")],
                                [("content", ("demo-1.0.tar.gz", b"\x1f\x8b archive bytes"))])
    form = read(content_type, body)
    assert form.fields == {":action": ["file_upload"], "name": ["démo"]}
    assert form.filename == "demo-1.0.tar.gz"
    assert form.content is not None
    assert form.content.read() == b"\x1f\x8b archive bytes"
    form.close()
    assert form.content.closed


def test_a_repeated_field_keeps_every_value_in_order() -> None:
    boundary = "b0undary"
    body = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="classifiers"\r\n\r\n{v}\r\n'
        .encode() for v in ("A :: B", "C :: D")
    ) + f"--{boundary}--\r\n".encode()
    form = read(f"multipart/form-data; boundary={boundary}", body)
    assert form.fields == {"classifiers": ["A :: B", "C :: D"]}
    assert form.content is None


def test_file_parts_other_than_the_first_content_are_skipped() -> None:
    content_type, body = encode([], [("content", ("a.whl", b"first")),
                                     ("gpg_signature", ("a.whl.asc", b"sig")),
                                     ("content", ("b.whl", b"second"))])
    form = read(content_type, body)
    assert form.filename == "a.whl"
    assert form.content is not None
    assert form.content.read() == b"first"
    assert dict(form.fields) == {}
    form.close()


def test_a_file_over_the_spool_size_arrives_whole() -> None:
    data = bytes(range(256)) * (5 * MiB // 256)
    content_type, body = encode([("name", "big")], [("content", ("big.whl", data))])
    form = read(content_type, body, chunk=65536)
    assert form.content is not None
    assert form.content.read() == data
    assert form.fields == {"name": ["big"]}
    form.close()


def test_a_body_that_is_not_multipart_holds_no_form() -> None:
    form = read("application/json", b'{"name": "x"}')
    assert dict(form.fields) == {}
    assert form.content is None


@pytest.mark.parametrize(
    ("content_type", "body", "message"),
    [
        ("multipart/form-data", b"--x\r\n", "the Content-Type header has no boundary"),
        ("multipart/form-data; boundary=x", b"--x\r\ngarbage",
         "Invalid upload form: "),
        ("multipart/form-data; boundary=x",
         b'--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nno end', "Invalid upload form: "),
        ("multipart/form-data; boundary=x",
         b"--x\r\nContent-Disposition: form-data\r\n\r\nv\r\n--x--\r\n", "part 1 has no name"),
        ("multipart/form-data; boundary=x",
         b'--x\r\nContent-Disposition: form-data; name="summary"\r\n\r\n\xff\xfe\r\n--x--\r\n',
         "field 'summary' is not UTF-8 text"),
    ],
)
def test_malformed_bodies_say_what_is_wrong(content_type: str, body: bytes, message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as raised:
        read(content_type, body)
    assert not isinstance(raised.value, TooLarge)


def test_too_many_fields() -> None:
    content_type, body = encode([(f"f{i}", "x") for i in range(51)], [])
    with pytest.raises(InvalidInput, match="more than 50 fields"):
        read(content_type, body)


def test_a_text_field_over_its_limit() -> None:
    content_type, body = encode([("description", "x" * (MiB + 1))], [])
    with pytest.raises(InvalidInput, match="field 'description' is larger than 1 MiB"):
        read(content_type, body, chunk=65536)


def test_a_declared_length_over_the_limit_is_refused_unread() -> None:
    content_type, body = encode([("name", "x")], [])
    with pytest.raises(TooLarge, match="Limit is 1 MiB for the whole upload request"):
        read(content_type, body, declared=str(MiB + 1), max_body=MiB)


def test_a_body_longer_than_declared_is_stopped_at_the_limit() -> None:
    content_type, body = encode([], [("content", ("a.whl", b"x" * (2 * MiB)))])
    with pytest.raises(TooLarge):
        read(content_type, body, chunk=65536, declared="", max_body=MiB)


def test_a_client_gone_mid_body_leaves_no_temporary_file_open() -> None:
    content_type, body = encode([], [("content", ("a.whl", b"x" * (3 * MiB)))])

    async def breaks_off() -> AsyncIterator[bytes]:
        yield body[:2 * MiB]  # past the spool size: the file part is on disk by now
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        asyncio.run(read_form(content_type, str(len(body)), breaks_off(),
                              max_body=BodyLimit(64 * MiB),
                              max_fields=50, max_field_size=MiB))
    # An unclosed temporary file would warn when collected, and warnings are errors here.
    gc.collect()


@pytest.mark.parametrize(("size", "declared", "in_memory"), [
    (1000, True, True),  # the whole body is known to fit: a plain buffer
    (1000, False, False),  # no Content-Length (chunked): spooled, whatever it turns out to be
    (2 * MiB, True, False),  # too large to keep in memory
])
def test_where_the_file_part_is_kept(size: int, declared: bool, in_memory: bool) -> None:
    content_type, body = encode([], [("content", ("a.whl", b"x" * size))])
    form = read(content_type, body, chunk=64 * 1024, declared=None if declared else "")
    assert form.content is not None
    assert isinstance(form.content, io.BytesIO) is in_memory
    assert form.content.read() == b"x" * size
    form.close()


class Allowances:
    """Per-project body allowances as the upload endpoint looks them up, each lookup noted."""

    def __init__(self, **own: int) -> None:
        self.own = own
        self.asked: list[str | None] = []

    async def __call__(self, project: str | None) -> int:
        self.asked.append(project)
        return max(self.own.values()) if project is None else self.own.get(project, 0)


def test_a_body_within_the_default_costs_no_lookup() -> None:
    allowances = Allowances(big=8 * MiB)
    content_type, body = encode([("name", "big")], [("content", ("a.whl", b"x" * MiB))])
    form = read(content_type, body, chunk=65536, max_body=BodyLimit(2 * MiB, allowances))
    form.close()
    assert allowances.asked == []


@pytest.mark.parametrize("declared", [True, False])
def test_a_project_with_a_raised_limit_may_send_a_larger_body(declared: bool) -> None:
    allowances = Allowances(big=8 * MiB)
    content_type, body = encode([("name", "big")], [("content", ("a.whl", b"x" * (3 * MiB)))])
    form = read(content_type, body, chunk=65536, declared=None if declared else "",
                max_body=BodyLimit(MiB, allowances))
    assert form.content is not None
    assert len(form.content.read()) == 3 * MiB
    form.close()
    assert allowances.asked == ([None, "big"] if declared else ["big"])


@pytest.mark.parametrize("declared", [True, False])
def test_a_project_on_the_default_is_stopped_at_the_default(declared: bool) -> None:
    allowances = Allowances(big=8 * MiB)
    content_type, body = encode([("name", "small")], [("content", ("a.whl", b"x" * (3 * MiB)))])
    sent: list[int] = []

    async def counted() -> AsyncIterator[bytes]:
        async for chunk in _chunks(body, 65536):
            sent.append(len(chunk))
            yield chunk

    length = str(len(body)) if declared else ""
    with pytest.raises(TooLarge, match="Limit is 1 MiB for the whole upload request"):
        asyncio.run(read_form(content_type, length, counted(),
                              max_body=BodyLimit(MiB, allowances), max_fields=50,
                              max_field_size=MiB))
    assert sum(sent) <= MiB + 65536  # refused on the first chunk past the default
    assert allowances.asked[-1] == "small"


def test_a_declared_length_over_every_allowance_is_refused_unread() -> None:
    allowances = Allowances(big=2 * MiB)
    content_type, body = encode([("name", "big")], [("content", ("a.whl", b"x" * (3 * MiB)))])
    with pytest.raises(TooLarge, match="Limit is 2 MiB for the whole upload request"):
        read(content_type, body, chunk=65536, max_body=BodyLimit(MiB, allowances))
    assert allowances.asked == [None]


def test_a_body_naming_no_project_first_may_be_as_large_as_any_project_allows() -> None:
    allowances = Allowances(big=8 * MiB)
    content_type, body = encode([], [("content", ("a.whl", b"x" * (3 * MiB)))])
    form = read(content_type, body, chunk=65536, declared="", max_body=BodyLimit(MiB, allowances))
    form.close()
    assert allowances.asked == [None]
