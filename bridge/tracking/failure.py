"""Failure detection per region (REFA): camera lost, frozen, too dark/bright, eye out of view, low model confidence.

Each region (schema.REGIONS, one per camera view) gets a health verdict every frame. A failing region's confidence
drops to 0 at once; its outputs are held for ``ease_after_s`` (short glitches stay invisible) and then eased to
neutral over ``ease_duration_s``; when it is healthy again for ``recover_after_s`` it fades back in over
``recover_duration_s``. Nothing needs resetting: recovery is automatic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from bridge.schema import REGIONS, TrackingFlags
from bridge.tracking.quality import FrameQuality, ViewQuality

_EYE_REGIONS = frozenset({"left_eye", "right_eye"})


@dataclass(frozen=True, slots=True)
class FailureConfig:
    """Thresholds (uint8 grey levels, seconds, frames) of the failure detector."""

    lost_after_s: float = 0.5  # a camera seen before that sends nothing for this long is lost
    frozen_frames: int = 30  # this many identical images in a row = frozen (0.5 s at 60 Hz)
    dark_mean: float = 18.0  # mean grey below this = too dark ...
    dark_p95: float = 45.0  # ... or even the brightest 5 % below this
    bright_mean: float = 235.0  # mean grey above this = too bright ...
    bright_saturated: float = 0.6  # ... or this fraction of pixels clipped white
    min_contrast: float = 10.0  # p95 - p05 below this: nothing visible (eye out of view, lens covered)
    min_texture: float = 0.8  # mean neighbour difference below this: flat/defocused image
    low_confidence: float = 0.35  # model confidence below this = LOW_CONFIDENCE
    ease_after_s: float = 0.5
    ease_duration_s: float = 0.75
    recover_after_s: float = 0.1
    recover_duration_s: float = 0.25
    expected_views: tuple[str, ...] = ()  # views that count as lost even before their first frame

    def validate(self) -> None:
        """Raise ValueError naming the bad key."""
        for key in ("lost_after_s", "ease_after_s", "recover_after_s", "min_contrast", "min_texture"):
            v = getattr(self, key)
            if not (v >= 0 and math.isfinite(v)):
                raise ValueError(f"failure.{key} must be >= 0, got {v!r}")
        for key in ("ease_duration_s", "recover_duration_s"):
            v = getattr(self, key)
            if not (v > 0 and math.isfinite(v)):
                raise ValueError(f"failure.{key} must be > 0 seconds, got {v!r}")
        if not (isinstance(self.frozen_frames, int) and self.frozen_frames >= 2):
            raise ValueError(f"failure.frozen_frames must be an integer >= 2, got {self.frozen_frames!r}")
        for key in ("dark_mean", "dark_p95", "bright_mean"):
            v = getattr(self, key)
            if not 0 <= v <= 255:
                raise ValueError(f"failure.{key} must be a grey level 0..255, got {v!r}")
        if self.dark_mean >= self.bright_mean:
            raise ValueError(f"failure.dark_mean ({self.dark_mean}) must be below failure.bright_mean "
                             f"({self.bright_mean})")
        for key in ("bright_saturated", "low_confidence"):
            v = getattr(self, key)
            if not 0 <= v <= 1:
                raise ValueError(f"failure.{key} must be in 0..1, got {v!r}")
        bad = [v for v in self.expected_views if v not in REGIONS]
        if bad:
            raise ValueError(f"failure.expected_views: unknown view(s) {bad}; allowed: {list(REGIONS)}")


@dataclass(frozen=True, slots=True)
class FailureStatus:
    """Verdict for one frame. Arrays are in schema.REGIONS order."""

    flags: TrackingFlags
    healthy: np.ndarray  # (4,) bool: the region's camera delivered a usable image and the model is confident
    seen: np.ndarray  # (4,) bool: the region has ever delivered (or is expected)
    confidence: np.ndarray  # (4,) float 0..1
    weight: np.ndarray  # (4,) float 0..1, eased: 1 = live outputs, 0 = fully neutral
    reasons: dict[str, tuple[str, ...]] = field(default_factory=dict)  # region -> flag names, failing ones only

    def region_weight(self, region: str) -> float:
        """Ease weight of one region by name."""
        return float(self.weight[REGIONS.index(region)])


def _smoothstep(x: np.ndarray) -> np.ndarray:
    # zero slope at both ends: the avatar glides to neutral instead of starting/stopping abruptly
    return x * x * (3.0 - 2.0 * x)


class FailureDetector:
    """Stateful per-region health tracking; call ``update`` once per frame (or per idle tick)."""

    def __init__(self, config: FailureConfig | None = None) -> None:
        self.config = config or FailureConfig()
        self.config.validate()
        self.reset()

    def reset(self) -> None:
        """Forget all history (cameras count as never seen, weights start at 1)."""
        n = len(REGIONS)
        self._last_seen = np.full(n, np.nan)  # time of the last image per view
        self._expected = np.array([r in self.config.expected_views for r in REGIONS])
        self._fingerprint: list[int | None] = [None] * n
        self._same_count = np.zeros(n, np.int64)
        self._fail_since = np.full(n, np.nan)
        self._ok_since = np.full(n, np.nan)
        self._level = np.ones(n)  # linear ease level; the weight is its smoothstep
        self._start: float | None = None
        self._t: float | None = None
        self._prev_flags = [TrackingFlags.OK] * n

    def update(self, quality: FrameQuality, model_confidence: dict[str, float], timestamp: float) -> FailureStatus:
        """Judge every region at ``timestamp`` from this frame's image statistics and model confidences."""
        cfg = self.config
        if self._start is None:
            self._start = timestamp
        dt = 0.0 if self._t is None else min(max(timestamp - self._t, 0.0), 0.25)  # cap: a stall is not a fade
        self._t = timestamp
        region_flags = [TrackingFlags.OK] * len(REGIONS)
        for i, region in enumerate(REGIONS):
            view = quality.views.get(region)
            f = TrackingFlags.OK
            if view is None:
                since = self._last_seen[i] if not np.isnan(self._last_seen[i]) else (
                    self._start if self._expected[i] else np.nan)
                if not np.isnan(since) and timestamp - since > cfg.lost_after_s:
                    f |= TrackingFlags.CAMERA_LOST
                elif not np.isnan(self._last_seen[i]):
                    f = self._prev_flags[i]  # brief gap (camera slower than the others): keep the last verdict
            else:
                self._last_seen[i] = timestamp
                f |= self._judge_image(i, view, region)
            conf = model_confidence.get(region)
            if conf is not None and view is not None and conf < cfg.low_confidence:
                f |= TrackingFlags.LOW_CONFIDENCE
            region_flags[i] = f
        self._prev_flags = region_flags
        seen = ~np.isnan(self._last_seen) | self._expected
        healthy = np.array([f == TrackingFlags.OK for f in region_flags]) & ~np.isnan(self._last_seen)
        self._advance_ease(healthy, seen, timestamp, dt)
        conf = np.array([model_confidence.get(r, 1.0) for r in REGIONS], np.float64)
        confidence = np.where(healthy, np.clip(conf, 0.0, 1.0), 0.0)
        flags = TrackingFlags.OK
        reasons: dict[str, tuple[str, ...]] = {}
        for region, f, s in zip(REGIONS, region_flags, seen, strict=True):
            if s and f:
                flags |= f
                reasons[region] = tuple(m.name for m in TrackingFlags if m and m in f)
        weight = _smoothstep(self._level)
        if np.any(seen & (weight < 1.0) & ~healthy):
            flags |= TrackingFlags.EASING_TO_NEUTRAL
        return FailureStatus(flags=flags, healthy=healthy, seen=seen, confidence=confidence, weight=weight,
                             reasons=reasons)

    def _judge_image(self, i: int, v: ViewQuality, region: str) -> TrackingFlags:
        cfg = self.config
        f = TrackingFlags.OK
        if v.mean < cfg.dark_mean or v.p95 < cfg.dark_p95:
            f |= TrackingFlags.TOO_DARK
        elif v.mean > cfg.bright_mean or v.saturated > cfg.bright_saturated:
            f |= TrackingFlags.TOO_BRIGHT
        flat = v.contrast < cfg.min_contrast or v.texture < cfg.min_texture
        if flat and not f:
            # a well-exposed but featureless image: the camera sees no eye/mouth (slipped headset, covered lens)
            f |= TrackingFlags.EYE_OUT_OF_VIEW if region in _EYE_REGIONS else TrackingFlags.LOW_CONFIDENCE
        # frozen: a flat image (black, white, covered) repeats naturally, so only textured images count
        if self._fingerprint[i] == v.fingerprint and not flat:
            self._same_count[i] += 1
        else:
            self._same_count[i] = 0
        self._fingerprint[i] = v.fingerprint
        if self._same_count[i] + 1 >= cfg.frozen_frames:
            f |= TrackingFlags.CAMERA_FROZEN
        return f

    def _advance_ease(self, healthy: np.ndarray, seen: np.ndarray, t: float, dt: float) -> None:
        cfg = self.config
        failing = seen & ~healthy
        self._fail_since = np.where(failing, np.where(np.isnan(self._fail_since), t, self._fail_since), np.nan)
        self._ok_since = np.where(healthy, np.where(np.isnan(self._ok_since), t, self._ok_since), np.nan)
        easing = failing & (t - np.nan_to_num(self._fail_since, nan=t) >= cfg.ease_after_s)
        recovering = healthy & (t - np.nan_to_num(self._ok_since, nan=t) >= cfg.recover_after_s)
        step = np.where(easing, -dt / cfg.ease_duration_s, 0.0) + np.where(recovering, dt / cfg.recover_duration_s, 0.0)
        self._level = np.clip(self._level + step, 0.0, 1.0)
        # a region that has never delivered has nothing to show: fully neutral; it fades in on its first frames
        self._level[np.isnan(self._last_seen)] = 0.0
