"""The composed Tracker: contract, personalization flags, blink through the stage, easing + recovery, commands."""

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridge.inference.types import ModelInputs, ModelOutputs
from bridge.schema import FER8, NUM_BLENDSHAPES, REGIONS, FaceState, TrackingFlags, shape_index
from bridge.tracking import FrameQuality, NeutralReference, Tracker, TrackingConfig, assess_frames
from bridge.tracking.failure import FailureConfig
from bridge.tracking.neutral import NeutralConfig
from bridge.tracking.quality import assess_view
from bridge.tracking.rom import RomConfig

RATE = 60.0
BLINK_L = shape_index("eyeBlinkLeft")
JAW = shape_index("jawOpen")
SMILE_L = shape_index("mouthSmileLeft")
HAPPY = FER8.index("happiness")


def camera_image(rng, brightness=1.0, size=64):
    img = np.full((size, size), 170.0)
    img[size // 4: 3 * size // 4, size // 4: 3 * size // 4] = 60.0
    return np.clip(img * brightness + rng.normal(0, 4, img.shape), 0, 255).astype(np.uint8)


def quality(rng, t, views=("left_eye", "right_eye", "mouth"), brightness=None):
    brightness = brightness or {}
    return FrameQuality(t, {v: assess_view(camera_image(rng, brightness.get(v, 1.0))) for v in views})


def outputs(shapes=None, gaze=(0.0, 0.0, 0.0, 0.0), openness=(1.0, 1.0), emotion8=None, personalized=False,
            **kw):
    b = np.zeros(NUM_BLENDSHAPES, np.float32) if shapes is None else np.asarray(shapes, np.float32)
    e8 = np.eye(len(FER8))[0] if emotion8 is None else emotion8
    return ModelOutputs(blendshapes=b, gaze=np.asarray(gaze, np.float32).reshape(2, 2),
                        openness=np.asarray(openness, np.float32), emotion8=e8,
                        emotive5=np.eye(5)[0], au10=np.zeros(10), personalized=personalized, **kw)


def test_contract_surface():
    tracker = Tracker(TrackingConfig())
    assert isinstance(tracker.neutral, NeutralReference)
    assert callable(assess_frames)
    state = tracker.update(outputs(), quality(np.random.default_rng(0), 0.0), 0.0, 0)
    assert isinstance(state, FaceState) and state.sequence == 0
    assert TrackingFlags.CALIBRATING_NEUTRAL in state.flags
    assert TrackingFlags.NO_PERSONALIZATION in state.flags


def test_personalization_window_flags_and_reference_mean():
    rng = np.random.default_rng(1)
    cfg = TrackingConfig(neutral=NeutralConfig(duration_s=1.0, min_frames=5))
    tracker = Tracker(cfg)
    neutral_crops = []
    states = []
    for k in range(120):
        t = k / RATE
        crops = {"left_eye": rng.random((16, 24), dtype=np.float32),
                 "right_eye": rng.random((16, 24), dtype=np.float32)}
        blinking = 30 <= k < 38
        ref = tracker.neutral.reference()
        out = outputs(openness=(0.05, 0.05) if blinking else (1.0, 1.0), personalized=ref is not None)
        states.append(tracker.update(out, quality(rng, t), t, k, inputs=ModelInputs(images=crops)))
        if t < 1.0 and not blinking:
            neutral_crops.append(crops)
    calibrating = [TrackingFlags.CALIBRATING_NEUTRAL in s.flags for s in states]
    assert all(calibrating[:60]) and not any(calibrating[61:])
    assert TrackingFlags.NO_PERSONALIZATION in states[59].flags
    assert TrackingFlags.NO_PERSONALIZATION not in states[-1].flags
    ref = tracker.neutral.reference()
    for view in ("left_eye", "right_eye"):
        np.testing.assert_allclose(ref[view], np.mean([c[view] for c in neutral_crops], axis=0), atol=1e-6)
    tracker.recalibrate()
    s = tracker.update(outputs(), quality(rng, 3.0), 3.0, 200)
    assert TrackingFlags.CALIBRATING_NEUTRAL in s.flags and TrackingFlags.NO_PERSONALIZATION in s.flags


def test_blink_survives_the_whole_stage():
    from bridge.tracking.measure import synthetic_blink

    rng = np.random.default_rng(2)
    tracker = Tracker()
    _, blink = synthetic_blink(RATE, 120.0, pad_s=1.0)
    peak_shape, min_open = 0.0, 1.0
    for k, b in enumerate(blink):
        t = k / RATE
        shapes = np.zeros(NUM_BLENDSHAPES)
        shapes[BLINK_L] = b
        s = tracker.update(outputs(shapes, openness=(1.0 - b, 1.0)), quality(rng, t), t, k)
        peak_shape = max(peak_shape, s.shape("eyeBlinkLeft"))
        min_open = min(min_open, s.left_eye.openness)
        assert s.right_eye.openness == pytest.approx(1.0, abs=1e-6)
    assert peak_shape >= 0.95 and min_open <= 0.05


def test_failing_region_holds_then_eases_to_neutral_then_recovers():
    rng = np.random.default_rng(3)
    cfg = TrackingConfig(failure=FailureConfig(ease_after_s=0.5, ease_duration_s=0.5, recover_after_s=0.1,
                                               recover_duration_s=0.25))
    tracker = Tracker(cfg)
    good = np.zeros(NUM_BLENDSHAPES)
    good[SMILE_L] = 0.8
    good[BLINK_L] = 0.6
    garbage = good.copy()
    garbage[SMILE_L] = 0.05  # what the mouth model says on a black image; the eye model is still right
    happy = np.eye(len(FER8))[HAPPY]
    states = []
    k = 0
    for phase, n in (("good", 90), ("dark", 120), ("good", 90)):
        for _ in range(n):
            t = k / RATE
            dark = phase == "dark"
            q = quality(rng, t, brightness={"mouth": 0.03} if dark else {})
            out = outputs(garbage if dark else good, emotion8=np.eye(len(FER8))[0] if dark else happy)
            states.append(tracker.update(out, q, t, k))
            k += 1
    smile = np.array([s.shape("mouthSmileLeft") for s in states])
    blink = np.array([s.shape("eyeBlinkLeft") for s in states])
    mouth_conf = np.array([s.confidence[REGIONS.index("mouth")] for s in states])
    assert smile[89] == pytest.approx(0.8, abs=0.01)
    assert np.all(np.abs(smile[90:119] - 0.8) < 0.01)  # held (garbage ignored) for the first 0.5 s
    assert smile[209] == pytest.approx(0.0, abs=1e-6)  # fully neutral after the fade
    assert np.all(np.diff(smile[90:210]) <= 1e-9)  # a monotonic glide, no jump back to garbage
    assert np.all(mouth_conf[90:210] == 0.0) and mouth_conf[89] > 0
    assert all(TrackingFlags.TOO_DARK in s.flags for s in states[90:210])  # flags on every frame
    assert any(TrackingFlags.EASING_TO_NEUTRAL in s.flags for s in states[120:210])
    assert np.all(np.abs(blink[90:210] - 0.6) < 0.01)  # the eyes were fine: unaffected
    assert smile[-1] == pytest.approx(0.8, abs=0.01)  # automatic recovery
    assert states[-1].flags & ~(TrackingFlags.CALIBRATING_NEUTRAL | TrackingFlags.NO_PERSONALIZATION) == 0
    assert states[-1].emotion_label == "happiness"


def test_idle_reports_camera_lost_and_eases_everything_to_neutral():
    rng = np.random.default_rng(4)
    tracker = Tracker(TrackingConfig(failure=FailureConfig(lost_after_s=0.3, ease_after_s=0.3,
                                                           ease_duration_s=0.5)))
    shapes = np.zeros(NUM_BLENDSHAPES)
    shapes[JAW] = 0.7
    happy = np.eye(len(FER8))[HAPPY]
    for k in range(90):
        last = tracker.update(outputs(shapes, gaze=(10, 5, 10, 5), emotion8=happy), quality(rng, k / RATE),
                              k / RATE, k)
    assert last.shape("jawOpen") == pytest.approx(0.7, abs=0.01) and last.emotion_label == "happiness"
    t = 90 / RATE
    states = [tracker.idle(t + 0.1 * i) for i in range(1, 25)]
    assert TrackingFlags.CAMERA_LOST not in states[0].flags
    assert all(TrackingFlags.CAMERA_LOST in s.flags for s in states[3:])
    assert all(s.sequence == 89 for s in states)
    end = states[-1]
    assert end.shape("jawOpen") == 0.0 and end.left_eye.gaze_yaw == 0.0 and end.left_eye.openness == 1.0
    assert end.emotion8[0] == pytest.approx(1.0) and end.emotion_label == "neutral"
    assert np.all(end.confidence == 0.0)


def test_pause_freezes_and_resume_continues():
    rng = np.random.default_rng(5)
    tracker = Tracker()
    shapes = np.zeros(NUM_BLENDSHAPES)
    shapes[JAW] = 0.5
    for k in range(60):
        before = tracker.update(outputs(shapes), quality(rng, k / RATE), k / RATE, k)
    tracker.pause()
    assert tracker.paused
    shapes2 = np.zeros(NUM_BLENDSHAPES)
    shapes2[JAW] = 0.1
    for k in range(60, 90):
        paused = tracker.update(outputs(shapes2), quality(rng, k / RATE), k / RATE, k)
        assert TrackingFlags.PAUSED in paused.flags and paused.sequence == k
        np.testing.assert_array_equal(paused.blendshapes, before.blendshapes)
    assert TrackingFlags.PAUSED in tracker.idle(2.0).flags
    tracker.resume()
    for k in range(90, 150):
        after = tracker.update(outputs(shapes2), quality(rng, k / RATE), k / RATE, k)
    assert TrackingFlags.PAUSED not in after.flags
    assert after.shape("jawOpen") == pytest.approx(0.1, abs=0.01)


def test_recenter_makes_current_gaze_straight_ahead():
    rng = np.random.default_rng(6)
    tracker = Tracker()
    for k in range(90):
        s = tracker.update(outputs(gaze=(8.0, -4.0, 6.0, -4.0)), quality(rng, k / RATE), k / RATE, k)
    assert s.left_eye.gaze_yaw == pytest.approx(8.0, abs=0.05)
    tracker.recenter()
    for k in range(90, 180):
        s = tracker.update(outputs(gaze=(8.0, -4.0, 6.0, -4.0)), quality(rng, k / RATE), k / RATE, k)
    assert abs(s.left_eye.gaze_yaw) < 0.05 and abs(s.right_eye.gaze_pitch) < 0.05
    for k in range(180, 270):
        s = tracker.update(outputs(gaze=(13.0, -4.0, 6.0, 1.0)), quality(rng, k / RATE), k / RATE, k)
    assert s.left_eye.gaze_yaw == pytest.approx(5.0, abs=0.05)
    assert s.right_eye.gaze_pitch == pytest.approx(5.0, abs=0.05)


def test_rom_profile_learned_saved_and_reloaded(tmp_path):
    rng = np.random.default_rng(7)
    cfg = TrackingConfig(rom=RomConfig(enabled=True, profile_dir=str(tmp_path), user="sam"),
                         neutral=NeutralConfig(duration_s=0.5, min_frames=5))
    tracker = Tracker(cfg)
    rest = np.zeros(NUM_BLENDSHAPES)
    rest[JAW] = 0.1
    peak = rest.copy()
    peak[JAW] = 0.6
    for k in range(60):  # neutral first (sets the floor), then the user's widest jaw opening
        tracker.update(outputs(rest), quality(rng, k / RATE), k / RATE, k)
    for k in range(60, 180):
        s = tracker.update(outputs(peak), quality(rng, k / RATE), k / RATE, k)
    assert s.shape("jawOpen") == pytest.approx(1.0, abs=0.01)
    path = tracker.save_calibration()
    assert path == tmp_path / "sam.json"
    again = Tracker(cfg)
    assert again.warnings == []
    mid = rest.copy()
    mid[JAW] = 0.35
    for k in range(120):  # this session's neutral capture (0.5 s) then a half-open jaw
        s = again.update(outputs(rest if k < 35 else mid), quality(rng, k / RATE), k / RATE, k)
    assert s.shape("jawOpen") == pytest.approx(0.5, abs=0.02)  # (0.35 - 0.1) / (0.6 - 0.1)
    again.reset_calibration()
    lo, hi = again.rom.bounds()
    assert lo[JAW] == 0.0 and hi[JAW] == pytest.approx(0.5)  # forgotten: identity floor, min_range ceiling
    again.update(outputs(mid), quality(rng, 2.0), 2.0, 120)
    lo, hi = again.rom.bounds()
    assert lo[JAW] == pytest.approx(0.35, abs=0.01)  # relearning from scratch (running min of what it sees now)
    assert Tracker(TrackingConfig()).save_calibration() is None  # RoM off: nothing written


def test_corrupt_profile_gives_a_warning_not_a_crash(tmp_path):
    (tmp_path / "default.json").write_text(json.dumps({"version": 1, "shapes": {"nope": {}}}))
    tracker = Tracker(TrackingConfig(rom=RomConfig(enabled=True, profile_dir=str(tmp_path))))
    assert len(tracker.warnings) == 1 and "shapes.nope" in tracker.warnings[0]
    s = tracker.update(outputs(), quality(np.random.default_rng(0), 0.0), 0.0, 0)
    assert isinstance(s, FaceState)


_floats = st.floats(allow_nan=True, allow_infinity=True, width=32)
_maybe_vec = st.one_of(st.none(), st.lists(_floats, min_size=0, max_size=60).map(np.array))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(b=_maybe_vec, g=_maybe_vec, o=_maybe_vec, e8=_maybe_vec, e5=_maybe_vec, au=_maybe_vec,
       v=st.one_of(st.none(), _floats), conf=st.dictionaries(st.sampled_from(REGIONS), _floats, max_size=4))
def test_garbage_model_outputs_never_raise(b, g, o, e8, e5, au, v, conf):
    tracker = Tracker()
    rng = np.random.default_rng(0)
    for k in range(3):
        out = ModelOutputs(blendshapes=b, gaze=g, openness=o, emotion8=e8, emotive5=e5, au10=au, valence=v,
                           arousal=v, confidence=conf)
        s = tracker.update(out, quality(rng, k / RATE), k / RATE, k)
        assert np.all(np.isfinite(s.blendshapes)) and np.isfinite(s.left_eye.gaze_yaw)
        assert s.emotion_label in FER8


def test_config_from_dict_nested_and_errors():
    cfg = TrackingConfig.from_dict({"filters": {"shapes": {"beta": 4}, "probability_tau_s": 0.1},
                                    "failure": {"expected_views": ["left_eye"], "frozen_frames": 20},
                                    "rom": {"enabled": True, "user": "kim"}}, source="my.toml")
    assert cfg.filters.shapes.beta == 4.0 and cfg.filters.shapes.min_cutoff == 1.0
    assert cfg.failure.expected_views == ("left_eye",) and cfg.rom.user == "kim"
    with pytest.raises(ValueError, match=r"my\.toml: tracking\.filters\.shapez: unknown key 'shapez' "
                                         r"\(did you mean 'shapes'\?\); allowed: enabled"):
        TrackingConfig.from_dict({"filters": {"shapez": {}}}, source="my.toml")
    with pytest.raises(ValueError, match=r"my\.toml: tracking\.failure\.frozen_frames: expected a whole number"):
        TrackingConfig.from_dict({"failure": {"frozen_frames": 2.5}}, source="my.toml")
    with pytest.raises(ValueError, match=r"my\.toml: tracking\.rom\.enabled: expected true or false"):
        TrackingConfig.from_dict({"rom": {"enabled": "yes"}}, source="my.toml")
    with pytest.raises(ValueError, match=r"my\.toml: tracking\.neutral\.duration_s: must be > 0"):
        TrackingConfig.from_dict({"neutral": {"duration_s": -1}}, source="my.toml")
    with pytest.raises(ValueError, match=r"my\.toml: tracking\.emotion: expected a table, got an integer"):
        TrackingConfig.from_dict({"emotion": 3}, source="my.toml")


def test_config_init_file_round_trips_to_the_defaults():
    """`facebridge config init` writes the [tracking] table from our dataclasses; reading it back must give them."""
    import tomllib

    from bridge import config

    data = tomllib.loads(config.default_config_text())
    assert TrackingConfig.from_dict(data["tracking"], source="init.toml") == TrackingConfig()


def test_failing_camera_source_is_dropped_from_the_emotion_fusion():
    rng = np.random.default_rng(8)
    tracker = Tracker()
    happy = np.full(len(FER8), 0.02)
    happy[HAPPY] = 0.86
    sad = np.full(len(FER8), 0.02)
    sad[FER8.index("sadness")] = 0.86
    mixed = (happy + sad) / 2  # what the models' fusion gives with both sources
    for k in range(60):
        t = k / RATE
        dark = k >= 10
        out = ModelOutputs(emotion8=mixed, emotion8_sources={"eyes": happy, "mouth": sad, "shapes": sad})
        s = tracker.update(out, quality(rng, t, brightness={"mouth": 0.03} if dark else {}), t, k)
        if k == 9:
            assert s.emotion8[HAPPY] == pytest.approx(s.emotion8[FER8.index("sadness")], abs=0.05)
    # mouth camera dark: its source (and the shape-vector source, built from all cameras) no longer count
    assert s.emotion8[HAPPY] > 0.8 and s.emotion_label == "happiness"
    assert s.emotion8.sum() == pytest.approx(1.0, abs=1e-5)
