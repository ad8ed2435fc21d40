"""The preset studio's Qt window, offscreen (QT_QPA_PLATFORM=offscreen), on real parts: a recording written by
the recorder sink, the real pipeline (models + tracking) on the synthetic headset, VMC over UDP loopback to a
python-osc server, and a real `facebridge run` subprocess picking up a saved preset.

Screenshots are compared region by region: moving a knob must change the schematic face where it should (the
mouth for jawOpen, one eye for a blink) and nowhere else. With FACEBRIDGE_DOC_IMAGES=DIR the tests also write the
screenshots docs/preview.md shows (``FACEBRIDGE_DOC_IMAGES=docs/img pytest tests/test_preview_window.py``).
"""

from __future__ import annotations

import gc
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from test_outputs_helpers import PythonOscReceiver  # noqa: E402

from bridge.preview.editor import PresetEditor  # noqa: E402
from bridge.preview.feed import SyntheticFaceFeed  # noqa: E402
from bridge.preview.player import RecordingPlayer  # noqa: E402
from bridge.schema import BLENDSHAPE_INDEX, FER8  # noqa: E402
from retarget import load_preset, preset_path  # noqa: E402

DOC_IMAGES = Path(os.environ["FACEBRIDGE_DOC_IMAGES"]).resolve() if os.environ.get("FACEBRIDGE_DOC_IMAGES") else None
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def qapp():
    from PySide6 import QtWidgets

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(["test"])
    yield app
    # Free Qt objects while the interpreter is alive: left to shutdown, PySide6 6.12 + pyqtgraph can abort
    # in the garbage collector ("bool_dealloc").
    app.processEvents()
    gc.collect()


@pytest.fixture(scope="module")
def recording(tmp_path_factory) -> Path:
    """4 s written by the real recorder sink (with raw frames) from the synthetic headset's ground truth."""
    from bridge.frames import FrameSet
    from bridge.outputs.base import OutputFrame
    from bridge.outputs.recorder import RecorderSink

    feed = SyntheticFaceFeed(fps=30, seed=5, realtime=False)
    sink = RecorderSink(tmp_path_factory.mktemp("rec"), raw_frames=True)
    for _ in range(120):
        item = feed.next()
        sink.send(OutputFrame(state=item.state, frames=FrameSet(images=item.images, capture_time=item.state.timestamp,
                                                                sequence=item.state.sequence)))
    sink.close()
    feed.close()
    return sink.path


def _copy(tmp_path: Path, name: str, as_name: str = "mine.toml") -> Path:
    path = tmp_path / as_name
    shutil.copy(preset_path(name), path)
    return path


def _window(qapp, preset: Path, recording: Path):
    from bridge.preview.window import PreviewWindow

    editor = PresetEditor(preset)
    window = PreviewWindow(editor, player=RecordingPlayer(recording), source_label=f"recording {recording.name}")
    window.resize(1500, 940)
    window.show()
    qapp.processEvents()
    return editor, window


def _close(qapp, window) -> None:
    window.close()
    window.deleteLater()
    qapp.processEvents()


def _pixels(widget) -> np.ndarray:
    from PySide6 import QtGui

    img = widget.grab().toImage().convertToFormat(QtGui.QImage.Format.Format_RGB32)
    h, w = img.height(), img.width()
    arr = np.frombuffer(img.constBits(), np.uint8, count=img.bytesPerLine() * h).reshape(h, img.bytesPerLine())
    return arr[:, : w * 4].reshape(h, w, 4)[..., :3].astype(np.int16).copy()


def _changed(before: np.ndarray, after: np.ndarray, rect) -> float:
    """Fraction of pixels in a QRect that changed visibly."""
    region = (slice(rect.top(), rect.bottom() + 1), slice(rect.left(), rect.right() + 1))
    return float((np.abs(after[region] - before[region]).max(axis=-1) > 24).mean())


