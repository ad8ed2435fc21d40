"""A UDP OSC listener thread: every message of every datagram goes to a callback; garbage is counted, never fatal.

Shared by the control input (bridge.app.control) and the VRChat output's /avatar/change listener.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable

from pythonosc.osc_packet import OscPacket

log = logging.getLogger(__name__)

MessageHandler = Callable[[str, list], object]


class OscUdpListener:
    """Binds ``host:port`` (0 = any free port) and calls ``on_message(address, params)`` on its own thread.

    ``received`` counts datagrams, ``malformed`` those that are not OSC. A bind failure raises OSError before any
    thread starts, so the caller decides whether that is fatal (control input) or only disables a feature.
    """

    def __init__(self, host: str, port: int, on_message: MessageHandler, thread_name: str) -> None:
        self.received = 0
        self.malformed = 0
        self._on_message = on_message
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

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                data = self._sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:  # socket closed by close()
                return
            self.received += 1
            try:
                packet = OscPacket(data)
            except Exception:  # noqa: BLE001 - python-osc raises ParseError, but also struct/index errors on garbage
                self.malformed += 1
                continue
            for timed in packet.messages:
                address = timed.message.address
                try:
                    self._on_message(address, list(timed.message.params))
                except Exception:  # a packet the handler cannot take must not end the listener
                    self.malformed += 1
                    log.exception("OSC listener %s: handling %s failed; message dropped", self._thread.name, address)

    def close(self) -> None:
        """Stop the thread and release the port. Idempotent."""
        self._stop.set()
        self._sock.close()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=1.0)
