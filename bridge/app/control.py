"""OSC control input: recalibrate, recenter, pause, resume.

Accepted addresses (arguments optional): ``/facebridge/recalibrate``, ``/facebridge/recenter``,
``/facebridge/pause``, ``/facebridge/resume``, ``/facebridge/reset_calibration``,
``/facebridge/pause <int|bool>`` (non-zero pauses, zero resumes),
and the VRChat-menu form ``/avatar/parameters/FaceBridge/<Command>`` with a true bool/int (false is ignored so a
button's release does nothing). Bound to 127.0.0.1 by default. Commands are queued and applied by the pipeline
thread between frames (the tracker is never touched from the network thread). Packets that are not valid OSC, or
valid OSC that means nothing to us, are ignored and counted.
"""

from __future__ import annotations

import enum
import logging
import queue
from dataclasses import dataclass

from bridge.osc.listener import OscUdpListener

log = logging.getLogger(__name__)


class Command(enum.Enum):
    RECALIBRATE = "recalibrate"
    RECENTER = "recenter"
    PAUSE = "pause"
    RESUME = "resume"
    RESET_CALIBRATION = "reset_calibration"  # forget the learned range of motion


_BY_NAME = {c.value: c for c in Command}
_PREFIXES = ("/facebridge/", "/avatar/parameters/facebridge/")


@dataclass(frozen=True, slots=True)
class ControlCounters:
    """A snapshot of what the control input received."""

    received: int = 0  # datagrams
    commands: int = 0  # commands queued
    malformed: int = 0  # not parseable as OSC
    ignored: int = 0  # valid OSC but no known command (unknown address, false button state)


def parse_command(address: str, params: list) -> Command | None:
    """The command a message means, or None."""
    lowered = address.lower()
    prefix = next((p for p in _PREFIXES if lowered.startswith(p)), None)
    if prefix is None:
        return None
    command = _BY_NAME.get(lowered[len(prefix):].strip("/"))
    if command is None:
        return None
    if params:
        arg = params[0]
        truthy = bool(arg) if isinstance(arg, bool | int | float) else True
        if command is Command.PAUSE and not truthy and prefix == "/facebridge/":
            return Command.RESUME
        if not truthy:
            return None
    return command


class ControlServer:
    """UDP listener thread feeding ``commands`` (a queue the pipeline drains)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 39572) -> None:
        self.commands: queue.SimpleQueue[Command] = queue.SimpleQueue()
        self._queued = self._ignored = 0
        try:
            self._listener = OscUdpListener(host, port, self.submit, thread_name="control")
        except OSError as exc:
            raise OSError(f"control input: cannot listen on {host}:{port} ({exc}); choose another [control] port "
                          f"or set [control] enabled = false") from None
        self.address = self._listener.address

    @property
    def counters(self) -> ControlCounters:
        """Datagrams received, commands queued, malformed and ignored packets so far."""
        return ControlCounters(received=self._listener.received, commands=self._queued,
                               malformed=self._listener.malformed, ignored=self._ignored)

    def submit(self, address: str, params: list) -> bool:
        """Queue the command an OSC message means (thread-safe); False (counted as ignored) if it means none.

        Also used by the vrchat output's listener, so expression-menu buttons that VRChat reports on its
        output port (9001) reach us too."""
        command = parse_command(address, params)
        if command is None:
            self._ignored += 1
            return False
        self._queued += 1
        self.commands.put(command)
        return True

    def drain(self) -> list[Command]:
        """Commands received since the last call, oldest first."""
        out = []
        while True:
            try:
                out.append(self.commands.get_nowait())
            except queue.Empty:
                return out

    def close(self) -> None:
        self._listener.close()
