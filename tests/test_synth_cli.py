"""`facebridge synth` commands, the contact sheet and the live SyntheticSource."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from bridge.cli import main as cli_main
from bridge.frames import FrameSet
from bridge.schema import AU10, CAMERAS, NUM_BLENDSHAPES
from bridge.synth.sheet import SHEET_EXPRESSIONS, contact_sheet
from bridge.synth.source import SyntheticSource


def test_sheet_command_writes_a_png(tmp_path, capsys):
    out = tmp_path / "sheet.png"
    assert cli_main(["synth", "sheet", "--out", str(out), "--seed", "2", "--identities", "2", "--size", "48"]) == 0
    img = cv2.imread(str(out), cv2.IMREAD_GRAYSCALE)
    assert img is not None
    assert img.shape[1] >= 48 * len(SHEET_EXPRESSIONS) and img.shape[0] >= 4 * 2 * 48
    assert img.std() > 20
    assert "wrote" in capsys.readouterr().out


def test_contact_sheet_is_deterministic_and_seed_dependent():
    a = contact_sheet(identities=1, seed=1, size=32)
    b = contact_sheet(identities=1, seed=1, size=32)
    c = contact_sheet(identities=1, seed=2, size=32)
    np.testing.assert_array_equal(a, b)
    assert np.abs(a.astype(int) - c.astype(int)).mean() > 1


def test_dataset_command(tmp_path, capsys):
    out = tmp_path / "ds"
    args = ["synth", "dataset", "--out", str(out), "--identities", "2", "--seconds", "2", "--seed", "1",
            "--size", "32", "--quiet"]
    assert cli_main(args) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["complete"] and len(manifest["identities"]) == 2
    # the same job again on a finished directory: nothing to do, still success
    assert cli_main(args) == 0
    # a different job into the same non-empty directory is refused with a clear message
    assert cli_main(args[:5] + ["3"] + args[6:]) == 2
    err = capsys.readouterr().err
    assert "not empty" in err and "--overwrite" in err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["synth", "dataset", "--out", "X", "--identities", "0", "--seconds", "1"], "--identities must be >= 1"),
        (["synth", "dataset", "--out", "X", "--identities", "1", "--seconds", "-2"], "--seconds must be > 0"),
        (["synth", "sheet", "--out", "X.jpg"], ".png"),
        (["synth", "dataset", "--out", "X", "--identities", "1", "--seconds", "1", "--workers", "0"], "--workers"),
    ],
)
def test_bad_arguments_give_clear_errors(tmp_path, capsys, argv, message):
    argv = [a.replace("X", str(tmp_path / "x")) for a in argv]
    assert cli_main(argv) == 2
    assert message in capsys.readouterr().err


def test_synth_without_action_prints_help(capsys):
    assert cli_main(["synth"]) == 2
    assert "sheet" in capsys.readouterr().out


def test_synthetic_source_frames_and_labels():
    src = SyntheticSource(fps=60.0, seed=4, realtime=False, performance_seconds=2.0)
    frames = [src.read(timeout=1.0) for _ in range(130)]  # crosses into a second performance segment
    src.close()
    assert src.read() is None
    for fs in frames:
        assert isinstance(fs, FrameSet) and set(fs.images) == set(CAMERAS)
    assert frames[0].images["left_eye"].shape == (240, 240)
    assert frames[0].images["lower_face"].shape == (240, 320)
    assert [f.sequence for f in frames] == list(range(130))
    lab = frames[10].labels
    assert lab["blendshapes"].shape == (NUM_BLENDSHAPES,) and lab["gaze"].shape == (2, 2)
    assert lab["openness"].shape == (2,) and lab["au10"].shape == (len(AU10),)
    assert -1 <= lab["fer8"] < 8 and -1 <= lab["emotive5"] < 5
    assert -1.0 <= lab["valence"] <= 1.0 and -1.0 <= lab["arousal"] <= 1.0
    # frames change over time (the performance plays)
    assert np.abs(frames[0].images["mouth"].astype(int) - frames[100].images["mouth"].astype(int)).mean() > 1


def test_synthetic_source_realtime_pacing_returns_newest_frame():
    with SyntheticSource(fps=100.0, seed=1, sizes={"left_eye": (64, 64)}, realtime=True) as src:
        a = src.read(timeout=10.0)  # generous: the render thread may be starved on a loaded box
        b = src.read(timeout=10.0)
        assert a is not None and b is not None and b.sequence > a.sequence
        assert b.capture_time > a.capture_time
        assert set(b.images) == {"left_eye"}


def test_synthetic_source_bad_arguments():
    with pytest.raises(ValueError, match="fps"):
        SyntheticSource(fps=0)
    with pytest.raises(ValueError, match="unknown camera view"):
        SyntheticSource(sizes={"chin": (64, 64)})


def test_bench_command_reports_throughput(capsys):
    assert cli_main(["synth", "bench", "--size", "32", "--batch", "8", "--seconds", "0.3", "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert "frame sets/s wall" in out and "per CPU-second" in out
