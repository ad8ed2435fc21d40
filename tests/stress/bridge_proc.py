"""A real `facebridge run` in a subprocess, wired to local UDP receivers, for the stress suite.

The bridge runs the synthetic headset (30 fps: the machine is shared) with a VMC output (one /VMC/Ext/Blend/Apply
per frame: the receiver counts frames and inter-frame gaps), a VRChat output whose listener port is attacked, the
OSC control input, and the status JSON file (listener counters).
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPLY = b"/VMC/Ext/Blend/Apply"


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FrameCounter:
    """UDP receiver on its own thread: arrival times of datagrams that contain ``marker``."""

    def __init__(self, marker: bytes = APPLY) -> None:
        self.marker = marker
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.times: list[float] = []
        self.datagrams = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True, name="frame-counter")
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            self.datagrams += 1
            if self.marker in data:
                self.times.append(time.monotonic())

    def count(self, t0: float, t1: float) -> int:
        return bisect_right(self.times, t1) - bisect_left(self.times, t0)

    def rate(self, t0: float, t1: float) -> float:
        return self.count(t0, t1) / max(t1 - t0, 1e-9)

    def max_gap(self, t0: float, t1: float) -> float:
        """Longest time without a frame inside [t0, t1] (edges included)."""
        i, j = bisect_left(self.times, t0), bisect_right(self.times, t1)
        points = [t0, *self.times[i:j], t1]
        return max(b - a for a, b in zip(points, points[1:], strict=False))

    def gaps(self, t0: float, t1: float) -> list[float]:
        i, j = bisect_left(self.times, t0), bisect_right(self.times, t1)
        ts = self.times[i:j]
        return [b - a for a, b in zip(ts, ts[1:], strict=False)]

    def close(self) -> None:
        self._stop.set()
        self.sock.close()
        self._thread.join(timeout=1.0)


def env() -> dict[str, str]:
    e = dict(os.environ)
    e["PYTHONPATH"] = str(ROOT) + (os.pathsep + e["PYTHONPATH"] if e.get("PYTHONPATH") else "")
    e.pop("FACEBRIDGE_CONFIG", None)
    return e


MEMORY_LIMIT = 3 << 30  # address space per bridge under test: a runaway read fails there, not on the shared machine


def limit_memory() -> None:
    """preexec_fn: cap the child's address space (onnxruntime alone maps ~1 GB)."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run_cli(args: list[str], timeout: float = 60.0, **kw) -> subprocess.CompletedProcess:
    """`python -m bridge ARGS` to completion (text output), memory-capped."""
    return subprocess.run([sys.executable, "-m", "bridge", *args], capture_output=True, text=True, timeout=timeout,
                          env=env(), cwd=kw.pop("cwd", None), preexec_fn=limit_memory, **kw)


class BridgeProcess:
    """`facebridge run` with the synthetic headset, VMC + VRChat outputs, control input and a status JSON."""

    def __init__(self, workdir: Path, *, preset: str | None = None, extra_config: str = "", args: tuple = (),
                 source: str = "synthetic", stdout: int | None = None, preexec_fn: Callable | None = None,
                 recorder: Path | None = None, vrchat: bool = True, fps: float = 30.0) -> None:
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.frames = FrameCounter()
        # Full resends only on /avatar/change (resend_s is 10 minutes): a status bool arriving shows the listener acted.
        self.vrchat_rx = FrameCounter(marker=b"ExpressionTrackingActive") if vrchat else None
        self.control_port = free_udp_port()
        self.vrchat_listen_port = free_udp_port()
        self.status_path = self.workdir / "status.json"
        self.status_path.unlink(missing_ok=True)
        outputs = f'[[outputs]]\nkind = "vmc"\nhost = "127.0.0.1"\nport = {self.frames.port}\n'
        if self.vrchat_rx is not None:
            outputs += (f'[[outputs]]\nkind = "vrchat"\nhost = "127.0.0.1"\nport = {self.vrchat_rx.port}\n'
                        f"listen_port = {self.vrchat_listen_port}\nresend_s = 600.0\n")
        if recorder is not None:
            outputs += f'[[outputs]]\nkind = "recorder"\npath = "{recorder}"\nraw_frames = true\n'
        config = (f"[source]\nfps = {fps}\n[control]\nport = {self.control_port}\n"
                  f"[status]\njson_path = \"{self.status_path}\"\njson_interval_s = 0.25\n"
                  f"plain_interval_s = 1.0\n{extra_config}{outputs}")
        self.config_path = self.workdir / "bridge.toml"
        self.config_path.write_text(config)
        self.stderr_path = self.workdir / "stderr.log"
        self.stdout_path = self.workdir / "stdout.log"
        cmd = [sys.executable, "-m", "bridge", "run", "--config", str(self.config_path), "--source", source, *args]
        if preset:
            cmd += ["--preset", preset]
        self._stderr = open(self.stderr_path, "wb")  # noqa: SIM115 - closed in stop()
        self._stdout = open(self.stdout_path, "wb") if stdout is None else None  # noqa: SIM115
        def preexec() -> None:
            limit_memory()
            if preexec_fn is not None:
                preexec_fn()

        self.proc = subprocess.Popen(cmd, stdout=self._stdout if stdout is None else stdout, stderr=self._stderr,
                                     env=env(), cwd=self.workdir, preexec_fn=preexec)
        self.started = time.monotonic()

    # --- observation -------------------------------------------------------------------------------------
    def wait_frames(self, n: int = 30, timeout: float = 60.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.frames.times) >= n:
                return True
            if self.proc.poll() is not None:
                return False
            time.sleep(0.05)
        return False

    def status(self) -> dict:
        with contextlib.suppress(OSError, ValueError):
            return json.loads(self.status_path.read_text())
        return {}

    def wait_status(self, predicate: Callable[[dict], bool], timeout: float = 5.0) -> dict | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            s = self.status()
            if s and predicate(s):
                return s
            time.sleep(0.1)
        return None

    def alive(self) -> bool:
        return self.proc.poll() is None

    def rss_kb(self) -> int:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def cpu_s(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stderr_text(self) -> str:
        if not self._stderr.closed:
            self._stderr.flush()
        return self.stderr_path.read_text(errors="replace")

    def stderr_bytes(self) -> int:
        return self.stderr_path.stat().st_size

    # --- ending ------------------------------------------------------------------------------------------
    def stop(self, sig: int = signal.SIGINT, timeout: float = 20.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.frames.close()
        if self.vrchat_rx is not None:
            self.vrchat_rx.close()
        self._stderr.close()
        if self._stdout is not None:
            self._stdout.close()
        return self.proc.returncode


def send_udp(port: int, datagrams, rate: float | None = None, host: str = "127.0.0.1") -> int:
    """Send datagrams (bytes) to ``port``, paced to ``rate`` per second when given. Returns how many were sent."""
    sent = 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        start = time.monotonic()
        for data in datagrams:
            with contextlib.suppress(OSError):  # ECONNREFUSED after an ICMP, EMSGSIZE
                s.sendto(data, (host, port))
            sent += 1
            if rate and sent % 50 == 0:
                ahead = sent / rate - (time.monotonic() - start)
                if ahead > 0:
                    time.sleep(ahead)
    return sent
