"""Un-verifying the addresses whose domain can no longer receive mail (the defence against a
lapsed domain registered again by someone else, who would then receive password resets).

The ORM throughout (admin work, run daily). DNS is asked between two transactions, never
inside one: a write holds the writers' lock, and DNS may take seconds per domain.

Two guards stand between a resolver that lies and everyone's addresses: the resolver must vouch
for itself on canary domains before any domain is judged (domains.py), and one run un-verifies
the addresses of at most a share of the domains it checks (``ceiling``) unless forced.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from strongroom.accounts.domains import DomainChecker, DomainStatus, DomainVerdict
from strongroom.accounts.models import Email
from strongroom.db.engine import Database
from strongroom.errors import Conflict
from strongroom.history import EventKind, SecurityEvent

# Addresses changed per statement: well under every backend's limit of bound parameters.
_BATCH = 500
_SHOWN_DOMAINS = 10  # an error names this many domains, then counts the rest

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
    """Every domain of a verified address, by name; ``allowed``: how many of them one run may
    find unreachable and un-verify the addresses of without being forced."""

    results: tuple[DomainResult, ...]
    dry_run: bool
    allowed: int

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

    @property
    def over_ceiling(self) -> bool:
        """Whether more domains are unreachable than ``allowed``."""
        return len(self.having(DomainStatus.UNREACHABLE)) > self.allowed


class TooManyUnreachable(Conflict):
    """More domains were found unreachable than one run may un-verify the addresses of without
    being forced, so nothing was changed: a resolver that lies would look like this. ``report``
    holds every verdict (an unreachable domain's addresses are those that would have been
    un-verified)."""

    def __init__(self, report: DomainReport) -> None:
        unreachable = [result.verdict.domain
                       for result in report.having(DomainStatus.UNREACHABLE)]
        named = unreachable[:_SHOWN_DOMAINS]
        if len(unreachable) > _SHOWN_DOMAINS:
            named.append(f"and {len(unreachable) - _SHOWN_DOMAINS} more")
        super().__init__(
            f"{len(unreachable)} of the {len(report.results)} domains checked cannot receive "
            f"mail ({', '.join(named)}), more than one run may un-verify without being forced "
            f"({report.allowed}, lapsed_domains_ceiling): nothing was changed")
        self.report = report


class EmailDomainService:
    """Checks the domains of verified addresses; see ``check_email_domains``."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def check_email_domains(self, checker: DomainChecker, *, now: dt.datetime,
                            canaries: Sequence[str], ceiling: float, force: bool = False,
                            dry_run: bool = False, progress: Progress | None = None
                            ) -> DomainReport:
        """Ask ``checker`` about the domain of every verified address (each domain once, in
        lower case) and un-verify every verified address on a domain DNS says is unreachable,
        each with a SecurityEvent ``email.unverified``, in one transaction. Its reason,
        ``unverified_reason``, says why and when (``now``, a UTC time); ``verified_at`` is
        kept, as when the address was last proven. A domain whose status is unknown (DNS did
        not answer) changes nothing. With ``dry_run`` nothing is written.

        First the resolver must vouch for itself on ``canaries`` (DomainChecker.vouch, which
        raises UntrustedResolver: nothing is read or written). ``ceiling`` (more than 0, at
        most 1) is the share of the domains checked that may be unreachable, and never fewer
        than one domain; past it nothing is written and TooManyUnreachable is raised, unless
        ``force``. May raise Unavailable when the database's writers' lock cannot be had."""
        checker.vouch(canaries)
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
        # One domain is always allowed: a share of a small index's domains would otherwise
        # refuse its first lapse. (The nudge keeps 0.29 x 100 from flooring to 28.)
        allowed = max(1, math.floor(ceiling * len(verdicts) + 1e-9))

        def report() -> DomainReport:
            return DomainReport(tuple(DomainResult(v, addresses[v.domain]) for v in verdicts),
                                dry_run, allowed)

        if not dry_run and not force and len(unreachable) > allowed:
            raise TooManyUnreachable(report())
        if unreachable and not dry_run:
            with self._db.write() as session:
                changed = _unverify(session, by_domain, unreachable, now)
            addresses |= {domain: tuple(changed.get(domain, ())) for domain in unreachable}
        return report()

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
    session.add(SecurityEvent(kind=str(EventKind.EMAIL_UNVERIFIED), created=now,
                              user_id=email.user_id, username=email.user.username,
                              details=json.dumps(details)))

