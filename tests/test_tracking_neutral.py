"""Eyemotion personalization: the neutral reference."""

import numpy as np
import pytest

from bridge.tracking.neutral import NeutralConfig, NeutralReference

RNG = np.random.default_rng(3)


def crops(rng, shape=(32, 48), value=None):
    if value is not None:
        return {"left_eye": np.full(shape, value, np.float32), "right_eye": np.full(shape, value + 0.1, np.float32)}
    return {"left_eye": rng.random(shape, dtype=np.float32), "right_eye": rng.random(shape, dtype=np.float32)}


def test_reference_is_the_mean_of_the_neutral_frames_and_skips_blinks():
    ref = NeutralReference(NeutralConfig(duration_s=1.0, min_frames=5))
    accepted = []
    t = 0.0
    for k in range(60):
        frame = crops(RNG)
        blinking = 20 <= k < 26  # a blink inside the window: must not enter the mean
        assert ref.capturing(t)
        used = ref.add({**frame, "mouth": np.ones((4, 4), np.float32)}, t, eyes_open=not blinking)
        assert used == (not blinking)
        if used:
            accepted.append(frame)
        t += 1 / 60
    assert ref.reference() is None  # still inside the 1 s window
    assert not ref.capturing(1.01)
    out = ref.reference()
    assert set(out) == {"left_eye", "right_eye"}  # only the configured views
    for view in ("left_eye", "right_eye"):
        expected = np.mean([f[view] for f in accepted], axis=0)
        np.testing.assert_allclose(out[view], expected, rtol=1e-6, atol=1e-6)
        assert out[view].dtype == np.float32 and not out[view].flags.writeable
    assert ref.skipped == 6 and ref.frame_counts() == {"left_eye": 54, "right_eye": 54}
    # after the window nothing more is added
    assert not ref.add(crops(RNG, value=0.9), 2.0)
    np.testing.assert_allclose(ref.reference()["left_eye"], np.mean([f["left_eye"] for f in accepted], axis=0),
                               atol=1e-6)


def test_failing_frames_are_skipped():
    ref = NeutralReference(NeutralConfig(duration_s=0.5, min_frames=2))
    ref.add(crops(None, value=0.2), 0.0)
    ref.add(crops(None, value=0.2), 0.1)
    assert not ref.add(crops(None, value=0.9), 0.2, failing=True)
    ref.capturing(0.6)
    np.testing.assert_allclose(ref.reference()["left_eye"], 0.2)


def test_recalibrate_starts_a_new_capture_from_the_next_timestamp():
    ref = NeutralReference(NeutralConfig(duration_s=0.5, min_frames=2))
    for k in range(10):
        ref.add(crops(None, value=0.2), k * 0.1)
    assert not ref.capturing(1.0)
    np.testing.assert_allclose(ref.reference()["right_eye"], 0.3)
    ref.recalibrate()
    assert ref.reference() is None
    assert ref.capturing(5.0) and ref.progress(5.25) == pytest.approx(0.5)
    for k in range(6):
        ref.add(crops(None, value=0.6), 5.0 + k * 0.1)
    assert not ref.capturing(5.6)
    np.testing.assert_allclose(ref.reference()["left_eye"], 0.6)
    assert ref.progress(6.0) == 1.0


def test_capture_extends_until_min_frames_then_gives_up():
    ref = NeutralReference(NeutralConfig(duration_s=0.5, min_frames=10, max_duration_s=2.0))
    for k in range(5):
        ref.add(crops(None, value=0.4), k * 0.1)
    assert ref.capturing(0.6)  # window over but too few frames: keep capturing
    for k in range(5):
        ref.add(crops(None, value=0.4), 0.6 + k * 0.1)
    assert not ref.capturing(1.2)
    assert ref.reference() is not None
    # too few usable frames before max_duration_s: give up, stay un-personalized
    ref.recalibrate()
    ref.add(crops(None, value=0.4), 3.0)
    assert ref.capturing(4.0)
    assert not ref.capturing(5.1)
    assert ref.reference() is None


def test_no_eye_cameras_ends_capture_after_duration():
    ref = NeutralReference(NeutralConfig(duration_s=0.5, min_frames=10))
    assert ref.capturing(0.0)
    assert not ref.capturing(0.6)
    assert ref.reference() is None


def test_shape_change_mid_capture_is_counted_not_raised():
    ref = NeutralReference(NeutralConfig(duration_s=0.5, min_frames=2))
    ref.add(crops(None, value=0.2), 0.0)
    ref.add(crops(None, value=0.2), 0.1)
    ref.add(crops(None, shape=(10, 10), value=0.5), 0.2)
    assert ref.rejected == 2
    ref.capturing(0.6)
    np.testing.assert_allclose(ref.reference()["left_eye"], 0.2)


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"duration_s": 0.0}, "neutral.duration_s"),
        ({"min_frames": 0}, "neutral.min_frames"),
        ({"views": ("forehead",)}, "neutral.views"),
        ({"max_duration_s": 1.0}, "neutral.max_duration_s"),
    ],
)
def test_neutral_config_errors_name_the_key(kwargs, key):
    with pytest.raises(ValueError, match=key.replace(".", r"\.")):
        NeutralConfig(**kwargs).validate()