def _doc_image(widget, name: str, width: int = 1100) -> None:
    """Save a screenshot for docs/preview.md (only with FACEBRIDGE_DOC_IMAGES): scaled, 256-colour PNG (small)."""
    if not DOC_IMAGES:
        return
    from PySide6 import QtCore, QtGui

    DOC_IMAGES.mkdir(parents=True, exist_ok=True)
    image = widget.grab().toImage()
    if image.width() > width:
        image = image.scaledToWidth(width, QtCore.Qt.TransformationMode.SmoothTransformation)
    image = image.convertToFormat(QtGui.QImage.Format.Format_Indexed8, QtCore.Qt.ImageConversionFlag.ThresholdDither)
    assert image.save(str(DOC_IMAGES / f"preview-{name}.png"))


def _frame_where(player: RecordingPlayer, shape: str, lo: float) -> int:
    values = np.array([s.blendshapes[BLENDSHAPE_INDEX[shape]] for s in player.states])
    hits = np.nonzero(values > lo)[0]
    assert hits.size, f"the recording never has {shape} > {lo}"
    return int(hits[np.argmax(values[hits])])


# ---- the face changes where it should ---------------------------------------------------------------------------
def test_jaw_slider_changes_the_mouth_of_the_edited_face_only(qapp, tmp_path, recording):
    from bridge.preview.knobs import SLIDER_STEPS

    editor, window = _window(qapp, _copy(tmp_path, "arkit52-perfect-sync"), recording)
    player = window.player
    i = _frame_where(player, "jawOpen", 0.15)
    player.timeline.seek(i)
    window.show_position()
    window.select_target("jawOpen")
    qapp.processEvents()
    face = window.face_view
    before = _pixels(face)
    jaw = window.frame_at(i).as_dict()["jawOpen"]
    window.knobs.gain_slider.setValue(SLIDER_STEPS)  # gain 3.0
    qapp.processEvents()
    after = _pixels(face)
    assert editor.curve_of("jawOpen").gain == 3.0
    assert window.last_frame.as_dict()["jawOpen"] == pytest.approx(min(jaw * 3.0, 1.0), abs=1e-5)
    assert _changed(before, after, face.region("mouth", 1)) > 0.08  # B: the mouth opened
    for region in ("eye_l", "eye_r", "brow_l", "brow_r"):
        assert _changed(before, after, face.region(region, 1)) == 0.0, region  # nothing else moved
    for region in ("mouth", "eye_l", "brow_r"):
        assert _changed(before, after, face.region(region, 0)) == 0.0, region  # A is the file: unchanged
    assert "~ targets.jawOpen.curve.gain: 1 (default) -> 3" in window.diff_view.toPlainText()

    window.undo()  # undo restores the face pixel for pixel
    qapp.processEvents()
    assert np.array_equal(_pixels(face), before) and editor.curve_of("jawOpen").gain == 1.0
    assert window.diff_view.toPlainText() == "(no edits: same as the file)"
    window.redo()
    qapp.processEvents()
    assert np.array_equal(_pixels(face), after)
    _close(qapp, window)


def test_blink_offset_closes_one_eye(qapp, tmp_path, recording):
    editor, window = _window(qapp, _copy(tmp_path, "vrchat-unified-v2"), recording)
    face = window.face_view
    window.set_view_mode("B")
    qapp.processEvents()
    before = _pixels(face)
    # Close the subject's LEFT eye (drawn on the picture's right) in every parameter that carries it.
    editor.set_curve("EyeClosedLeft", gain=0.0, offset=1.0)
    editor.set_curve("EyeLidLeft", gain=0.0)
    editor.set_curve("EyeOpenLeft", gain=0.0)
    qapp.processEvents()
    after = _pixels(face)
    assert _changed(before, after, face.region("eye_l", 0)) > 0.1
    assert _changed(before, after, face.region("eye_r", 0)) == 0.0
    assert _changed(before, after, face.region("mouth", 0)) == 0.0
    # A/B toggle on the same frame: A is the file's face, B the edited one (the captions differ, the faces not).
    face_only = (slice(32, -32), slice(None))
    window.toggle_ab()
    qapp.processEvents()
    assert face.mode == "A" and np.array_equal(_pixels(face)[face_only], before[face_only])
    window.toggle_ab()
    qapp.processEvents()
    assert face.mode == "B" and np.array_equal(_pixels(face)[face_only], after[face_only])
    _close(qapp, window)


