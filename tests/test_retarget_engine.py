"""Retargeter: golden outputs per shipped preset, properties (range, finiteness, monotone curves, determinism),
mirror symmetry, eye options, and discrete-mode hysteresis / cross-fade."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.schema import BLENDSHAPE_NAMES, FER8, EyeState, FaceState, shape_index
from retarget import RIGS, Curve, LightCue, Preset, PresetMeta, Retargeter, TargetMapping, load_preset, shipped_names
from retarget.bench import benchmark, sample_faces
from retarget.inputs import mirror_face_state

SHIPPED = shipped_names()


def face(shapes: dict[str, float] | None = None, emotion: dict[str, float] | None = None, t: float = 0.0,
         left: EyeState | None = None, right: EyeState | None = None, label: str | None = None) -> FaceState:
    """A FaceState with the given named shapes and emotion probabilities (rest 0; neutral if no emotion)."""
    b = np.zeros(52, np.float32)
    for k, v in (shapes or {}).items():
        b[shape_index(k)] = v
    e = np.zeros(8, np.float32)
    for k, v in (emotion or {"neutral": 1.0}).items():
        e[FER8.index(k)] = v
    label = label or FER8[int(np.argmax(e))]
    return FaceState(timestamp=t, sequence=0, blendshapes=b, emotion8=e, emotion_label=label,
                     left_eye=left or EyeState(), right_eye=right or EyeState())


def out_dict(preset: str, fs: FaceState) -> dict[str, float]:
    return Retargeter(load_preset(preset)).apply(fs).as_dict()


def test_all_expected_presets_ship():
    for name in ("arkit52-perfect-sync", "livelink", "facs53", "vrm1-basic", "vrchat-unified-v2", "meta63",
                 "vrm1-emotion-toggles", "arkit52-emotion-only"):
        assert name in SHIPPED


# ---- golden tests: hand-computed expectations ---------------------------------------------------------------
def test_golden_arkit52_perfect_sync_is_identity():
    values = np.linspace(0.0, 1.0, 52, dtype=np.float32)
    fs = FaceState(timestamp=0.0, sequence=3, blendshapes=values)
    out = Retargeter(load_preset("arkit52-perfect-sync")).apply(fs)
    assert out.rig == "arkit52" and out.names == BLENDSHAPE_NAMES
    assert out.values.dtype == np.float32 and np.array_equal(out.values, values)
    assert out.sequence == 3 and out.vrm0_aliases is None
    # the default preset also sends the emotion light cue (neutral here): README's "the lights follow the mood"
    assert out.light is not None and out.light.intensity == pytest.approx(0.4)


def test_golden_livelink():
    fs = face({"eyeBlinkLeft": 0.7, "tongueOut": 0.25}, left=EyeState(15.0, -6.0, 1.0), right=EyeState(45.0, 0, 1))
    d = out_dict("livelink", fs)
    assert d["EyeBlinkLeft"] == pytest.approx(0.7) and d["TongueOut"] == pytest.approx(0.25)
    assert d["LeftEyeYaw"] == pytest.approx(0.5) and d["LeftEyePitch"] == pytest.approx(-0.2)
    assert d["RightEyeYaw"] == pytest.approx(1.0)  # 45 degrees is past full scale: clamped
    assert "HeadYaw" not in d


def test_golden_facs53():
    fs = face({"jawOpen": 0.6, "mouthClose": 0.2, "mouthLowerDownLeft": 0.1, "eyeLookInLeft": 0.8,
               "eyeLookOutLeft": 0.05, "mouthPressRight": 0.6, "browInnerUp": 0.3})
    d = out_dict("facs53", fs)
    assert len(RIGS["facs53"].names) == 53
    assert d["LipsPart"] == pytest.approx(0.6 - 0.2 + 0.1)  # sum + max term
    assert d["EyesTurnRight_L"] == pytest.approx(0.8) and d["EyesTurnLeft_L"] == pytest.approx(0.05)
    assert d["LipTightener_R"] == pytest.approx(0.3) and d["LipTightener_L"] == 0.0
    assert d["InnerBrowRaiser_L"] == d["InnerBrowRaiser_R"] == pytest.approx(0.3)


def test_golden_meta63():
    fs = face({"eyeLookInLeft": 0.4, "mouthFunnel": 0.9, "jawLeft": 0.3, "mouthRollUpper": 0.2})
    d = out_dict("meta63", fs)
    assert d["EyesLookRightL"] == pytest.approx(0.4) and d["EyesLookLeftL"] == 0.0
    assert d["LipFunnelerLB"] == d["LipFunnelerRT"] == pytest.approx(0.9)
    assert d["JawSidewaysLeft"] == pytest.approx(0.3) and d["LipSuckLT"] == pytest.approx(0.2)


def test_golden_vrchat_unified_v2():
    fs = face({"jawRight": 0.2, "jawLeft": 0.5, "eyeWideLeft": 0.4, "mouthSmileLeft": 0.7, "mouthFrownLeft": 0.2,
               "jawOpen": 0.5, "mouthClose": 0.1, "mouthUpperUpLeft": 0.2, "browInnerUp": 0.6,
               "browOuterUpRight": 0.8, "browDownRight": 0.1},
              left=EyeState(-9.0, 3.0, 0.8), right=EyeState(-3.0, 3.0, 0.6))
    d = out_dict("vrchat-unified-v2", fs)
    assert d["JawX"] == pytest.approx(-0.3)
    assert d["EyeLidLeft"] == pytest.approx(0.75 * 0.8 + 0.25 * 0.4)
    assert d["EyeLeftX"] == pytest.approx(-0.3) and d["EyeX"] == pytest.approx(-0.2) and d["EyeY"] == pytest.approx(0.1)
    # VRCFaceTracking's formulas (UnifiedExpressionsParameters.cs, UnifiedSimpleExpressions.cs):
    assert d["SmileFrownLeft"] == pytest.approx(0.8 * 0.7 - 0.2)  # simple smile (0.8 corner pull) - frown
    assert d["MouthOpen"] == pytest.approx(0.25 * 0.2)  # lips only: mean of the four upper-up/lower-down shapes
    assert d["BrowUpRight"] == pytest.approx(0.6 * 0.8 + 0.4 * 0.6)
    assert d["BrowExpressionRight"] == pytest.approx(0.3 + 0.4 - 0.875 * 0.1)
    assert d["EyeWide"] == pytest.approx(0.4)  # max of the two eyes, not the mean
    assert d["LipFunnelUpperLeft"] == 0.0


def test_golden_vrm1_basic():
    rt = Retargeter(load_preset("vrm1-basic"))
    fs = face({"eyeBlinkLeft": 0.8, "eyeBlinkRight": 0.6, "mouthFunnel": 0.5, "jawOpen": 0.3,
               "eyeLookOutLeft": 0.4, "eyeLookInRight": 0.2}, emotion={"happiness": 0.675, "neutral": 0.325})
    out = rt.apply(fs)
    d = out.as_dict()
    assert d["blink"] == pytest.approx(0.6)
    assert d["blinkLeft"] == pytest.approx(0.2) and d["blinkRight"] == pytest.approx(0.0)
    assert d["happy"] == pytest.approx(0.5, abs=1e-6)  # dead zone 0.35 -> 0.5 -> smoothstep(0.5) = 0.5
    assert d["oh"] == pytest.approx((0.8 * 0.6 - 0.05) / 0.95, abs=1e-6)  # product term, then dead zone
    assert d["lookLeft"] == pytest.approx(0.3) and d["lookRight"] == 0.0
    assert out.emotion == "happiness" and out.light == LightCue(1.0, 0.82, 0.25, 0.9, 0.5)
    assert out.vrm0_aliases["happy"] == "Joy" and out.vrm0_aliases["blinkLeft"] == "Blink_L"
    assert rt.apply(face(emotion={"happiness": 0.3, "neutral": 0.7})).as_dict()["happy"] == 0.0


def test_golden_vrm1_emotion_toggles_and_arkit_emotion_only():
    out = Retargeter(load_preset("vrm1-emotion-toggles")).apply(face(emotion={"happiness": 0.9, "neutral": 0.1}))
    assert out.as_dict() == {"happy": 1.0, "angry": 0.0, "sad": 0.0, "relaxed": 0.0, "surprised": 0.0,
                             "neutral": 0.0}
    assert out.emotion == "happiness" and out.light == LightCue(1.0, 0.82, 0.25, 0.9, 0.5)
    out = Retargeter(load_preset("arkit52-emotion-only")).apply(face(emotion={"sadness": 0.8, "neutral": 0.2}))
    d = out.as_dict()
    assert d["mouthFrownLeft"] == pytest.approx(0.7) and d["browInnerUp"] == pytest.approx(0.7)
    assert d["mouthSmileLeft"] == 0.0 and out.light == LightCue(0.2, 0.35, 1.0, 0.6, 1.5)


def test_emotion_only_presets_have_a_distinct_light_per_emotion():
    for name in ("vrm1-emotion-toggles", "arkit52-emotion-only"):
        p = load_preset(name)
        assert p.emotions.mode == "discrete"
        colours = {(q.light.r, q.light.g, q.light.b) for q in p.emotions.poses}
        assert {q.emotion for q in p.emotions.poses} == set(FER8) and len(colours) == len(FER8)


# ---- properties ----------------------------------------------------------------------------------------------
unit = st.floats(0.0, 1.0, allow_nan=False, width=32)
angles = st.floats(-1e6, 1e6, allow_nan=False)


@st.composite
def faces(draw):
    shapes = draw(st.lists(unit, min_size=52, max_size=52))
    raw = np.array(draw(st.lists(st.floats(0.001, 1.0), min_size=8, max_size=8)), np.float32)
    eyes = [EyeState(draw(angles), draw(angles), draw(st.floats(-5, 5))) for _ in range(2)]
    return FaceState(timestamp=draw(st.floats(0, 1e4)), sequence=0, blendshapes=shapes, emotion8=raw / raw.sum(),
                     left_eye=eyes[0], right_eye=eyes[1], valence=draw(st.floats(-3, 3)))


@settings(max_examples=60, deadline=None)
@given(faces())
def test_outputs_are_finite_and_inside_the_rig_range(fs):
    for name in SHIPPED:
        out = Retargeter(load_preset(name)).apply(fs)
        rig = RIGS[out.rig]
        idx = [rig.index(n) for n in out.names]
        assert out.values.shape == (len(out.names),) and out.values.dtype == np.float32
        assert np.all(np.isfinite(out.values))
        assert np.all(out.values >= rig.lo[idx]) and np.all(out.values <= rig.hi[idx])


def test_non_finite_eye_values_do_not_leak():
    fs = face(left=EyeState(float("nan"), float("inf"), float("nan")), right=EyeState(float("-inf"), 0.0, 2.0))
    out = Retargeter(load_preset("vrchat-unified-v2")).apply(fs).as_dict()
    assert all(np.isfinite(v) for v in out.values())
    assert out["EyeLeftX"] == 0.0 and out["EyeLeftY"] == 1.0 and out["EyeRightX"] == -1.0


def single_target_preset(curve: Curve, target: str = "jawOpen", source: str = "jawOpen") -> Preset:
    return Preset(PresetMeta("t"), "arkit52", (TargetMapping(target, ((source, 1.0),), (), curve),))


@settings(max_examples=80, deadline=None)
@given(gain=st.floats(0.0, 10.0), offset=st.floats(-1.0, 1.0), gamma=st.floats(0.05, 10.0),
       ease=st.sampled_from(["linear", "ease_in", "ease_out", "smoothstep"]), dead_zone=st.floats(0.0, 0.95))
def test_curves_are_monotone_non_decreasing_for_non_negative_gain(gain, offset, gamma, ease, dead_zone):
    rt = Retargeter(single_target_preset(Curve(gain, offset, gamma, ease, dead_zone)))
    xs = np.linspace(0.0, 1.0, 41)
    ys = [rt.apply(face({"jawOpen": float(x)})).values[0] for x in xs]
    assert np.all(np.diff(ys) >= -1e-6)
    assert all(0.0 <= y <= 1.0 for y in ys)


def test_signed_curve_is_odd_around_zero():
    # Dead zone and gamma act on |v| with the sign kept: EyeX of -g mirrors EyeX of +g.
    curve = Curve(gamma=2.0, dead_zone=0.1)
    mapping = TargetMapping("EyeX", (("gazeLeftYaw", 1.0),), (), curve)
    p = Preset(PresetMeta("t"), "unified_expressions_v2", (mapping,))
    rt = Retargeter(p)
    for deg in (6.0, 12.0, 24.0):
        pos = rt.apply(face(left=EyeState(deg, 0, 1))).values[0]
        neg = rt.apply(face(left=EyeState(-deg, 0, 1))).values[0]
        assert pos == pytest.approx(-neg) and pos > 0
    assert rt.apply(face(left=EyeState(2.0, 0, 1))).values[0] == 0.0  # inside the dead zone


def test_deterministic_and_names_stable():
    fss = sample_faces(50, seed=1)
    for name in SHIPPED:
        a, b = Retargeter(load_preset(name)), Retargeter(load_preset(name))
        outs_a = [a.apply(f) for f in fss]
        outs_b = [b.apply(f) for f in fss]
        for x, y in zip(outs_a, outs_b, strict=True):
            assert np.array_equal(x.values, y.values) and x.emotion == y.emotion
        assert all(o.names is outs_a[0].names for o in outs_a)  # same tuple object until the preset changes


# ---- mirror symmetry and eye options -----------------------------------------------------------------------
@settings(max_examples=25, deadline=None)
@given(faces())
def test_mirror_symmetry_of_shipped_presets(fs):
    fs = fs.with_changes(emotion8=np.eye(8, dtype=np.float32)[0], emotion_label="neutral")  # poses may be asymmetric
    mirrored = mirror_face_state(fs)
    for name in SHIPPED:
        preset = load_preset(name)
        a, b = Retargeter(preset).apply(fs), Retargeter(preset).apply(mirrored)
        rig = RIGS[a.rig]
        idx, sign = rig.mirror_map()
        full_a = np.zeros(len(rig.names), np.float32)
        full_b = np.zeros(len(rig.names), np.float32)
        full_a[[rig.index(n) for n in a.names]] = a.values
        full_b[[rig.index(n) for n in b.names]] = b.values
        np.testing.assert_allclose(full_b, sign * full_a[idx], atol=1e-5, err_msg=name)


def test_mirror_option_equals_retargeting_the_mirrored_face():
    base = load_preset("vrchat-unified-v2")
    from dataclasses import replace

    mirrored_preset = replace(base, mirror=True)
    for fs in sample_faces(20, seed=2):
        np.testing.assert_allclose(Retargeter(mirrored_preset).apply(fs).values,
                                   Retargeter(base).apply(mirror_face_state(fs)).values, atol=1e-6)


def test_eye_link_and_drive_options():
    from dataclasses import replace

    base = load_preset("arkit52-perfect-sync")
    fs = face({"eyeBlinkLeft": 1.0, "eyeLookInLeft": 0.6, "eyeLookOutRight": 0.2, "eyeWideRight": 0.4})
    link = Retargeter(replace(base, eyes="link")).apply(fs).as_dict()
    assert link["eyeBlinkLeft"] == link["eyeBlinkRight"] == pytest.approx(0.5)
    assert link["eyeLookInLeft"] == link["eyeLookOutRight"] == pytest.approx(0.4)  # conjugate gaze kept
    left = Retargeter(replace(base, eyes="left_drives_both")).apply(fs).as_dict()
    assert left["eyeBlinkRight"] == 1.0 and left["eyeLookOutRight"] == pytest.approx(0.6)
    assert left["eyeWideRight"] == 0.0 and left["eyeLookInLeft"] == pytest.approx(0.6)
    right = Retargeter(replace(base, eyes="right_drives_both")).apply(fs).as_dict()
    assert right["eyeBlinkLeft"] == 0.0 and right["eyeLookInLeft"] == pytest.approx(0.2)


# ---- discrete mode ---------------------------------------------------------------------------------------------
def test_discrete_hysteresis_does_not_flicker_between_close_emotions():
    rt = Retargeter(load_preset("vrm1-emotion-toggles"))
    rng = np.random.default_rng(0)
    winners, happy = [], []
    for i in range(450):  # 5 s at 90 Hz, happiness and sadness within +-0.06 of each other
        h = 0.45 + rng.uniform(-0.03, 0.03)
        s = 0.45 + rng.uniform(-0.03, 0.03)
        out = rt.apply(face(emotion={"happiness": h, "sadness": s, "neutral": 1.0 - h - s}, t=i / 90))
        winners.append(out.emotion)
        happy.append(out.as_dict()["happy"])
    switches = sum(a != b for a, b in zip(winners, winners[1:], strict=False))
    assert switches == 0
    assert len(set(happy)) == 1  # the shown pose never moves


def test_discrete_switches_after_hold_with_crossfade():
    rt = Retargeter(load_preset("vrm1-emotion-toggles"))  # hold 0.5 s, cross-fade 0.3 s, hysteresis 0.15
    happy = {"happiness": 0.9, "neutral": 0.1}
    sad = {"sadness": 0.9, "neutral": 0.1}
    assert rt.apply(face(emotion=happy, t=0.0)).emotion == "happiness"
    assert rt.apply(face(emotion=sad, t=0.2)).emotion == "happiness"  # held: younger than min_hold_s
    out = rt.apply(face(emotion=sad, t=0.6))
    assert out.emotion == "sadness" and out.light.b == 1.0
    assert out.as_dict()["happy"] == 1.0 and out.as_dict()["sad"] == 0.0  # fade starts at the old pose
    mid = rt.apply(face(emotion=sad, t=0.75)).as_dict()
    assert mid["happy"] == pytest.approx(0.5, abs=1e-5) and mid["sad"] == pytest.approx(0.5, abs=1e-5)
    end = rt.apply(face(emotion=sad, t=0.95)).as_dict()
    assert end["happy"] == 0.0 and end["sad"] == 1.0


def test_discrete_min_probability_blocks_weak_winners():
    rt = Retargeter(load_preset("vrm1-emotion-toggles"))  # min_probability 0.4
    rt.apply(face(emotion={"neutral": 1.0}, t=0.0))
    weak = {"anger": 0.38, "neutral": 0.2, "sadness": 0.22, "fear": 0.2}
    assert rt.apply(face(emotion=weak, t=2.0)).emotion == "neutral"


def test_continuous_mode_weights_poses_by_probability():
    from dataclasses import replace

    from retarget import EmotionPose, EmotionSettings

    poses = (EmotionPose("happiness", "add", (("mouthSmileLeft", 0.8),)),
             EmotionPose("anger", "override", (("browDownLeft", 1.0),)),
             EmotionPose("surprise", "max", (("jawOpen", 0.5),)))
    p = replace(load_preset("arkit52-perfect-sync"), emotions=EmotionSettings("continuous", poses=poses))
    d = Retargeter(p).apply(face({"mouthSmileLeft": 0.1, "browDownLeft": 0.2, "jawOpen": 0.1},
                                 emotion={"happiness": 0.5, "anger": 0.25, "surprise": 0.25})).as_dict()
    assert d["mouthSmileLeft"] == pytest.approx(0.1 + 0.5 * 0.8)
    assert d["browDownLeft"] == pytest.approx(0.2 * 0.75 + 0.25)
    assert d["jawOpen"] == pytest.approx(0.125)  # max(0.1, 0.25 * 0.5)


def test_benchmark_reports_positive_times():
    r = benchmark(load_preset("vrchat-unified-v2"), frames=200, repeats=2)
    assert r.targets == 137 and 0 < r.best_us <= r.median_us <= r.p90_us
