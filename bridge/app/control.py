"""OSC control input: recalibrate, recenter, pause, resume.

Accepted addresses (arguments optional): ``/facebridge/recalibrate``, ``/facebridge/recenter``,
``/facebridge/pause``, ``/facebridge/resume``, ``/facebridge/reset_calibration``,
``/facebridge/pause <int|bool>`` (non-zero pauses, zero resumes),
and the VRChat-menu form ``/avatar/parameters/FaceBridge/<Command>`` with a true bool/int (false is ignored so a
button's release does nothing). Bound to 127.0.0.1 by default. Commands are queued and applied by the pipeline
thread between frames (the tracker is never touched from the network thread). Packets that are not valid OSC, or
valid OSC that means nothing to us, are ignored and counted.

The queue holds each command at most once (a flood of 600,000 recenters is one pending recenter; a repeated
command moves to the end, so pause/resume flapping ends in the state last asked for) and each command is applied at
most once per ``MIN_INTERVAL_S``, so nothing a sender does can stall the pipeline or fill the log.
"""

from __future__ import annotations

import enum
import ipaddress
import logging
import threading
import time
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
MIN_INTERVAL_S = 0.25  # the same command is applied at most 4 times a second; repeats in between are merged
_PREFIXES = ("/facebridge/", "/avatar/parameters/facebridge/")


@dataclass(frozen=True, slots=True)
class ControlCounters:
    """A snapshot of what the control input received."""

    received: int = 0  # datagrams
    commands: int = 0  # command messages accepted
    malformed: int = 0  # not parseable as OSC
    ignored: int = 0  # valid OSC but no known command (unknown address, false button state, a sender not allowed)
    coalesced: int = 0  # accepted commands merged into one already pending (floods, pause/resume flapping)
    throttled: int = 0  # times the listener paused because datagrams came faster than its rate limit


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


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and "localhost"."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ControlServer:
    """UDP listener thread feeding a small pending-command set that the pipeline drains."""

    def __init__(self, host: str = "127.0.0.1", port: int = 39572) -> None:
        self._pending: dict[Command, None] = {}  # an ordered set: at most one of each command
        self._last_applied: dict[Command, float] = {}
        self._lock = threading.Lock()
        self._queued = self._ignored = self._coalesced = 0
        # Commands forwarded from other listeners (VRChat's) obey the control input's own reach: a loopback-only
        # control input takes them from this machine only.
        self.local_only = is_loopback(host)
        try:
            self._listener = OscUdpListener(host, port, self.submit, thread_name="control")
        except OSError as exc:
            raise OSError(f"control input: cannot listen on {host}:{port} ({exc}); choose another [control] port "
                          f"or set [control] enabled = false") from None
        self.address = self._listener.address

    @property
    def counters(self) -> ControlCounters:
        """Datagrams received, commands accepted, malformed and ignored packets so far."""
        return ControlCounters(received=self._listener.received, commands=self._queued,
                               malformed=self._listener.malformed, ignored=self._ignored,
                               coalesced=self._coalesced, throttled=self._listener.throttled)

    def submit(self, address: str, params: list) -> bool:
        """Queue the command an OSC message means (thread-safe); False (counted as ignored) if it means none."""
        command = parse_command(address, params)
        if command is None:
            self._ignored += 1
            return False
        with self._lock:
            self._queued += 1
            if command in self._pending:  # already waiting: it moves to the end (it is now the newest)
                del self._pending[command]
                self._coalesced += 1
            self._pending[command] = None
        return True

    def submit_from(self, address: str, params: list, sender: str) -> bool:
        """``submit`` for a message another listener received from ``sender`` (the VRChat output's listener
        forwards expression-menu buttons): refused, and counted as ignored, when the control input is
        loopback-only and the sender is not on this machine."""
        if self.local_only and not is_loopback(sender):
            self._ignored += 1
            return False
        return self.submit(address, params)

    def drain(self, now: float | None = None) -> list[Command]:
        """Commands due now, in the order they (last) arrived. A command applied within the last MIN_INTERVAL_S
        waits, and so does everything queued after it, so the order (e.g. pause after resume) is kept."""
        now = time.monotonic() if now is None else now
        out = []
        with self._lock:
            for command in list(self._pending):
                if now - self._last_applied.get(command, float("-inf")) < MIN_INTERVAL_S:
                    break
                del self._pending[command]
                self._last_applied[command] = now
                out.append(command)
        return out

    def close(self) -> None:
        self._listener.close()
