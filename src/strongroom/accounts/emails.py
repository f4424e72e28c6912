"""Un-verifying the addresses whose domain can no longer receive mail (the defence against a
lapsed domain registered again by someone else, who would then receive password resets).

The ORM throughout (admin work, run daily). DNS is asked between two transactions, never
inside one: a write holds the writers' lock, and DNS may take seconds per domain.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from strongroom.accounts.domains import DomainChecker, DomainStatus, DomainVerdict
from strongroom.accounts.models import Email
from strongroom.db.engine import Database
from strongroom.history import SecurityEvent

# Addresses changed per statement: well under every backend's limit of bound parameters.
_BATCH = 500

Progress = Callable[[int, int], None]
"""Told (domains checked, domains in all): once before the first look-up, then after each."""


@dataclass(frozen=True)
class DomainResult:
    """One domain's verdict and its verified addresses: for an unreachable domain, those
    un-verified (or that would be, in a dry run); otherwise those left as they were."""

    verdict: DomainVerdict
    addresses: tuple[str, ...]


@dataclass(frozen=True)
class DomainReport:
    """Every domain of a verified address, by name."""

    results: tuple[DomainResult, ...]
    dry_run: bool

    def having(self, status: DomainStatus) -> list[DomainResult]:
        """The results with this status."""
        return [result for result in self.results if result.verdict.status is status]

    @property
    def problems(self) -> list[DomainResult]:
        """The results an administrator should read: unreachable and unknown domains."""
        return [result for result in self.results if result.verdict.status is not DomainStatus.OK]

    @property
    def unverified(self) -> int:
        """How many addresses were un-verified (in a dry run: would be)."""
        return sum(len(result.addresses) for result in self.having(DomainStatus.UNREACHABLE))


class EmailDomainService:
    """Checks the domains of verified addresses; see ``check_email_domains``."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def check_email_domains(self, checker: DomainChecker, *, now: dt.datetime,
                            dry_run: bool = False, progress: Progress | None = None
                            ) -> DomainReport:
        """Ask ``checker`` about the domain of every verified address (each domain once, in
        lower case) and un-verify every verified address on a domain DNS says is unreachable,
        each with a SecurityEvent ``email.unverified``, in one transaction. Its reason,
        ``unverified_reason``, says why and when (``now``, a UTC time); ``verified_at`` is
        kept, as when the address was last proven. A domain whose status is unknown (DNS did
        not answer) changes nothing. With ``dry_run`` nothing is written. May raise
        Unavailable when the database's writers' lock cannot be had."""
        by_domain = self._verified_by_domain()
        verdicts: list[DomainVerdict] = []
        for done, domain in enumerate(sorted(by_domain)):
            if progress:
                progress(done, len(by_domain))
            verdicts.append(checker.check(domain))
        if progress:
            progress(len(by_domain), len(by_domain))
        unreachable = {v.domain: v for v in verdicts if v.status is DomainStatus.UNREACHABLE}
        addresses = {domain: tuple(found.values()) for domain, found in by_domain.items()}
        if unreachable and not dry_run:
            with self._db.write() as session:
                changed = _unverify(session, by_domain, unreachable, now)
            addresses |= {domain: tuple(changed.get(domain, ())) for domain in unreachable}
        return DomainReport(tuple(DomainResult(v, addresses[v.domain]) for v in verdicts),
                            dry_run)

    def _verified_by_domain(self) -> dict[str, dict[int, str]]:
        """Every verified address, as {domain: {address id: address}}, by address."""
        by_domain: dict[str, dict[int, str]] = defaultdict(dict)
        with self._db.read() as session:
            for email_id, address, normalized in session.execute(
                    select(Email.id, Email.address, Email.normalized)
                    .where(Email.verified.is_(True)).order_by(Email.normalized)):
                by_domain[normalized.rpartition("@")[2]][email_id] = address
        return by_domain


def _unverify(session: Session, by_domain: dict[str, dict[int, str]],
              unreachable: dict[str, DomainVerdict], now: dt.datetime) -> dict[str, list[str]]:
    """Un-verify the addresses of the unreachable domains that are still verified (one may
    have been removed or un-verified since they were read); the addresses changed by domain."""
    changed: dict[str, list[str]] = defaultdict(list)
    for domain, verdict in sorted(unreachable.items()):
        ids = list(by_domain[domain])  # by address
        reason = f"{now:%Y-%m-%d}: the domain cannot receive mail: {verdict.reason}"
        for start in range(0, len(ids), _BATCH):
            for email in session.scalars(
                    select(Email).options(joinedload(Email.user))
                    .where(Email.id.in_(ids[start:start + _BATCH]), Email.verified.is_(True))
                    .order_by(Email.normalized)):
                email.verified = False
                email.unverified_reason = reason[:300]  # the column's size
                record_unverified(session, email, domain=domain, reason=verdict.reason, now=now)
                changed[domain].append(email.address)
    return changed


def record_unverified(session: Session, email: Email, *, domain: str, reason: str,
                      now: dt.datetime) -> None:
    """Add the security history's row for an address un-verified because of its domain."""
    details = {"address": email.address, "domain": domain, "reason": reason}
    session.add(SecurityEvent(kind="email.unverified", created=now, user_id=email.user_id,
                              username=email.user.username, details=json.dumps(details)))

