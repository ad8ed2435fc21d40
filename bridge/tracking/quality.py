"""Cheap per-camera image statistics for failure detection (REFA-style automated failure detection).

``assess_frames`` looks at a subsample of each raw camera image (~2k pixels, a few tens of microseconds per view) and
returns numbers only; deciding what counts as "too dark" or "frozen" is the FailureDetector's job (it owns the
thresholds and the history), so this function is stateless and config-free and the pipeline can call it anywhere.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, field

import numpy as np

from bridge.frames import FrameSet

DEFAULT_MAX_SAMPLES = 2048  # pixels looked at per view (about 45 x 45)
_SATURATED = 250  # uint8 level counted as clipped white


@dataclass(frozen=True, slots=True)
class ViewQuality:
    """Statistics of one camera image (uint8 grey levels).

    ``texture`` is the mean absolute difference between neighbouring samples (a flat, defocused or covered lens
    gives ~0); ``fingerprint`` is a CRC of the subsample: equal fingerprints on consecutive frames mean the camera
    is sending the same image again (sensor noise makes live frames differ). ``center_contrast`` ignores the
    borders, where a headset's black lens vignette would make any image look contrasty: an eye in view puts a dark
    pupil and bright skin/sclera in the middle, a slipped headset or covered lens does not.
    """

    mean: float
    p05: float
    p50: float
    p95: float
    saturated: float  # fraction of samples >= 250
    texture: float
    fingerprint: int
    center_contrast: float = -1.0  # p95 - p05 of the central half (width and height); -1 = not measured


    @property
    def contrast(self) -> float:
        """Spread of grey levels, p95 - p05."""
        return self.p95 - self.p05


@dataclass(frozen=True, slots=True)
class FrameQuality:
    """Statistics of every camera image in one frame set. A view missing here delivered no image this time."""

    capture_time: float
    views: dict[str, ViewQuality] = field(default_factory=dict)

    @staticmethod
    def empty(capture_time: float) -> FrameQuality:
        """No camera delivered anything (use when no frame set arrived, e.g. with Tracker.idle)."""
        return FrameQuality(capture_time=capture_time, views={})


def _subsample(img: np.ndarray, max_samples: int) -> np.ndarray:
    h, w = img.shape
    step = max(1, math.ceil(math.sqrt(h * w / max_samples)))
    return img[::step, ::step]


def _levels(hist: np.ndarray, n: int, quantiles: tuple[float, ...]) -> np.ndarray:
    """Grey levels at the given quantiles from a 256-bin histogram: the first level whose cumulative count reaches
    q * n (a histogram is several times cheaper than np.percentile's sort)."""
    return np.searchsorted(np.cumsum(hist), np.asarray(quantiles) * n)


def assess_view(img: np.ndarray, max_samples: int = DEFAULT_MAX_SAMPLES) -> ViewQuality:
    """Statistics of one 2-D uint8 image from a strided subsample of about ``max_samples`` pixels."""
    if img.ndim != 2 or img.dtype != np.uint8:
        raise ValueError(f"assess_view: expected a 2-D uint8 image, got {img.dtype} {img.shape}")
    sub = np.ascontiguousarray(_subsample(img, max_samples))
    n = sub.size
    if n == 0:
        raise ValueError(f"assess_view: empty image {img.shape}")
    hist = np.bincount(sub.ravel(), minlength=256)
    p05, p50, p95 = _levels(hist, n, (0.05, 0.5, 0.95))
    mean = float(np.dot(hist, np.arange(256)) / n)
    s16 = sub.astype(np.int16)
    gx = np.abs(np.diff(s16, axis=1)).mean() if sub.shape[1] > 1 else 0.0
    gy = np.abs(np.diff(s16, axis=0)).mean() if sub.shape[0] > 1 else 0.0
    h, w = sub.shape
    center = sub[h // 4: h - h // 4, w // 4: w - w // 4]
    if center.size:
        lo, hi = _levels(np.bincount(center.ravel(), minlength=256), center.size, (0.05, 0.95))
        center_contrast = float(hi - lo)
    else:
        center_contrast = float(p95 - p05)
    return ViewQuality(
        center_contrast=center_contrast,
        mean=mean,
        p05=float(p05),
        p50=float(p50),
        p95=float(p95),
        saturated=float(hist[_SATURATED:].sum() / n),
        texture=float(0.5 * (gx + gy)),
        fingerprint=zlib.crc32(sub.data),
    )


def assess_frames(frames: FrameSet, max_samples: int = DEFAULT_MAX_SAMPLES) -> FrameQuality:
    """Statistics of every raw camera image in ``frames`` (call once per frame set, before or after inference)."""
    return FrameQuality(
        capture_time=frames.capture_time,
        views={view: assess_view(img, max_samples) for view, img in frames.images.items()},
    )
