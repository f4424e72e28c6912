"""The OSV API's requests and answers (``/osv/v1/``), as osv.dev shapes them, with no I/O.

A query (``POST /osv/v1/query``, and each of ``POST /osv/v1/querybatch``'s ``queries``) names
a package by ``package.name`` (and ``package.ecosystem``) or by ``package.purl``
(``pkg:pypi/<name>[@<version>]``), and optionally a ``version`` (a versioned purl gives one
too; both at once is an error, as on osv.dev). ``parse_query`` turns one into a ``Query`` or
raises ``BadQuery`` naming the field (``queries[3].package.name``). A query for another
ecosystem, a package URL of another type, or a ``commit`` (this index holds no GIT ranges) is
valid and answered ``{}``, as osv.dev answers a query that matches nothing; unknown fields are
refused, as osv.dev's JSON parser refuses them.

Answers: ``query_answer`` splices the stored records (JSON text, served verbatim) into
``{"vulns": [...]}``; ``batch_answer`` gives each query's ``{"vulns": [{"id", "modified"}]}``
in order. Either holds at most ``PAGE_SIZE`` records per query; the rest are reached with the
opaque ``next_page_token``, which carries the offset and a digest of the query it belongs to
(``page_token`` / ``Query.offset``), so a token is refused with another query. Errors are
``{"code": <gRPC code>, "message": ...}``: ``error_body``. For the web UI's project page,
``release_marks`` says which releases each advisory affects, how severe it is and what fixes it.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import unquote

from packaging.version import Version

from strongroom.domain.advisories import Advisory, parse_version
from strongroom.domain.names import is_valid_project_name, normalize
from strongroom.domain.osv import ECOSYSTEM
from strongroom.errors import InvalidInput

PAGE_SIZE = 1000  # records per query and page, as osv.dev
MAX_QUERIES = 1000  # queries per batch, as osv.dev
# gRPC status codes osv.dev's errors carry.
INVALID_ARGUMENT = 3
NOT_FOUND = 5
_QUERY_FIELDS = frozenset({"package", "version", "commit", "page_token"})
_PACKAGE_FIELDS = frozenset({"name", "ecosystem", "purl"})
_TOKEN_DIGEST = 8  # bytes of the query's digest a page token carries
_MAX_OFFSET = 10**9
_T = TypeVar("_T")


class BadQuery(InvalidInput):
    """A query osv.dev would answer 400; ``field`` is where (``queries[0].version``)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}" if field else reason)
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class Query:
    """One valid query. ``name`` is the normalised PyPI package asked about, None when the
    query can match nothing here (another ecosystem, a commit); ``version`` None asks for every
    advisory of the package; ``offset`` is where the asked page starts."""

    name: str | None
    version: str | None = None
    offset: int = 0

    @property
    def key(self) -> str:
        """What a page token of this query is bound to."""
        return f"{self.name}\0{self.version}"


