"""Preview, the Qt-free parts: synthetic ground truth -> FaceStates; the editor (every knob, validation exactly as
`presets validate`, undo/redo, diff, saving without overwriting, hot reload); the schematic face's rig rules; the
recording timeline and its deterministic evaluation. The Qt window is tested in test_preview_window.py."""

from __future__ import annotations

import io
import os
import shutil
from contextlib import redirect_stdout
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from bridge.preview.diff import diff_presets  # noqa: E402
from bridge.preview.editor import EditRejected, PresetEditor  # noqa: E402
from bridge.preview.face import RIG_RULES, FaceFeatures, face_mapper  # noqa: E402
from bridge.preview.feed import SyntheticFaceFeed, labels_to_face_state  # noqa: E402
from bridge.preview.player import DeterministicEvaluator, RecordingPlayer, Timeline  # noqa: E402
from bridge.schema import FER8, EyeState, FaceState  # noqa: E402
from retarget import LightCue, Retargeter, Term, dump_preset, load_preset, preset_path, shipped_names  # noqa: E402
from retarget.rigs import RIGS  # noqa: E402


@pytest.fixture
def vrm_copy(tmp_path) -> Path:
    path = tmp_path / "mine.toml"
    shutil.copy(preset_path("vrm1-basic"), path)
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    return path


def _rewrite(path: Path, text: str, mtime_s: int) -> None:
    path.write_text(text)
    os.utime(path, ns=(mtime_s * 1_000_000_000, mtime_s * 1_000_000_000))


# ---- feed --------------------------------------------------------------------------------------------------
def test_feed_turns_synthetic_ground_truth_into_face_states():
    feed = SyntheticFaceFeed(fps=30, seed=3, realtime=False)
    items = [feed.next() for _ in range(8)]
    feed.close()
    last = items[-1].state
    frames_labels = feed.source  # the same source object: its labels are what we converted
    assert frames_labels.closed
    assert all(it is not None for it in items)
    assert [it.state.timestamp for it in items] == pytest.approx([i / 30 for i in range(8)])
    assert set(items[0].images) >= {"left_eye", "right_eye", "mouth"}
    for it in items:
        assert it.state.emotion8.sum() == pytest.approx(1.0, abs=1e-5)
        assert it.state.emotion_label == FER8[int(np.argmax(it.state.emotion8))]
    assert last.blendshapes.shape == (52,)


class _LabelledFrames:
    """Stands in for the SyntheticSource: frame sets carrying the given FER8 labels, 1/30 s apart."""

    def __init__(self, fer8: list[int]) -> None:
        self._fer8 = list(fer8)
        self._i = 0

    def read(self, timeout: float = 0.0):
        from bridge.frames import FrameSet

        if self._i >= len(self._fer8):
            return None
        labels = {"blendshapes": np.zeros(52, np.float32), "gaze": np.zeros((2, 2), np.float32),
                  "openness": np.ones(2, np.float32), "fer8": self._fer8[self._i]}
        frames = FrameSet(images={"mouth": np.zeros((8, 8), np.uint8)}, capture_time=self._i / 30.0,
                          sequence=self._i, labels=labels)
        self._i += 1
        return frames

    def close(self) -> None:
        pass


def test_feed_holds_the_emotion_through_unlabelled_frames():
    feed = SyntheticFaceFeed(fps=30, seed=0, realtime=False)
    feed.close()
    happiness, contempt = FER8.index("happiness"), FER8.index("contempt")
    feed.source = _LabelledFrames([happiness] * 30 + [-1] * 30)  # -1: the performance's "no label" frames
    states = [item.state for item in iter(feed.next, None)]
    assert len(states) == 60
    held = states[29].emotion8
    assert held[happiness] > 0.9
    for state in states[30:]:
        assert state.emotion_label == "happiness"
        assert np.allclose(state.emotion8, held, atol=1e-6)  # unchanged, and never pushed towards contempt
        assert state.emotion8[contempt] < 1e-3


