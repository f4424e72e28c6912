"""EmailDomainService.check_email_domains over each database backend, asking a real DNS server
on loopback (tests/dns.py): what it un-verifies, and the guards against a resolver that lies."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import select, update

from strongroom.accounts import (
    AccountService,
    DomainChecker,
    DomainReport,
    DomainStatus,
    EmailDomainService,
    TooManyUnreachable,
    UntrustedResolver,
)
from strongroom.accounts.models import Email
from strongroom.db.engine import Database
from strongroom.history import SecurityEvent
from tests.dns import Zone, dns_server

NOW = dt.datetime(2026, 12, 7, 3, 0, tzinfo=dt.UTC)
VERIFIED_AT = dt.datetime(2025, 1, 2, 12, 0, tzinfo=dt.UTC)
NXDOMAIN_REASON = "2026-12-07: the domain cannot receive mail: no such domain (NXDOMAIN)"
CANARIES = ("canary.example", "other-canary.example")
# Each user's address; all of them verified unless the test says otherwise.
ADDRESSES = {
    "alice": "alice@mail.example",
    "bob": "bob@lapsed.example",
    "Carol": "Carol@lapsed.example",  # two addresses on one domain: one look-up
    "dave": "dave@null-mx.example",
    "erin": "erin@a-only.example",
    "frank": "frank@failing.example",
    "gina": "gina@silent.example",
}


@pytest.fixture(scope="module")
def zone() -> Zone:
    return Zone(["mail.example. 60 IN MX 10 mx.mail.example.",
                 "null-mx.example. 60 IN MX 0 .",
                 "a-only.example. 60 IN A 192.0.2.1",
                 "canary.example. 60 IN MX 10 mx.canary.example.",
                 "other-canary.example. 60 IN A 192.0.2.53",
                 *(f"ok{n}.example. 60 IN MX 10 mx.ok{n}.example." for n in range(8))],
                failing=["failing.example"], silent=["silent.example"])


@pytest.fixture(scope="module")
def checker(zone: Zone) -> Iterator[DomainChecker]:
    with dns_server(zone) as server:
        yield DomainChecker([server], timeout=0.5)


def _check(db: Database, checker: DomainChecker, *, ceiling: float = 1.0, force: bool = False,
           dry_run: bool = False, progress: Callable[[int, int], None] | None = None
           ) -> DomainReport:
    """check_email_domains at NOW with the zone's canaries and, unless told, no ceiling (1:
    every domain checked may be un-verified)."""
    return EmailDomainService(db).check_email_domains(
        checker, now=NOW, canaries=CANARIES, ceiling=ceiling, force=force, dry_run=dry_run,
        progress=progress)


def _users(db: Database, addresses: dict[str, str], *, unverified: tuple[str, ...] = ()) -> None:
    accounts = AccountService(db)
    for name, address in addresses.items():
        accounts.create_user(name, email=address, password="a long enough password")
    with db.write() as session:
        session.execute(update(Email).values(verified=True, verified_at=VERIFIED_AT))
        session.execute(update(Email).where(Email.address.in_(unverified))
                        .values(verified=False, unverified_reason="bounced"))


def _emails(db: Database) -> dict[str, tuple[bool, dt.datetime | None, str | None]]:
    with db.read() as session:
        return {email.address: (email.verified, email.verified_at, email.unverified_reason)
                for email in session.scalars(select(Email))}


def _events(db: Database) -> list[tuple[str, int | None, str | None, dict[str, str],
                                        dt.datetime]]:
    """The history after the accounts were made: what the domain check recorded."""
    with db.read() as session:
        return [(event.kind, event.user_id, event.username, json.loads(event.details),
                 event.created)
                for event in session.scalars(select(SecurityEvent)
                                             .where(SecurityEvent.kind != "account.created")
                                             .order_by(SecurityEvent.id))]


def _statuses(report: DomainReport) -> dict[str, tuple[str, tuple[str, ...]]]:
    return {result.verdict.domain: (result.verdict.status.value, result.addresses)
            for result in report.results}


def test_addresses_on_unreachable_domains_are_unverified_with_why_and_when(
        database: Database, checker: DomainChecker) -> None:
    _users(database, ADDRESSES)
    report = _check(database, checker)
    assert _statuses(report) == {
        "a-only.example": ("ok", ("erin@a-only.example",)),
        "failing.example": ("unknown", ("frank@failing.example",)),
        "lapsed.example": ("unreachable", ("bob@lapsed.example", "Carol@lapsed.example")),
        "mail.example": ("ok", ("alice@mail.example",)),
        "null-mx.example": ("unreachable", ("dave@null-mx.example",)),
        "silent.example": ("unknown", ("gina@silent.example",)),
    }
    assert (len(report.results), report.unverified, len(report.having(DomainStatus.UNKNOWN))) \
        == (6, 3, 2)
    assert [result.verdict.domain for result in report.problems] == [
        "failing.example", "lapsed.example", "null-mx.example", "silent.example"]
    emails = _emails(database)
    assert emails.pop("bob@lapsed.example") == (False, VERIFIED_AT, NXDOMAIN_REASON)
    assert emails.pop("Carol@lapsed.example") == (False, VERIFIED_AT, NXDOMAIN_REASON)
    assert emails.pop("dave@null-mx.example") == (
        False, VERIFIED_AT, "2026-12-07: the domain cannot receive mail: null MX (RFC 7505): "
                            "the domain accepts no mail")
    # Reachable and unknown domains alike keep their addresses verified.
    assert set(emails.values()) == {(True, VERIFIED_AT, None)}


def test_each_domain_is_looked_up_once(database: Database, zone: Zone,
                                       checker: DomainChecker) -> None:
    _users(database, {name: ADDRESSES[name] for name in ("alice", "bob", "Carol")}
           | {"hal": "hal@Mail.Example"})
    zone.queries.clear()
    _check(database, checker)
    assert zone.queries == [("canary.example.", "MX"), ("other-canary.example.", "MX"),
                            ("other-canary.example.", "A"),  # first, the canaries
                            ("lapsed.example.", "MX"), ("mail.example.", "MX")]


def test_each_unverified_address_is_in_the_security_history(database: Database,
                                                           checker: DomainChecker) -> None:
    _users(database, ADDRESSES)
    _check(database, checker)
    with database.read() as session:
        ids = dict(session.execute(select(Email.address, Email.user_id)).all())
    assert _events(database) == [
        ("email.unverified", ids[address], name,
         {"address": address, "domain": domain, "reason": reason}, NOW)
        for name, address, domain, reason in [
            ("bob", "bob@lapsed.example", "lapsed.example", "no such domain (NXDOMAIN)"),
            ("Carol", "Carol@lapsed.example", "lapsed.example", "no such domain (NXDOMAIN)"),
            ("dave", "dave@null-mx.example", "null-mx.example",
             "null MX (RFC 7505): the domain accepts no mail"),
        ]]


def test_addresses_already_unverified_are_left_alone(database: Database,
                                                     checker: DomainChecker) -> None:
    _users(database, {"bob": "bob@lapsed.example", "Carol": "Carol@lapsed.example"},
           unverified=("bob@lapsed.example",))
    report = _check(database, checker)
    assert _statuses(report) == {"lapsed.example": ("unreachable", ("Carol@lapsed.example",))}
    assert _emails(database)["bob@lapsed.example"] == (False, VERIFIED_AT, "bounced")
    assert [event[2] for event in _events(database)] == ["Carol"]


def test_unknown_domains_change_nothing(database: Database, checker: DomainChecker) -> None:
    _users(database, {name: ADDRESSES[name] for name in ("frank", "gina")})
    before = _emails(database)
    report = _check(database, checker)
    assert report.unverified == 0
    assert len(report.having(DomainStatus.UNKNOWN)) == 2
    assert _emails(database) == before
    assert _events(database) == []


def test_a_dry_run_reports_and_changes_nothing(database: Database,
                                               checker: DomainChecker) -> None:
    _users(database, ADDRESSES)
    before = _emails(database)
    report = _check(database, checker, dry_run=True)
    assert report.dry_run
    assert report.unverified == 3
    assert _statuses(report)["lapsed.example"] == ("unreachable",
                                                ("bob@lapsed.example", "Carol@lapsed.example"))
    assert _emails(database) == before
    assert _events(database) == []


def test_nothing_verified_asks_nothing(database: Database, zone: Zone,
                                       checker: DomainChecker) -> None:
    _users(database, {"bob": "bob@lapsed.example"}, unverified=("bob@lapsed.example",))
    zone.queries.clear()
    progress: list[tuple[int, int]] = []
    report = _check(database, checker,
                    progress=lambda done, total: progress.append((done, total)))
    assert (report.results, progress) == ((), [(0, 0)])
    assert zone.queries == [("canary.example.", "MX"), ("other-canary.example.", "MX"),
                            ("other-canary.example.", "A")]  # the canaries only


def test_dns_is_asked_while_the_database_is_free_to_write(database: Database,
                                                          checker: DomainChecker) -> None:
    """Between look-ups (when progress is told) another writer gets the writers' lock at
    once; and an address un-verified by someone else after the look-ups is not counted or
    recorded again."""
    _users(database, {name: ADDRESSES[name] for name in ("alice", "bob", "Carol", "dave")})
    other = Database(database.url, lock_timeout=2)
    progress: list[tuple[int, int]] = []

    def write_meanwhile(done: int, total: int) -> None:
        progress.append((done, total))
        with other.write() as session:  # Unavailable after 2 s if the lock were held
            if done == total:
                session.execute(update(Email).where(Email.address == "bob@lapsed.example")
                                .values(verified=False, unverified_reason="by hand"))

    try:
        report = _check(database, checker, progress=write_meanwhile)
    finally:
        other.dispose()
    assert progress == [(0, 3), (1, 3), (2, 3), (3, 3)]
    assert _statuses(report)["lapsed.example"] == ("unreachable", ("Carol@lapsed.example",))
    assert report.unverified == 2
    assert _emails(database)["bob@lapsed.example"] == (False, VERIFIED_AT, "by hand")
    assert [event[2] for event in _events(database)] == ["Carol", "dave"]


# -- the guards against a resolver that lies -------------------------------------------------

@pytest.mark.parametrize(("records", "failing"), [
    ([], []),  # NXDOMAIN for every name, as a sandbox's resolver may say
    (["other-canary.example. 60 IN A 192.0.2.53"], []),  # knows one canary, denies the other
    ([], CANARIES),  # answers for no canary
], ids=["denies-everything", "denies-a-canary", "answers-no-canary"])
def test_a_resolver_that_does_not_vouch_for_itself_judges_nothing(
        database: Database, records: list[str], failing: tuple[str, ...]) -> None:
    _users(database, ADDRESSES)
    before = _emails(database)
    zone = Zone(records, failing=failing)
    with dns_server(zone) as server, pytest.raises(UntrustedResolver) as refused:
        _check(database, DomainChecker([server], timeout=0.5))
    assert [verdict.domain for verdict in refused.value.verdicts] == list(CANARIES)
    assert "canary.example: " in refused.value.message
    assert {name for name, _ in zone.queries} <= {f"{canary}." for canary in CANARIES}
    assert _emails(database) == before
    assert _events(database) == []


def test_more_lapsed_domains_than_the_ceiling_change_nothing_unless_forced(
        database: Database, checker: DomainChecker) -> None:
    _users(database, ADDRESSES)  # six domains, two of them unreachable
    before = _emails(database)
    with pytest.raises(TooManyUnreachable) as refused:
        _check(database, checker, ceiling=0.2)  # one domain of six
    assert refused.value.report.allowed == 1
    assert _statuses(refused.value.report)["lapsed.example"] == (
        "unreachable", ("bob@lapsed.example", "Carol@lapsed.example"))
    assert refused.value.message.startswith(
        "2 of the 6 domains checked cannot receive mail (lapsed.example, null-mx.example), "
        "more than one run may un-verify without being forced (1, ")
    assert _emails(database) == before
    assert _events(database) == []
    report = _check(database, checker, ceiling=0.2, force=True)
    assert (report.unverified, report.over_ceiling) == (3, True)
    assert [event[2] for event in _events(database)] == ["bob", "Carol", "dave"]


def test_the_ceiling_is_a_share_of_the_domains_checked_and_never_below_one(
        database: Database, checker: DomainChecker) -> None:
    _users(database, {name: ADDRESSES[name] for name in ("alice", "bob")})
    report = _check(database, checker, ceiling=0.2, dry_run=True)  # 0.4 of two domains
    assert (report.allowed, report.over_ceiling) == (1, False)
    # Eleven domains, two of them unreachable: 0.2 allows two, 0.1 one.
    _users(database, {"dave": ADDRESSES["dave"]}
           | {f"user{n}": f"user{n}@ok{n}.example" for n in range(8)})
    dry = _check(database, checker, ceiling=0.1, dry_run=True)  # says so, and goes on
    assert (len(dry.results), dry.allowed, dry.over_ceiling, dry.unverified) == (11, 1, True, 2)
    with pytest.raises(TooManyUnreachable):
        _check(database, checker, ceiling=0.1)
    report = _check(database, checker, ceiling=0.2)
    assert (report.allowed, report.over_ceiling, report.unverified) == (2, False, 2)