def test_emotion_pose_and_light_edit_in_the_window(qapp, tmp_path, recording):
    editor, window = _window(qapp, _copy(tmp_path, "vrm1-basic"), recording)
    player = window.player
    labels = [s.emotion_label for s in player.states]
    emotion = max(set(labels) - {"neutral", "happiness"}, key=labels.count)  # A does not smile there
    i = labels.index(emotion)
    player.timeline.seek(i)
    window.show_position()
    knobs = window.knobs
    knobs.tabs.setCurrentIndex(1)
    knobs.emotion_combo.setCurrentText(emotion)
    assert knobs.current_emotion() == emotion
    face = window.face_view
    before = _pixels(face)
    knobs.set_light_colour(0.1, 0.9, 0.2)  # the colour button's edit, without the dialog
    knobs.blend_combo.setCurrentText("override")
    knobs.pose_table.set_rows([])
    knobs.pose_table.table.insertRow(0)
    from PySide6 import QtWidgets

    knobs.pose_table.table.setItem(0, 0, QtWidgets.QTableWidgetItem("happy"))
    knobs.pose_table.table.setItem(0, 1, QtWidgets.QTableWidgetItem("1.0"))  # the edit is applied on this cell
    qapp.processEvents()
    pose = editor.pose_of(emotion)
    assert pose.blend == "override" and pose.pose == (("happy", 1.0),)
    assert pose.light.r == pytest.approx(0.1) and pose.light.g == pytest.approx(0.9)
    # continuous mode: the override pulls "happy" toward 1 by the emotion's probability
    p_emotion = float(player.state(i).emotion8[list(FER8).index(emotion)])
    assert window.last_frame.light == pose.light
    assert window.last_frame.as_dict()["happy"] == pytest.approx(
        p_emotion + (1 - p_emotion) * window.last_original.as_dict()["happy"], abs=1e-5)
    after = _pixels(face)
    corner_a, corner_b = face.panels()[0][0].toRect(), face.panels()[1][0].toRect()
    pa, pb = after[corner_a.top() + 40, corner_a.left() + 5], after[corner_b.top() + 40, corner_b.left() + 5]
    assert pb[1] > 150 and pb[1] > pb[0] + 60  # the edited face's backdrop is the new green light
    assert np.array_equal(pa, before[corner_a.top() + 40, corner_a.left() + 5])  # A keeps the file's light
    assert _changed(before, after, face.region("mouth", 1)) > 0.05  # happy = 1 smiles
    diff = window.diff_view.toPlainText()
    assert f"~ emotions.{emotion}.blend: max -> override" in diff and f"emotions.{emotion}.light" in diff
    _close(qapp, window)


def test_bad_edits_show_problems_in_the_window_and_are_not_applied(qapp, tmp_path, recording):
    from PySide6 import QtWidgets

    editor, window = _window(qapp, _copy(tmp_path, "vrm1-basic"), recording)
    window.select_target("aa")
    before = editor.preset
    table = window.knobs.sum_table.table
    table.item(0, 1).setText("50")  # jawOpen weight 50: out of range
    assert editor.preset is before
    problems = window.knobs.problems.toPlainText()
    assert "aa.sum: not applied" in problems and "targets.aa.sum.jawOpen: 50 is out of range [-10, 10]" in problems
    assert table.item(0, 1).text() == "1.2"  # the table snapped back to the running preset
    _doc_image(window, "problems")
    table.item(0, 0).setText("jawOpn")
    assert editor.preset is before and "did you mean 'jawOpen'" in window.knobs.problems.toPlainText()
    table.item(0, 1).setText("abc")
    assert editor.preset is before and "'abc' is not a number" in window.knobs.problems.toPlainText()
    window.knobs.emotion_combo.setCurrentText("happiness")
    window.knobs.hysteresis_spin.setValue(0.3)  # disabled in continuous mode, but a value set still validates
    window.knobs.mode_combo.setCurrentText("discrete")
    assert editor.preset.emotions.mode == "discrete"
    assert window.knobs.problems.toPlainText() == ""  # a good edit clears the problems
    assert isinstance(window.knobs.tabs.widget(0), QtWidgets.QScrollArea)
    _close(qapp, window)


