"""``strongroom admin check-email-domains`` against a real DNS server on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select, update

from strongroom.accounts import AccountService
from strongroom.accounts.models import Email
from strongroom.cli.admin import admin
from strongroom.cli.state import open_index
from strongroom.config import Settings
from strongroom.errors import InvalidInput
from tests.dns import Zone, dns_server

ZONE = ["mail.example. 60 IN MX 10 mx.mail.example.", "null-mx.example. 60 IN MX 0 ."]
LAPSED = [f"user{n}@lapsed.example" for n in range(7)]


@pytest.fixture(scope="module")
def dns_servers() -> Iterator[str]:
    """STRONGROOM_DNS_SERVERS for a server of ZONE, where failing.example fails."""
    with dns_server(Zone(ZONE, failing=["failing.example"])) as (address, port):
        yield f"{address}:{port}"


def _index(tmp_path: Path, *addresses: str) -> Path:
    """A new index with a user per address (named after its local part), all verified."""
    data = tmp_path / "data"
    db = open_index(Settings(data_dir=data), create=True)
    try:
        for address in addresses:
            AccountService(db).create_user(address.partition("@")[0], email=address,
                                           password="a long enough password")
        with db.write() as session:
            session.execute(update(Email).values(verified=True))
    finally:
        db.dispose()
    return data


def _verified(data: Path) -> dict[str, bool]:
    db = open_index(Settings(data_dir=data))
    try:
        with db.read() as session:
            return dict(session.execute(select(Email.address, Email.verified)).all())
    finally:
        db.dispose()


def _run(data: Path, dns_servers: str, *args: str) -> Result:
    return CliRunner().invoke(admin, ["check-email-domains", *args, "--data-dir", str(data)],
                              env={"STRONGROOM_DNS_SERVERS": dns_servers,
                                   "STRONGROOM_DNS_TIMEOUT": "0.5"})


def test_lists_unreachable_and_unknown_domains_and_unverifies(tmp_path: Path,
                                                              dns_servers: str) -> None:
    data = _index(tmp_path, "alice@mail.example", "bob@null-mx.example",
                  "carol@failing.example", *LAPSED)
    result = _run(data, dns_servers)
    assert result.exit_code == 0, result.output
    assert [line.split("\t") for line in result.stdout.splitlines()] == [
        ["failing.example", "unknown",
         f"DNS did not answer: Do53:{dns_servers.replace(':', '@')} answered SERVFAIL",
         "carol@failing.example"],
        ["lapsed.example", "unreachable", "no such domain (NXDOMAIN)",
         ", ".join(LAPSED[:5]) + ", and 2 more"],
        ["null-mx.example", "unreachable", "null MX (RFC 7505): the domain accepts no mail",
         "bob@null-mx.example"],
    ]
    assert result.stderr == "4 domain(s) checked, 8 address(es) un-verified, 1 unknown\n"
    verified = _verified(data)
    assert [address for address, still in verified.items() if still] == [
        "alice@mail.example", "carol@failing.example"]


def test_a_dry_run_changes_nothing(tmp_path: Path, dns_servers: str) -> None:
    data = _index(tmp_path, "alice@mail.example", "bob@null-mx.example")
    result = _run(data, dns_servers, "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("null-mx.example\tunreachable\t")
    assert result.stderr == ("2 domain(s) checked, 1 address(es) would be un-verified "
                             "(dry run), 0 unknown\n")
    assert set(_verified(data).values()) == {True}


def test_all_well_prints_only_the_summary(tmp_path: Path, dns_servers: str) -> None:
    data = _index(tmp_path, "alice@mail.example")
    result = _run(data, dns_servers)
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr == "1 domain(s) checked, 0 address(es) un-verified, 0 unknown\n"


def test_a_dns_server_that_is_not_an_address_is_refused(tmp_path: Path) -> None:
    data = _index(tmp_path, "alice@mail.example")
    result = _run(data, "dns.example.org")
    assert isinstance(result.exception, InvalidInput)  # cli/main.py: exit 2
    assert "STRONGROOM_DNS_SERVERS" in result.exception.message
