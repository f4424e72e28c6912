"""Whether an e-mail address's domain can still receive mail, asked of DNS (dnspython).

A domain that lapses can be registered again by anyone, who then receives the mail of every
address on it, password resets included. The answer here decides whether an address stays
verified, so only a definite answer from DNS counts against a domain: the name does not exist
(NXDOMAIN), it publishes a null MX (RFC 7505), or it has no MX and no A or AAAA record to
deliver to (RFC 5321 section 5.1). A timeout or a failing server (SERVFAIL, REFUSED) is
"unknown": a resolver's outage must not read as every domain gone.

A resolver may also lie: a captive portal, or a sandbox's resolver that answers NXDOMAIN for
every name it does not serve, would make every domain look lapsed. ``vouch`` asks first about
canary domains that must receive mail, and refuses a resolver that denies one of them or finds
none.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

import dns.exception
import dns.name
import dns.nameserver
import dns.rdata
import dns.rdatatype
import dns.resolver
from dns.rdtypes.ANY.MX import MX

from strongroom.errors import Unavailable

_SHOWN_CANARIES = 5  # an error names this many canaries' verdicts, then counts the rest


class DomainStatus(enum.StrEnum):
    """What DNS said about a domain's mail."""

    OK = "ok"
    UNREACHABLE = "unreachable"  # DNS answered: no mail can be delivered there
    UNKNOWN = "unknown"  # DNS did not answer; nothing may be concluded


@dataclass(frozen=True)
class DomainVerdict:
    """A domain's status and, in a few words, why (the MX host, the missing records, the DNS
    error)."""

    domain: str
    status: DomainStatus
    reason: str


class UntrustedResolver(Unavailable):
    """DNS denied that a canary domain receives mail, or answered for none of them, so its
    word on any other domain is worth nothing. ``verdicts``: the canaries'."""

    def __init__(self, verdicts: Sequence[DomainVerdict]) -> None:
        said = [f"{v.domain}: {v.status.value}, {v.reason}" for v in verdicts[:_SHOWN_CANARIES]]
        if len(verdicts) > _SHOWN_CANARIES:
            said.append(f"and {len(verdicts) - _SHOWN_CANARIES} more")
        super().__init__("DNS cannot be trusted to judge e-mail domains: asked about the "
                         "canary domains (dns_canaries), which receive mail, it must confirm at "
                         f"least one and deny none, but it says {'; '.join(said)}")
        self.verdicts = tuple(verdicts)


class _Lookup(enum.Enum):
    NO_RECORDS = enum.auto()  # the name exists, without records of the type asked
    NO_DOMAIN = enum.auto()  # NXDOMAIN


class DomainChecker:
    """Asks DNS about domains, one query at a time, each given at most ``timeout`` seconds.

    ``nameservers`` are (IP address, port) pairs; none means the system's, from
    /etc/resolv.conf. Raises Unavailable when there are none there either.
    """

    def __init__(self, nameservers: Sequence[tuple[str, int]] = (), *,
                 timeout: float = 5.0) -> None:
        try:
            self._resolver = dns.resolver.Resolver(configure=not nameservers)
        except dns.resolver.NoResolverConfiguration as exc:
            raise Unavailable("no DNS resolver: /etc/resolv.conf names none; set "
                              "STRONGROOM_DNS_SERVERS") from exc
        if nameservers:
            self._resolver.nameservers = [dns.nameserver.Do53Nameserver(address, port)
                                          for address, port in nameservers]
        # The whole query, retries and other servers included; each attempt keeps dnspython's
        # own limit (2 s), cut short by what remains of this.
        self._resolver.lifetime = timeout

    def check(self, domain: str) -> DomainVerdict:
        """Whether mail can be delivered to ``domain`` (an address's part after the @)."""
        try:
            # Absolute, so that no search domain of resolv.conf is ever appended.
            name = dns.name.from_text(domain, origin=dns.name.root)
        except (dns.exception.DNSException, UnicodeError) as exc:
            return DomainVerdict(domain, DomainStatus.UNKNOWN,
                                 f"not a name DNS can look up: {exc}")
        try:
            return self._verdict(domain, name)
        except dns.exception.DNSException as exc:  # no answer: a timeout, a failing server
            return DomainVerdict(domain, DomainStatus.UNKNOWN,
                                 f"DNS did not answer: {self._failure(exc)}")

    def vouch(self, canaries: Sequence[str]) -> list[DomainVerdict]:
        """Ask about ``canaries``, domains that receive mail and will go on doing so, before
        any other: their verdicts, when at least one is OK and none unreachable. Raises
        UntrustedResolver otherwise: a resolver that says a canary cannot receive mail lies
        (or is not the one meant), and one that answers for no canary has shown nothing."""
        verdicts = [self.check(domain) for domain in canaries]
        statuses = {verdict.status for verdict in verdicts}
        if DomainStatus.UNREACHABLE in statuses or DomainStatus.OK not in statuses:
            raise UntrustedResolver(verdicts)
        return verdicts

    def _failure(self, error: dns.exception.DNSException) -> str:
        if isinstance(error, dns.exception.Timeout):
            return f"timed out after {self._resolver.lifetime:g} s"
        if isinstance(error, dns.resolver.NoNameservers):
            # Each entry: (server, over TCP, port, the rcode's name or an exception, response);
            # dnspython's own message restates the whole query.
            said = [f"{entry[0]} answered {entry[3]}" for entry in error.kwargs.get("errors", ())]
            return "; ".join(said) or "no server could answer"
        return str(error)

    def _verdict(self, domain: str, name: dns.name.Name) -> DomainVerdict:
        mx = self._records(name, dns.rdatatype.MX)
        if mx is _Lookup.NO_DOMAIN:
            return DomainVerdict(domain, DomainStatus.UNREACHABLE, "no such domain (NXDOMAIN)")
        if isinstance(mx, list):
            hosts = sorted((record for record in mx
                            if isinstance(record, MX) and record.exchange != dns.name.root),
                           key=lambda record: record.preference)
            if not hosts:  # only "0 ." (a server that would not deliver to "." is no better)
                return DomainVerdict(domain, DomainStatus.UNREACHABLE,
                                     "null MX (RFC 7505): the domain accepts no mail")
            return DomainVerdict(domain, DomainStatus.OK,
                                 f"MX {hosts[0].exchange.to_text(omit_final_dot=True)}")
        # No MX: mail goes to the domain's own address, the implicit MX of RFC 5321.
        for rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
            found = self._records(name, rdtype)
            if found is _Lookup.NO_DOMAIN:  # gone between the two queries
                return DomainVerdict(domain, DomainStatus.UNREACHABLE,
                                     "no such domain (NXDOMAIN)")
            if isinstance(found, list):
                return DomainVerdict(domain, DomainStatus.OK,
                                     f"no MX; {rdtype.name} record (implicit MX)")
        return DomainVerdict(domain, DomainStatus.UNREACHABLE, "no MX, A or AAAA record")

    def _records(self, name: dns.name.Name, rdtype: dns.rdatatype.RdataType
                 ) -> list[dns.rdata.Rdata] | _Lookup:
        """The records of ``rdtype`` at ``name``, or why there are none. Raises dnspython's
        errors for anything that is not an answer (Timeout, NoNameservers ...)."""
        try:
            answer = self._resolver.resolve(name, rdtype, search=False)
        except dns.resolver.NXDOMAIN:
            return _Lookup.NO_DOMAIN
        except dns.resolver.NoAnswer:
            return _Lookup.NO_RECORDS
        return list(answer)