def test_recording_plays_deterministically_in_the_window(qapp, tmp_path, recording):
    editor, window = _window(qapp, _copy(tmp_path, "vrm1-emotion-toggles"), recording)
    bar = window.timeline_bar
    bar.set_loop_range(30, 59)
    assert window.player.timeline.loop.start == 30 and window.player.timeline.position == 30

    def run() -> list[np.ndarray]:
        window.player.timeline.seek(30)
        window.show_position()
        shots = []
        for _ in range(45):  # one and a half times round the loop
            bar.step(1)
            qapp.processEvents()
            shots.append(window.last_frame.values.copy())
        return shots

    first, second = run(), run()
    assert all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))
    # shots[k] shows frame 31 + k, wrapping at 59 -> 30: the same frame looks the same on every pass of the loop
    assert window.player.timeline.position == 45
    assert all(np.array_equal(first[k], first[k + 30]) for k in range(15))
    # playing on the timer's clock gives the same frames as stepping
    t = window.player.timeline
    t.seek(30)
    t.playing = True
    window._last_tick = time.monotonic() - 0.5
    window.step()
    assert t.position > 30
    assert np.array_equal(window.last_frame.values, window.frame_at(t.position).values)
    assert "loop" in bar.time_label.text()
    _close(qapp, window)


def test_save_from_the_window(qapp, tmp_path, recording):
    preset = _copy(tmp_path, "vrm1-basic")
    editor, window = _window(qapp, preset, recording)
    editor.set_curve("aa", gain=1.7)
    assert window.title.text().startswith("vrm1-basic (edited)  ·  vrm1, 16 targets")
    saved = window.save_as_new(tmp_path / "tuned.toml")
    assert saved == tmp_path / "tuned.toml" and load_preset(saved).mapping("aa").curve.gain == 1.7
    assert window.save_as_new(tmp_path / "tuned.toml") is None  # exists: never overwritten
    assert "not overwritten" in window.statusBar().currentMessage()
    editor.set_curve("aa", gain=1.9)
    backup = window.save_over(ask=False)
    assert backup is not None and load_preset(backup).mapping("aa").curve.gain == 1.7
    assert load_preset(saved).mapping("aa").curve.gain == 1.9
    assert preset.read_text() == preset_path("vrm1-basic").read_text()  # the original file was never touched
    _close(qapp, window)


# ---- the real pipeline and the outputs ----------------------------------------------------------------------------
MARK = 0.625  # a value the tracker practically never produces exactly (and exact in float32): pinned by an edit


def _vals(messages, name: str) -> list[float]:
    return [args[1] for addr, args in messages if addr == "/VMC/Ext/Blend/Val" and args[0] == name]


def _marked(values: list[float]) -> bool:
    return MARK in values


