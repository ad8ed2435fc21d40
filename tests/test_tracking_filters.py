"""Filters of the tracking stage: blink survival, jitter reduction, masking, exponential decay."""

import math

import numpy as np
import pytest

from bridge.tracking.filters import ExponentialDecay, FilterConfig, OneEuroFilter, OneEuroParams
from bridge.tracking.measure import filter_series, measure_blink, measure_jitter, synthetic_blink


def test_synthetic_blink_shape():
    t, y = synthetic_blink(60.0, 150.0)
    assert y.max() == pytest.approx(1.0)
    assert y[0] == 0.0 and y[-1] == 0.0
    assert np.all(np.diff(t) > 0)


@pytest.mark.parametrize("blink_ms", [100.0, 150.0, 250.0])
def test_default_shape_filter_keeps_blinks(blink_ms):
    b = measure_blink(FilterConfig().shapes, rate_hz=60.0, blink_ms=blink_ms)
    assert b.depth_preserved >= 0.95  # the avatar's eye still closes
    assert 0.0 <= b.lag_frames <= 1.0  # under one frame of added lag at 60 Hz
    assert b.reopen_lag_frames <= 1.5


def test_default_shape_filter_still_removes_jitter():
    assert measure_jitter(FilterConfig().shapes, noise_sd=0.02) < 0.6


def test_measurement_discriminates_blink_eating_filters():
    # VRCFaceTracking's documented One Euro defaults smooth a short blink away: the measurement must show it
    b = measure_blink(OneEuroParams(1.0, 0.5, 0.1), rate_hz=60.0, blink_ms=100.0)
    assert b.depth_preserved < 0.6


def test_one_euro_first_sample_passes_and_constant_converges():
    f = OneEuroFilter.from_groups([(OneEuroParams(1.0, 0.5, 1.0), 3)], np.zeros(3))
    out = f.update(np.array([0.3, 0.5, 0.7]), 0.0).copy()
    np.testing.assert_allclose(out, [0.3, 0.5, 0.7])
    for i in range(1, 200):
        out = f.update(np.array([0.3, 0.5, 0.7]), i / 60.0)
    np.testing.assert_allclose(out, [0.3, 0.5, 0.7], atol=1e-9)


def test_one_euro_masked_channels_hold_and_resume_without_spike():
    f = OneEuroFilter.from_groups([(OneEuroParams(1.0, 8.0, 1.0), 2)], np.zeros(2))
    for i in range(30):
        f.update(np.array([0.2, 0.2]), i / 60.0)
    held = f.update(np.array([0.9, 0.9]), 30 / 60.0, mask=np.array([True, False])).copy()
    assert held[1] == pytest.approx(0.2)  # masked channel ignored the jump
    assert held[0] > 0.2
    # NaN input is also held, never propagated
    out = f.update(np.array([np.nan, 0.2]), 31 / 60.0)
    assert np.all(np.isfinite(out))
    # after a 2 s gap the channel follows the new value quickly (dt is per channel)
    out = f.update(np.array([0.9, 0.6]), 2.5)
    assert out[1] > 0.5


def test_one_euro_rejects_mismatched_parameters():
    with pytest.raises(ValueError, match="same length"):
        OneEuroFilter(np.ones(3), np.ones(2), np.ones(3), np.zeros(3))


def test_exponential_decay_time_constant_and_rate_independence():
    tau = 0.2
    finals = []
    for rate in (30.0, 60.0, 120.0):
        d = ExponentialDecay(tau, np.array([1.0, 0.0]))
        d.update(np.array([1.0, 0.0]), 0.0)
        n = int(round(tau * rate))
        y = None
        for i in range(1, n + 1):
            y = d.update(np.array([0.0, 1.0]), i / rate)
        finals.append(y.copy())
        assert y.sum() == pytest.approx(1.0)  # stays a distribution
    for y in finals:
        assert y[1] == pytest.approx(1 - math.exp(-1), abs=1e-9)  # 63 % after one tau, at any frame rate


def test_exponential_decay_holds_on_missing_or_nan():
    d = ExponentialDecay(0.1, np.array([0.5, 0.5]))
    np.testing.assert_allclose(d.update(None, 0.0), [0.5, 0.5])
    d.update(np.array([1.0, 0.0]), 0.0)
    np.testing.assert_allclose(d.update(np.array([np.nan, 1.0]), 0.1), [1.0, 0.0])
    with pytest.raises(ValueError):
        ExponentialDecay(-1.0, np.zeros(2))


def test_filter_series_matches_filter_object():
    t, y = synthetic_blink(60.0, 150.0)
    p = OneEuroParams(1.0, 8.0, 1.0)
    a = filter_series(p, t, y)
    f = OneEuroFilter.from_groups([(p, 1)], np.zeros(1))
    b = np.array([f.update(np.array([v]), ts)[0] for ts, v in zip(t, y, strict=True)])
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("config", "key"),
    [
        (FilterConfig(shapes=OneEuroParams(min_cutoff=0.0)), "filters.shapes.min_cutoff"),
        (FilterConfig(gaze=OneEuroParams(beta=-1.0)), "filters.gaze.beta"),
        (FilterConfig(openness=OneEuroParams(d_cutoff=float("nan"))), "filters.openness.d_cutoff"),
        (FilterConfig(probability_tau_s=-0.1), "filters.probability_tau_s"),
    ],
)
def test_filter_config_errors_name_the_key(config, key):
    with pytest.raises(ValueError, match=key.replace(".", r"\.")):
        config.validate()


def test_gaze_filter_follows_saccades_within_a_few_frames():
    from bridge.tracking.measure import measure_step_frames

    gaze = FilterConfig().gaze
    assert measure_step_frames(gaze, 15.0) <= 3  # a 15 degree saccade reaches 90 % within 3 frames at 60 Hz
    assert measure_jitter(gaze, noise_sd=1.0, level=0.0) < 0.6


def test_cost_measurements_run():
    from bridge.tracking.measure import measure_assess_frames_us, measure_tracker_update_us

    cost = measure_tracker_update_us(frames=150)
    q = measure_assess_frames_us(repeats=20)
    assert all(math.isfinite(v) and v > 0 for v in (*cost.values(), *q.values()))
