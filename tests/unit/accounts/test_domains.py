"""DomainChecker against a real DNS server on loopback (tests/dns.py)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from strongroom.accounts import DomainChecker, DomainStatus
from tests.dns import Zone, dns_server

TIMEOUT = 0.5  # for the server that never answers: the test waits this long
PATIENT = 10.0  # for answers: a loopback server answers at once, but a loaded machine is slow
ZONE = [
    "mx.test. 60 IN MX 10 mail.mx.test.",
    "mx.test. 60 IN A 192.0.2.10",
    "backup.test. 60 IN MX 20 second.backup.test.",
    "backup.test. 60 IN MX 10 first.backup.test.",
    "a-only.test. 60 IN A 192.0.2.1",
    "aaaa-only.test. 60 IN AAAA 2001:db8::1",
    "null-mx.test. 60 IN MX 0 .",
    "null-mx.test. 60 IN A 192.0.2.2",  # a web site, no mail: the null MX decides
    "no-mail.test. 60 IN TXT \"v=spf1 -all\"",
]


@pytest.fixture(scope="module")
def zone() -> Zone:
    return Zone(ZONE, failing=["failing.test"], silent=["silent.test"])


@pytest.fixture(scope="module")
def server(zone: Zone) -> Iterator[tuple[str, int]]:
    with dns_server(zone) as address:
        yield address


@pytest.fixture(scope="module")
def checker(server: tuple[str, int]) -> DomainChecker:
    return DomainChecker([server], timeout=PATIENT)


@pytest.mark.parametrize(("domain", "status", "reason"), [
    ("mx.test", DomainStatus.OK, "MX mail.mx.test"),
    ("backup.test", DomainStatus.OK, "MX first.backup.test"),  # the preferred one
    ("Mx.TEST", DomainStatus.OK, "MX mail.mx.test"),
    ("a-only.test", DomainStatus.OK, "no MX; A record (implicit MX)"),
    ("aaaa-only.test", DomainStatus.OK, "no MX; AAAA record (implicit MX)"),
    ("null-mx.test", DomainStatus.UNREACHABLE, "null MX (RFC 7505): the domain accepts no mail"),
    ("no-mail.test", DomainStatus.UNREACHABLE, "no MX, A or AAAA record"),
    ("lapsed.test", DomainStatus.UNREACHABLE, "no such domain (NXDOMAIN)"),
])
def test_what_dns_answers_decides(checker: DomainChecker, domain: str, status: DomainStatus,
                                  reason: str) -> None:
    verdict = checker.check(domain)
    assert (verdict.domain, verdict.status, verdict.reason) == (domain, status, reason)


def test_a_failing_server_is_unknown_not_unreachable(checker: DomainChecker) -> None:
    verdict = checker.check("failing.test")
    assert verdict.status is DomainStatus.UNKNOWN
    assert verdict.reason.startswith("DNS did not answer: ")
    assert verdict.reason.endswith("answered SERVFAIL")


def test_a_server_that_never_answers_is_unknown_within_the_timeout(
        server: tuple[str, int]) -> None:
    started = time.monotonic()
    verdict = DomainChecker([server], timeout=TIMEOUT).check("silent.test")
    elapsed = time.monotonic() - started
    assert (verdict.status, verdict.reason) == (
        DomainStatus.UNKNOWN, f"DNS did not answer: timed out after {TIMEOUT:g} s")
    assert TIMEOUT <= elapsed < TIMEOUT + 1


def test_a_and_aaaa_are_asked_only_without_mx(zone: Zone, checker: DomainChecker) -> None:
    zone.queries.clear()
    for domain in ("mx.test", "a-only.test", "no-mail.test", "lapsed.test"):
        checker.check(domain)
    assert zone.queries == [("mx.test.", "MX"),
                            ("a-only.test.", "MX"), ("a-only.test.", "A"),
                            ("no-mail.test.", "MX"), ("no-mail.test.", "A"),
                            ("no-mail.test.", "AAAA"),
                            ("lapsed.test.", "MX")]


def test_names_are_absolute_and_international_ones_asked_in_idna(
        zone: Zone, checker: DomainChecker) -> None:
    zone.queries.clear()
    checker.check("mx")  # one label: no search domain may be appended
    checker.check("bücher.test")
    assert zone.queries == [("mx.", "MX"), ("xn--bcher-kva.test.", "MX")]


def test_a_name_dns_cannot_carry_is_unknown_and_not_asked(zone: Zone,
                                                          checker: DomainChecker) -> None:
    zone.queries.clear()
    verdict = checker.check("two..dots.test")
    assert verdict.status is DomainStatus.UNKNOWN
    assert verdict.reason.startswith("not a name DNS can look up: ")
    assert zone.queries == []


def test_no_server_answering_at_all_is_unknown() -> None:
    with dns_server(Zone([])) as (address, port):
        pass  # the port is free again: nothing listens there
    verdict = DomainChecker([(address, port)], timeout=TIMEOUT).check("mx.test")
    assert verdict.status is DomainStatus.UNKNOWN
    assert verdict.reason.startswith("DNS did not answer: ")
