"""PEP 691 content negotiation for the simple API, and the Integrity API's (PEP 740).

The server offers three media types: ``text/html``, ``application/vnd.pypi.simple.v1+html`` and
``application/vnd.pypi.simple.v1+json``. A client may name the ``latest`` alias of either v1 type;
the answer always carries the concrete ``v1`` type.

Choice rule: every offer gets the q-value of the most specific media range in ``Accept`` that
matches it (exact type, then ``type/*``, then ``*/*``); q=0 means "not acceptable". The offer with
the highest q wins. Ties go to ``text/html``, then v1 HTML, then JSON, as on PyPI: a client that
accepts everything equally (``*/*``, or no ``Accept`` at all: curl, scripts, older tools) gets the
same bytes it would get from pypi.org. Clients that want JSON say so, as pip, uv and bandersnatch
do.

``?format=`` holds exactly one media type and takes precedence over ``Accept``.

The Integrity API offers ``application/vnd.pypi.integrity.v1+json`` and ``application/json``
(in that order, as PyPI does), by the same rule and without ``?format=``.
"""

from __future__ import annotations

from dataclasses import dataclass

TEXT_HTML = "text/html"
V1_HTML = "application/vnd.pypi.simple.v1+html"
V1_JSON = "application/vnd.pypi.simple.v1+json"
OFFERS: tuple[str, ...] = (TEXT_HTML, V1_HTML, V1_JSON)
"""What the server can send, in tie-break order (first wins a tie)."""
INTEGRITY_V1_JSON = "application/vnd.pypi.integrity.v1+json"
INTEGRITY_OFFERS: tuple[str, ...] = (INTEGRITY_V1_JSON, "application/json")

_ALIASES = {
    "application/vnd.pypi.simple.latest+json": V1_JSON,
    "application/vnd.pypi.simple.latest+html": V1_HTML,
}


@dataclass(frozen=True)
class _Range:
    """One media range from an ``Accept`` header; ``specificity`` 2 exact, 1 ``t/*``, 0 ``*/*``."""

    kind: str
    subtype: str
    q: float

    @property
    def specificity(self) -> int:
        if self.kind == "*":
            return 0
        return 1 if self.subtype == "*" else 2

    def matches(self, media_type: str) -> bool:
        kind, _, subtype = media_type.partition("/")
        if self.kind == "*":
            return True
        return self.kind == kind and self.subtype in ("*", subtype)


def _parse_q(params: list[str]) -> float | None:
    """The q parameter's value (1.0 when absent), or None when it is malformed."""
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                q = float(value.strip())
            except ValueError:
                return None
            return q if 0.0 <= q <= 1.0 else None
    return 1.0


def _parse_accept(header: str) -> list[_Range]:
    """Parse an ``Accept`` header; malformed members are skipped rather than failing the request."""
    ranges: list[_Range] = []
    for member in header.split(","):
        media, *params = member.split(";")
        media = media.strip().lower()
        media = _ALIASES.get(media, media)
        kind, sep, subtype = media.partition("/")
        if not sep or not kind or not subtype or (kind == "*" and subtype != "*"):
            continue
        q = _parse_q(params)
        if q is not None:
            ranges.append(_Range(kind, subtype, q))
    return ranges


def _quality(offer: str, ranges: list[_Range]) -> float:
    """The q-value the most specific matching range gives ``offer`` (0 when none matches)."""
    best: _Range | None = None
    for accepted in ranges:
        if accepted.matches(offer) and (best is None or accepted.specificity > best.specificity):
            best = accepted
    return best.q if best is not None else 0.0


def negotiate(accept: str | None, format_param: str | None = None) -> str | None:
    """The media type to answer with, or None when nothing the server offers is acceptable.

    ``accept`` is the raw ``Accept`` header (None or blank means ``*/*``); ``format_param`` is the
    raw ``?format=`` query value, which overrides ``Accept`` when given.
    """
    if format_param is not None:
        wanted = format_param.split(";")[0].strip().lower()
        wanted = _ALIASES.get(wanted, wanted)
        return wanted if wanted in OFFERS else None
    return _best(accept, OFFERS)


def negotiate_integrity(accept: str | None) -> str | None:
    """The media type of a provenance object's answer (``INTEGRITY_OFFERS``), or None when
    ``accept`` (the raw header; None or blank means ``*/*``) takes neither."""
    return _best(accept, INTEGRITY_OFFERS)


def _best(accept: str | None, offers: tuple[str, ...]) -> str | None:
    """The offer ``accept`` gives the highest q-value, the earlier one on a tie; None when
    it gives every offer 0."""
    ranges = _parse_accept(accept) if accept and accept.strip() else [_Range("*", "*", 1.0)]
    best_offer, best_q = None, 0.0
    for offer in offers:
        q = _quality(offer, ranges)
        if q > best_q:
            best_offer, best_q = offer, q
    return best_offer


def is_json(media_type: str) -> bool:
    """Whether a negotiated media type is the JSON serialisation."""
    return media_type == V1_JSON