def test_labels_to_face_state_maps_fields():
    labels = {"blendshapes": np.linspace(0, 1, 52, dtype=np.float32), "gaze": np.array([[5, -2], [7, 3]], np.float32),
              "openness": np.array([0.9, 0.4], np.float32), "valence": 0.5, "arousal": -0.25}
    e8 = np.eye(8, dtype=np.float32)[1]
    fs = labels_to_face_state(labels, 2.0, 7, e8)
    assert fs.left_eye.gaze_yaw == 5 and fs.right_eye.gaze_pitch == 3 and fs.right_eye.openness == pytest.approx(0.4)
    assert fs.emotion_label == "happiness" and fs.valence == 0.5 and fs.sequence == 7
    assert np.array_equal(fs.blendshapes, labels["blendshapes"])
    with pytest.raises(ValueError, match="labels lack 'gaze'"):
        labels_to_face_state({"blendshapes": labels["blendshapes"]}, 0.0, 1, e8)


# ---- editor: every knob, validated like `presets validate` -----------------------------------------------
def _face(jaw: float = 0.0, **shapes: float) -> FaceState:
    from bridge.schema import BLENDSHAPE_INDEX

    b = np.zeros(52, np.float32)
    b[BLENDSHAPE_INDEX["jawOpen"]] = jaw
    for name, value in shapes.items():
        b[BLENDSHAPE_INDEX[name]] = value
    return FaceState(timestamp=0.0, sequence=0, blendshapes=b)


def _edit_every_knob(ed: PresetEditor) -> None:
    ed.set_meta("name", "my-avatar")
    ed.set_meta("author", "designer")
    ed.set_meta("version", "2.1")
    ed.set_meta("description", "tuned on my face")
    ed.set_options(eyes="link", mirror=True)
    ed.set_curve("aa", gain=1.4, offset=0.05, gamma=1.3, ease="ease_out", dead_zone=0.1, clamp=(0.0, 0.9))
    ed.set_sum("ih", {"mouthStretchLeft": 0.7, "mouthStretchRight": 0.7, "jawOpen": -0.5})
    ed.set_terms("blink", [Term("min", (("eyeBlinkLeft", 1.0), ("eyeBlinkRight", 1.0)), 0.9),
                           Term("product", (("eyeSquintLeft", 1.0), ("eyeSquintRight", 1.0)), 0.2)])
    ed.add_target("relaxed", "valence")
    ed.remove_target("lookDown")
    ed.set_emotion_settings(mode="discrete", hysteresis=0.2, min_probability=0.3, min_hold_s=0.4, crossfade_s=0.25)
    ed.set_pose("happiness", blend="override", pose={"happy": 1.0, "aa": 0.2},
                light=LightCue(1.0, 0.7, 0.2, intensity=0.8, transition_s=0.4))
    ed.set_pose("anger", blend="add", pose={"angry": 0.5})
    ed.set_pose("sleepy", blend="max", pose={"relaxed": 0.8}, activation={"eyeBlinkLeft": 0.4, "arousal": -0.5})
    ed.set_pose("contempt", light=None)


def test_every_knob_edit_round_trips_through_toml(vrm_copy, tmp_path):
    ed = PresetEditor(vrm_copy)
    _edit_every_knob(ed)
    p = ed.preset
    assert p.meta.name == "my-avatar" and p.eyes == "link" and p.mirror
    assert p.mapping("aa").curve.clamp == (0.0, 0.9) and p.mapping("aa").curve.ease == "ease_out"
    assert p.mapping("lookDown") is None and p.mapping("relaxed").sum == (("valence", 1.0),)
    assert [t.op for t in p.mapping("blink").terms] == ["min", "product"]
    assert p.emotions.mode == "discrete" and p.emotions.crossfade_s == 0.25
    sleepy = next(e for e in p.emotions.poses if e.emotion == "sleepy")
    assert sleepy.activation == (("eyeBlinkLeft", 0.4), ("arousal", -0.5))
    assert next(e for e in p.emotions.poses if e.emotion == "contempt").light is None
    saved = ed.save_as(tmp_path / "my-avatar.toml")
    reread = load_preset(saved)
    assert replace(reread, source=None) == replace(p, source=None)  # every knob survives the file
    assert ed.diff() == [] and ed.base == reread  # the saved file is now the document


