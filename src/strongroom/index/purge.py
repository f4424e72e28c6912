"""Purging caching proxies after a write: exactly the URLs (and surrogate keys) it changed.

A write commits, publishes its serial to the change feed, then calls a ``Purger`` with the pages
of the projects it touched. ``HttpPurger`` sends one request per page and cached variant: by
default a ``GET`` carrying ``X-Strongroom-Refresh: 1``, which deploy/nginx.conf (from trusted
addresses only) turns into a cache bypass that stores the fresh page in place of the old one, so
the proxy is purged and warm again in one step, with stock nginx; or, with ``method="PURGE"``,
a ``PURGE`` request as Varnish and CDNs understand it. A second pass a moment later replaces a
stale page that a slow request, begun before the write, may have stored after the first pass.
"""

from __future__ import annotations

import logging
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger(__name__)

# The Accept headers a proxy caches simple pages under (deploy/nginx.conf maps exactly these to
# cache-key variants and does not cache any other): none, the three media types alone, pip's
# and uv's, plus "*/*" (curl, httpx). Purging sends each one, so every cached representation goes.
SIMPLE_VARIANTS: tuple[str, ...] = (
    "",
    "*/*",
    "text/html",
    "application/vnd.pypi.simple.v1+html",
    "application/vnd.pypi.simple.v1+json",
    "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, "
    "text/html; q=0.01",
    "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, "
    "text/html;q=0.01",
)
REPURGE_DELAY = 2.0


@dataclass(frozen=True)
class Purge:
    """What one write changed: URL paths, and the surrogate keys the responses carried."""

    simple_paths: tuple[str, ...]
    json_paths: tuple[str, ...]
    surrogate_keys: tuple[str, ...]


def purge_for(changes: Mapping[str, Iterable[str]]) -> Purge:
    """The pages to purge for ``{normalised project: versions touched}``.

    ``/simple/`` lists every project, so it goes with any change; a project's simple page and
    JSON document always go; a release's JSON document goes when its version was touched.
    """
    simple, json = ["/simple/"], []
    keys = ["all-projects"]
    for project in sorted(changes):
        quoted = urllib.parse.quote(project)
        simple.append(f"/simple/{quoted}/")
        json += [f"/pypi/{quoted}/json", f"/pypi/{quoted}/json/"]
        for version in sorted(set(changes[project])):
            json.append(f"/pypi/{quoted}/{urllib.parse.quote(version)}/json")
        keys.append(f"project/{project}")
    return Purge(tuple(simple), tuple(json), tuple(keys))


class Purger(Protocol):
    """Tells caches in front of the index to forget what a committed write changed."""

    def purge(self, purge: Purge) -> None:
        """Purge; failures are logged, never raised (the write has already committed)."""


class NoPurger:
    """For an index with no cache in front of it."""

    def purge(self, purge: Purge) -> None:
        """Nothing to purge."""


class HttpPurger:
    """A refresh (or ``PURGE``) of every page and simple-page variant, on each proxy base URL.

    Each request also carries ``Surrogate-Key`` with the write's keys, for proxies that purge by
    key. A second pass runs ``repurge_delay`` seconds later in a daemon thread (0 turns it off).
    """

    def __init__(self, base_urls: Iterable[str], *, method: str = "GET", timeout: float = 5.0,
                 repurge_delay: float = REPURGE_DELAY) -> None:
        self.base_urls = [url.rstrip("/") for url in base_urls]
        for url in self.base_urls:
            if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
                raise ValueError(f"purge URL {url!r}: only http:// and https:// are supported")
        self.method = method
        self.timeout = timeout
        self.repurge_delay = repurge_delay

    def purge(self, purge: Purge) -> None:
        self._send_all(purge)
        if self.repurge_delay > 0:
            timer = threading.Timer(self.repurge_delay, self._send_all, args=(purge,))
            timer.daemon = True
            timer.start()

    def _send_all(self, purge: Purge) -> None:
        requests = [(p, accept) for p in purge.simple_paths for accept in SIMPLE_VARIANTS]
        requests += [(p, "") for p in purge.json_paths]
        keys = " ".join(purge.surrogate_keys)
        for base in self.base_urls:
            for path, accept in requests:
                self._send(base + path, accept, keys)

    def _send(self, url: str, accept: str, keys: str) -> None:
        headers = {"Surrogate-Key": keys, "X-Strongroom-Refresh": "1"}
        if accept:
            headers["Accept"] = accept
        # The scheme was checked in __init__: only http(s) URLs get here.
        request = urllib.request.Request(url, method=self.method, headers=headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                response.read()
        except urllib.error.HTTPError as error:
            error.close()
            if error.code != 404:  # 404: no such page (or, for PURGE, not cached)
                log.warning("%s %s (Accept %r) answered %s", self.method, url, accept,
                            error.code)
        except OSError as error:
            log.warning("%s %s failed: %s", self.method, url, error)
