"""A UDP OSC listener thread: every message of every datagram goes to a callback; garbage is counted, never fatal.

Shared by the control input (bridge.app.control) and the VRChat output's /avatar/change listener. Datagrams come
from the network, so the thread trusts none of them: they are decoded by our own bounds-checked decoder
(bridge.osc.decode; python-osc loops forever on some 20-byte datagrams), the work per second is capped (beyond
``datagrams_per_s`` or ``bytes_per_s`` the thread pauses and the kernel drops the flood, so a sender can neither
starve the pipeline of CPU nor fill the log), and no exception, from the socket, the decoder or the handler, ends
the thread.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable

from bridge.osc.decode import decode_packet
from bridge.ratelimit import LogLimiter, TokenBucket

log = logging.getLogger(__name__)

MessageHandler = Callable[..., object]  # (address, params) or, with pass_sender, (address, params, sender_host)
# Far above what VRChat (a few hundred parameter changes a second at most) or a control surface sends; a flood
# beyond either is left to the kernel to drop, which bounds the thread's CPU (decoding is ~0.25 us per byte).
DATAGRAMS_PER_S = 2000.0
BYTES_PER_S = 256 * 1024.0


class OscUdpListener:
    """Binds ``host:port`` (0 = any free port) and calls ``on_message(address, params)`` on its own thread
    (``on_message(address, params, sender_host)`` with ``pass_sender``).

    ``received`` counts datagrams, ``malformed`` those that are not (entirely) OSC plus messages the handler
    failed on, ``throttled`` the times the thread paused because a sender went over the rate limit. A bind failure
    raises OSError before any thread starts, so the caller decides whether that is fatal (control input) or only
    disables a feature.
    """

    def __init__(self, host: str, port: int, on_message: MessageHandler, thread_name: str, *,
                 pass_sender: bool = False, datagrams_per_s: float = DATAGRAMS_PER_S,
                 bytes_per_s: float = BYTES_PER_S) -> None:
        self.received = 0
        self.malformed = 0
        self.throttled = 0
        self._on_message = on_message
        self._pass_sender = pass_sender
        self._datagrams = TokenBucket(datagrams_per_s, burst=max(1.0, datagrams_per_s / 4))
        self._bytes = TokenBucket(bytes_per_s, burst=max(65536.0, bytes_per_s / 4))
        self._log = LogLimiter(log, per_window=3, window_s=30.0)
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            self._sock.bind((host, port))
        except OSError:
            self._sock.close()
            raise
        self._sock.settimeout(0.2)  # so close() is noticed even when nothing arrives
        self.address: tuple[str, int] = self._sock.getsockname()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=thread_name, daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return self.address[1]

    @property
    def alive(self) -> bool:
        """True while the thread runs (it only ends on close())."""
        return self._thread.is_alive()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._serve_one()
            except Exception as exc:  # noqa: BLE001 - nothing a datagram does may end the listener
                self._log.log(logging.WARNING, "loop", "OSC listener %s: %s: %s (continuing)", self._thread.name,
                              type(exc).__name__, exc)
                self._stop.wait(0.01)  # a persistent failure must not become a busy loop

    def _serve_one(self) -> None:
        wait = max(self._datagrams.wait_time(), self._bytes.wait_time())
        if wait > 0:  # over the limit: stop reading; the kernel drops what the socket buffer cannot hold
            self.throttled += 1
            self._stop.wait(min(wait, 0.2))
            return
        try:
            data, sender = self._sock.recvfrom(65536)
        except TimeoutError:
            return
        except OSError:
            if self._stop.is_set() or self._sock.fileno() < 0:  # closed by close()
                self._stop.set()
                return
            raise
        self._datagrams.spend(1)
        self._bytes.spend(len(data))
        self.received += 1
        packet = decode_packet(data)
        if packet.malformed or not (packet.messages or packet.truncated):
            self.malformed += 1
            if packet.errors:
                log.debug("OSC listener %s: malformed datagram from %s: %s", self._thread.name, sender[0],
                          "; ".join(packet.errors))
        for address, params in packet.messages:
            try:
                if self._pass_sender:
                    self._on_message(address, params, sender[0])
                else:
                    self._on_message(address, params)
            except Exception:  # noqa: BLE001 - a message the handler cannot take must not end the listener
                self.malformed += 1
                self._log.log(logging.WARNING, "handler", "OSC listener %s: handling %s failed; message dropped",
                              self._thread.name, address[:80])

    def close(self) -> None:
        """Stop the thread and release the port. Idempotent."""
        self._stop.set()
        self._sock.close()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=1.0)
