"""The root page renderers stream their entries and produce the same bytes as a plain render."""

from __future__ import annotations

import json
from collections.abc import Iterator
from html import escape
from urllib.parse import quote

from pypi_simple import IndexPage

from strongroom.domain.simple import IndexEntry, render_index_html, render_index_json

# More than two encoding batches, with names that need escaping and non-ASCII.
ENTRIES = [
    IndexEntry(f"Proj<{i}>-ü" if i % 7 == 0 else f"Proj-{i}", f"proj-{i:05d}", i)
    for i in range(2345)
]


def _stream() -> Iterator[IndexEntry]:
    yield from ENTRIES


def test_json_from_a_stream_is_one_dumps_of_the_whole_document() -> None:
    expected = json.dumps(
        {"meta": {"api-version": "1.4", "_last-serial": 77},
         "projects": [{"name": e.name, "_last-serial": e.last_serial} for e in ENTRIES]},
        ensure_ascii=False, separators=(",", ":"),
    ).encode()
    assert render_index_json(_stream(), 77) == expected
    assert render_index_json(ENTRIES, 77) == expected


def test_html_from_a_stream_equals_the_list_render() -> None:
    streamed = render_index_html(_stream(), 77)
    assert streamed == render_index_html(ENTRIES, 77)
    anchors = "".join(
        f'    <a href="{escape(quote(e.normalized_name))}/">{escape(e.name)}</a><br />\n'
        for e in ENTRIES
    )
    assert anchors.encode() in streamed
    assert streamed.endswith(b"</html>\n<!--SERIAL 77-->\n")
    assert IndexPage.from_html(streamed).projects == [e.name for e in ENTRIES]


def test_empty_index() -> None:
    assert json.loads(render_index_json(iter(()), 0))["projects"] == []
    assert IndexPage.from_html(render_index_html(iter(()), 0)).projects == []
