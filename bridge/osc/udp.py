"""A UDP destination that never blocks and never raises: refused or failing sends are counted and warned once."""

from __future__ import annotations

import errno
import logging
import socket
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(slots=True)
class UdpCounters:
    """What happened to the datagrams handed to one destination."""

    sent: int = 0
    bytes_sent: int = 0
    refused: int = 0  # the peer answered "port unreachable" (nothing listening there)
    failed: int = 0  # any other send error (buffer full, network down, ...)


class UdpDestination:
    """Non-blocking UDP sender to one host:port.

    The socket is connected so the kernel reports ICMP "port unreachable" as ECONNREFUSED on a later send.
    Each kind of problem is logged once per destination (refusals alternate with successful sends while nobody
    listens, so "once per episode" would spam); we keep sending because the receiving app may start later.
    """

    def __init__(self, host: str, port: int, label: str) -> None:
        self.host, self.port, self.label = host, int(port), label
        try:
            infos = socket.getaddrinfo(host, self.port, type=socket.SOCK_DGRAM)
        except socket.gaierror as exc:
            raise ValueError(
                f"output {label}: cannot resolve host {host!r} ({exc}); use an IP address or a resolvable name"
            ) from None
        family, _, _, _, address = infos[0]
        self._sock = socket.socket(family, socket.SOCK_DGRAM)
        self._sock.setblocking(False)
        self._sock.connect(address)
        self.counters = UdpCounters()
        self._warned: set[str] = set()

    def send(self, datagrams: list[bytes]) -> int:
        """Send each datagram; returns how many went out. Never raises for network errors."""
        sent = 0
        for dgram in datagrams:
            try:
                self._sock.send(dgram)
            except ConnectionRefusedError:
                self.counters.refused += 1
                self._warn("refused", f"{self.host}:{self.port} refuses packets (nothing listening?); still sending")
                continue
            except OSError as exc:
                self.counters.failed += 1
                reason = "send buffer full" if exc.errno in (errno.EAGAIN, errno.ENOBUFS) else str(exc)
                self._warn(reason, f"{self.host}:{self.port}: {reason}; dropping datagrams and carrying on")
                continue
            sent += 1
            self.counters.sent += 1
            self.counters.bytes_sent += len(dgram)
        return sent

    def stats(self) -> dict[str, int]:
        """The counters in the shape every UDP sink reports (status JSON ``outputs`` entries)."""
        c = self.counters
        return {"sent": c.sent, "bytes": c.bytes_sent, "refused": c.refused, "failed": c.failed}

    def _warn(self, kind: str, text: str) -> None:
        if kind not in self._warned:
            log.warning("output %s: %s", self.label, text)
            self._warned.add(kind)

    def close(self) -> None:
        self._sock.close()