def _validate_cli(path: Path) -> str:
    from retarget import cli

    out = io.StringIO()
    parser = __import__("argparse").ArgumentParser()
    cli.configure(parser)
    with redirect_stdout(out):
        status = cli.main(parser.parse_args(["validate", str(path)]))
    assert status == 1
    return out.getvalue()


@pytest.mark.parametrize(("edit", "fragment"), [
    (lambda ed: ed.set_curve("aa", gain=50.0), "targets.aa.curve.gain: 50 is out of range [-10, 10]"),
    (lambda ed: ed.set_sum("aa", {"jawOpn": 1.0}),
     "targets.aa.sum.jawOpn: unknown source 'jawOpn' (did you mean 'jawOpen'?)"),
    (lambda ed: ed.set_curve("aa", clamp=(0.8, 0.2)), "targets.aa.curve.clamp: low 0.8 must be below high 0.2"),
    (lambda ed: ed.set_pose("happiness", pose={"hapy": 1.0}), "emotions.happiness.pose.hapy: unknown target"),
    (lambda ed: ed.set_pose("happiness", blend="multiply"), "'multiply' is not one of add, override, max"),
    (lambda ed: ed.set_emotion_settings(hysteresis=1.5), "emotions.hysteresis: 1.5 is out of range"),
    (lambda ed: ed.set_pose("sleepy", pose={"relaxed": 1.0}), "unknown emotion 'sleepy'"),
    (lambda ed: ed.set_options(eyes="both"), "options.eyes: 'both' is not one of"),
    (lambda ed: ed.set_meta("name", " "), "preset.name: must not be empty"),
])
def test_bad_edits_are_rejected_with_the_validators_words_and_change_nothing(vrm_copy, tmp_path, edit, fragment):
    ed = PresetEditor(vrm_copy)
    ed.set_curve("aa", gain=1.5)
    before, undo_depth, revision = ed.preset, len(ed.undo_stack), ed.revision
    with pytest.raises(EditRejected) as info:
        edit(ed)
    assert any(fragment in p for p in info.value.problems), info.value.problems
    assert ed.preset is before and len(ed.undo_stack) == undo_depth and ed.revision == revision
    assert ed.last_problems == info.value.problems
    assert ed.retargeter.preset is before  # the running preset never saw the bad edit


def test_rejections_match_presets_validate_on_the_same_content(vrm_copy, tmp_path):
    """Same validator: the problem the editor shows is the one `presets validate` prints for that file."""
    ed = PresetEditor(vrm_copy)
    bad = replace(ed.preset, targets=tuple(replace(m, curve=replace(m.curve, dead_zone=0.99)) if m.target == "oh"
                                           else m for m in ed.preset.targets))
    with pytest.raises(EditRejected) as info:
        ed.apply("oh dead zone", bad)
    file = tmp_path / "bad.toml"
    file.write_text(dump_preset(bad))
    printed = _validate_cli(file)
    assert info.value.problems == ["targets.oh.curve.dead_zone: 0.99 is out of range [0, 0.95]"]
    assert info.value.problems[0] in printed


