"""PyPI's OSV report shape made into OSV records, every problem named by its path; and the
report's ECDSA signature checked with a real key pair."""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from strongroom.config import load_settings
from strongroom.errors import InvalidInput
from strongroom.vulns.push import BadSignature, report_records, verify_report

NOW = dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=dt.UTC)


def _entry(**fields: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": "PYSEC-2099-5", "project": "Demo_Pkg",
                             "versions": ["1.0", "1.1"], "link": "https://example.test/5",
                             "aliases": ["CVE-2099-5"]}
    entry.update(fields)
    return entry


def _body(*entries: dict[str, Any]) -> bytes:
    return json.dumps(list(entries)).encode()


def test_an_entry_becomes_a_record_matching_its_versions_and_range() -> None:
    [(advisory, text)] = report_records(_body(_entry(
        summary="s", details="d", events=[{"introduced": "2.0"}, {"fixed": "2.3"}])), now=NOW)
    assert advisory.modified == NOW
    assert advisory.link == "https://example.test/5"
    assert (advisory.summary, advisory.details, advisory.aliases) == ("s", "d", ("CVE-2099-5",))
    assert [advisory.affects("demo-pkg", v) for v in ("1.0", "1.2", "2.2", "2.3")] == [
        True, False, True, False]
    assert advisory.fixed_in("demo-pkg") == ("2.3",)
    record = json.loads(text)
    assert record["affected"][0]["package"] == {"ecosystem": "PyPI", "name": "Demo_Pkg"}
    assert record["references"] == [{"type": "ADVISORY", "url": "https://example.test/5"}]


def test_fixes_alone_range_from_the_start_and_a_given_modified_is_kept() -> None:
    [(advisory, _)] = report_records(_body(_entry(
        versions=[], events=[{"fixed": "3.0"}], modified="2024-05-05T00:00:00Z",
        withdrawn="2024-06-01T00:00:00Z")), now=NOW)
    assert advisory.modified == dt.datetime(2024, 5, 5, tzinfo=dt.UTC)
    assert advisory.withdrawn is not None
    assert advisory.entries_for("demo-pkg")[0].affects("2.9")


def test_entries_sharing_an_id_make_one_record_of_several_projects() -> None:
    [(advisory, _)] = report_records(
        _body(_entry(), _entry(project="other", versions=["9"], aliases=["GHSA-x"])), now=NOW)
    assert advisory.names == {"demo-pkg", "other"}
    assert advisory.aliases == ("CVE-2099-5", "GHSA-x")


@pytest.mark.parametrize(("body", "named"), [
    (b"not json", "the report is not JSON"),
    (b'{"id": "x"}', "must be a JSON list"),
    (_body(_entry(versions="1.0")), r"\[0\]\.versions: must be a list of strings"),
    (_body(_entry(), {"id": "X-1"}), r"\[1\]\.project: is required"),
    (_body(_entry(link=5)), r"\[0\]\.link: must be a non-empty string"),
    (_body(_entry(withdrawn="soon")), r"\[0\]\.withdrawn: 'soon' is not an RFC 3339"),
    (_body(_entry(events=[{"fixed": 1}])), r"\[0\]\.events: must be a list of events"),
    (_body(_entry(events=[{"broken": "1"}])), r"\[0\]\.affected\[0\]\.ranges\[0\]\.events"),
    (_body(_entry(id="bad id!")), r"\[0\]\.id: 'bad id!' is not a usable advisory id"),
    (_body(_entry(severity="high")), r"\[0\]: unknown keys 'severity'"),
    (_body("x"), r"\[0\]: must be an object"),
])
def test_bad_reports_name_the_field(body: bytes, named: str) -> None:
    with pytest.raises(InvalidInput, match=named):
        report_records(body, now=NOW)


def test_the_signature_verifies_with_the_named_key_only() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
    other = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
    keys = {"osv-1": pem, "osv-2": other}
    body = _body(_entry())
    signature = base64.b64encode(key.sign(body, ec.ECDSA(SHA256()))).decode()
    verify_report(body, "osv-1", signature, keys)
    with pytest.raises(BadSignature, match="does not verify"):
        verify_report(body, "osv-2", signature, keys)
    with pytest.raises(BadSignature, match="does not verify"):
        verify_report(body + b" ", "osv-1", signature, keys)
    with pytest.raises(BadSignature, match="no key 'osv-3'"):
        verify_report(body, "osv-3", signature, keys)
    with pytest.raises(BadSignature, match="VULN-PUBLIC-KEY-SIGNATURE header is required"):
        verify_report(body, "osv-1", None, keys)
    with pytest.raises(BadSignature, match="not base64"):
        verify_report(body, "osv-1", "***", keys)


def test_the_push_settings_read_from_toml_and_the_environment(tmp_path: Path) -> None:
    toml = tmp_path / "strongroom.toml"
    toml.write_text('[strongroom]\nvulnerability_reporters = "feeder"\n'
                    '[strongroom.vulnerability_report_keys]\nosv = """PEM TEXT"""\n')
    assert load_settings(toml, environ={}).report_keys == {"osv": "PEM TEXT"}
    settings = load_settings(environ={
        "STRONGROOM_VULNERABILITY_REPORT_KEYS": '{"k1": "PEM"}',
        "STRONGROOM_VULNERABILITY_REPORTERS": "alice, bob ,"})
    assert settings.report_keys == {"k1": "PEM"}
    assert settings.reporters == {"alice", "bob"}
    assert load_settings(environ={}).report_keys == {}
    with pytest.raises(InvalidInput, match="STRONGROOM_VULNERABILITY_REPORT_KEYS"):
        load_settings(environ={"STRONGROOM_VULNERABILITY_REPORT_KEYS": "[1]"})
