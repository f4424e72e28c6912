"""Nothing a client sends gets a 5xx or a traceback: malformed requests get a clear 4xx."""

from __future__ import annotations

import hashlib
import socket
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.builders import make_wheel
from tests.functional.server import LiveIndex
from tests.functional.uploads import basic_auth, post_upload

pytestmark = pytest.mark.functional


@pytest.fixture(scope="module")
def token(index: LiveIndex) -> str:
    index.create_user("robust")
    return index.token("robust")


def _raw(index: LiveIndex, request: bytes) -> bytes:
    """Send raw bytes and return the start of the answer."""
    with socket.create_connection(("127.0.0.1", index.port), timeout=10) as sock:
        sock.sendall(request)
        return sock.recv(4096)


def test_declared_oversized_body_is_refused_before_reading(index: LiveIndex, token: str) -> None:
    auth = basic_auth(token)["Authorization"]
    head = (b"POST /legacy/ HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; "
            b"boundary=b\r\nContent-Length: 999999999999\r\nAuthorization: "
            + auth.encode() + b"\r\n\r\n--b\r\n")
    answer = _raw(index, head)
    assert answer.startswith(b"HTTP/1.1 413 File too large. Limit is")


@pytest.mark.parametrize(
    ("headers", "body", "status", "message"),
    [
        ({}, b"", 403, "Invalid or non-existent authentication information"),
        ({"Content-Type": "application/json"}, b'{"name": "x"}', 400, "Unknown action"),
        ({"Content-Type": "multipart/form-data"}, b"--x\r\n", 400, "Invalid upload form"),
        ({"Content-Type": "multipart/form-data; boundary=x"}, b"--x\r\ngarbage", 400, ""),
        ({"Content-Type": "text/plain"}, b"\xff\xfe\x00", 400, "Unknown action"),
    ],
)
def test_malformed_bodies(index: LiveIndex, token: str, headers: dict[str, str], body: bytes,
                          status: int, message: str) -> None:
    auth = basic_auth(token) if status != 403 else {}
    response = httpx.post(f"{index.url}/legacy/", content=body, headers={**headers, **auth})
    assert response.status_code == status, response.text
    assert message in response.reason_phrase


@pytest.mark.parametrize(
    "authorization",
    ["Basic", "Basic !!!", "Basic " + "x" * 10, "Bearer", "Digest abc", "Basic dXNlcjpwYXNz"],
)
def test_malformed_credentials_are_403(index: LiveIndex, authorization: str) -> None:
    response = httpx.post(f"{index.url}/legacy/", data={":action": "file_upload"},
                          headers={"Authorization": authorization})
    assert response.status_code == 403
    assert "authentication" in response.reason_phrase


def test_a_field_sent_as_a_file_is_ignored_not_crashed(index: LiveIndex, token: str,
                                                       tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, "robust-fields", "1.0")
    response = httpx.post(
        f"{index.url}/legacy/", headers=basic_auth(token),
        data={":action": "file_upload", "protocol_version": "1", "version": "1.0",
              "filetype": "bdist_wheel", "pyversion": "py3", "sha256_digest": "0" * 64},
        files={"name": ("name", b"robust-fields"),
               "content": (wheel.name, wheel.read_bytes())},
    )
    assert response.status_code == 400
    assert "name: This field is required." in response.reason_phrase


def test_too_many_fields(index: LiveIndex, token: str) -> None:
    fields = {f"field{i}": "x" for i in range(2100)}
    response = httpx.post(f"{index.url}/legacy/", headers=basic_auth(token), data=fields,
                          files={"content": ("a.whl", b"x")})
    assert response.status_code == 400
    assert "Invalid upload form" in response.reason_phrase


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fields=st.dictionaries(
    st.sampled_from([":action", "protocol_version", "name", "version", "filetype", "pyversion",
                     "sha256_digest", "md5_digest", "blake2_256_digest", "metadata_version",
                     "comment", "summary"]),
    st.text(max_size=40), max_size=12),
    filename=st.text(min_size=1, max_size=60).filter(lambda s: "\x00" not in s),
    data=st.binary(max_size=300))
def test_random_forms_never_5xx(index: LiveIndex, token: str, fields: dict[str, str],
                                filename: str, data: bytes) -> None:
    response = post_upload(index.url, token, filename, data, fields)
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    assert response.reason_phrase


@pytest.mark.parametrize(
    ("method", "path", "headers", "status"),
    [
        ("GET", "/simple/%2e%2e/", {}, 404),
        ("GET", "/simple/a%00b/", {}, 404),
        ("GET", "/simple/" + "a" * 5000 + "/", {}, 404),
        ("GET", "/packages/../../etc/passwd", {}, 404),
        ("GET", "/packages/aa/bb/cc/x.whl", {}, 404),
        ("GET", "/packages/aa/bb/" + "c" * 60 + "/x.whl.metadata", {}, 404),
        ("GET", "/pypi/%ff/json", {}, 404),
        ("GET", "/pypi/nope/1.0/json", {}, 404),
        ("GET", "/simple/", {"Accept": ";;;,,,q=="}, 406),
        ("GET", "/simple/", {"Accept": "text/html;q=abc"}, 406),
        ("GET", "/simple/", {"If-None-Match": "garbage, W/\"x\", *x"}, 200),
        ("GET", "/simple/", {"If-None-Match": "\x7f garbage"}, 400),
        ("GET", "/simple/?format=%ff", {}, 406),
        ("DELETE", "/simple/", {}, 405),
        ("GET", "/legacy/", {}, 405),
        ("HEAD", "/simple/", {}, 200),
    ],
)
def test_odd_reads(index: LiveIndex, method: str, path: str, headers: dict[str, str],
                   status: int) -> None:
    request = (f"{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
               + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n")
    answer = _raw(index, request.encode("latin-1"))
    assert answer.split(b" ")[1] == str(status).encode(), answer[:300]


@pytest.mark.parametrize("byte_range", ["bytes=abc", "bytes=999999999-", "bytes=5-2", "lines=0-1",
                                        "bytes=0-0,0-0,0-0"])
def test_odd_ranges_on_a_file(index: LiveIndex, token: str, tmp_path: Path,
                              byte_range: str) -> None:
    wheel = make_wheel(tmp_path, "robust-range", "1.0")
    fields = {":action": "file_upload", "protocol_version": "1", "name": "robust-range",
              "version": "1.0", "filetype": "bdist_wheel", "pyversion": "py3",
              "sha256_digest": hashlib.sha256(wheel.read_bytes()).hexdigest()}
    assert post_upload(index.url, token, wheel.name, wheel.read_bytes(), fields).status_code == 200
    page = httpx.get(f"{index.url}/simple/robust-range/",
                     headers={"Accept": "application/vnd.pypi.simple.v1+json"}).json()
    url = page["files"][0]["url"].split("#")[0]
    response = httpx.get(httpx.URL(f"{index.url}/").join(url), headers={"Range": byte_range})
    # A malformed Range may be ignored (200) or refused (400/416); never a server error.
    assert response.status_code in (200, 206, 400, 416)
