"""An index's OSV API as an advisory source, for ``strongroom audit --index URL``.

One ``POST osv/v1/querybatch`` asks about up to 1,000 (name, version) pairs at once (more are
sent in further batches of 1,000, and a result with a ``next_page_token`` is asked again with
it); the answer names the advisories by id and ``modified`` only, so each distinct id is then
read once with ``GET osv/v1/vulns/{id}``, a few at a time (``workers`` threads sharing one
connection pool), and parsed with the domain's ``parse_record``. A record that cannot be used
is refused and counted in ``refused``, never fatal.

``index_url`` is the index's base URL (``https://pypi.example.org/``; the simple index's URL,
ending ``/simple/``, is taken as its base too). Credentials in it (``https://USER:PASS@...``)
or ``token`` (an API token) are sent to that origin with every request. Every answer is read
with a bound on its size and every request with a timeout (seconds without a byte).

Errors: InvalidInput for a URL that is not http(s), an index without the OSV API (404) or an
answer that is not the OSV API's; NotAuthenticated when the index refuses the credentials or
wants some; Unavailable when it cannot be reached or answers with another error status.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from importlib.metadata import version as installed_version
from typing import Any
from urllib.parse import quote

import httpx

from strongroom.audit.dependencies import Dependency
from strongroom.domain.advisories import Advisory
from strongroom.domain.echo import clipped
from strongroom.domain.indexurl import index_address
from strongroom.domain.osv import ECOSYSTEM, InvalidAdvisory, parse_record
from strongroom.errors import InvalidInput, NotAuthenticated, Problem, Unavailable

BATCH = 1000  # queries per querybatch request: the OSV API's limit
BATCH_ANSWER_LIMIT = 64 * 1024 * 1024
RECORD_LIMIT = 16 * 1024 * 1024
_PAGES = 1000  # rounds of next_page_token followed before the answer is taken as endless

Query = dict[str, Any]


class _NotOsv(Exception):
    """The answer is not what the OSV API sends; the message says how."""


class IndexSource:
    """Advisories from the OSV API of the index at ``index_url``. Use it as a context
    manager (it holds a connection pool). ``advance(done, total)`` hears of each record read."""

    def __init__(self, index_url: str, *, token: str | None = None, timeout: float = 30.0,
                 workers: int = 8, advance: Callable[[int, int], None] | None = None) -> None:
        address = index_address(index_url, token=token)
        self._auth = address.credentials
        path = address.url.path
        if path.endswith("/simple/"):
            path = path.removesuffix("simple/")
        self.index_url = str(address.url.copy_with(path=path, query=None, fragment=None))
        self._api = f"{self.index_url}osv/v1/"
        agent = f"strongroom/{installed_version('strongroom')} (audit)"
        self._http = httpx.Client(timeout=timeout, auth=self._auth, headers={"User-Agent": agent},
                                  limits=httpx.Limits(max_connections=workers))
        self._workers = workers
        self._advance = advance
        self._records: dict[str, Advisory | None] = {}
        self.refused: list[InvalidAdvisory] = []

    def __enter__(self) -> IndexSource:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._http.close()

    def proposed(self, dependencies: Sequence[Dependency]
                 ) -> dict[tuple[str, str], list[Advisory]]:
        """The advisories the index says affect each dependency's version."""
        pairs = list(dict.fromkeys((d.key, d.version) for d in dependencies))
        ids = self._ask([{"package": {"name": name, "ecosystem": ECOSYSTEM}, "version": version}
                         for name, version in pairs])
        records = self._read(id_ for found in ids for id_ in found)
        return {pair: [r for id_ in found if (r := records.get(id_)) is not None]
                for pair, found in zip(pairs, ids, strict=True)}

    def every(self, names: Iterable[str]) -> dict[str, list[Advisory]]:
        """Every advisory the index has for each normalised name."""
        listed = sorted(set(names))
        ids = self._ask([{"package": {"name": name, "ecosystem": ECOSYSTEM}} for name in listed])
        records = self._read(id_ for found in ids for id_ in found)
        return {name: [r for id_ in found if (r := records.get(id_)) is not None]
                for name, found in zip(listed, ids, strict=True)}

    def _ask(self, queries: list[Query]) -> list[list[str]]:
        """The ids the index answers each query with, in order, every page of each."""
        found: list[list[str]] = [[] for _ in queries]
        pending = list(enumerate(queries))
        for _round in range(_PAGES):
            if not pending:
                return [list(dict.fromkeys(ids)) for ids in found]
            again: list[tuple[int, Query]] = []
            for start in range(0, len(pending), BATCH):
                chunk = pending[start:start + BATCH]
                results = self._batch([query for _i, query in chunk])
                for (i, query), (ids, token) in zip(chunk, results, strict=True):
                    found[i].extend(ids)
                    if token is not None:
                        again.append((i, {**query, "page_token": token}))
            pending = again
        raise InvalidInput(f"{self._api}querybatch kept answering with another page "
                           f"({_PAGES} rounds)")

    def _batch(self, queries: list[Query]) -> list[tuple[list[str], str | None]]:
        """One querybatch request: each query's ids and next page token."""
        url = f"{self._api}querybatch"
        answer = self._request("POST", url, BATCH_ANSWER_LIMIT,
                               payload={"queries": queries})
        try:
            return _batch_results(answer, len(queries))
        except _NotOsv as exc:
            raise InvalidInput(f"{url} did not answer as the OSV API does: {exc}") from None

    def _read(self, ids: Iterable[str]) -> dict[str, Advisory]:
        """The advisories with ``ids``, each read from the index once per audit."""
        wanted = [id_ for id_ in dict.fromkeys(ids) if id_ not in self._records]
        if wanted:
            done = 0
            with ThreadPoolExecutor(max_workers=self._workers) as pool:
                for id_, advisory in zip(wanted, pool.map(self._record, wanted), strict=True):
                    self._records[id_] = advisory
                    done += 1
                    if self._advance is not None:
                        self._advance(done, len(wanted))
        return {id_: a for id_, a in self._records.items() if a is not None}

    def _record(self, record_id: str) -> Advisory | None:
        """The advisory ``record_id``, or None (counted in ``refused``) when its record
        cannot be used."""
        url = f"{self._api}vulns/{quote(record_id, safe='')}"
        answer = self._request("GET", url, RECORD_LIMIT, missing_ok=True)
        source = url
        if answer is None:
            problem = Problem("", "the index lists it in its answer but has no such record")
            self.refused.append(InvalidAdvisory([problem], source=source, record_id=record_id))
            return None
        try:
            advisory, _warnings = parse_record(answer, source=source)
        except InvalidAdvisory as refused:
            self.refused.append(refused)
            return None
        if advisory.id != record_id:
            problem = Problem("id", f"is {advisory.id!r}, not the {record_id!r} asked for")
            self.refused.append(InvalidAdvisory([problem], source=source, record_id=record_id))
            return None
        return advisory

    def _request(self, method: str, url: str, limit: int, *, missing_ok: bool = False,
                 payload: Any = None) -> Any:
        """The JSON answer to a request (None for a 404 when ``missing_ok``)."""
        try:
            with self._http.stream(method, url, json=payload,
                                   headers={"Accept": "application/json"}) as response:
                if response.status_code == 404 and missing_ok:
                    return None
                _refuse_status(response, url, credentials=self._auth is not None)
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > limit:
                        raise InvalidInput(f"{url} answered with more than {limit} bytes")
        except httpx.TransportError as exc:
            raise Unavailable(f"could not reach the index at {self.index_url}: "
                              f"{clipped(str(exc) or type(exc).__name__)}") from None
        try:
            return json.loads(bytes(body))
        except ValueError as exc:
            raise InvalidInput(f"{url} did not answer with JSON ({clipped(str(exc))})") from None


