"""The report route exists only when someone may push, and asks for what is missing."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from starlette.applications import Starlette

from strongroom.db.engine import Database
from strongroom.errors import InvalidInput
from strongroom.tokens import TokenService
from strongroom.web.vulnpush import REPORT_PATH, vulnerability_report_routes


def test_no_key_and_no_reporter_means_no_route(database: Database) -> None:
    assert vulnerability_report_routes(database, TokenService(database), on_commit=print,
                                       keys={}, reporters=frozenset()) == []


def test_a_bad_configured_key_stops_the_app_at_start(database: Database) -> None:
    with pytest.raises(InvalidInput, match="vulnerability report key 'k': not a PEM"):
        vulnerability_report_routes(database, TokenService(database), on_commit=print,
                                    keys={"k": "nonsense"}, reporters=frozenset())


def test_reporters_only_ask_for_a_token(database: Database) -> None:
    routes = vulnerability_report_routes(database, TokenService(database), on_commit=print,
                                         keys={}, reporters=frozenset({"feeder"}))

    async def ask() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=Starlette(routes=routes))
        async with httpx.AsyncClient(transport=transport, base_url="http://index") as client:
            return [await client.post(REPORT_PATH, content=b"[]"),
                    await client.post(REPORT_PATH, content=b"[]",
                                      headers={"Authorization": "Bearer strongroom-nonsense"}),
                    await client.get(REPORT_PATH)]

    answer, forged, got = asyncio.run(ask())
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith("Basic")
    assert "API token of a vulnerability reporter" in answer.json()["message"]
    assert forged.status_code == 401
    assert got.status_code == 405
