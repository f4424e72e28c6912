"""Download the corpus once into its cache, checking every file against its sha256.

Run as ``scripts/fetch-real-dists [--cache DIR]`` (or ``python -m tests.realdists.fetch``).
Files already in the cache with the right digest are not downloaded again; a file there with
another digest is replaced. Several processes may fetch into one cache at once: each writes
its own temporary file and renames it into place, so no reader sees a partial file.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from tests.realdists.corpus import (
    MANIFEST,
    ManifestError,
    RealDistribution,
    default_cache,
    load_manifest,
)

_CHUNK = 1 << 16


class FetchError(Exception):
    """Some files could not be downloaded or did not match their sha256; each is named."""


@dataclass(frozen=True)
class FetchReport:
    """Where each file of the corpus is, and how many were downloaded by this fetch."""

    paths: list[Path]
    downloaded: int


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def fetch_corpus(distributions: Sequence[RealDistribution], cache: Path, *,
                 show_progress: bool = True, timeout: float = 60.0) -> FetchReport:
    """Make ``cache`` hold every file of ``distributions`` with its manifest sha256.

    Downloads only what is missing or wrong, showing a progress bar on stderr when
    ``show_progress``. Raises FetchError naming every file that could not be downloaded (an
    HTTP error, a timeout of ``timeout`` seconds between bytes) or whose bytes had another
    sha256; files that did download are kept.
    """
    cache.mkdir(parents=True, exist_ok=True)
    wanted = [d for d in distributions
              if not (cache / d.filename).is_file() or sha256_of(cache / d.filename) != d.sha256]
    failures: list[str] = []
    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
               TransferSpeedColumn(), TimeRemainingColumn())
    with (httpx.Client(follow_redirects=True, timeout=timeout) as client,
          Progress(*columns, console=Console(stderr=True), disable=not show_progress) as bar):
        task = bar.add_task(f"fetching {len(wanted)} real distributions",
                            total=sum(d.size for d in wanted))
        for distribution in wanted:
            try:
                _download(client, distribution, cache, bar, task)
            except FetchError as exc:
                failures.append(str(exc))
    if failures:
        raise FetchError(f"{len(failures)} of {len(wanted)} download(s) failed:\n"
                         + "\n".join(failures))
    return FetchReport([cache / d.filename for d in distributions], len(wanted))


def _download(client: httpx.Client, distribution: RealDistribution, cache: Path,
              bar: Progress, task: TaskID) -> None:
    partial = cache / f".{distribution.filename}.{os.getpid()}.part"
    digest = hashlib.sha256()
    try:
        with client.stream("GET", distribution.url) as response, partial.open("wb") as out:
            response.raise_for_status()
            for chunk in response.iter_bytes(_CHUNK):
                digest.update(chunk)
                out.write(chunk)
                bar.advance(task, len(chunk))
        if digest.hexdigest() != distribution.sha256:
            raise FetchError(f"{distribution.filename}: {distribution.url} sent bytes whose "
                             f"sha256 is {digest.hexdigest()}, not {distribution.sha256}")
        partial.replace(cache / distribution.filename)
    except httpx.HTTPError as exc:
        raise FetchError(f"{distribution.filename}: downloading {distribution.url} failed: "
                         f"{exc}") from exc
    finally:
        partial.unlink(missing_ok=True)


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: fetch the manifest's files; 0 when all are in the cache, else 1."""
    parser = argparse.ArgumentParser(
        prog="scripts/fetch-real-dists",
        description="Download the real distributions of the test corpus once into a cache, "
                    "verifying each sha256.")
    parser.add_argument("--cache", type=Path, default=None,
                        help="where to keep them (default: $STRONGROOM_REAL_DISTS, else "
                             "~/.cache/strongroom/real-dists)")
    parser.add_argument("--manifest", type=Path, default=MANIFEST, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    cache: Path = args.cache or default_cache()
    try:
        distributions = load_manifest(args.manifest)
        report = fetch_corpus(distributions, cache)
    except (ManifestError, FetchError) as exc:
        print(f"fetch-real-dists: {exc}", file=sys.stderr)
        return 1
    size = sum(d.size for d in distributions) / 1e6
    print(f"{len(report.paths)} real distributions ({size:.1f} MB) in {cache}; "
          f"downloaded {report.downloaded} now", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
