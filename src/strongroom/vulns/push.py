"""The push feed: PyPI's OSV report (what osv.dev POSTs to ``/_/vulnerabilities/osv/report``)
checked, its signature verified, and each entry made an OSV record for the store.

A report is a JSON list of ``{"id", "project", "versions", "link", "aliases", "details"?,
"summary"?, "events"?, "withdrawn"?}``; every problem is named by its path (``[2].versions``).
The signature, when keys are configured, is Warehouse's: ``VULN-PUBLIC-KEY-SIGNATURE`` is the
base64 of an ECDSA (SHA-256, DER) signature over the body's bytes by the key that
``VULN-PUBLIC-KEY-IDENTIFIER`` names.

A report has no ``modified``: the time it arrived stands for it (a ``modified`` given anyway,
as an extension, is used), so a report replaces what was stored for its id. Entries sharing an
id (one vulnerability of several projects) become one record naming every project. Events
become one ``ECOSYSTEM`` range (``introduced: 0`` added when none is given, for a feed that
sends only fixes); the listed ``versions`` match exactly, as on PyPI.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ec import ECDSA, EllipticCurvePublicKey
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from strongroom.domain.advisories import Advisory
from strongroom.domain.osv import ECOSYSTEM, InvalidAdvisory, parse_record, parse_timestamp
from strongroom.errors import InvalidInput, Problem

MAX_REPORT_BYTES = 8 << 20
KEY_HEADER = "VULN-PUBLIC-KEY-IDENTIFIER"
SIGNATURE_HEADER = "VULN-PUBLIC-KEY-SIGNATURE"
_REQUIRED = ("id", "project", "versions", "link", "aliases")
_OPTIONAL = ("details", "summary", "events", "withdrawn", "modified")
_TEXTS = ("id", "project", "link")


class BadSignature(InvalidInput):
    """A report whose signature headers are missing, malformed or do not verify."""


def load_public_key(identifier: str, pem: str) -> EllipticCurvePublicKey:
    """``pem`` as an elliptic-curve public key. Raises InvalidInput naming ``identifier``."""
    try:
        key = load_pem_public_key(pem.encode())
    except (ValueError, TypeError) as exc:
        raise InvalidInput(f"vulnerability report key {identifier!r}: not a PEM public key "
                           f"({exc})") from exc
    if not isinstance(key, EllipticCurvePublicKey):
        raise InvalidInput(f"vulnerability report key {identifier!r}: not an ECDSA key")
    return key


def verify_report(body: bytes, identifier: str | None, signature: str | None,
                  keys: Mapping[str, str]) -> None:
    """Check the body's signature against ``keys`` (identifier -> PEM). Raises BadSignature
    saying which header is missing, which key is unknown, or that it does not verify."""
    if not identifier:
        raise BadSignature(f"the {KEY_HEADER} header is required")
    if not signature:
        raise BadSignature(f"the {SIGNATURE_HEADER} header is required")
    if identifier not in keys:
        raise BadSignature(f"{KEY_HEADER}: no key {identifier!r} is configured")
    try:
        raw = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BadSignature(f"{SIGNATURE_HEADER}: not base64") from exc
    try:
        load_public_key(identifier, keys[identifier]).verify(raw, body, ECDSA(SHA256()))
    except InvalidSignature as exc:
        raise BadSignature(f"{SIGNATURE_HEADER}: the signature does not verify") from exc


def report_records(body: bytes, *, now: dt.datetime) -> list[tuple[Advisory, str]]:
    """The advisories (with their OSV record text) of a report's ``body``.

    Raises InvalidInput listing every problem by its path: a body that is not a JSON list,
    an entry missing a required key or with one of the wrong type, an unparseable timestamp.
    """
    if len(body) > MAX_REPORT_BYTES:
        raise InvalidInput(f"the report is larger than {MAX_REPORT_BYTES} bytes")
    try:
        entries = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"the report is not JSON: {exc}") from exc
    if not isinstance(entries, list):
        raise InvalidInput("the report must be a JSON list of vulnerabilities")
    problems: list[Problem] = []
    records: dict[str, dict[str, Any]] = {}
    for index, entry in enumerate(entries):
        found = _check(entry, f"[{index}]", problems)
        if found is not None:
            _merge(records, found, now)
    if problems:
        raise InvalidAdvisory(problems, source="report")
    made = []
    for record in records.values():
        advisory, _warnings = parse_record(record, source="report")
        # The link the feed gives is the one PyPI shows, whatever the id's prefix.
        link = record["references"][0]["url"]
        made.append((replace(advisory, link=link), json.dumps(record, ensure_ascii=False)))
    return made


def _check(entry: Any, path: str, problems: list[Problem]) -> dict[str, Any] | None:
    """``entry`` when it is a usable report entry; else None, with its problems added."""
    if not isinstance(entry, dict):
        problems.append(Problem(path, "must be an object"))
        return None
    found = [*_missing(entry, path), *_mistyped(entry, path)]
    if not found:
        try:
            parse_record(_record(entry, dt.datetime.now(dt.UTC)), source="report")
        except InvalidAdvisory as exc:  # an id or event osv.py refuses, by the report's path
            found = [Problem(f"{path}.{p.field}" if p.field else path, p.reason)
                     for p in exc.problems]
    problems += found
    return None if found else entry


def _missing(entry: Mapping[str, Any], path: str) -> list[Problem]:
    found = [Problem(f"{path}.{key}", "is required") for key in _REQUIRED if key not in entry]
    unknown = sorted(set(entry) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        found.append(Problem(path, f"unknown keys {', '.join(map(repr, unknown))}"))
    return found


def _mistyped(entry: Mapping[str, Any], path: str) -> list[Problem]:
    found = [Problem(f"{path}.{key}", "must be a non-empty string") for key in _TEXTS
             if key in entry and (not isinstance(entry[key], str) or not entry[key])]
    found += [Problem(f"{path}.{key}", "must be a list of strings")
              for key in ("versions", "aliases") if key in entry and not _strings(entry[key])]
    found += [Problem(f"{path}.{key}", "must be a string") for key in ("details", "summary")
              if entry.get(key) is not None and not isinstance(entry[key], str)]
    found += [Problem(f"{path}.{key}", f"{entry[key]!r} is not an RFC 3339 timestamp with a "
                      "time zone") for key in ("withdrawn", "modified")
              if entry.get(key) is not None and parse_timestamp(entry[key]) is None]
    events = entry.get("events")
    if events is not None and not (isinstance(events, list) and all(
            isinstance(e, dict) and len(e) == 1 and all(isinstance(v, str) for v in e.values())
            for e in events)):
        found.append(Problem(f"{path}.events", 'must be a list of events like '
                             '{"introduced": "1.0"} or {"fixed": "1.2"}'))
    return found


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _record(entry: Mapping[str, Any], now: dt.datetime) -> dict[str, Any]:
    """One report entry as an OSV record."""
    modified = entry.get("modified") or now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    affected: dict[str, Any] = {"package": {"ecosystem": ECOSYSTEM, "name": entry["project"]},
                                "versions": list(entry["versions"])}
    events = list(entry.get("events") or [])
    if events:
        if not any("introduced" in event for event in events):
            events.insert(0, {"introduced": "0"})
        affected["ranges"] = [{"type": "ECOSYSTEM", "events": events}]
    record: dict[str, Any] = {"schema_version": "1.6.0", "id": entry["id"],
                              "modified": modified, "aliases": list(entry["aliases"])}
    for key in ("summary", "details", "withdrawn"):
        if entry.get(key) is not None:
            record[key] = entry[key]
    record["affected"] = [affected]
    record["references"] = [{"type": "ADVISORY", "url": entry["link"]}]
    return record


def _merge(records: dict[str, dict[str, Any]], entry: Mapping[str, Any],
           now: dt.datetime) -> None:
    record = _record(entry, now)
    known = records.get(record["id"])
    if known is None:
        records[record["id"]] = record
        return
    known["affected"] += record["affected"]
    known["aliases"] = list(dict.fromkeys([*known["aliases"], *record["aliases"]]))
