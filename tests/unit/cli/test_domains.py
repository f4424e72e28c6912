"""``strongroom admin check-email-domains`` against a real DNS server on loopback: what it
un-verifies and reports, and how it refuses a resolver that lies."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select, update

from strongroom.accounts import AccountService
from strongroom.accounts.models import Email
from strongroom.cli.admin import admin
from strongroom.cli.main import exit_code
from strongroom.cli.state import open_index
from strongroom.config import Settings
from strongroom.errors import Conflict, InvalidInput
from tests.dns import Zone, dns_server

ZONE = ["mail.example. 60 IN MX 10 mx.mail.example.", "null-mx.example. 60 IN MX 0 .",
        "canary.example. 60 IN MX 10 mx.canary.example.",
        *(f"ok{n}.example. 60 IN A 192.0.2.{n + 1}" for n in range(9))]
LAPSED = [f"user{n}@lapsed.example" for n in range(7)]
# Addresses on nine domains that receive mail.
FINE = [f"fine{n}@ok{n}.example" for n in range(9)]


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


def _env(dns_servers: str, **more: str) -> dict[str, str]:
    # A loopback server answers at once; the timeout is for a loaded machine (no test here
    # waits for a server that never answers: tests/unit/accounts/test_domains.py does).
    return {"STRONGROOM_DNS_SERVERS": dns_servers, "STRONGROOM_DNS_TIMEOUT": "10",
            "STRONGROOM_DNS_CANARIES": "canary.example", **more}


def _run(data: Path, dns_servers: str, *args: str, **env: str) -> Result:
    return CliRunner().invoke(admin, ["check-email-domains", *args, "--data-dir", str(data)],
                              env=_env(dns_servers, **env))


def test_lists_unreachable_and_unknown_domains_and_unverifies(tmp_path: Path,
                                                              dns_servers: str) -> None:
    data = _index(tmp_path, "alice@mail.example", "bob@null-mx.example",
                  "carol@failing.example", *LAPSED)
    result = _run(data, dns_servers, STRONGROOM_LAPSED_DOMAINS_CEILING="50%")  # two of four
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


def test_one_lapsed_domain_among_many_is_unverified(tmp_path: Path, dns_servers: str) -> None:
    data = _index(tmp_path, "alice@mail.example", *FINE, *LAPSED[:2])
    result = _run(data, dns_servers)  # the default ceiling: 20% of eleven domains is two
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("lapsed.example\tunreachable\t")
    assert result.stderr == "11 domain(s) checked, 2 address(es) un-verified, 0 unknown\n"
    assert [address for address, still in _verified(data).items() if not still] == LAPSED[:2]


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


def test_a_resolver_that_denies_every_name_changes_nothing(tmp_path: Path) -> None:
    """As this machine's own resolver may: NXDOMAIN for everything it does not serve. The
    command stops before judging any domain, says why, and exits 6 (unavailable)."""
    data = _index(tmp_path, "alice@mail.example", *LAPSED)
    with dns_server(Zone([])) as (address, port):
        result = subprocess.run(
            [sys.executable, "-m", "strongroom", "admin", "check-email-domains",
             "--data-dir", str(data)], capture_output=True, text=True, timeout=120,
            env={**_env(f"{address}:{port}"), "PATH": "/usr/bin:/bin"}, check=False)
    assert result.returncode == 6, result.stderr
    assert result.stdout == ""
    assert result.stderr == (
        "error: DNS cannot be trusted to judge e-mail domains: asked about the canary domains "
        "(dns_canaries), which receive mail, it must confirm at least one and deny none, but "
        "it says canary.example: unreachable, no such domain (NXDOMAIN)\n")
    assert set(_verified(data).values()) == {True}


def test_a_majority_of_lapsed_domains_is_refused_unless_forced(tmp_path: Path,
                                                               dns_servers: str) -> None:
    data = _index(tmp_path, "alice@mail.example", "bob@null-mx.example", *LAPSED)
    refused = _run(data, dns_servers)
    assert isinstance(refused.exception, Conflict)  # cli/main.py: exit 5
    assert exit_code(refused.exception) == 5
    assert refused.exception.message == (
        "2 of the 3 domains checked cannot receive mail (lapsed.example, null-mx.example), "
        "more than one run may un-verify without being forced (1, lapsed_domains_ceiling): "
        "nothing was changed")
    assert [line.split("\t")[:2] for line in refused.stdout.splitlines()] == [
        ["lapsed.example", "unreachable"], ["null-mx.example", "unreachable"]]
    assert refused.stderr == "Check these domains; if they have lapsed, run again with --force.\n"
    assert set(_verified(data).values()) == {True}
    dry = _run(data, dns_servers, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert dry.stderr.endswith("More than 1 domain(s) cannot receive mail "
                               "(lapsed_domains_ceiling): a run would change nothing without "
                               "--force.\n")
    forced = _run(data, dns_servers, "--force")
    assert forced.exit_code == 0, forced.output
    assert forced.stderr == "3 domain(s) checked, 8 address(es) un-verified, 0 unknown\n"
    assert [address for address, still in _verified(data).items() if still] == [
        "alice@mail.example"]


@pytest.mark.parametrize(("variable", "value", "words"), [
    ("STRONGROOM_DNS_CANARIES", " , ", "name at least one domain"),
    ("STRONGROOM_LAPSED_DOMAINS_CEILING", "0", "is not a share such as 20% or 0.2"),
    ("STRONGROOM_LAPSED_DOMAINS_CEILING", "120%", "is not a share such as 20% or 0.2"),
])
def test_bad_guard_settings_are_refused(tmp_path: Path, dns_servers: str, variable: str,
                                        value: str, words: str) -> None:
    data = _index(tmp_path, "alice@mail.example")
    result = _run(data, dns_servers, **{variable: value})
    assert isinstance(result.exception, InvalidInput)
    assert variable in result.exception.message
    assert words in result.exception.message