def _refuse_status(response: httpx.Response, url: str, *, credentials: bool) -> None:
    """Raise for any status but 200, in words saying what it means for an audit."""
    status = response.status_code
    if status == 200:
        return
    if status in (401, 403):
        raise NotAuthenticated(f"the index refused the credentials (HTTP {status} from {url})"
                               if credentials else
                               f"the index wants credentials (HTTP {status} from {url}): "
                               "give a token with --token or in the URL")
    if status in (404, 405, 501):  # no such route, or no POST there: not the OSV API
        raise InvalidInput(f"{url} answered HTTP {status}: is the URL an index's base URL, "
                           "and does the index serve the OSV API?")
    if status == 400:
        said = response.read()[:2000].decode("utf-8", "replace")
        raise InvalidInput(f"the index refused the query (HTTP 400 from {url}: "
                           f"{clipped(said)})")
    raise Unavailable(f"the index answered HTTP {status} from {url}")


def _batch_results(answer: Any, expected: int) -> list[tuple[list[str], str | None]]:
    """Each result's ids and next page token; _NotOsv when the shape is not querybatch's."""
    if not isinstance(answer, dict) or not isinstance(answer.get("results"), list):
        raise _NotOsv("no results list")
    results = answer["results"]
    if len(results) != expected:
        raise _NotOsv(f"{len(results)} results for {expected} queries")
    out = []
    for i, result in enumerate(results):
        if not isinstance(result, dict):
            raise _NotOsv(f"results[{i}] is not an object")
        vulns = result.get("vulns", [])
        if not isinstance(vulns, list) or not all(
                isinstance(v, dict) and isinstance(v.get("id"), str) for v in vulns):
            raise _NotOsv(f"results[{i}].vulns is not a list of objects with an id")
        token = result.get("next_page_token")
        if token is not None and (not isinstance(token, str) or not token):
            raise _NotOsv(f"results[{i}].next_page_token is not a string")
        out.append(([v["id"] for v in vulns], token))
    return out