def test_undo_redo_restore_exact_presets(vrm_copy):
    ed = PresetEditor(vrm_copy)
    states = [ed.preset]
    ed.set_curve("aa", gain=2.0)
    states.append(ed.preset)
    ed.set_pose("happiness", blend="override", pose={"happy": 1.0})
    states.append(ed.preset)
    ed.remove_target("oh")
    states.append(ed.preset)
    values = [Retargeter(s).apply(_face(0.6)).as_dict() for s in states]
    assert ed.undo() == "remove target oh" and ed.preset == states[2]
    assert ed.undo().startswith("emotions.happiness") and ed.preset == states[1]
    assert ed.undo() == "targets.aa.curve.gain" and ed.preset == states[0] and ed.undo() is None
    assert ed.retargeter.apply(_face(0.6)).as_dict() == values[0]  # the running preset follows undo
    assert ed.redo() == "targets.aa.curve.gain" and ed.preset == states[1]
    assert ed.retargeter.apply(_face(0.6)).as_dict() == values[1]
    ed.set_curve("ih", gain=0.5)  # a new edit clears the redo stack
    assert ed.redo() is None and ed.redo_stack == []
    ed.revert_to_file()
    assert ed.preset == states[0] and ed.undo() == "revert to file" and ed.preset.mapping("ih").curve.gain == 0.5


def test_one_slider_drag_is_one_undo_step(vrm_copy):
    ed = PresetEditor(vrm_copy)
    drag = object()
    for g in (1.1, 1.2, 1.3, 1.4):
        ed.set_gain_offset("aa", g, 0.0, gesture=drag)
    assert len(ed.undo_stack) == 1 and ed.curve_of("aa").gain == 1.4
    ed.set_gain_offset("aa", 1.5, 0.0, gesture=object())  # a second drag: a second step
    assert len(ed.undo_stack) == 2
    ed.undo()
    ed.undo()
    assert ed.curve_of("aa").gain == 1.0


def test_slider_edit_changes_the_output_and_clamps(vrm_copy):
    ed = PresetEditor(vrm_copy)
    aa = ed.retargeter.names.index("aa")
    before = ed.retargeter.apply(_face(0.5)).values[aa]
    ed.set_gain_offset("aa", 0.5, 0.1)
    after = ed.retargeter.apply(_face(0.5)).values[aa]
    assert after == pytest.approx(before * 0.5 + 0.1, abs=1e-6)
    assert ed.original.apply(_face(0.5)).values[aa] == pytest.approx(before)  # A stays the file's
    ed.set_gain_offset("aa", 99.0, 0.0)
    assert ed.curve_of("aa").gain == 3.0
    with pytest.raises(KeyError, match="no mapping"):
        ed.set_gain_offset("relaxed", 1.0, 0.0)


def test_diff_names_each_changed_knob(vrm_copy):
    ed = PresetEditor(vrm_copy)
    _edit_every_knob(ed)
    text = [str(line) for line in ed.diff()]
    assert "~ preset.name: vrm1-basic -> my-avatar" in text
    assert "~ options.eyes: independent -> link" in text
    assert "~ targets.aa.curve.gain: 1 (default) -> 1.4" in text
    assert "~ targets.aa.curve.clamp: rig range -> [0, 0.9]" in text
    assert "+ targets.relaxed = { sum = { valence = 1 } }" in text
    assert any(t.startswith("- targets.lookDown = { sum = ") for t in text)
    assert "~ emotions.mode: continuous -> discrete" in text
    assert "~ emotions.happiness.blend: max -> override" in text
    assert any(t.startswith("+ emotions.sleepy = ") and "activation" in t for t in text)
    assert "~ emotions.contempt.light: rgb [0.95, 0.3, 0.6] x0.6 fade 0.8 s -> none" in text
    assert diff_presets(ed.base, ed.base) == []


def test_save_as_never_overwrites_and_save_over_keeps_backups(vrm_copy):
    original = vrm_copy.read_text()
    ed = PresetEditor(vrm_copy)
    ed.set_gain_offset("aa", 1.5, 0.0)
    target = ed.default_save_path()
    assert target.name == "mine-edited.toml"
    target.write_text("precious")
    with pytest.raises(FileExistsError):
        ed.save_as(target)
    assert target.read_text() == "precious"  # never overwritten
    written = ed.save_as(ed.default_save_path())
    assert written.name == "mine-edited-2.toml" and load_preset(written).mapping("aa").curve.gain == 1.5
    assert vrm_copy.read_text() == original  # the original is untouched
    assert ed.path == written and ed.diff() == []  # now editing the new file
    ed.set_gain_offset("aa", 2.0, 0.0)
    backup = ed.save_over()
    assert backup.name == "mine-edited-2.toml.bak" and load_preset(backup).mapping("aa").curve.gain == 1.5
    assert load_preset(written).mapping("aa").curve.gain == 2.0 and ed.diff() == []
    ed.set_gain_offset("aa", 0.5, 0.0)
    assert ed.save_over().name == "mine-edited-2.toml.bak2"


