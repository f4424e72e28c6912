"""Advisories into a live index: the real database imported by ``strongroom admin vulns``
(from a file and from a loopback URL, then synced with validators), and reports pushed to
``/_/vulnerabilities/osv/report`` signed with a real key pair or by a reporter's token; each
change that a release shows moves the project's serial."""

from __future__ import annotations

import base64
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tests.builders import make_wheel
from tests.databases import BACKENDS
from tests.functional.server import LiveIndex, running_index
from tests.functional.uploads import basic_auth

pytestmark = pytest.mark.functional

FIXTURE = Path(__file__).parents[3] / "shared" / "fixtures" / "osv" / "PyPI-all.zip"
REPORT = "/_/vulnerabilities/osv/report"
KEY = ec.generate_private_key(ec.SECP256R1())
PEM = KEY.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()


@pytest.fixture(scope="module", params=BACKENDS)
def vindex(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[LiveIndex]:
    """An index accepting reports signed by KEY ("osv-test") or pushed by user 'feeder'."""
    root = tmp_path_factory.mktemp(f"vulns-{request.param}")
    env = {"STRONGROOM_VULNERABILITY_REPORT_KEYS": json.dumps({"osv-test": PEM}),
           "STRONGROOM_VULNERABILITY_REPORTERS": "feeder"}
    with running_index(request.param, root, extra_env=env) as live:
        live.create_user("alice")
        live.create_user("feeder")
        for version in ("2.11.2", "2.11.3"):
            wheel = make_wheel(root, "Jinja2", version)
            live.cli("admin", "import", str(wheel), "--user", "alice")
        yield live


@pytest.fixture(scope="module")
def feed_url() -> Iterator[str]:
    """The real database served on loopback with an ETag and Last-Modified."""
    body = FIXTURE.read_bytes()

    class Feed(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.headers.get("If-None-Match") == '"v1"':
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("ETag", '"v1"')
            self.send_header("Last-Modified", "Mon, 01 Jan 2024 00:00:00 GMT")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Feed)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/PyPI/all.zip"
    server.shutdown()
    server.server_close()
    thread.join(5)


def _serial(index: LiveIndex, project: str) -> int:
    answer = httpx.get(f"{index.url}/pypi/{project}/json", timeout=10)
    assert answer.status_code == 200
    return int(answer.headers["X-PyPI-Last-Serial"])


def test_the_real_database_imports_once_and_journals_the_affected_project(
        vindex: LiveIndex) -> None:
    before = _serial(vindex, "jinja2")
    done = vindex.cli("admin", "vulns", "import", str(FIXTURE))
    said = " ".join(done.stderr.split())
    assert "added=2650 changed=0 unchanged=0 older=0 withdrawn=10 refused=1" in said
    assert "PYSEC-2024-55.json (PYSEC-2024-55): modified: '1-01-01T00:00:00.000000Z'" in said
    after = _serial(vindex, "jinja2")
    assert after > before  # 2.11.2 is affected by PYSEC-2021-66 (fixed in 2.11.3)
    listed = vindex.cli("admin", "vulns", "list", "--project", "Jinja2").stdout.splitlines()
    row = next(line.split("\t") for line in listed if line.startswith("PYSEC-2021-66\t"))
    assert (row[4], row[5]) == ("2.11.2", "2.11.3")
    shown = vindex.cli("admin", "vulns", "show", "PYSEC-2021-66")
    assert json.loads(shown.stdout)["id"] == "PYSEC-2021-66"
    assert "package jinja2: introduced=0 fixed=2.11.3" in shown.stderr
    again = vindex.cli("admin", "vulns", "import", str(FIXTURE), "--strict", check=False)
    assert again.returncode != 0
    assert "unchanged=2660" in again.stderr
    assert "1 of 2661 record(s) refused" in again.stderr
    assert _serial(vindex, "jinja2") == after
    missing = vindex.cli("admin", "vulns", "show", "PYSEC-1999-404", check=False)
    assert missing.returncode != 0
    assert "no vulnerability record 'PYSEC-1999-404'" in missing.stderr


def test_a_url_imports_and_sync_sends_its_validators(vindex: LiveIndex, feed_url: str) -> None:
    imported = vindex.cli("admin", "vulns", "import", feed_url)
    assert "unchanged=2660" in imported.stderr
    first = vindex.cli("admin", "vulns", "sync", feed_url, "--once")
    assert "unchanged=2660" in first.stderr
    second = vindex.cli("admin", "vulns", "sync", feed_url)
    assert "not modified since the last sync" in second.stderr
    refused = vindex.cli("admin", "vulns", "import", "http://127.0.0.1:1/all.zip", check=False)
    assert refused.returncode != 0
    assert "could not fetch" in refused.stderr


def _report(**fields: Any) -> bytes:
    entry = {"id": "PYSEC-2099-77", "project": "jinja2", "versions": ["2.11.3"],
             "link": "https://example.test/PYSEC-2099-77", "aliases": ["CVE-2099-77"],
             "summary": "pushed", "events": [{"introduced": "2.11.3"}, {"fixed": "2.12"}]}
    entry.update(fields)
    return json.dumps([entry]).encode()


def _signed(body: bytes, key: ec.EllipticCurvePrivateKey = KEY) -> dict[str, str]:
    return {"VULN-PUBLIC-KEY-IDENTIFIER": "osv-test", "Content-Type": "application/json",
            "VULN-PUBLIC-KEY-SIGNATURE": base64.b64encode(key.sign(body, ec.ECDSA(SHA256())))
            .decode()}


def test_a_signed_report_is_saved_and_a_bad_signature_refused(vindex: LiveIndex) -> None:
    before = _serial(vindex, "jinja2")
    body = _report()
    forged = httpx.post(f"{vindex.url}{REPORT}", content=body, timeout=30,
                        headers=_signed(body, ec.generate_private_key(ec.SECP256R1())))
    assert forged.status_code == 400
    assert "does not verify" in forged.json()["message"]
    unsigned = httpx.post(f"{vindex.url}{REPORT}", content=body, timeout=30)
    assert unsigned.status_code == 400
    assert "VULN-PUBLIC-KEY-IDENTIFIER" in unsigned.json()["message"]
    assert _serial(vindex, "jinja2") == before
    saved = httpx.post(f"{vindex.url}{REPORT}", content=body, headers=_signed(body), timeout=30)
    assert saved.status_code == 204, saved.text
    assert _serial(vindex, "jinja2") > before
    listed = vindex.cli("admin", "vulns", "list", "--project", "jinja2").stdout
    row = next(line.split("\t") for line in listed.splitlines()
               if line.startswith("PYSEC-2099-77\t"))
    assert (row[4], row[5], row[6]) == ("2.11.3", "2.12", "pushed")
    bad = _report(versions="2.11.3")
    refused = httpx.post(f"{vindex.url}{REPORT}", content=bad, headers=_signed(bad), timeout=30)
    assert refused.status_code == 400
    assert "[0].versions: must be a list of strings" in refused.json()["message"]


def test_a_reporter_pushes_with_a_token_and_others_may_not(vindex: LiveIndex) -> None:
    body = _report(id="PYSEC-2099-78", summary="by token")
    feeder = httpx.post(f"{vindex.url}{REPORT}", content=body, timeout=30,
                        headers=basic_auth(vindex.token("feeder")))
    assert feeder.status_code == 204, feeder.text
    alice = httpx.post(f"{vindex.url}{REPORT}", content=body, timeout=30,
                       headers=basic_auth(vindex.token("alice")))
    assert alice.status_code == 403
    assert alice.json()["message"] == "user 'alice' is not a vulnerability reporter"
    shown = vindex.cli("admin", "vulns", "show", "PYSEC-2099-78")
    assert json.loads(shown.stdout)["summary"] == "by token"
    assert "source: report by feeder" in shown.stderr
