"""(No tests here.) Shared helpers for the output/pipeline tests: loopback receivers and a stand-in RetargetFrame."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pythonosc.dispatcher import Dispatcher
from pythonosc.osc_server import ThreadingOSCUDPServer

from bridge.outputs.base import OutputFrame
from bridge.schema import FaceState


@dataclass(frozen=True)
class FakeLight:
    r: float = 1.0
    g: float = 0.5
    b: float = 0.25
    intensity: float = 0.8
    transition_s: float = 0.3


@dataclass(frozen=True)
class FakeRig:
    """Same attributes as retarget's RetargetFrame (rig, names, values, light, emotion)."""

    rig: str
    names: tuple[str, ...]
    values: np.ndarray
    light: FakeLight | None = None
    emotion: str = "neutral"
    vrm0_aliases: dict[str, str] | None = None


def frame_with(names, values, rig="arkit52", key="main", state: FaceState | None = None,
               vrm0_aliases: dict[str, str] | None = None, **state_changes) -> OutputFrame:
    state = state or FaceState.neutral(timestamp=time.time(), sequence=1)
    if state_changes:
        state = state.with_changes(**state_changes)
    rig_frame = FakeRig(rig=rig, names=tuple(names), values=np.asarray(values, np.float32), light=FakeLight(),
                        vrm0_aliases=vrm0_aliases)
    return OutputFrame(state=state, rigs={key: rig_frame})


class PythonOscReceiver:
    """A python-osc ThreadingOSCUDPServer on an ephemeral loopback port collecting (address, args)."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, tuple]] = []
        self._lock = threading.Lock()
        dispatcher = Dispatcher()
        dispatcher.set_default_handler(self._on_message)
        self.server = ThreadingOSCUDPServer(("127.0.0.1", 0), dispatcher)
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def _on_message(self, address: str, *args) -> None:
        with self._lock:
            self.messages.append((address, args))

    def wait_for(self, predicate, timeout: float = 20.0) -> list[tuple[str, tuple]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                snapshot = list(self.messages)
            if predicate(snapshot):
                return snapshot
            time.sleep(0.01)
        with self._lock:
            return list(self.messages)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class RawReceiver:
    """A plain UDP socket on an ephemeral loopback port; returns raw datagrams."""

    def __init__(self, port: int = 0) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            self.sock.bind(("127.0.0.1", port))
        except OSError:
            self.sock.close()
            raise
        self.sock.settimeout(2.0)
        self.port = self.sock.getsockname()[1]

    def receive(self, n: int) -> list[bytes]:
        return [self.sock.recv(65536) for _ in range(n)]

    def drain(self, idle_s: float = 0.2) -> list[bytes]:
        out = []
        self.sock.settimeout(idle_s)
        try:
            while True:
                out.append(self.sock.recv(65536))
        except TimeoutError:
            return out

    def close(self) -> None:
        self.sock.close()


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def oscdump_until(port: int, send: Callable[[], None], done: Callable[[str], bool], log: Path,
                  timeout: float = 30.0, interval: float = 0.1) -> str:
    """Run liblo's ``oscdump`` on ``port`` and call ``send()`` every ``interval`` s until ``done(text so far)``
    (or ``timeout``); returns everything oscdump printed. Re-sending covers oscdump binding after our first sends.
    """
    with open(log, "w") as fh:
        proc = subprocess.Popen(["oscdump", "-L", str(port)], stdout=fh, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not done(log.read_text()):
            send()
            time.sleep(interval)
    finally:
        proc.terminate()
        proc.wait(timeout=5)
    return log.read_text()
