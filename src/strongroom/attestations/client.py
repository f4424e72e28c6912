"""The client side of PEP 740: checking a release another index (or this one) serves, as
``strongroom verify`` does.

``ReleaseReader`` reads the project's simple page in JSON (PEP 691), picks the files of the
release (their names parsed: wheels' and sdists'), downloads each only to hash it (nothing is
kept: the digest is all verification needs) and fetches the provenance object the page links
for it (the Integrity API). ``check`` holds each file to the page's SHA-256 and verifies every
attestation of every bundle of its provenance against that bundle's publisher and the digest
downloaded, with the verification uploads get (provenance.verify_provenance), offline.

The only network is the index's: its page, and the files and provenance objects it links, each
request bounded by a timeout (seconds without a byte) and each answer by a size (the page's
``size`` for a file); no Sigstore service is asked. Credentials go only to the index's own
origin (scheme, host and port), never to a file host elsewhere.

A release that cannot be read (no such project or version, an index that refuses or cannot be
reached, a page that is not PEP 691's) raises; a file that does not check out is a Verdict
saying why, so that every file is checked and reported. The module uses httpx, which the
server already depends on; sigstore loads only when the first attestation is verified.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from importlib.metadata import version as installed_version
from typing import Any

import httpx
from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from strongroom.attestations.provenance import verify_provenance
from strongroom.attestations.verifier import AttestationInvalid, AttestationVerifier
from strongroom.domain.echo import brief, clipped
from strongroom.domain.filenames import sdist_extension
from strongroom.domain.indexurl import index_address
from strongroom.errors import InvalidInput, NotAuthenticated, NotFound, Unavailable

SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
INTEGRITY_JSON = "application/vnd.pypi.integrity.v1+json"
# Bounds on what is read into memory: PyPI's largest simple pages are some megabytes, and a
# provenance object some tens of kilobytes (one or two attestations of a few kilobytes each).
PAGE_LIMIT = 64 * 1024 * 1024
PROVENANCE_LIMIT = 4 * 1024 * 1024
_VERSIONS_SHOWN = 10


class Outcome(StrEnum):
    """What checking one file came to."""

    VERIFIED = "verified"  # its digest matches and every attestation of its provenance verifies
    MISSING = "missing"  # its digest matches; the page links no provenance for it
    FAILED = "failed"  # anything else: ``Verdict.reason`` says what


@dataclass(frozen=True)
class ListedFile:
    """A file of the release as the page lists it: absolute URLs, the page's SHA-256 (hex,
    None when it gives none) and ``size`` (PEP 700; None when it gives none)."""

    filename: str
    url: str
    sha256: str | None
    size: int | None
    provenance: str | None


@dataclass(frozen=True)
class Bundle:
    """One verified attestation bundle: its publisher (``kind``; ``repository`` is GitHub's
    or GitLab's repository, or a Google service account's e-mail; ``workflow`` and
    ``environment`` "" when it names none) and the predicate types it attests. The
    environment is the index's word only: Sigstore's certificates do not name one, so no
    verification can hold the bundle to it."""

    kind: str
    repository: str
    workflow: str
    environment: str
    predicate_types: tuple[str, ...]


@dataclass(frozen=True)
class Verdict:
    """A file checked: the outcome, its verified bundles (VERIFIED), and why (FAILED)."""

    file: ListedFile
    outcome: Outcome
    bundles: tuple[Bundle, ...] = ()
    reason: str = ""


class _Failed(Exception):
    """This file does not check out; the message says why."""


class ReleaseReader:
    """Reads a release's files from the simple index at ``index_url`` (pip's ``--index-url``:
    ``https://pypi.example.org/simple/``; credentials in it, ``https://USER:PASSWORD@...``,
    or ``token``, an API token, go to its origin), each request given ``timeout`` seconds
    without a byte. Raises InvalidInput when ``index_url`` is not an http(s) URL."""

    def __init__(self, index_url: str, *, token: str | None = None,
                 timeout: float = 30.0) -> None:
        address = index_address(index_url, token=token)
        self._auth = address.credentials
        self._index = address.url
        self.index_url = str(self._index)  # as shown: never with its credentials
        agent = f"strongroom/{installed_version('strongroom')} (verify)"
        self._http = httpx.Client(timeout=timeout, follow_redirects=True,
                                  headers={"User-Agent": agent})

    def __enter__(self) -> ReleaseReader:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._http.close()

    def _auth_for(self, url: str) -> tuple[str, str] | None:
        """The credentials, for a URL on the index's own origin only."""
        target = httpx.URL(url)
        same = (target.scheme, target.host, target.port) == (
            self._index.scheme, self._index.host, self._index.port)
        return self._auth if same else None

    @contextmanager
    def _get(self, url: str, accept: str) -> Iterator[httpx.Response]:
        """A streamed GET of ``url`` (its credentials, if any)."""
        with self._http.stream("GET", url, headers={"Accept": accept},
                               auth=self._auth_for(url)) as response:
            yield response

    def files(self, project: str, version: Version) -> list[ListedFile]:
        """The files of ``project`` ``version`` the index lists, by file name. Raises NotFound
        (no such project, or no file of that version), NotAuthenticated (the index refuses the
        credentials, or wants some), Unavailable (unreachable, or another error status) and
        InvalidInput (an answer that is not a PEP 691 JSON page)."""
        url = self._index.join(f"{canonicalize_name(project)}/")
        shown = f"{self.index_url}{canonicalize_name(project)}/"
        try:
            with self._get(str(url), SIMPLE_JSON) as response:
                _refuse_page_status(response, project, shown, self.index_url,
                                    credentials=self._auth is not None)
                media_type = response.headers.get("content-type", "").partition(";")[0]
                if "json" not in media_type:
                    raise InvalidInput(f"{shown} answered {brief(media_type or 'no type')}, "
                                       "not PEP 691's JSON: strongroom verify needs an index "
                                       "that serves it")
                body = _read(response, PAGE_LIMIT, "the project's page")
                page_url = str(response.url)
        except httpx.TransportError as exc:
            raise Unavailable(f"could not reach the index at {shown}: {_said(exc)}") from None
        except _Failed as failed:
            raise InvalidInput(f"{shown}: {failed}") from None
        return release_files(body, page_url, project, version, shown=shown)

    def download(self, listed: ListedFile, advance: Callable[[int], None]) -> str:
        """The SHA-256 (hex) of the file downloaded, ``advance`` told each chunk's size, once
        it is the page's. Raises _Failed when the page gives none, the file cannot be
        downloaded whole, is not of the page's size, or its digest is another."""
        if listed.sha256 is None:
            raise _Failed("the page gives no sha256 for it")
        digest = hashlib.sha256()
        received = 0
        try:
            with self._get(listed.url, "*/*") as response:
                if response.status_code != 200:
                    raise _Failed(f"the index answered HTTP {response.status_code} for it")
                for chunk in response.iter_bytes():
                    received += len(chunk)
                    if listed.size is not None and received > listed.size:
                        raise _Failed(f"the index sent more than the {listed.size} bytes "
                                      "its page gives as the file's size")
                    digest.update(chunk)
                    advance(len(chunk))
        except httpx.TransportError as exc:
            raise _Failed(f"could not download it: {_said(exc)}") from None
        if listed.size is not None and received != listed.size:
            raise _Failed(f"the index sent {received} bytes; its page gives the file's size "
                          f"as {listed.size}")
        if digest.hexdigest() != listed.sha256:
            raise _Failed(f"its sha256 is {digest.hexdigest()}, the page says {listed.sha256}")
        return listed.sha256

    def provenance(self, url: str) -> bytes:
        """The provenance object at ``url``. Raises _Failed when the index does not serve
        it (it is linked, so an index that answers 404 contradicts its own page)."""
        try:
            with self._get(url, INTEGRITY_JSON) as response:
                if response.status_code != 200:
                    said = _message(response)
                    raise _Failed(f"the page links provenance but the index answered HTTP "
                                  f"{response.status_code}{said} for it")
                return _read(response, PROVENANCE_LIMIT, "the provenance object")
        except httpx.TransportError as exc:
            raise _Failed(f"could not fetch its provenance: {_said(exc)}") from None


