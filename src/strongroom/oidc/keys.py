"""Fetching an issuer's signing keys: its OpenID discovery document names its JWKS, whose keys
verify its tokens. ``KeyFetcher`` is the seam (tests may give their own); ``HttpKeyFetcher``
fetches over HTTP with httpx.

A fetch is bounded: each wait on the network by the timeout, the whole fetch (both documents)
by the same deadline, each document's size by a limit, and redirects are not followed. Keys are
kept ``ttl`` seconds; a token naming a key that is not among them asks for a fresh copy, at
most once per ``refresh_interval`` per issuer, so tokens with made-up key ids cannot make the
index hammer an issuer. A failed fetch keeps the last good keys in use, and is not retried
for ``failure_backoff`` seconds, so while an issuer is down or slow each mint fails at once
rather than after the timeout.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx
from jwt import PyJWK
from jwt.exceptions import PyJWKError

from strongroom.errors import StrongroomError
from strongroom.oidc.issuers import is_loopback, trustworthy_url

MAX_DISCOVERY_BYTES = 64 * 1024
MAX_JWKS_BYTES = 256 * 1024
# OpenID Connect Discovery: an issuer that declares no algorithms signs with RS256.
_DEFAULT_ALGORITHMS = ("RS256",)


class KeysUnavailable(StrongroomError):
    """An issuer's keys could not be fetched (down, slow, or answering nonsense): ``message``
    says why, for the token's holder."""


@dataclass(frozen=True)
class IssuerKeys:
    """An issuer's signing keys by key id (JWKs, each known to be readable), and the signing
    algorithms its discovery document declares."""

    keys: Mapping[str, Mapping[str, Any]]
    algorithms: frozenset[str]


class KeyFetcher(Protocol):
    """Gives an issuer's current keys."""

    def keys(self, issuer: str, *, refresh: bool = False) -> IssuerKeys:
        """The keys of the issuer whose URL is ``issuer``; with ``refresh``, a fresher copy
        than the one kept, if the fetcher's limits allow one now. Raises KeysUnavailable."""
        ...


@dataclass
class _Kept:
    keys: IssuerKeys | None = None
    fetched: float = float("-inf")  # monotonic time of the last successful fetch
    failed: float = float("-inf")  # ... and of the last failed one
    failure: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)


class HttpKeyFetcher:
    """Fetches keys over HTTP(S), keeping them ``ttl`` seconds (module docstring)."""

    def __init__(self, *, timeout: float, ttl: float = 300.0, refresh_interval: float = 60.0,
                 failure_backoff: float = 5.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._timeout = timeout
        self._ttl = ttl
        self._refresh_interval = refresh_interval
        self._failure_backoff = failure_backoff
        self._clock = clock
        self._kept: dict[str, _Kept] = {}
        self._guard = threading.Lock()

    def keys(self, issuer: str, *, refresh: bool = False) -> IssuerKeys:
        with self._guard:
            kept = self._kept.setdefault(issuer, _Kept())
        with kept.lock:  # one fetch per issuer at a time; the others use its result
            now = self._clock()
            fresh = now - kept.fetched < (self._refresh_interval if refresh else self._ttl)
            if kept.keys is not None and fresh:
                return kept.keys
            if now - kept.failed < self._failure_backoff:
                return self._after_failure(kept)
            try:
                kept.keys = self._fetch(issuer)
            except KeysUnavailable as failure:
                kept.failed, kept.failure = self._clock(), failure.message
                return self._after_failure(kept)
            kept.fetched = self._clock()
            return kept.keys

    @staticmethod
    def _after_failure(kept: _Kept) -> IssuerKeys:
        if kept.keys is not None:
            return kept.keys
        raise KeysUnavailable(kept.failure)

    def _fetch(self, issuer: str) -> IssuerKeys:
        deadline = time.monotonic() + self._timeout
        with httpx.Client(timeout=self._timeout, follow_redirects=False) as client:
            discovery = _document(client, issuer.rstrip("/") + "/.well-known/openid-configuration",
                                  MAX_DISCOVERY_BYTES, deadline)
            if discovery.get("issuer") != issuer:
                raise KeysUnavailable(f"the discovery document of {issuer} names another "
                                      "issuer")
            jwks_uri = discovery.get("jwks_uri")
            loopback = is_loopback(urlsplit(issuer).hostname or "")
            if not isinstance(jwks_uri, str) or not trustworthy_url(jwks_uri) or (
                    urlsplit(jwks_uri).scheme == "http" and not loopback):
                raise KeysUnavailable(f"the discovery document of {issuer} names no https "
                                      "jwks_uri")
            jwks = _document(client, jwks_uri, MAX_JWKS_BYTES, deadline)
        algorithms = discovery.get("id_token_signing_alg_values_supported", _DEFAULT_ALGORITHMS)
        if not isinstance(algorithms, list | tuple) or not all(
                isinstance(a, str) for a in algorithms):
            raise KeysUnavailable(f"the discovery document of {issuer} lists its algorithms "
                                  "wrongly")
        return IssuerKeys(_signing_keys(issuer, jwks), frozenset(algorithms))


def _document(client: httpx.Client, url: str, limit: int, deadline: float) -> dict[str, Any]:
    """The JSON object at ``url``, read before ``deadline`` and within ``limit`` bytes."""
    try:
        with client.stream("GET", url, headers={"Accept": "application/json"}) as response:
            if response.status_code != 200:
                raise KeysUnavailable(f"{url} answered {response.status_code}")
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > limit:
                    raise KeysUnavailable(f"{url} sent more than {limit} bytes")
                if time.monotonic() > deadline:
                    raise KeysUnavailable(f"{url} answered too slowly")
    except httpx.TimeoutException as exc:
        raise KeysUnavailable(f"{url} did not answer in time") from exc
    except httpx.HTTPError as exc:
        raise KeysUnavailable(f"{url} could not be reached ({type(exc).__name__})") from exc
    if time.monotonic() > deadline:
        raise KeysUnavailable(f"{url} answered too slowly")
    try:
        document = json.loads(bytes(body))
    except ValueError as exc:
        raise KeysUnavailable(f"{url} did not send JSON") from exc
    if not isinstance(document, dict):
        raise KeysUnavailable(f"{url} did not send a JSON object")
    return document


def _signing_keys(issuer: str, jwks: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """The signing keys of a JWKS that have a key id; keys of other uses, or that PyJWT cannot
    read, are left out."""
    found: dict[str, Mapping[str, Any]] = {}
    entries = jwks.get("keys")
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("kid"), str):
            continue
        if entry.get("use", "sig") != "sig":
            continue
        try:
            PyJWK(entry)
        except PyJWKError:
            continue
        found[entry["kid"]] = entry
    if not found:
        raise KeysUnavailable(f"the JWKS of {issuer} holds no signing key")
    return found
