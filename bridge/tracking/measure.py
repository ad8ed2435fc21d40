"""Measurements of the tracking stage: blink survival through the One Euro filter, jitter reduction, Tracker cost.

Run ``python -m bridge.tracking.measure`` to print the figures quoted in docs/tracking.md.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from bridge.tracking.filters import OneEuroFilter, OneEuroParams


@dataclass(frozen=True, slots=True)
class BlinkFigures:
    """How one synthetic blink came through a filter."""

    blink_ms: float
    rate_hz: float
    depth_preserved: float  # peak of the filtered blink / peak of the raw blink (1.0 = fully closed still)
    lag_frames: float  # delay of the closing edge's half-depth crossing, in frames at rate_hz
    reopen_lag_frames: float  # same on the reopening edge


def synthetic_blink(rate_hz: float, blink_ms: float, pad_s: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Timestamps and eyeBlink values of one blink: raised-cosine close (30 %), closed hold (20 %), open (50 %).

    Real blinks last ~100-400 ms and reopen more slowly than they close (that asymmetry is modelled).
    """
    dt = 1.0 / rate_hz
    t = np.arange(0.0, 2 * pad_s + blink_ms / 1000.0, dt)
    d = blink_ms / 1000.0
    tc, th = 0.3 * d, 0.2 * d
    u = t - pad_s
    y = np.zeros_like(t)
    closing = (u >= 0) & (u < tc)
    y[closing] = 0.5 - 0.5 * np.cos(np.pi * u[closing] / tc)
    y[(u >= tc) & (u < tc + th)] = 1.0
    opening = (u >= tc + th) & (u < d)
    y[opening] = 0.5 + 0.5 * np.cos(np.pi * (u[opening] - tc - th) / (d - tc - th))
    return t, y


def _crossing(y: np.ndarray, level: float, rising: bool, start: int = 0) -> float:
    """Fractional sample index where y first crosses level (linear interpolation), searching from start."""
    for i in range(max(start, 1), len(y)):
        a, b = y[i - 1], y[i]
        if (rising and a < level <= b) or (not rising and a > level >= b):
            return i - 1 + (a - level) / (a - b)
    return math.nan


def filter_series(params: OneEuroParams, t: np.ndarray, y: np.ndarray, initial: float = 0.0) -> np.ndarray:
    """Run one channel through OneEuroFilter sample by sample (as the live tracker does)."""
    f = OneEuroFilter.from_groups([(params, 1)], np.array([initial]))
    return np.array([f.update(np.array([v]), float(ts))[0] for ts, v in zip(t, y, strict=True)])


def measure_blink(params: OneEuroParams, rate_hz: float = 60.0, blink_ms: float = 150.0) -> BlinkFigures:
    """Depth preserved and added lag of one synthetic blink through a One Euro filter with ``params``."""
    t, y = synthetic_blink(rate_hz, blink_ms)
    f = filter_series(params, t, y)
    peak_raw = float(y.max())
    half = 0.5 * peak_raw
    raw_close = _crossing(y, half, rising=True)
    filt_close = _crossing(f, half, rising=True)
    raw_open = _crossing(y, half, rising=False, start=int(np.argmax(y)))
    filt_open = _crossing(f, half, rising=False, start=int(np.argmax(f)))
    return BlinkFigures(
        blink_ms=blink_ms,
        rate_hz=rate_hz,
        depth_preserved=float(f.max()) / peak_raw,
        lag_frames=filt_close - raw_close,
        reopen_lag_frames=filt_open - raw_open,
    )


def measure_jitter(params: OneEuroParams, rate_hz: float = 60.0, noise_sd: float = 0.02, seconds: float = 5.0,
                   level: float = 0.2, seed: int = 0) -> float:
    """Std of the filtered output / std of the input for a still signal with Gaussian noise (lower = smoother)."""
    rng = np.random.default_rng(seed)
    t = np.arange(0.0, seconds, 1.0 / rate_hz)
    y = level + rng.normal(0.0, noise_sd, t.shape)
    f = filter_series(params, t, y, initial=level)
    skip = int(rate_hz * 0.5)  # ignore the start-up transient
    return float(np.std(f[skip:]) / np.std(y[skip:]))


def measure_step_frames(params: OneEuroParams, amplitude: float, rate_hz: float = 60.0, reach: float = 0.9) -> float:
    """Frames until the filtered output reaches ``reach`` of an instant step of ``amplitude`` (e.g. a saccade)."""
    t = np.arange(0.0, 2.0, 1.0 / rate_hz)
    y = np.where(t >= 0.5, amplitude, 0.0)
    f = filter_series(params, t, y)
    start = int(np.argmax(t >= 0.5))
    above = np.nonzero(f[start:] >= reach * amplitude)[0]
    return float(above[0]) if above.size else math.nan