def _text(value: Any, field: str) -> str | None:
    """A string field; None when absent or empty (proto3 reads both as unset)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadQuery(field, "must be a string")
    return value or None


def _object(value: Any, field: str, allowed: frozenset[str]) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise BadQuery(field, "must be a JSON object")
    unknown = sorted(str(key) for key in value if key not in allowed)
    if unknown:
        where = f"{field}." if field else ""
        raise BadQuery(where + unknown[0], "is not a field of an OSV query")
    return value


def parse_purl(purl: str, field: str = "package.purl") -> tuple[str, str, str | None]:
    """A package URL's (type, name, version or None): ``pkg:<type>/[<namespace>/]<name>
    [@<version>][?<qualifiers>][#<subpath>]``, type lowercased, name and version
    percent-decoded (a PyPI name also normalised). Raises BadQuery when it is not one."""
    scheme, colon, rest = purl.partition(":")
    if not colon or scheme.lower() != "pkg":
        raise BadQuery(field, "is not a package URL (pkg:<type>/<name>[@<version>])")
    rest = rest.lstrip("/").split("#", 1)[0].split("?", 1)[0]
    kind, slash, path = rest.partition("/")
    path = path.strip("/")
    if not slash or not kind or not path:
        raise BadQuery(field, "is not a package URL (pkg:<type>/<name>[@<version>])")
    kind = kind.lower()
    name_part, at, version_part = path.rpartition("/")[2].partition("@")
    name, version = unquote(name_part), unquote(version_part) if at else None
    if not name or (at and not version):
        raise BadQuery(field, "has an empty name or version")
    if kind == "pypi":
        if "/" in path.partition("@")[0]:
            raise BadQuery(field, "a PyPI package URL has no namespace")
        name = normalize(name)
    return kind, name, version


def _package(value: Any, field: str) -> tuple[str | None, str | None]:
    """The (normalised PyPI name or None, version from a purl or None) a ``package`` asks."""
    package = _object(value, field, _PACKAGE_FIELDS)
    name = _text(package.get("name"), f"{field}.name")
    ecosystem = _text(package.get("ecosystem"), f"{field}.ecosystem")
    purl = _text(package.get("purl"), f"{field}.purl")
    if purl is not None:
        if name is not None or ecosystem is not None:
            raise BadQuery(field, "give either a purl or a name and ecosystem, not both")
        kind, purl_name, version = parse_purl(purl, f"{field}.purl")
        return (purl_name if kind == "pypi" else None), version
    if name is None:
        raise BadQuery(f"{field}.name", "is required (or a purl)")
    if ecosystem is not None and ecosystem != ECOSYSTEM:
        return None, None  # another ecosystem's package: nothing here matches it
    return (normalize(name) if is_valid_project_name(name) else None), None


def parse_query(obj: Any, field: str = "") -> Query:
    """One OSV query (``field`` says where it is, for errors: ``queries[2]``). Raises BadQuery."""
    at = f"{field}." if field else ""
    query = _object(obj, field, _QUERY_FIELDS)
    version = _text(query.get("version"), f"{at}version")
    commit = _text(query.get("commit"), f"{at}commit")
    token = _text(query.get("page_token"), f"{at}page_token")
    if commit is not None and version is not None:
        raise BadQuery(field or "query", "give either a commit or a version, not both")
    if "package" not in query or query["package"] is None:
        if commit is None:
            raise BadQuery(f"{at}package", "is required (or a commit)")
        return Query(None)
    name, purl_version = _package(query["package"], f"{at}package")
    if purl_version is not None and version is not None:
        raise BadQuery(field or "query", "give the version in the purl or in version, not both")
    if commit is not None:
        return Query(None)
    found = Query(name, version or purl_version)
    if token is None:
        return found
    return Query(found.name, found.version, _offset(token, found, f"{at}page_token"))


def parse_batch(obj: Any) -> list[Query]:
    """``querybatch``'s body: ``{"queries": [...]}`` with at most MAX_QUERIES queries."""
    body = _object(obj, "", frozenset({"queries"}))
    queries = body.get("queries")
    if queries is None:
        return []
    if not isinstance(queries, list):
        raise BadQuery("queries", "must be a list")
    if len(queries) > MAX_QUERIES:
        raise BadQuery("queries", f"holds {len(queries)} queries; at most {MAX_QUERIES} "
                                  "are answered per batch")
    return [parse_query(query, f"queries[{i}]") for i, query in enumerate(queries)]


def _digest(query: Query) -> bytes:
    return hashlib.sha256(query.key.encode()).digest()[:_TOKEN_DIGEST]


def page_token(query: Query, offset: int) -> str:
    """The opaque token asking ``query``'s page that starts at ``offset``."""
    raw = _digest(query) + offset.to_bytes(8, "big")
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _offset(token: str, query: Query, field: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except ValueError:
        raw = b""
    offset = int.from_bytes(raw[_TOKEN_DIGEST:], "big")
    if (len(raw) != _TOKEN_DIGEST + 8 or raw[:_TOKEN_DIGEST] != _digest(query)
            or offset > _MAX_OFFSET):
        raise BadQuery(field, "is not a page token of this query")
    return offset


def page_of(query: Query, found: Sequence[_T]) -> tuple[Sequence[_T], str | None]:
    """The page of ``found`` (every match, in a stable order) ``query`` asks for, and the token
    of the next page (None on the last)."""
    end = query.offset + PAGE_SIZE
    return found[query.offset:end], (page_token(query, end) if end < len(found) else None)


def timestamp(when: dt.datetime) -> str:
    """RFC 3339 in UTC with ``Z``, as OSV writes ``modified``."""
    text = when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
    if when.microsecond:
        text += f".{when.microsecond:06d}".rstrip("0")
    return text + "Z"


def query_answer(records: Sequence[str], next_token: str | None) -> bytes:
    """``{"vulns": [<record>, ...], "next_page_token"?}`` from records stored as JSON text
    (spliced, not parsed again); ``{}`` when there are none."""
    if not records:
        return b"{}"
    body = '{"vulns":[' + ",".join(records) + "]"
    if next_token is not None:
        body += f',"next_page_token":"{next_token}"'
    return (body + "}").encode()


def batch_result(found: Sequence[tuple[str, dt.datetime]], next_token: str | None
                 ) -> dict[str, Any]:
    """One query's part of a batch answer: ``{"vulns": [{"id", "modified"}]}`` or ``{}``."""
    if not found:
        return {}
    result: dict[str, Any] = {"vulns": [{"id": record_id, "modified": timestamp(modified)}
                                        for record_id, modified in found]}
    if next_token is not None:
        result["next_page_token"] = next_token
    return result


def batch_answer(results: Sequence[Mapping[str, Any]]) -> bytes:
    """``{"results": [...]}``, one per query, in the queries' order."""
    return json.dumps({"results": list(results)}, separators=(",", ":")).encode()


def error_body(code: int, message: str) -> bytes:
    """An error as osv.dev sends one."""
    return json.dumps({"code": code, "message": message}, separators=(",", ":")).encode()


_SEVERITY_ORDER = ("CVSS_V4", "CVSS_V3", "CVSS_V2")


def severity_of(record: Mapping[str, Any], name: str) -> str | None:
    """What an OSV record says of its severity, for people: a CVSS vector (the newest CVSS
    version given, from the record's ``severity`` or the normalised package ``name``'s
    ``affected`` entry), else ``database_specific.severity`` (GitHub's LOW ... CRITICAL);
    None when it says nothing usable."""
    scores: dict[str, str] = {}
    sources: list[Any] = [record.get("severity")]
    for entry in record.get("affected") or ():
        package = entry.get("package") if isinstance(entry, dict) else None
        if (isinstance(package, dict) and isinstance(package.get("name"), str)
                and normalize(package["name"]) == name):
            sources.append(entry.get("severity"))
    for source in sources:
        for item in source if isinstance(source, list) else ():
            if (isinstance(item, dict) and isinstance(item.get("type"), str)
                    and isinstance(item.get("score"), str)):
                scores.setdefault(item["type"], item["score"])
    for kind in _SEVERITY_ORDER:
        if kind in scores:
            return scores[kind]
    specific = record.get("database_specific")
    if isinstance(specific, dict) and isinstance(specific.get("severity"), str):
        return str(specific["severity"])
    return next(iter(scores.values()), None)


@dataclass(frozen=True)
class Mark:
    """One advisory as a project page shows it beside an affected release: its id and link,
    summary, severity (``severity_of``) and the first version that fixes it for that release
    (None when no fix is known)."""

    id: str
    link: str
    summary: str | None
    severity: str | None
    fixed_in: str | None

    @property
    def href(self) -> str | None:
        """``link`` when a page may link to it (http or https: a record is anyone's text, and
        a ``javascript:`` reference must not become a link)."""
        return self.link if self.link.startswith(("https://", "http://")) else None


def release_marks(name: str, versions: Sequence[str],
                  found: Sequence[tuple[Advisory, str]]) -> list[tuple[str, list[Mark]]]:
    """Each of ``versions`` (of the normalised ``name``) that an advisory of ``found``
    (advisories with their records as stored JSON text) affects, with its marks, in the
    order given. A record that is not JSON shows no severity."""
    severities: dict[str, str | None] = {}
    for advisory, record in found:
        try:
            document = json.loads(record)
        except ValueError:
            document = None
        severities[advisory.id] = (severity_of(document, name) if isinstance(document, dict)
                                   else None)
    marked = []
    for version in versions:
        marks = [Mark(advisory.id, advisory.link, advisory.summary, severities[advisory.id],
                      _first_fix(advisory, name, version))
                 for advisory, _record in found if advisory.affects(name, version)]
        if marks:
            marked.append((version, marks))
    return marked


def _first_fix(advisory: Advisory, name: str, version: str) -> str | None:
    fixes = [fix for entry in advisory.entries_for(name)
             if (fix := entry.first_fix_after(version)) is not None]
    return min(fixes, key=lambda fix: parse_version(fix) or Version("0"), default=None)
