"""Emotion output: label hysteresis, smoothing, valence/arousal fallback."""

import numpy as np
import pytest

from bridge.schema import FER8
from bridge.tracking.emotion import (
    EmotionConfig,
    EmotionSmoother,
    LabelHysteresis,
    affect_from_emotion8,
)

HAPPY = FER8.index("happiness")
SURPRISE = FER8.index("surprise")


def two_close_classes(rng, n, a, b, lead=0.0):
    """Distributions where classes a and b share ~0.8 of the mass, alternating who is on top by ~0.04."""
    out = []
    for k in range(n):
        p = np.full(len(FER8), 0.2 / (len(FER8) - 2))
        swing = 0.02 * (1 if k % 2 else -1) + rng.normal(0, 0.01)
        p[a] = 0.4 + lead / 2 + swing
        p[b] = 0.4 - lead / 2 - swing
        out.append(p / p.sum())
    return out


def test_hysteresis_no_flicker_between_close_classes():
    rng = np.random.default_rng(1)
    probs = two_close_classes(rng, 300, HAPPY, SURPRISE)
    raw = [int(np.argmax(p)) for p in probs]
    assert sum(x != y for x, y in zip(raw, raw[1:], strict=False)) > 100  # the raw argmax flickers a lot
    h = LabelHysteresis(margin=0.1, hold_s=0.3, initial=HAPPY)
    labels = [h.update(p, k / 60) for k, p in enumerate(probs)]
    assert set(labels) == {HAPPY}  # zero label changes


def test_hysteresis_switches_on_a_clear_sustained_lead_only():
    h = LabelHysteresis(margin=0.1, hold_s=0.3)
    happy = np.eye(len(FER8))[HAPPY] * 0.9 + 0.1 / len(FER8)
    labels = [h.update(happy, k / 60) for k in range(40)]
    first = labels.index(HAPPY)
    assert 17 <= first <= 19  # after ~0.3 s at 60 Hz, not on the first frame
    assert all(x == HAPPY for x in labels[first:])
    # a brief (0.1 s) spike of surprise does not switch
    surprise = np.eye(len(FER8))[SURPRISE] * 0.9 + 0.1 / len(FER8)
    t = 40 / 60
    for k in range(6):
        assert h.update(surprise, t + k / 60) == HAPPY
    assert h.update(happy, t + 7 / 60) == HAPPY
    h.reset()
    assert h.current == 0


def test_smoother_keeps_distributions_and_holds_missing():
    s = EmotionSmoother(probability_tau_s=0.2, affect_tau_s=0.3)
    e8 = np.eye(len(FER8))[HAPPY]
    out = None
    for k in range(30):
        out = s.update(e8, np.eye(5)[3], np.linspace(0, 1, 10), 0.5, -0.5, k / 60)
    assert out.emotion8.sum() == pytest.approx(1.0) and out.emotive5.sum() == pytest.approx(1.0)
    assert out.emotion8[HAPPY] > 0.9
    held = s.update(None, None, None, None, None, 31 / 60)
    np.testing.assert_allclose(held.emotion8, out.emotion8)
    assert held.valence == pytest.approx(out.valence)


def test_valence_arousal_fall_back_to_the_circumplex():
    v, a = affect_from_emotion8(np.eye(len(FER8))[HAPPY])
    assert v > 0.5 and a > 0
    v, a = affect_from_emotion8(np.eye(len(FER8))[FER8.index("sadness")])
    assert v < 0 and a < 0
    assert affect_from_emotion8(np.eye(len(FER8))[0]) == (0.0, 0.0)
    s = EmotionSmoother(0.0, 0.0)
    out = s.update(np.eye(len(FER8))[HAPPY], None, None, None, None, 0.0)
    assert out.valence == pytest.approx(0.8) and out.arousal == pytest.approx(0.4)


def test_emotion_config_errors_name_the_key():
    with pytest.raises(ValueError, match=r"emotion\.label_margin"):
        EmotionConfig(label_margin=1.5).validate()
    with pytest.raises(ValueError, match=r"emotion\.label_hold_s"):
        EmotionConfig(label_hold_s=-1).validate()
