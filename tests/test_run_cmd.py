"""`facebridge run` end to end: real video file through OpenCV, real sinks, status JSON, clean stops, errors.

The model set is the test double from test_pipeline_doubles (the shipped ONNX models are trained separately);
everything else is the real command.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from test_outputs_helpers import PythonOscReceiver
from test_pipeline_doubles import LabelModels

import bridge.app.assemble as assemble_module
from bridge.cli import main
from bridge.sources.replay import Recording

TESTS = Path(__file__).parent


@pytest.fixture
def double_models(monkeypatch):
    monkeypatch.setattr(assemble_module, "load_models", lambda config: LabelModels())


@pytest.fixture(scope="module")
def video(tmp_path_factory) -> Path:
    """A 2 s, 30 fps MJPG video of a textured 96x96 'headset' frame whose lower half brightens over time."""
    path = tmp_path_factory.mktemp("video") / "headset.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (96, 96))
    rng = np.random.default_rng(0)
    for i in range(60):
        frame = rng.integers(40, 160, (96, 96), dtype=np.uint8)
        frame[48:] = np.clip(frame[48:].astype(int) + i, 0, 255).astype(np.uint8)
        writer.write(cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR))
    writer.release()
    assert path.stat().st_size > 0
    return path


def test_run_with_duration_exits_cleanly_and_writes_status(double_models, video, tmp_path, capsys, caplog):
    rx = PythonOscReceiver()
    status = tmp_path / "status.json"
    try:
        with caplog.at_level(logging.INFO, logger="facebridge.run"):
            rc = main(["run", "--source", str(video), "--output", f"vmc:127.0.0.1:{rx.port}", "--duration", "1.5",
                       "--status-json", str(status), "--no-control"])
        msgs = rx.wait_for(lambda m: len(m) > 10)
    finally:
        rx.close()
    assert rc == 0
    assert any(r.getMessage().startswith("stopped (duration)") for r in caplog.records)  # --duration ended it
    data = json.loads(status.read_text())
    assert data["frames"] > 5
    assert set(data["cameras"]) and all(c["frames"] > 0 for c in data["cameras"].values())
    assert data["tracking"].split()[0] in ("calibrating", "tracking", "degraded", "camera-lost", "easing-to-neutral")
    assert "latency_ms_p50" in data and "top_emotion" in data
    assert any(addr == "/VMC/Ext/Blend/Apply" for addr, _ in msgs)
    out = capsys.readouterr().out
    assert "latency p50/p99" in out and "fps" in out  # plain status lines (stdout is not a TTY here)


def test_recording_replays_to_identical_face_states(double_models, video, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    raw = tmp_path / "raw.toml"
    raw.write_text(f'[[outputs]]\nkind = "recorder"\npath = "{first}"\nraw_frames = true\n'
                   "[control]\nenabled = false\n")
    assert main(["run", "--config", str(raw), "--source", str(video), "--duration", "20"]) == 0
    (recording,) = first.iterdir()
    assert main(["run", "--source", str(recording), "--output", f"recorder:{second}", "--duration", "20",
                 "--no-control"]) == 0
    (replayed,) = second.iterdir()
    a, b = list(Recording(recording).face_states()), list(Recording(replayed).face_states())
    assert len(a) >= 30 and len(b) == len(a)
    for x, y in zip(a, b, strict=True):
        assert x.timestamp == y.timestamp and x.sequence == y.sequence
        assert x.blendshapes.tobytes() == y.blendshapes.tobytes()
        assert x.emotion8.tobytes() == y.emotion8.tobytes() and x.flags == y.flags


def test_missing_camera_lists_available_ones(double_models, capsys):
    rc = main(["run", "--source", "/dev/video97", "--duration", "1", "--no-control"])
    assert rc == 2
    err = capsys.readouterr().err
    assert "/dev/video97" in err and "Available cameras" in err


def test_bad_config_and_bad_output_fail_before_starting(double_models, tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("[status]\ninterval = 1\n")
    assert main(["run", "--config", str(bad), "--duration", "1"]) == 2
    assert "unknown key 'interval'" in capsys.readouterr().err
    assert main(["run", "--output", "carrier-pigeon:1:2", "--duration", "1"]) == 2
    assert "kind 'carrier-pigeon' is not allowed" in capsys.readouterr().err
    assert main(["run", "--preset", "no-such-preset", "--duration", "1", "--source", "synthetic"]) == 2
    assert "no-such-preset" in capsys.readouterr().err


LAUNCHER = """
import sys
sys.path.insert(0, sys.argv[1])
import bridge.app.assemble as a
from test_pipeline_doubles import LabelModels
a.load_models = lambda config: LabelModels()
from bridge.cli import main
sys.exit(main(sys.argv[2:]))
"""


def test_sigint_stops_cleanly(video, tmp_path):
    status = tmp_path / "status.json"
    proc = subprocess.Popen([sys.executable, "-c", LAUNCHER, str(TESTS), "run", "--source", str(video),
                             "--output", "vmc:127.0.0.1:9", "--status-json", str(status), "--no-control"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not status.exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        assert proc.poll() is None, proc.communicate()
        os.kill(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "stopped (stopped)" in err


SHIPPED = Path(assemble_module.__file__).resolve().parents[1] / "models"


@pytest.mark.skipif(not any(SHIPPED.glob("*.onnx")), reason="the trained model set is not in bridge/models yet")
def test_default_run_with_shipped_models_reaches_the_unity_port(tmp_path):
    """`facebridge run` with no source/output: synthetic headset -> the Unity package's default port."""
    from test_outputs_helpers import RawReceiver

    from bridge.outputs.facebridge_decoder import decode_datagram
    from bridge.outputs.facebridge_protocol import DEFAULT_PORT

    try:
        rx = RawReceiver(DEFAULT_PORT)
    except OSError:
        pytest.skip(f"port {DEFAULT_PORT} is busy on this machine")
    try:
        proc = subprocess.run([sys.executable, "-m", "bridge", "run", "--duration", "3", "--no-control"],
                              capture_output=True, text=True, timeout=120)
        datagrams = rx.drain(0.5)
    finally:
        rx.close()
    assert proc.returncode == 0, proc.stderr
    decoded = [m for d in datagrams for m in decode_datagram(d).messages]
    assert any(type(m).__name__ == "FrameHeader" for m in decoded)