def test_live_pipeline_drives_vmc_with_the_edited_preset(qapp, tmp_path):
    """--source synthetic through the real models and tracker; the edited preset reaches a VMC receiver."""

    from bridge.app.overrides import apply_overrides
    from bridge.config import Config, parse_output_spec
    from bridge.preview.live import start_live
    from bridge.preview.window import PreviewWindow

    rx = PythonOscReceiver()
    editor = PresetEditor(_copy(tmp_path, "vrm1-basic"))
    config = apply_overrides(Config(), source="synthetic", outputs=[parse_output_spec(f"vmc:127.0.0.1:{rx.port}")])
    feed = start_live(config, editor.preset)
    window = PreviewWindow(editor, feed=feed, source_label=feed.description)
    try:
        assert "models -> tracking -> vmc:127.0.0.1" in feed.description
        window.show()
        deadline = time.monotonic() + 60
        while window.frames_shown < 5 and time.monotonic() < deadline:
            window.step()
            qapp.processEvents()
            time.sleep(0.02)
        assert window.frames_shown >= 5 and window.last_frame is not None
        editor.set_curve("aa", gain=0.0, offset=MARK)  # "aa" pinned: unmistakable on the wire
        msgs = rx.wait_for(lambda m: _marked(_vals(m, "aa")), timeout=30)
        assert _marked(_vals(msgs, "aa")) and _marked(_vals(msgs, "A"))  # VRM1 name and its VRM0 alias
        window.undo()
        # Frames retargeted before the undo may still be in flight: wait for the first unpinned value, then
        # check that every later frame is unpinned too.
        msgs = rx.wait_for(lambda m: _vals(m, "aa")[-1] != MARK, timeout=30)
        n = len(msgs)
        msgs = rx.wait_for(lambda m: len(_vals(m[n:], "aa")) >= 5, timeout=30)
        assert len(_vals(msgs[n:], "aa")) >= 5 and not _marked(_vals(msgs[n:], "aa"))  # undo reached the avatar
        window.step()
        assert window.last_frame.as_dict()["aa"] != MARK
    finally:
        window.close()
        window.deleteLater()
        qapp.processEvents()
        rx.close()
    assert not feed.running