def test_editor_refuses_to_write_shipped_presets(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ed = PresetEditor("vrm1-basic")
    assert ed.is_shipped
    with pytest.raises(PermissionError):
        ed.save_over()
    assert ed.default_save_path() == tmp_path / "vrm1-basic-edited.toml"


def test_editor_hot_reload_keeps_edits(vrm_copy):
    ed = PresetEditor(vrm_copy)
    text = vrm_copy.read_text()
    _rewrite(vrm_copy, text.replace('description = "', 'description = "v2: '), 2)
    assert ed.poll_file() == "reloaded mine.toml"  # no edits: follow the file
    assert ed.preset.meta.description.startswith("v2: ") and ed.diff() == []
    ed.set_gain_offset("aa", 0.5, 0.0)
    _rewrite(vrm_copy, text.replace('"happiness"', '"hapiness"').replace("happiness = 1.0", "hapiness = 1.0"), 3)
    msg = ed.poll_file()
    assert msg is not None and "keeping the last good preset" in msg and "hapiness" in msg
    assert ed.curve_of("aa").gain == 0.5 and ed.poll_file() is None  # reported once
    _rewrite(vrm_copy, text.replace('description = "', 'description = "v3: '), 4)
    msg = ed.poll_file()
    assert "your edits are kept" in msg
    assert ed.curve_of("aa").gain == 0.5 and ed.base.meta.description.startswith("v3: ")
    # The edited preset is kept as a whole, so the diff now also shows what changed in the file since.
    assert [str(x)[:40] for x in ed.diff()] == ["~ preset.description: v3: VRM 1.0 expres",
                                                "~ targets.aa.curve.gain: 1 (default) -> "]


# ---- the schematic face's rules ------------------------------------------------------------------------------
def test_face_rules_cover_every_rig():
    assert set(RIG_RULES) == set(RIGS)


@pytest.mark.parametrize("name", shipped_names())
def test_every_shipped_preset_moves_the_schematic(name):
    """Jaw, blink and smile on the input show up in the features of every preset that maps them."""
    preset = load_preset(name)
    rt = Retargeter(preset)
    mapper = face_mapper(preset.rig, rt.names)
    rest = mapper.features(rt.apply(_face()).values)
    jaw = mapper.features(rt.apply(_face(0.9)).values)
    blink = mapper.features(rt.apply(_face(eyeBlinkLeft=1.0)).values)
    if not preset.targets:  # emotion-only presets: the happiness pose must show as a smile
        happy = np.eye(8, dtype=np.float32)[FER8.index("happiness")]
        state = FaceState(timestamp=0.0, sequence=0, blendshapes=np.zeros(52, np.float32), emotion8=happy,
                          emotion_label="happiness")
        smile = mapper.features(Retargeter(preset).apply(state).values)  # fresh: no discrete-mode history
        assert smile.smile_l > 0.5 and smile.smile_r > 0.5, name
        return
    if any(m for m in preset.targets if any(s == "jawOpen" for s, _ in m.sum)):
        assert jaw.jaw_open > rest.jaw_open + 0.3, name
    if any(m for m in preset.targets if any(s == "eyeBlinkLeft" for s, _ in m.sum)):
        assert blink.blink_l > 0.6 and blink.blink_r < 0.3, name  # the subject's left eye only


def test_face_gaze_and_sides():
    rt = Retargeter(load_preset("arkit52-perfect-sync"))
    mapper = face_mapper("arkit52", rt.names)
    right = FaceState(timestamp=0.0, sequence=0, blendshapes=_face(eyeLookInLeft=0.8, eyeLookOutRight=0.8).blendshapes,
                      left_eye=EyeState(), right_eye=EyeState())
    f = mapper.features(rt.apply(right).values)
    assert f.gaze_x_l == pytest.approx(0.8) and f.gaze_x_r == pytest.approx(0.8)  # both look to the subject's right
    unified = Retargeter(load_preset("vrchat-unified-v2"))
    m2 = face_mapper("unified_expressions_v2", unified.names)
    open_eyes = m2.features(unified.apply(_face()).values)
    shut = _face(eyeBlinkLeft=1.0, eyeBlinkRight=1.0).with_changes(left_eye=EyeState(openness=0.0),
                                                                   right_eye=EyeState(openness=0.0))
    closed = m2.features(unified.apply(shut).values)
    assert open_eyes.blink_l < 0.1 and closed.blink_l > 0.9  # EyeLid / EyeOpen / EyeClosed agree, no doubling
    assert FaceFeatures().side("blink", "L") == 0.0


# ---- recordings: timeline and deterministic evaluation ---------------------------------------------------------
@pytest.fixture(scope="module")
def recording(tmp_path_factory) -> Path:
    """A 3 s recording written by the real recorder sink from the synthetic headset's ground truth."""
    from bridge.frames import FrameSet
    from bridge.outputs.base import OutputFrame
    from bridge.outputs.recorder import RecorderSink

    feed = SyntheticFaceFeed(fps=30, seed=5, realtime=False)
    sink = RecorderSink(tmp_path_factory.mktemp("rec"), raw_frames=True)
    for _ in range(90):
        item = feed.next()
        sink.send(OutputFrame(state=item.state, frames=FrameSet(images=item.images, capture_time=item.state.timestamp,
                                                                sequence=item.state.sequence)))
    sink.close()
    feed.close()
    return sink.path


def test_timeline_step_loop_scrub_and_play():
    t = Timeline(np.arange(10) / 10.0)
    assert t.fps == pytest.approx(10.0) and t.duration == pytest.approx(0.9)
    assert t.step(3) == 3 and t.step(-5) == 0 and t.seek(99) == 9
    t.set_loop(2, 4)
    assert t.position == 2  # jumped into the loop
    assert [t.step() for _ in range(4)] == [3, 4, 2, 3]
    assert t.step(-2) == 4
    t.playing = True
    t.seek(2)
    assert t.advance(0.25) == 2 and t.position == 4  # 0.1 s a frame
    assert t.advance(0.1) == 1 and t.position == 2  # wrapped to the loop start
    t.set_loop(None, None)
    t.seek(8)
    assert t.advance(1.0) == 1 and t.position == 9 and not t.playing  # stops at the end


def test_recording_plays_deterministically(recording, vrm_copy):
    player = RecordingPlayer(recording)
    assert player.timeline.count == 90 and player.has_images and set(player.images(10)) >= {"left_eye", "mouth"}
    preset = load_preset("vrm1-emotion-toggles")  # discrete: hysteresis/hold/cross-fade depend on history
    assert preset.emotions.mode == "discrete"

    def play() -> tuple[list[int], np.ndarray]:
        ev = DeterministicEvaluator(player.states)
        t = player.timeline
        t.seek(0)
        t.playing = True
        shown, out = [0], [ev.frame(preset, 0).values.copy()]
        while t.playing:
            if t.advance(1 / 30):
                shown.append(t.position)
                out.append(ev.frame(preset, t.position).values.copy())
        return shown, np.stack(out)

    (order1, first), (order2, second) = play(), play()
    assert order1 == order2 == list(range(90)) and np.array_equal(first, second)
    ev = DeterministicEvaluator(player.states)
    for i in (70, 12, 45, 89, 0, 46):  # scrubbing anywhere gives the frame sequential play gave
        assert np.array_equal(ev.frame(preset, i).values, first[i]), i
    assert ev.replays >= 4
    labels = {ev.frame(preset, i).emotion for i in range(90)}
    assert len(labels) >= 1
    player.close()
