"""The real-distribution corpus: its manifest covers what issue 14 names, and fetching it checks
every digest (files served from loopback, never from PyPI, here)."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from dataclasses import replace
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from packaging.tags import Tag

from tests.realdists.corpus import (
    UPLOAD_RULES,
    ManifestError,
    RealDistribution,
    default_cache,
    load_manifest,
)
from tests.realdists.fetch import FetchError, fetch_corpus, main
from tests.realdists.install_plan import plan_wheels, rounds

CORPUS = load_manifest()


def test_manifest_covers_every_kind_issue_14_names() -> None:
    names = {d.filename for d in CORPUS}
    assert len(CORPUS) >= 45
    assert sum(d.size for d in CORPUS) < 60_000_000
    assert {"six-1.16.0.tar.gz", "MarkupSafe-2.1.5.tar.gz", "zope.interface-7.1.1.tar.gz",
            "Django-5.1.4-py3-none-any.whl", "Flask_Login-0.6.3-py3-none-any.whl",
            "six-1.10.0-py2.py3-none-any.whl"} <= names
    assert {"1.0", "1.1", "1.2", "2.0", "2.1", "2.3", "2.4"} <= {
        d.metadata_version for d in CORPUS}
    assert {".zip", ".bz2"} <= {Path(name).suffix for name in names}
    assert any("cp311" in name and "manylinux" in name for name in names)
    assert sum(d.uploaded < "2019" and not d.is_wheel for d in CORPUS) >= 8
    broken = {rule for d in CORPUS for rule in d.upload_rules}
    # Every historical form issue 14 names, and the other rules old files break.
    assert broken >= {"filename-not-normalized", "version-not-normalized", "sdist-format",
                      "metadata-version", "license-expression-too-early", "record-mismatch",
                      "classifier", "email", "url", "description", "placeholder",
                      "field-too-early", "hard-link"}
    assert broken <= UPLOAD_RULES
    assert sum(not d.upload_rules for d in CORPUS) >= 10


def test_a_manifest_with_an_unknown_rule_is_refused(tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.toml"
    manifest.write_text(
        '[[distribution]]\nfilename = "a-1.tar.gz"\nproject = "a"\nversion = "1"\n'
        'url = "http://127.0.0.1/a-1.tar.gz"\n'
        f'sha256 = "{"0" * 64}"\nsize = 1\nuploaded = "2020-01-01"\n'
        'metadata_version = "2.1"\nupload_rules = ["no-such-rule"]\nnote = "x"\n')
    with pytest.raises(ManifestError, match="no-such-rule"):
        load_manifest(manifest)


def test_the_cache_is_configurable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("STRONGROOM_REAL_DISTS", str(tmp_path / "corpus"))
    assert default_cache() == tmp_path / "corpus"
    monkeypatch.delenv("STRONGROOM_REAL_DISTS")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_cache() == tmp_path / "strongroom" / "real-dists"


class _Counting(SimpleHTTPRequestHandler):
    requests: list[str]

    def do_GET(self) -> None:
        self.requests.append(self.path)
        super().do_GET()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path, list[str]]]:
    """A loopback HTTP server for the files of a directory: (base URL, directory, paths asked)."""
    root = tmp_path / "served"
    root.mkdir()
    asked: list[str] = []
    handler = type("Handler", (_Counting,), {"requests": asked})
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", root, asked
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _entry(base: str, root: Path, name: str, data: bytes, *, sha256: str | None = None
           ) -> RealDistribution:
    (root / name).write_bytes(data)
    return RealDistribution(
        filename=name, project="demo", version="1.0", url=f"{base}/{name}",
        sha256=sha256 or hashlib.sha256(data).hexdigest(), size=len(data),
        uploaded="2020-01-01", metadata_version="2.1", upload_rules=frozenset(), note="test")


def test_fetch_downloads_once_and_then_keeps_the_files(
        served: tuple[str, Path, list[str]], tmp_path: Path) -> None:
    base, root, asked = served
    corpus = [_entry(base, root, "demo-1.0.tar.gz", b"sdist bytes"),
              _entry(base, root, "demo-1.0-py3-none-any.whl", b"wheel bytes" * 10_000)]
    cache = tmp_path / "cache"

    first = fetch_corpus(corpus, cache, show_progress=False)
    again = fetch_corpus(corpus, cache, show_progress=False)

    assert first.downloaded == 2
    assert again.downloaded == 0
    assert len(asked) == 2
    assert [p.read_bytes() for p in again.paths] == [b"sdist bytes", b"wheel bytes" * 10_000]
    assert sorted(p.name for p in cache.iterdir()) == sorted(d.filename for d in corpus)


def test_a_cached_file_with_another_digest_is_replaced(
        served: tuple[str, Path, list[str]], tmp_path: Path) -> None:
    base, root, _ = served
    entry = _entry(base, root, "demo-1.0.tar.gz", b"the real bytes")
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / entry.filename).write_bytes(b"damaged")

    assert fetch_corpus([entry], cache, show_progress=False).downloaded == 1
    assert (cache / entry.filename).read_bytes() == b"the real bytes"


def test_a_wrong_sha256_is_an_error_and_leaves_nothing(
        served: tuple[str, Path, list[str]], tmp_path: Path) -> None:
    base, root, _ = served
    good = _entry(base, root, "demo-1.0.tar.gz", b"fine")
    bad = _entry(base, root, "demo-1.0-py3-none-any.whl", b"tampered", sha256="ab" * 32)
    cache = tmp_path / "cache"

    with pytest.raises(FetchError, match=r"demo-1\.0-py3-none-any\.whl: .* sha256 is"):
        fetch_corpus([good, bad], cache, show_progress=False)
    assert [p.name for p in cache.iterdir()] == [good.filename]


def test_a_failed_download_is_an_error(served: tuple[str, Path, list[str]],
                                       tmp_path: Path) -> None:
    base, root, _ = served
    entry = _entry(base, root, "demo-1.0.tar.gz", b"gone")
    (root / entry.filename).unlink()
    with pytest.raises(FetchError, match=r"demo-1\.0\.tar\.gz: downloading .* failed.*404"):
        fetch_corpus([entry], tmp_path / "cache", show_progress=False)


def test_the_command_reports_an_error_with_exit_code_1(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = tmp_path / "manifest.toml"
    manifest.write_text("nothing = 1\n")
    assert main(["--cache", str(tmp_path / "cache"), "--manifest", str(manifest)]) == 1
    assert "expected only [[distribution]] tables" in capsys.readouterr().err


def test_pip_is_asked_for_the_wheel_it_prefers_and_one_version_per_run() -> None:
    here = [Tag("cp311", "cp311", "manylinux_2_17_x86_64"), Tag("py3", "none", "any")]
    binary, pure, other = (replace(CORPUS[0], filename=name, project="charset-normalizer",
                                   version="3.4.0") for name in (
        "charset_normalizer-3.4.0-cp311-cp311-manylinux_2_17_x86_64.whl",
        "charset_normalizer-3.4.0-py3-none-any.whl",
        "charset_normalizer-3.4.0-cp311-cp311-win_amd64.whl"))
    plan = plan_wheels([pure, other, binary], here)
    assert plan.by_requirement == [binary]
    assert plan.by_url == [pure]
    newer = replace(pure, version="3.4.1")
    assert rounds([pure, newer, binary]) == [[pure], [newer], [binary]]