def _bridge(*args: str, cwd: Path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-m", "bridge", "run", "--source", "synthetic", "--no-control", *args],
                            cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_designer_walkthrough(qapp, tmp_path, monkeypatch):
    """docs/preview.md step by step: record with `run --output recorder:DIR`, open the recording, tune the jaw,
    smile and blink curves and an emotion pose, compare with the original, save as a new file, run the bridge
    on it, save again: the running bridge (a real subprocess) picks the file up."""
    from PySide6 import QtWidgets

    from bridge.preview.knobs import SLIDER_STEPS
    from bridge.preview.window import PreviewWindow

    # 1. Record (20 s in the docs; 6 s here) through the real models and tracker.
    rec = _bridge("--output", f"recorder:{tmp_path / 'recordings'}", "--duration", "6", cwd=tmp_path)
    out, _ = rec.communicate(timeout=180)
    assert rec.returncode == 0, out[-2000:]
    (recording,) = (tmp_path / "recordings").iterdir()

    # 2. Open it in the studio with the avatar's preset.
    monkeypatch.chdir(tmp_path)  # a shipped preset is saved as a new file in the current folder
    editor = PresetEditor("vrm1-basic")
    window = PreviewWindow(editor, player=RecordingPlayer(recording), source_label=f"recording {recording.name}")
    window.resize(1500, 940)
    window.show()
    player = window.player
    aa = np.array([window.frame_at(i).as_dict()["aa"] for i in range(player.timeline.count)])
    i = int(np.argmax(aa))
    player.timeline.seek(i)
    window.timeline_bar.set_loop_range(max(i - 15, 0), min(i + 15, player.timeline.count - 1))
    window.show_position()
    window.select_target("aa")  # the jaw: selected targets are always plotted
    qapp.processEvents()
    _doc_image(window, "studio")

    # 3. Jaw: more "aa" (the gain slider), with a little dead zone so a resting mouth stays closed.
    window.select_target("aa")
    window.knobs.gain_slider.setValue(round(1.6 / 3.0 * SLIDER_STEPS))
    window.knobs.dead_zone_spin.setValue(0.1)
    # Smile: "happy" reacts earlier (smaller dead zone) and eases out instead of smoothstep.
    window.select_target("happy")
    window.knobs.dead_zone_spin.setValue(0.2)
    window.knobs.ease_combo.setCurrentText("ease_out")
    # Blink: full closure sooner (gamma < 1 lifts small values).
    window.select_target("blink")
    window.knobs.gamma_spin.setValue(0.6)
    window.select_target("aa")
    qapp.processEvents()
    assert editor.curve_of("aa").gain == pytest.approx(1.6, abs=0.01) and editor.curve_of("blink").gamma == 0.6
    assert window.last_frame.as_dict()["aa"] != window.last_original.as_dict()["aa"]
    _doc_image(window, "tuned")

    # 4. Emotion pose: surprise also drops the jaw a little (blend max) and gets a whiter light. The face shows
    #    surprise on every frame while the pose is tuned ("show this emotion"), whatever the recording's emotion.
    window.timeline_bar.set_loop_range(0, player.timeline.count - 1, enabled=False)
    player.timeline.seek(int(np.argmin(aa)))  # a closed mouth, to see what the pose adds
    window.show_position()
    knobs = window.knobs
    knobs.tabs.setCurrentIndex(1)
    knobs.emotion_combo.setCurrentText("surprise")
    knobs.try_check.setChecked(True)
    assert window.forced_emotion == "surprise"
    before = _pixels(window.face_view)
    knobs.blend_combo.setCurrentText("max")
    knobs.pose_table.table.insertRow(0)
    knobs.pose_table.table.setItem(0, 0, QtWidgets.QTableWidgetItem("surprised"))
    knobs.pose_table.table.setItem(0, 1, QtWidgets.QTableWidgetItem("1.0"))
    knobs.pose_table.table.insertRow(1)
    knobs.pose_table.table.setItem(1, 0, QtWidgets.QTableWidgetItem("aa"))
    knobs.pose_table.table.setItem(1, 1, QtWidgets.QTableWidgetItem("0.45"))
    knobs.set_light_colour(0.85, 0.95, 1.0)
    pose = editor.pose_of("surprise")
    assert pose.blend == "max" and pose.pose == (("surprised", 1.0), ("aa", 0.45)) and pose.light.r == 0.85
    qapp.processEvents()
    assert window.last_frame.emotion == "surprise" and window.last_frame.as_dict()["aa"] == pytest.approx(0.45)
    assert _changed(before, _pixels(window.face_view), window.face_view.region("mouth", 1)) > 0.05
    _doc_image(window, "emotion")
    knobs.try_check.setChecked(False)
    assert window.forced_emotion is None

    # 5. Compare: A/B on the same frame, then back to split view.
    window.toggle_ab()
    assert window.face_view.mode == "A"
    window.toggle_ab()
    assert window.face_view.mode == "B"
    window.set_view_mode("split")
    diff = window.diff_view.toPlainText()
    for key in ("targets.aa.curve.gain", "targets.happy.curve.ease", "targets.blink.curve.gamma",
                "emotions.surprise.pose"):
        assert key in diff, diff

    # 6. Save as a new file (a shipped preset is never written in place).
    saved = window.save_as_new(ask=False)
    assert saved == tmp_path / "vrm1-basic-edited.toml" and editor.diff() == []
    assert load_preset(saved).mapping("aa").curve.gain == pytest.approx(1.6, abs=0.01)
    qapp.processEvents()
    _doc_image(window, "saved")

    # 7. Run the bridge on the saved file, keep tuning, save over it: the bridge reloads it.
    rx = PythonOscReceiver()
    live = _bridge("--preset", str(saved), "--output", f"vmc:127.0.0.1:{rx.port}", "--duration", "120", cwd=tmp_path)
    try:
        msgs = rx.wait_for(lambda m: len(_vals(m, "aa")) > 10, timeout=90)
        assert len(_vals(msgs, "aa")) > 10, "the bridge sent nothing"
        assert not _marked(_vals(msgs, "aa"))
        editor.set_curve("aa", gain=0.0, offset=MARK)  # unmistakable on the wire
        backup = window.save_over(ask=False)  # the window asks "Overwrite ...?" first; this is the Yes
        assert backup is not None and load_preset(backup).mapping("aa").curve.gain == pytest.approx(1.6, abs=0.01)
        n = len(msgs)
        msgs = rx.wait_for(lambda m: _marked(_vals(m[n:], "aa")), timeout=30)
        assert _marked(_vals(msgs[n:], "aa"))  # the running bridge sends the saved preset
    finally:
        live.terminate()
        out, _ = live.communicate(timeout=30)
        rx.close()
        _close(qapp, window)
    assert f"preset {saved}: reloaded" in out, out[-2000:]


# ---- the command ---------------------------------------------------------------------------------------------------
def _preview(*args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "bridge", "preview", *args], capture_output=True, text=True,
                          env=env, timeout=timeout)