def check(reader: ReleaseReader, verifier: AttestationVerifier, listed: ListedFile,
          advance: Callable[[int], None]) -> Verdict:
    """Download ``listed`` and hold it to its page's SHA-256, then verify its provenance (every
    attestation of every bundle, offline, against that bundle's publisher and the digest
    downloaded). Raises Unavailable only when no trusted root loads."""
    try:
        digest = reader.download(listed, advance)
        if listed.provenance is None:
            return Verdict(listed, Outcome.MISSING)
        text = reader.provenance(listed.provenance)
        verified = verify_provenance(verifier, text, listed.filename, digest)
    except _Failed as failed:
        return Verdict(listed, Outcome.FAILED, reason=str(failed))
    except AttestationInvalid as invalid:
        return Verdict(listed, Outcome.FAILED,
                       reason=f"its provenance does not verify: {invalid.detail}")
    bundles = tuple(_bundle(json.loads(each.publisher), each.predicate_types)
                    for each in verified)
    return Verdict(listed, Outcome.VERIFIED, bundles)


def release_files(body: bytes, page_url: str, project: str, version: Version, *,
                  shown: str) -> list[ListedFile]:
    """The files of ``project`` ``version`` on a PEP 691 page (``body``, read at ``page_url``,
    against which its relative URLs resolve; ``shown`` names it in errors), by file name: those
    whose names parse as a wheel's or an sdist's of that project and version. Raises
    InvalidInput for a page that is not PEP 691's, NotFound when no file is of that version."""
    try:
        page = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput(f"{shown} is not JSON") from None
    files = page.get("files") if isinstance(page, dict) else None
    if not isinstance(files, list):
        raise InvalidInput(f"{shown} is not a PEP 691 project page (it has no files list)")
    listed: dict[str, ListedFile] = {}
    versions: set[Version] = set()
    for number, entry in enumerate(files):
        found = _listed(entry, page_url, f"{shown}: files[{number}]")
        parsed = _name_and_version(found.filename)
        if parsed is None or parsed[0] != canonicalize_name(project):
            continue
        versions.add(parsed[1])
        if parsed[1] == version:
            listed[found.filename] = found
    if not listed:
        there = sorted(versions)[-_VERSIONS_SHOWN:]
        hint = f"versions there: {', '.join(map(str, there))}" if there else "no files there"
        raise NotFound(f"{project} {version} has no files at {shown} ({hint})",
                       project=project)
    return [listed[name] for name in sorted(listed)]


