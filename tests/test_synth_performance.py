"""Performances: label ranges and semantics (collection sessions, free performances)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from bridge.schema import AU10, BLENDSHAPE_INDEX, EMOTIVE5, FER8, NUM_BLENDSHAPES
from bridge.synth.expressions import (
    EMOTION_VA,
    EXPRESSION_INDEX,
    EXPRESSIONS,
    au10_from_shapes,
    emotion_shapes,
    lid_opening,
)
from bridge.synth.performance import COLLECTION_ITEMS, Performance, collection_performance, free_performance


def _check_ranges(p: Performance, fps: float) -> None:
    t = len(p)
    assert p.time.shape == (t,) and p.time.dtype == np.float32
    np.testing.assert_allclose(np.diff(p.time), 1.0 / fps, rtol=1e-3)
    assert p.blendshapes.shape == (t, NUM_BLENDSHAPES) and p.blendshapes.dtype == np.float32
    assert p.blendshapes.min() >= 0.0 and p.blendshapes.max() <= 1.0
    assert p.gaze.shape == (t, 2, 2) and np.abs(p.gaze).max() < 45
    assert p.openness.shape == (t, 2) and p.openness.min() >= 0 and p.openness.max() <= 1
    assert p.emotive5.dtype == np.int8 and p.emotive5.min() >= -1 and p.emotive5.max() < len(EMOTIVE5)
    assert p.fer8.dtype == np.int8 and p.fer8.min() >= -1 and p.fer8.max() < len(FER8)
    assert p.au10.shape == (t, len(AU10)) and p.au10.dtype == np.uint8 and set(np.unique(p.au10)) <= {0, 1}
    # AU0 (neutral) is exclusive; every frame has at least one AU label.
    assert np.all(p.au10.sum(1) >= 1)
    assert not np.any(p.au10[:, 0].astype(bool) & p.au10[:, 1:].any(1))
    for v in (p.valence, p.arousal):
        assert v.dtype == np.float32 and v.min() >= -1 and v.max() <= 1
    assert p.neutral_hold.dtype == bool and p.peak.dtype == bool
    assert p.expression.min() >= 0 and p.expression.max() < len(EXPRESSIONS)
    np.testing.assert_array_equal(p.au10, au10_from_shapes(p.blendshapes))  # labels agree with the shapes
    np.testing.assert_allclose(p.openness, lid_opening(p.blendshapes, p.gaze)[2], atol=1e-6)


def test_collection_session_structure():
    p = collection_performance(np.random.default_rng(0), fps=30)
    _check_ranges(p, 30)
    hold = p.neutral_hold
    assert hold[: 5 * 30].all() and not hold[5 * 30 + 1 :].any()  # exactly the first 5 s
    assert np.all(p.emotive5[hold] != EMOTIVE5.index("anger"))
    assert (p.emotive5[hold] == 0).mean() > 0.8  # neutral, except blink frames (-1)
    # every emotive class and every upper-face AU is performed and held at an apex
    for name in ("anger", "surprise", "happiness"):
        assert np.sum(p.emotive5 == EMOTIVE5.index(name)) > 30, name
        assert np.sum(p.fer8 == FER8.index(name)) > 30, name
    assert np.sum(p.emotive5 == EMOTIVE5.index("eyes_closed")) > 30
    for au in AU10[1:]:
        assert p.au10[:, AU10.index(au)].sum() > 20, au
    for item in COLLECTION_ITEMS:
        frames = p.expression == EXPRESSION_INDEX[item]
        assert frames.sum() > 30 and p.peak[frames].any(), item
    # transitions (ramps) carry no emotive class
    assert np.sum(p.emotive5 == -1) > 0


def test_collection_labels_match_the_held_expression():
    p = collection_performance(np.random.default_rng(1), fps=30)
    wink = p.peak & (p.expression == EXPRESSION_INDEX["AU46L"])
    assert p.au10[wink, AU10.index("AU46L")].all()
    assert (p.openness[wink, 0] < 0.05).all() and (p.openness[wink, 1] > 0.5).all()  # left closed, right open
    surprise = (p.emotive5 == EMOTIVE5.index("surprise"))
    assert (p.valence[surprise] > 0).all() and (p.arousal[surprise] > 0.4).all()
    sad = p.fer8 == FER8.index("sadness")
    assert sad.sum() > 20 and (p.valence[sad] < -0.3).all()


def test_free_performance_has_blinks_saccades_speech_and_emotions():
    p = free_performance(np.random.default_rng(2), seconds=60, fps=30, neutral_seconds=5)
    _check_ranges(p, 30)
    assert len(p) == 1800
    blink = p.blendshapes[:, BLENDSHAPE_INDEX["eyeBlinkLeft"]]
    onsets = np.sum((blink[1:] >= 0.6) & (blink[:-1] < 0.6))
    assert 5 <= onsets <= 60  # natural blink rate
    speed = np.abs(np.diff(p.gaze[:, 0, 0])) * 30  # deg/s
    assert np.sum(speed > 100) > 5  # saccades
    jaw = p.blendshapes[:, BLENDSHAPE_INDEX["jawOpen"]]
    assert jaw.max() > 0.2 and np.sum(np.abs(np.diff(jaw)) > 0.01) > 50  # speech-like motion
    assert len(set(p.fer8[p.fer8 > 0].tolist())) >= 3  # several emotions
    assert p.peak.any() and p.neutral_hold[: 5 * 30].all() and not p.neutral_hold[5 * 30 :].any()
    # asymmetric frames exist (left and right smile/brow/blink differ noticeably)
    pairs = [("mouthSmileLeft", "mouthSmileRight"), ("eyeBlinkLeft", "eyeBlinkRight"),
             ("browOuterUpLeft", "browOuterUpRight")]
    asym = max(np.abs(p.blendshapes[:, BLENDSHAPE_INDEX[a]] - p.blendshapes[:, BLENDSHAPE_INDEX[b]]).max()
               for a, b in pairs)
    assert asym > 0.3
    # co-occurring AUs (multi-label)
    assert np.any(p.au10[:, 1:].sum(1) >= 2)


def test_eye_look_shapes_follow_gaze_sides():
    p = free_performance(np.random.default_rng(3), seconds=20, fps=30)
    i = BLENDSHAPE_INDEX
    right = p.gaze[:, 0, 0] > 10  # left eye looking toward the subject's right = toward the nose = "In"
    assert (p.blendshapes[right, i["eyeLookInLeft"]] > 0).all()
    assert (p.blendshapes[right, i["eyeLookOutLeft"]] == 0).all()
    right_r = p.gaze[:, 1, 0] > 10
    assert (p.blendshapes[right_r, i["eyeLookOutRight"]] > 0).all()


def test_performances_are_deterministic():
    a = free_performance(np.random.default_rng(9), seconds=10)
    b = free_performance(np.random.default_rng(9), seconds=10)
    for k, v in a.arrays().items():
        np.testing.assert_array_equal(v, b.arrays()[k], err_msg=k)


def test_emotion_tables_are_consistent():
    assert set(EMOTION_VA) == set(FER8)
    happy = emotion_shapes("happiness")
    assert happy[BLENDSHAPE_INDEX["mouthSmileLeft"]] > 0.5 and happy[BLENDSHAPE_INDEX["cheekSquintRight"]] > 0.5
    surprise = emotion_shapes("surprise")
    assert surprise[BLENDSHAPE_INDEX["browInnerUp"]] > 0.5 and surprise[BLENDSHAPE_INDEX["jawOpen"]] > 0.3


def test_bad_arguments():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="fps"):
        free_performance(rng, seconds=5, fps=0)
    with pytest.raises(ValueError, match="seconds"):
        free_performance(rng, seconds=-1)
    with pytest.raises(ValueError, match="'smirk' is unknown"):
        collection_performance(rng, items=("smirk",))


@settings(max_examples=40, deadline=None)
@given(
    shapes=arrays(np.float32, (3, NUM_BLENDSHAPES), elements=st.floats(0.0, 1.0, width=32)),
    gaze=arrays(np.float32, (3, 2, 2), elements=st.floats(-45.0, 45.0, width=32)),
)
def test_derived_labels_stay_in_range_for_any_shapes(shapes, gaze):
    au = au10_from_shapes(shapes)
    assert set(np.unique(au)) <= {0, 1}
    assert np.all(au[:, 0] == (au[:, 1:].sum(1) == 0))  # AU0 exactly when no other AU
    upper, lower, openness = lid_opening(shapes, gaze)
    assert np.all((openness >= 0) & (openness <= 1))
    assert np.all(upper >= 0) and np.all(lower > 0)
    closed = shapes[:, BLENDSHAPE_INDEX["eyeBlinkLeft"]] >= 0.999
    assert np.all(openness[closed, 0] < 0.01)