def test_preview_command_opens_a_recording_and_ground_truth(tmp_path, recording):
    shot = tmp_path / "rec.png"
    proc = _preview("--preset", "vrm1-basic", "--source", str(recording), "--screenshot", str(shot), "--frames", "50")
    assert proc.returncode == 0, proc.stderr
    assert shot.stat().st_size > 10_000
    truth = tmp_path / "truth.png"
    proc = _preview("--preset", "vrchat-unified-v2", "--source", "synthetic", "--truth", "--screenshot", str(truth),
                    "--frames", "4")
    assert proc.returncode == 0, proc.stderr
    assert "after 4 frames" in proc.stdout and truth.stat().st_size > 10_000


def test_preview_command_errors_are_one_clear_line(tmp_path):
    bad = _preview("--preset", "vrm1-basik", timeout=60)
    assert bad.returncode == 2 and "did you mean 'vrm1-basic'" in bad.stderr
    bad = _preview("--preset", "vrm1-basic", "--source", str(tmp_path), "--layout", "sideways", timeout=60)
    assert bad.returncode == 2 and "--layout 'sideways'" in bad.stderr
    bad = _preview("--preset", "vrm1-basic", "--source", "synthetic", "--layout", "single", timeout=60)
    assert bad.returncode == 2 and "--layout needs --source naming a camera" in bad.stderr
    bad = _preview("--preset", "vrm1-basic", "--truth", "--source", str(tmp_path), timeout=60)
    assert bad.returncode == 2 and "--truth needs --source synthetic" in bad.stderr
    bad = _preview("--preset", "vrm1-basic", "--output", "osc:1.2.3.4", timeout=60)
    assert bad.returncode == 2 and "kind 'osc' is not allowed" in bad.stderr


def test_bool_ref_guard_undoes_pyside_emit_leak(qapp):
    from PySide6 import QtCore

    from bridge.preview.qt_compat import NEEDED, BoolRefGuard

    class Emitter(QtCore.QObject):
        fired = QtCore.Signal()

    emitter = Emitter()
    guard = BoolRefGuard()
    for _ in range(500):
        emitter.fired.emit()
    guard.restore()
    assert sys.getrefcount(True) >= guard.baseline
    if NEEDED and guard.restored:
        assert guard.restored >= 500  # the binding bug is present here and was compensated


def test_live_preview_runs_on_its_timers(qapp, tmp_path):
    from PySide6 import QtCore

    from bridge.preview.window import PreviewWindow

    window = PreviewWindow(PresetEditor(_copy(tmp_path, "vrm1-basic")), SyntheticFaceFeed(fps=30, seed=2), fps=30)
    window.show()
    window.start()
    # Run until the frame timer has driven 10 frames (a loaded CI machine may need far longer than 1.5 s);
    # the 60 s guard only stops a broken preview from hanging the suite.
    poll = QtCore.QTimer()
    poll.timeout.connect(lambda: window.frames_shown >= 10 and qapp.quit())
    poll.start(50)
    QtCore.QTimer.singleShot(60_000, qapp.quit)
    qapp.exec()
    poll.stop()
    _close(qapp, window)
    assert window.frames_shown >= 10  # the frame timer really drove the preview (and the process did not abort)


