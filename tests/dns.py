"""A real DNS server on loopback (dnslib's, UDP and TCP on one port) serving a zone a test
writes in zone-file lines, with names that fail (SERVFAIL) and names that never answer."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from dnslib import QTYPE, RCODE, RR, DNSError, DNSLabel, DNSRecord
from dnslib.server import BaseResolver, DNSHandler, DNSLogger, DNSServer


class Zone(BaseResolver):  # type: ignore[misc]
    """Answers from ``records`` (zone-file lines, ``"a.test. 60 IN MX 10 mx.a.test."``): the
    records of the name and type asked; an empty answer for a name that has records of other
    types only; NXDOMAIN for a name without records. A name in ``failing`` gets SERVFAIL, one
    in ``silent`` no reply at all. ``queries`` lists what was asked, as ("name.", "TYPE")."""

    def __init__(self, records: Iterable[str], *, failing: Iterable[str] = (),
                 silent: Iterable[str] = ()) -> None:
        self.records = [rr for line in records for rr in RR.fromZone(line)]
        self.failing = {DNSLabel(name) for name in failing}
        self.silent = {DNSLabel(name) for name in silent}
        self.queries: list[tuple[str, str]] = []
        self._lock = threading.Lock()  # one handler thread per query

    def resolve(self, request: DNSRecord, handler: DNSHandler) -> DNSRecord:
        name, qtype = request.q.qname, request.q.qtype
        with self._lock:
            self.queries.append((str(name).lower(), QTYPE[qtype]))
        if name in self.silent:
            raise DNSError("silent name: no reply")  # the handler sends nothing
        reply = request.reply()
        if name in self.failing:
            reply.header.rcode = RCODE.SERVFAIL
            return reply
        owned = [rr for rr in self.records if rr.rname == name]
        if not owned:
            reply.header.rcode = RCODE.NXDOMAIN
        for rr in owned:
            if rr.rtype == qtype:
                reply.add_answer(rr)
        return reply


class _Quiet(DNSLogger):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__(log="-request,-reply,-truncated,-error", prefix=False)


@contextmanager
def dns_server(zone: Zone) -> Iterator[tuple[str, int]]:
    """Serve ``zone`` on 127.0.0.1 over UDP and TCP on one free port; yield (address, port)."""
    with ExitStack() as stack:
        servers = _bind_both(zone)
        for server in servers:
            server.start_thread()
            stack.callback(_stop, server)
        yield "127.0.0.1", servers[0].server.server_address[1]


def _bind_both(zone: Zone) -> list[Any]:
    """A UDP server on a free port and a TCP server on the same port (the first free one)."""
    for _attempt in range(20):
        udp = DNSServer(zone, address="127.0.0.1", port=0, logger=_Quiet())
        port = udp.server.server_address[1]
        try:
            tcp = DNSServer(zone, address="127.0.0.1", port=port, tcp=True, logger=_Quiet())
        except OSError:  # that port is taken for TCP: try another
            udp.server.server_close()
            continue
        return [udp, tcp]
    raise OSError("no port free for both UDP and TCP on 127.0.0.1")


def _stop(server: Any) -> None:
    server.stop()
    server.server.server_close()
    server.thread.join()
