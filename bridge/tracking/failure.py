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
_LOST = int(TrackingFlags.CAMERA_LOST)
_FROZEN = int(TrackingFlags.CAMERA_FROZEN)
_DARK = int(TrackingFlags.TOO_DARK)
_BRIGHT = int(TrackingFlags.TOO_BRIGHT)
_OUT_OF_VIEW = int(TrackingFlags.EYE_OUT_OF_VIEW)
_LOW_CONF = int(TrackingFlags.LOW_CONFIDENCE)
_EASING = int(TrackingFlags.EASING_TO_NEUTRAL)


@dataclass(frozen=True, slots=True)
class FailureConfig:
    """Thresholds (uint8 grey levels, seconds, frames) of the failure detector."""

    lost_after_s: float = 0.5  # a camera seen before that sends nothing for this long is lost
    frozen_frames: int = 30  # this many identical images in a row = frozen (0.5 s at 60 Hz)
    dark_mean: float = 15.0  # mean grey below this = too dark ...
    dark_p95: float = 30.0  # ... or even the brightest 5 % below this (a dim webcam at p95 ~40 still works)
    bright_mean: float = 235.0  # mean grey above this = too bright ...
    bright_saturated: float = 0.6  # ... or this fraction of pixels clipped white
    min_contrast: float = 10.0  # central p95 - p05 below this: nothing visible (eye out of view, lens covered)
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


class FailureDetector:
    """Stateful per-region health tracking; call ``update`` once per frame (or per idle tick)."""

    def __init__(self, config: FailureConfig | None = None) -> None:
        self.config = config or FailureConfig()
        self.config.validate()
        self.reset()

    def reset(self) -> None:
        """Forget all history: cameras count as never seen (weight 0, they fade in on their first frames)."""
        # Plain Python lists of 4 floats/ints: for arrays this small, numpy's per-call overhead costs more than the
        # arithmetic (this runs every frame). Flags are ints here and become TrackingFlags once at the end.
        n = len(REGIONS)
        self._last_seen: list[float | None] = [None] * n  # time of the last image per view
        self._expected = [r in self.config.expected_views for r in REGIONS]
        self._fingerprint: list[int | None] = [None] * n
        self._same_count = [0] * n
        self._fail_since: list[float | None] = [None] * n
        self._ok_since: list[float | None] = [None] * n
        self._level = [0.0] * n  # linear ease level; the weight is its smoothstep
        self._start: float | None = None
        self._t: float | None = None
        self._prev_flags = [0] * n
        self._last_conf = [0.0] * n

    def update(self, quality: FrameQuality, model_confidence: dict[str, float], timestamp: float) -> FailureStatus:
        """Judge every region at ``timestamp`` from this frame's image statistics and model confidences."""
        cfg = self.config
        if self._start is None:
            self._start = timestamp
        dt = 0.0 if self._t is None else min(max(timestamp - self._t, 0.0), 1.0)  # clock jumps: bounded step
        self._t = timestamp
        n = len(REGIONS)
        region_flags = [0] * n
        healthy = [False] * n
        seen = [False] * n
        confidence = [0.0] * n
        for i, region in enumerate(REGIONS):
            view = quality.views.get(region)
            last = self._last_seen[i]
            f = 0
            if view is None:
                since = last if last is not None else (self._start if self._expected[i] else None)
                if since is not None and timestamp - since > cfg.lost_after_s:
                    f = _LOST
                elif last is not None:
                    f = self._prev_flags[i]  # brief gap (camera slower than the others): keep the last verdict
            else:
                last = self._last_seen[i] = timestamp
                f = self._judge_image(i, view, region)
            conf = model_confidence.get(region)
            if conf is not None and not math.isfinite(conf):
                conf = 0.0  # a NaN confidence is no confidence
            if conf is not None and view is not None and conf < cfg.low_confidence:
                f |= _LOW_CONF
            region_flags[i] = f
            seen[i] = last is not None or self._expected[i]
            healthy[i] = f == 0 and last is not None
            if healthy[i]:
                if view is None:  # brief gap: models report 0 for an absent view; keep the last confidence
                    confidence[i] = self._last_conf[i]
                else:
                    confidence[i] = 1.0 if conf is None else min(max(float(conf), 0.0), 1.0)
            self._advance_ease(i, healthy[i], seen[i], last is not None, timestamp, dt)
        self._prev_flags = region_flags
        self._last_conf = confidence
        flags = 0
        reasons: dict[str, tuple[str, ...]] = {}
        weight = [lv * lv * (3.0 - 2.0 * lv) for lv in self._level]  # smoothstep: glide out and in, no jolt
        for i, region in enumerate(REGIONS):
            f = region_flags[i]
            if seen[i] and f:
                flags |= f
                reasons[region] = tuple(str(m.name) for m in TrackingFlags if m and m & f)
            if seen[i] and f and weight[i] < 1.0:
                flags |= _EASING
        return FailureStatus(flags=TrackingFlags(flags), healthy=np.array(healthy), seen=np.array(seen),
                             confidence=np.array(confidence), weight=np.array(weight), reasons=reasons)

    def _judge_image(self, i: int, v: ViewQuality, region: str) -> int:
        cfg = self.config
        f = 0
        if v.mean < cfg.dark_mean or v.p95 < cfg.dark_p95:
            f = _DARK
        elif v.mean > cfg.bright_mean or v.saturated > cfg.bright_saturated:
            f = _BRIGHT
        contrast = v.center_contrast if v.center_contrast >= 0 else v.p95 - v.p05
        flat = contrast < cfg.min_contrast or v.texture < cfg.min_texture
        if flat and not f:
            # a well-exposed but featureless image: the camera sees no eye/mouth (slipped headset, covered lens)
            f = _OUT_OF_VIEW if region in _EYE_REGIONS else _LOW_CONF
        # frozen: a flat image (black, white, covered) repeats naturally, so only textured images count
        if self._fingerprint[i] == v.fingerprint and not flat:
            self._same_count[i] += 1
        else:
            self._same_count[i] = 0
        self._fingerprint[i] = v.fingerprint
        if self._same_count[i] + 1 >= cfg.frozen_frames:
            f |= _FROZEN
        return f

    def _advance_ease(self, i: int, healthy: bool, seen: bool, delivered: bool, t: float, dt: float) -> None:
        cfg = self.config
        if not delivered:
            # a region that has never delivered has nothing to show: fully neutral; it fades in on its first frames
            self._level[i] = 0.0
            self._fail_since[i] = t if seen and self._fail_since[i] is None else self._fail_since[i]
            return
        if healthy:
            self._fail_since[i] = None
            ok_since = self._ok_since[i]
            if ok_since is None:
                ok_since = self._ok_since[i] = t
            if t - ok_since >= cfg.recover_after_s:
                self._level[i] = min(1.0, self._level[i] + dt / cfg.recover_duration_s)
        else:
            self._ok_since[i] = None
            fail_since = self._fail_since[i]
            if fail_since is None:
                fail_since = self._fail_since[i] = t
            if t - fail_since >= cfg.ease_after_s:
                self._level[i] = max(0.0, self._level[i] - dt / cfg.ease_duration_s)