def _listed(entry: object, page_url: str, where: str) -> ListedFile:
    """One entry of the page's ``files``; InvalidInput naming ``where`` when it is malformed."""
    if not isinstance(entry, dict):
        raise InvalidInput(f"{where} is not an object")
    filename, url, hashes = entry.get("filename"), entry.get("url"), entry.get("hashes")
    if not isinstance(filename, str) or not isinstance(url, str) or not isinstance(hashes, dict):
        raise InvalidInput(f"{where} lacks a filename, url or hashes")
    sha256 = hashes.get("sha256")
    size = entry.get("size")
    provenance = entry.get("provenance")
    if provenance is not None and not isinstance(provenance, str):
        raise InvalidInput(f"{where}: provenance is neither a URL nor null")
    base = httpx.URL(page_url)
    return ListedFile(
        filename=filename, url=str(base.join(url)),
        sha256=sha256.lower() if isinstance(sha256, str) else None,
        size=size if isinstance(size, int) and not isinstance(size, bool) else None,
        provenance=None if provenance is None else str(base.join(provenance)))


def _name_and_version(filename: str) -> tuple[str, Version] | None:
    """The normalised project name and the version a wheel's or sdist's file name says."""
    try:
        if filename.endswith(".whl"):
            name, version, _build, _tags = parse_wheel_filename(filename)
            return str(name), version
        extension = sdist_extension(filename)
        if extension is None:
            return None
        name_part, _, version_part = filename[:-len(extension)].rpartition("-")
        return str(canonicalize_name(name_part)), Version(version_part)
    except (ValueError, InvalidVersion):  # InvalidWheelFilename is a ValueError
        return None


def _bundle(publisher: dict[str, Any], predicate_types: tuple[str, ...]) -> Bundle:
    """A verified bundle's publisher object (provenance.publisher_object's) as a Bundle."""
    return Bundle(kind=str(publisher.get("kind") or ""),
                  repository=str(publisher.get("repository") or publisher.get("email") or ""),
                  workflow=str(publisher.get("workflow")
                               or publisher.get("workflow_filepath") or ""),
                  environment=str(publisher.get("environment") or ""),
                  predicate_types=predicate_types)


def _refuse_page_status(response: httpx.Response, project: str, shown: str, index: str, *,
                        credentials: bool) -> None:
    """Raise the error a page's status other than 200 means."""
    status = response.status_code
    if status == 200:
        return
    if status == 404:
        hint = ("" if httpx.URL(index).path.rstrip("/").endswith("simple")
                else "; --index is the simple index's URL, such as https://HOST/simple/")
        raise NotFound(f"no project {project!r} at {index} (HTTP 404 for {shown}){hint}",
                       project=project)
    if status in (401, 403):
        given = ("the credentials given" if credentials
                 else "no credentials: give an API token with --token or in the URL")
        raise NotAuthenticated(f"{shown} answered HTTP {status}{_message(response)}, with "
                               f"{given}", project=project)
    raise Unavailable(f"{shown} answered HTTP {status}{_message(response)}")


def _read(response: httpx.Response, limit: int, what: str) -> bytes:
    """The body of ``response``, at most ``limit`` bytes; _Failed past that."""
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > limit:
            raise _Failed(f"{what} is larger than {limit // (1024 * 1024)} MiB")
        chunks.append(chunk)
    return b"".join(chunks)


def _message(response: httpx.Response) -> str:
    """`` (what the index said)``, from PyPI's JSON error shape or a short text body, or ""."""
    try:
        body = response.read()[:4096]
    except httpx.HTTPError:
        return ""
    try:
        said = json.loads(body).get("message")
    except (ValueError, UnicodeDecodeError, AttributeError):
        said = None
    if not isinstance(said, str):
        return ""
    return f" ({clipped(' '.join(said.split()))})"


def _said(exc: httpx.TransportError) -> str:
    """What a transport error says, or its kind (a timeout's message is often empty)."""
    return clipped(str(exc)) or type(exc).__name__
