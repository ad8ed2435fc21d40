"""Bad input from issue 10: each case is one line naming the thing and what to do, exit code 2, no traceback; the
native OpenCV/FFmpeg lines stay out of the output; a dropped frame names its file in the status.

Each command runs in a child process exactly as a user types it (``python -m bridge ...``).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent


def facebridge(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]))
    return subprocess.run([sys.executable, "-m", "bridge", *args], capture_output=True, text=True, timeout=timeout,
                          env=env, cwd=ROOT, stdin=subprocess.DEVNULL)


def one_error_line(proc: subprocess.CompletedProcess, *needles: str) -> str:
    """The process failed with exit code 2 and exactly one error line on stderr (argparse's usage lines aside),
    nothing on stdout, no traceback; the line names every needle."""
    everything = proc.stdout + proc.stderr
    assert "Traceback" not in everything, everything
    assert proc.returncode == 2, everything
    assert proc.stdout == "", f"errors belong on stderr, got stdout: {proc.stdout!r}"
    # argparse's usage block (first line "usage:", the rest indented) is not a message
    errors = [line for line in proc.stderr.splitlines() if line.strip() and not line.startswith(("usage:", " "))]
    assert len(errors) == 1, proc.stderr
    for needle in needles:
        assert needle in errors[0], errors[0]
    return errors[0]


def test_cameras_simulate_port_out_of_range():
    one_error_line(facebridge("cameras", "--simulate", "mjpeg", "--port", "70000"), "--port", "70000", "1-65535")


def test_cameras_test_missing_source_errors_on_stderr(tmp_path):
    one_error_line(facebridge("cameras", "--test", str(tmp_path / "nope.mp4"), "--seconds", "1"), "nope.mp4",
                   "no such file")


@pytest.mark.parametrize("value", ["nan", "inf", "0", "-3"])
def test_run_duration_must_be_finite_and_positive(value):
    one_error_line(facebridge("run", "--duration", value), "--duration", value)


def test_run_status_json_pointing_at_a_directory(tmp_path):
    line = one_error_line(facebridge("run", "--duration", "1", "--status-json", str(tmp_path)), str(tmp_path),
                          "is a directory")
    assert "status JSON" in line


def test_run_status_json_in_an_unwritable_place():
    one_error_line(facebridge("run", "--duration", "1", "--status-json", "/proc/nope/status.json"),
                   "/proc/nope/status.json", "writable")


def test_status_json_that_fails_after_start_is_a_warning_and_the_bridge_keeps_running(tmp_path, caplog):
    from bridge.app.status import StatusReporter, StatusSnapshot

    folder = tmp_path / "status"
    reporter = StatusReporter(stream=io.StringIO(), json_path=folder / "status.json")
    snap = StatusSnapshot(uptime_s=1.0, frames=1, cameras={}, latency_ms_p50=1.0, latency_ms_p99=2.0,
                          capture_latency_ms_p50=3.0, tracking="tracking", flags=[], top_emotion="neutral",
                          top_emotion_p=1.0)
    reporter.report(snap, now=0.0)
    assert json.loads((folder / "status.json").read_text())["frames"] == 1
    (folder / "status.json").unlink()
    folder.rmdir()
    folder.write_text("a file where the folder was")  # the folder cannot come back: writes fail from now on
    with caplog.at_level("WARNING", logger="facebridge.status"):
        reporter.report(snap, now=10.0)
        reporter.report(snap, now=20.0)
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1 and "status JSON" in warnings[0] and "keeps running" in warnings[0]


def test_infer_out_is_a_directory(tmp_path):
    img = tmp_path / "face.png"
    cv2.imwrite(str(img), np.full((64, 64), 128, np.uint8))
    one_error_line(facebridge("infer", str(img), "--camera", "mouth", "--out", str(tmp_path)), str(tmp_path),
                   "is a directory")


def test_synth_sheet_out_in_an_unwritable_place():
    one_error_line(facebridge("synth", "sheet", "--out", "/proc/nope/x.png"), "/proc/nope/x.png")


def test_bench_json_unwritable_is_checked_before_the_bench_runs(tmp_path):
    one_error_line(facebridge("bench", "--json", str(tmp_path)), "--json", "is a directory")


def test_missing_video_file_is_one_line_without_a_camera_list(tmp_path):
    line = one_error_line(facebridge("run", "--source", str(tmp_path / "clip.mp4"), "--duration", "1"), "clip.mp4")
    assert "Available cameras" not in line


def test_truncated_video_is_one_line_and_ffmpeg_stays_quiet(tmp_path):
    good = tmp_path / "good.mp4"
    writer = cv2.VideoWriter(str(good), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (64, 64))
    for i in range(30):
        writer.write(np.full((64, 64, 3), i * 5, np.uint8))
    writer.release()
    data = good.read_bytes()
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(data[: len(data) // 2])  # the moov atom (at the end) is gone
    proc = facebridge("run", "--source", str(broken), "--duration", "1")
    one_error_line(proc, "broken.mp4", "corrupt, truncated or an unsupported codec")
    assert "moov atom" not in proc.stderr and "Available cameras" not in proc.stderr


def test_corrupt_image_in_a_folder_is_named_in_the_status(tmp_path):
    folder = tmp_path / "frames"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(20):
        cv2.imwrite(str(folder / f"f{i:03d}.png"), rng.integers(0, 255, (64, 64), dtype=np.uint8))
    bad = folder / "f010.png"
    bad.write_bytes(bad.read_bytes()[:60])  # a truncated PNG
    status = tmp_path / "status.json"
    proc = facebridge("run", "--source", str(folder), "--layout", "mouth", "--duration", "2", "--status-json",
                      str(status), "--no-control", "--output", "vmc:127.0.0.1:9")
    assert proc.returncode == 0 and "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    assert "libpng" not in proc.stderr and "[ WARN" not in proc.stderr
    cam = json.loads(status.read_text())["cameras"]["mouth"]
    assert cam["dropped"] >= 1 and "f010.png" in cam["last_error"]
    assert "f010.png" in proc.stdout  # the final status line names it too


def test_outputs_entry_without_kind_is_the_facebridge_sink_as_documented(tmp_path):
    from bridge.config import load_config
    from bridge.outputs.base import OutputOptions

    cfg = tmp_path / "c.toml"
    cfg.write_text("[[outputs]]\nport = 40000\n")
    (out,) = load_config(cfg).outputs
    assert isinstance(out, OutputOptions) and type(out).__name__ == "FacebridgeOptions" and out.port == 40000
