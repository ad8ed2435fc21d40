"""Live cross-language test: the Python bridge sends the facebridge protocol to the Unity package's C# receiver.

The C# console receiver (tests/csharp/ConsoleReceiver, built on the package's UnityEngine-free core) is compiled
with Mono's mcs into a temporary folder, listens on a free loopback port and reports frames decoded, lost and
malformed as one JSON line.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from bridge.outputs.facebridge_protocol import FacebridgeEncoder, ProtocolFrame
from bridge.schema import FER8

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(shutil.which("mcs") is None or shutil.which("mono") is None,
                                reason="Mono not installed (make sysdeps)")


@pytest.fixture(scope="module")
def receiver_exe(tmp_path_factory) -> Path:
    """Compile the package core + console receiver (not into tests/csharp/build: run.sh owns that folder)."""
    out = tmp_path_factory.mktemp("csharp")
    core = out / "FaceBridge.Core.dll"
    exe = out / "FaceBridgeConsoleReceiver.exe"
    core_sources = sorted(str(p) for p in (ROOT / "unity_package/Runtime/Core").glob("*.cs"))
    receiver_sources = sorted(str(p) for p in (ROOT / "tests/csharp/ConsoleReceiver").glob("*.cs"))
    for args in (
        ["-target:library", f"-out:{core}", *core_sources],
        ["-target:exe", f"-r:{core}", f"-out:{exe}", *receiver_sources],
    ):
        result = subprocess.run(["mcs", "-langversion:7.2", "-nologo", *args],
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr
    return exe


class Receiver:
    """The C# console receiver as a subprocess. It stops once it decoded as many datagrams as ``expect`` announces
    (a condition, so a loaded machine cannot end the test early); ``idle_s`` without packets is only the fallback
    when some were lost."""

    def __init__(self, exe: Path, idle_s: float, duration_s: float) -> None:
        self.proc = subprocess.Popen(
            ["mono", str(exe), "--port", "0", "--bind", "127.0.0.1",
             "--idle", str(idle_s), "--duration", str(duration_s), "--expect-from-stdin"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().strip()
        assert line.startswith("listening "), f"receiver did not start: {line!r} {self.proc.stderr.read()}"
        self.port = int(line.split()[1])

    def expect(self, datagrams: int) -> None:
        """Tell the receiver how many datagrams were sent in all: it reports once it has decoded that many."""
        self.proc.stdin.write(f"{datagrams}\n")
        self.proc.stdin.flush()

    def report(self, timeout: float) -> dict:
        out, err = self.proc.communicate(timeout=timeout)
        assert self.proc.returncode == 0, err
        return json.loads(out.strip().splitlines()[-1])

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def _frame(seq: int, t: float, names: tuple[str, ...]) -> ProtocolFrame:
    probs = np.zeros(8, np.float32)
    probs[1] = 1.0
    return ProtocolFrame(sequence=seq, capture_time=t, rig="live_test", names=names,
                         values=np.full(len(names), (seq % 10) / 10, np.float32), emotion_probs=probs,
                         emotion_label=FER8[1], valence=0.5, arousal=0.1, light=(1.0, 0.9, 0.8, 1.0, 0.5), flags=0,
                         confidence=np.ones(4, np.float32))


def test_python_encoder_to_csharp_receiver_counts_frames_losses_and_garbage(receiver_exe):
    names = tuple(f"shape{i}" for i in range(169))  # Unified-Expressions-sized rig: names split over datagrams
    receiver = Receiver(receiver_exe, idle_s=30, duration_s=120)
    try:
        encoder = FacebridgeEncoder(names_interval_s=0.5)
        skipped = set(range(50, 55))
        t0 = time.time()
        sent = 0
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as tx:
            for seq in range(200):
                datagrams = encoder.encode(_frame(seq, t0 + seq / 60, names))
                if seq in skipped:
                    continue  # "lost on the network"
                for d in datagrams:
                    sent += tx.sendto(d, ("127.0.0.1", receiver.port)) > 0
                if seq % 50 == 10:
                    sent += tx.sendto(b"\x00garbage!", ("127.0.0.1", receiver.port)) > 0
                time.sleep(0.003)  # ~300 frames/s: 5x the bridge, yet slow enough that a busy CPU drops nothing
        receiver.expect(sent)
        report = receiver.report(timeout=120)
    finally:
        receiver.kill()
    assert report["malformed"] == 4
    assert report["frames"] == 200 - len(skipped)
    assert report["lost"] == len(skipped)
    assert report["rig"] == "live_test" and report["names"] == 169
    assert report["last_sequence"] == 199 and report["emotion"] == "happiness" and report["has_light"] is True
    assert abs(report["capture_time"] - (t0 + 199 / 60)) < 1e-3
    assert report["internal_errors"] == 0 and report["duplicates"] == 0


def test_big_rig_with_duplicated_and_lost_continuations_never_publishes_a_stale_tail(receiver_exe):
    """A 600-shape rig spans 3 datagrams per frame. The network repeats continuation datagrams and loses some:
    a repeat must not stand in for a lost one (the frame is dropped and counted as missing values)."""
    names = tuple(f"shape{i}" for i in range(600))
    receiver = Receiver(receiver_exe, idle_s=30, duration_s=120)
    try:
        encoder = FacebridgeEncoder(names_interval_s=0.5)
        t0 = time.time()
        sent = 0
        dropped_tail = set(range(20, 30))
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as tx:
            for seq in range(60):
                datagrams = encoder.encode(_frame(seq, t0 + seq / 60, names))
                frame_parts = [d for d in datagrams if b"/fb/v1/names" not in d]
                assert len(frame_parts) >= 3, "header + values, then 2+ continuations: the middle one is repeated"
                out = [d for d in datagrams if b"/fb/v1/names" in d] + frame_parts[:-1]
                out.append(frame_parts[1])  # a duplicated continuation datagram
                if seq not in dropped_tail:
                    out.append(frame_parts[-1])
                for d in out:
                    sent += tx.sendto(d, ("127.0.0.1", receiver.port)) > 0
                time.sleep(0.004)
        receiver.expect(sent)
        report = receiver.report(timeout=120)
    finally:
        receiver.kill()
    assert report["malformed"] == 0 and report["internal_errors"] == 0, report
    assert report["frames"] == 60 - len(dropped_tail), report
    assert report["missing_values"] == len(dropped_tail), report
    assert report["duplicates"] >= 60, report
    assert report["lost"] == 0, report


# Until the shipped ONNX models exist (trained by `facebridge train`), the bridge runs with the pipeline's
# test-double model set; everything else (synthetic headset, tracking, retargeting, the facebridge sink) is real.
WITH_TEST_DOUBLE_MODELS = """
import sys
sys.path.insert(0, sys.argv[1])
import bridge.app.assemble as a
from test_pipeline_doubles import LabelModels
a.load_models = lambda config: LabelModels()
from bridge.cli import main
sys.exit(main(sys.argv[2:]))
"""


def _bridge_command() -> list[str]:
    if (ROOT / "bridge" / "models" / "blendshapes.onnx").exists():
        return [sys.executable, "-m", "bridge"]
    return [sys.executable, "-c", WITH_TEST_DOUBLE_MODELS, str(ROOT / "tests")]


def test_facebridge_run_drives_the_csharp_receiver(receiver_exe, tmp_path):
    receiver = Receiver(receiver_exe, idle_s=10.0, duration_s=240)
    status = tmp_path / "status.json"
    try:
        started = time.time()
        run = subprocess.run(
            [*_bridge_command(), "run", "--source", "synthetic", "--duration", "4", "--no-control",
             "--preset", "arkit52-emotion-only",  # a preset with light cues, so they cross too
             "--output", f"facebridge:127.0.0.1:{receiver.port}", "--status-json", str(status)],
            capture_output=True, text=True, timeout=240, cwd=ROOT)
        assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-4000:]
        # The final status JSON (written at exit) counts the datagrams the facebridge output sent.
        receiver.expect(json.loads(status.read_text())["outputs"][f"facebridge:127.0.0.1:{receiver.port}"]["sent"])
        report = receiver.report(timeout=60)
    finally:
        receiver.kill()
    print("C# receiver report:", report)
    assert report["malformed"] == 0
    assert report["frames"] >= 20, report  # 4 s of the synthetic headset, even on a loaded machine
    assert report["names"] > 0 and report["rig"]
    assert report["emotion"] in FER8
    assert report["has_light"] is True  # the preset's light cue reached C#
    assert report["lost"] <= max(2, report["frames"] // 10), report  # loopback: at most a few kernel drops
    assert started - 5 < report["capture_time"] < time.time() + 1  # NTP timetag = capture time, same clock