def test_targets_can_be_added_and_removed_in_the_window(qapp, tmp_path, recording):
    editor, window = _window(qapp, _copy(tmp_path, "vrm1-basic"), recording)
    knobs = window.knobs
    assert "relaxed" not in window.names
    assert knobs.new_target_combo.findText("relaxed") >= 0 and knobs.new_target_combo.findText("aa") < 0
    knobs.new_target_combo.setCurrentText("relaxed")
    knobs.new_source.setText("valence")
    knobs._add_target()
    assert editor.preset.mapping("relaxed").sum == (("valence", 1.0),)
    assert "relaxed" in window.names and window.target_list.count() == len(window.names)
    assert knobs.new_target_combo.findText("relaxed") < 0
    knobs.new_target_combo.setCurrentText("neutral")
    knobs.new_source.setText("valance")  # typo: rejected by the validator, nothing added
    knobs._add_target()
    assert editor.preset.mapping("neutral") is None and "did you mean 'valence'" in knobs.problems.toPlainText()
    window.select_target("relaxed")
    knobs.unmap_button.click()
    assert "relaxed" not in window.names and editor.diff() == []
    _close(qapp, window)


def test_curves_follow_a_target_only_the_edited_preset_drives(qapp, tmp_path, recording):
    editor, window = _window(qapp, _copy(tmp_path, "vrm1-basic"), recording)
    editor.add_target("relaxed", "jawOpen")
    window.select_target("relaxed")
    qapp.processEvents()
    a, b = window.curve_items["relaxed"]
    _, ya = a.getData()
    _, yb = b.getData()
    jaw = np.array([s.blendshapes[BLENDSHAPE_INDEX["jawOpen"]] for s in window.player.states])
    assert np.all(np.isnan(ya))  # the original does not drive "relaxed": no dashed curve
    assert np.allclose(yb, np.clip(jaw, 0, 1), atol=1e-6)  # the edited one follows jawOpen over the recording
    assert np.isfinite(window.bars_a.opts["height"]).all()
    _close(qapp, window)


def test_reprocess_runs_the_recorded_frames_through_the_models(recording):
    from bridge.config import Config
    from bridge.preview.player import reprocess_recording

    seen: list[int] = []
    states = reprocess_recording(recording, Config(), progress=seen.append)
    recorded = RecordingPlayer(recording).states
    assert len(states) == len(recorded) == seen[-1] == 120
    assert [s.timestamp for s in states] == [s.timestamp for s in recorded]  # the frames' own capture times
    model_jaw = np.array([s.blendshapes[BLENDSHAPE_INDEX["jawOpen"]] for s in states])
    truth_jaw = np.array([s.blendshapes[BLENDSHAPE_INDEX["jawOpen"]] for s in recorded])
    assert np.isfinite(model_jaw).all() and not np.array_equal(model_jaw, truth_jaw)  # the models ran
    assert np.corrcoef(model_jaw, truth_jaw)[0, 1] > 0.3  # ... and see the same mouth opening
    player = RecordingPlayer(recording, states)
    assert player.timeline.count == 120 and player.state(5) is states[5]


def test_preview_command_runs_a_video_file_through_the_models_with_a_layout(tmp_path):
    """--source VIDEO --layout single --view mouth: OpenCV capture -> models -> tracking, as `run` would."""
    import cv2

    feed = SyntheticFaceFeed(fps=30, seed=3, realtime=False)
    video = tmp_path / "mouth.avi"
    first = feed.next().images["mouth"]
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (first.shape[1], first.shape[0]))
    for _ in range(60):
        writer.write(cv2.cvtColor(feed.next().images["mouth"], cv2.COLOR_GRAY2BGR))
    writer.release()
    feed.close()
    shot = tmp_path / "video.png"
    proc = _preview("--preset", "arkit52-perfect-sync", "--source", str(video), "--layout", "single", "--view", "mouth",
                    "--screenshot", str(shot), "--frames", "20")
    assert proc.returncode == 0, proc.stderr
    assert "wrote" in proc.stdout and shot.stat().st_size > 10_000