def measure_tracker_update_us(frames: int = 3000, seed: int = 0) -> dict[str, float]:
    """Median and p99 wall time of Tracker.update (microseconds) on synthetic model outputs with all fields set."""
    from bridge.inference.types import ModelOutputs
    from bridge.schema import EMOTIVE5, FER8
    from bridge.tracking.quality import FrameQuality, ViewQuality
    from bridge.tracking.tracker import Tracker, TrackingConfig

    rng = np.random.default_rng(seed)
    tracker = Tracker(TrackingConfig())
    views = {v: ViewQuality(mean=120.0, p05=30.0, p50=120.0, p95=220.0, saturated=0.0, texture=8.0, fingerprint=i)
             for i, v in enumerate(("left_eye", "right_eye", "mouth"))}
    samples = []
    for i in range(frames):
        ts = i / 60.0
        outputs = ModelOutputs(
            blendshapes=rng.random(52, dtype=np.float32),
            gaze=rng.normal(0, 10, (2, 2)).astype(np.float32),
            openness=rng.random(2, dtype=np.float32),
            emotive5=rng.dirichlet(np.ones(len(EMOTIVE5))).astype(np.float32),
            au10=rng.random(10, dtype=np.float32),
            valence=0.1, arousal=0.2,
            emotion8=rng.dirichlet(np.ones(len(FER8))).astype(np.float32),
            confidence={"left_eye": 0.9, "right_eye": 0.9, "mouth": 0.9},
        )
        # a new fingerprint each frame so the frozen-camera check sees live cameras
        q = FrameQuality(capture_time=ts, views={k: _with_fingerprint(v, i) for k, v in views.items()})
        t0 = time.perf_counter()
        tracker.update(outputs, q, ts, i)
        samples.append(time.perf_counter() - t0)
    arr = np.array(samples[100:]) * 1e6
    return {"median_us": float(np.median(arr)), "p99_us": float(np.percentile(arr, 99))}


def measure_assess_frames_us(size: tuple[int, int] = (400, 400), views: int = 3, repeats: int = 2000,
                             seed: int = 0) -> dict[str, float]:
    """Median and p99 wall time of assess_frames on ``views`` noisy uint8 images of ``size`` (microseconds)."""
    from bridge.frames import FrameSet
    from bridge.schema import CAMERAS
    from bridge.tracking.quality import assess_frames

    rng = np.random.default_rng(seed)
    frames = FrameSet(images={v: rng.integers(0, 256, size, dtype=np.uint8) for v in CAMERAS[:views]},
                      capture_time=0.0, sequence=0)
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        assess_frames(frames)
        samples.append(time.perf_counter() - t0)
    arr = np.array(samples) * 1e6
    return {"median_us": float(np.median(arr)), "p99_us": float(np.percentile(arr, 99))}


def _with_fingerprint(v, i: int):
    from dataclasses import replace

    return replace(v, fingerprint=v.fingerprint * 1_000_003 + i)


def _lag(frames: float) -> str:
    return "never reaches half depth" if math.isnan(frames) else f"{frames:.2f}"


def main() -> int:
    """Print the blink/jitter table for the default and VRCFaceTracking-default filters, and the Tracker cost."""
    from bridge.tracking.filters import FilterConfig

    candidates = {
        "facebridge default (shapes)": FilterConfig().shapes,
        "VRCFaceTracking defaults (1.0, 0.5, 0.1)": OneEuroParams(1.0, 0.5, 0.1),
        "paper-style (1.0, 0.0, 1.0)": OneEuroParams(1.0, 0.0, 1.0),
    }
    print("| filter | blink ms | depth preserved | close lag (frames) | reopen lag (frames) | jitter ratio |")
    print("|---|---|---|---|---|---|")
    for name, p in candidates.items():
        jitter = measure_jitter(p)
        for ms in (100.0, 150.0, 250.0):
            b = measure_blink(p, 60.0, ms)
            print(f"| {name} | {ms:.0f} | {b.depth_preserved:.3f} | {_lag(b.lag_frames)} | "
                  f"{_lag(b.reopen_lag_frames)} | {jitter:.2f} |")
    gaze = FilterConfig().gaze
    print(f"gaze filter: jitter ratio {measure_jitter(gaze, noise_sd=1.0, level=0.0):.2f} for 1 degree noise; "
          f"frames to 90 % of a step: 15 deg {measure_step_frames(gaze, 15.0):.0f}, "
          f"5 deg {measure_step_frames(gaze, 5.0):.0f}, 1 deg {measure_step_frames(gaze, 1.0):.0f}")
    cost = measure_tracker_update_us()
    print(f"Tracker.update: median {cost['median_us']:.1f} us, p99 {cost['p99_us']:.1f} us")
    for size in ((400, 400), (240, 240)):
        q = measure_assess_frames_us(size)
        print(f"assess_frames, 3 views {size[0]}x{size[1]}: median {q['median_us']:.1f} us, p99 {q['p99_us']:.1f} us")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
