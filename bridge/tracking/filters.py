"""Temporal filters: a vectorized One Euro filter (shapes, gaze, openness) and exponential decay (probabilities).

One Euro (Casiez et al. 2012) is a low-pass filter whose cutoff rises with the signal's speed: still signals are
smoothed hard (no jitter) while fast motions such as blinks pass with little lag. Exponential decay is what Eyemotion
applies to its class probabilities to get temporally stable labels. Both are time-based (they take timestamps, not a
fixed rate), so they behave the same at 30, 60 or 90 Hz and across dropped frames.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

_TWO_PI = 2.0 * math.pi
_MIN_DT = 1e-4  # seconds; guards against duplicate timestamps (dt = 0 would divide by zero)


@dataclass(frozen=True, slots=True)
class OneEuroParams:
    """One Euro parameters for one group of channels.

    ``min_cutoff`` (Hz) sets smoothing at rest (lower = smoother, more lag); ``beta`` (1/unit) raises the cutoff with
    speed (higher = less lag on fast motion); ``d_cutoff`` (Hz) smooths the speed estimate itself.
    """

    min_cutoff: float = 1.0
    beta: float = 0.0
    d_cutoff: float = 1.0

    def validate(self, prefix: str = "one_euro") -> None:
        """Raise ValueError naming the bad key."""
        if not (self.min_cutoff > 0 and math.isfinite(self.min_cutoff)):
            raise ValueError(f"{prefix}.min_cutoff must be a positive number of Hz, got {self.min_cutoff!r}")
        if not (self.beta >= 0 and math.isfinite(self.beta)):
            raise ValueError(f"{prefix}.beta must be >= 0, got {self.beta!r}")
        if not (self.d_cutoff > 0 and math.isfinite(self.d_cutoff)):
            raise ValueError(f"{prefix}.d_cutoff must be a positive number of Hz, got {self.d_cutoff!r}")


@dataclass(frozen=True, slots=True)
class FilterConfig:
    """Filter settings of the tracking stage.

    Shape defaults were chosen with ``bridge.tracking.measure`` so a 100 ms blink at 60 Hz keeps >= 95 % of its depth
    (docs/tracking.md has the table). Gaze is in degrees (a ~60 degree range vs 0..1), so its ``beta`` is ~60x smaller.
    ``probability_tau_s`` / ``affect_tau_s`` are exponential-decay time constants (0 disables that smoothing).
    """

    enabled: bool = True
    shapes: OneEuroParams = field(default_factory=lambda: OneEuroParams(min_cutoff=1.0, beta=8.0, d_cutoff=1.0))
    gaze: OneEuroParams = field(default_factory=lambda: OneEuroParams(min_cutoff=1.0, beta=0.15, d_cutoff=1.0))
    openness: OneEuroParams = field(default_factory=lambda: OneEuroParams(min_cutoff=1.0, beta=8.0, d_cutoff=1.0))
    probability_tau_s: float = 0.2
    affect_tau_s: float = 0.3

    def validate(self) -> None:
        """Raise ValueError naming the bad key."""
        self.shapes.validate("filters.shapes")
        self.gaze.validate("filters.gaze")
        self.openness.validate("filters.openness")
        for key in ("probability_tau_s", "affect_tau_s"):
            value = getattr(self, key)
            if not (value >= 0 and math.isfinite(value)):
                raise ValueError(f"filters.{key} must be >= 0 seconds, got {value!r}")


class OneEuroFilter:
    """One Euro over a vector of independent channels, one numpy pass per sample.

    Each channel keeps its own last timestamp, so channels can be skipped (``update`` mask) while their region is
    failing and resume later without a fake velocity spike.
    """

    def __init__(self, min_cutoff: np.ndarray, beta: np.ndarray, d_cutoff: np.ndarray, initial: np.ndarray) -> None:
        """Per-channel parameter arrays (same length); ``initial`` is the value reported before any sample."""
        self._min_cutoff = np.asarray(min_cutoff, np.float64).copy()
        self._beta = np.asarray(beta, np.float64).copy()
        self._d_tau = 1.0 / (_TWO_PI * np.asarray(d_cutoff, np.float64))
        self._initial = np.asarray(initial, np.float64).copy()
        n = self._initial.shape[0]
        if not (self._min_cutoff.shape == self._beta.shape == self._d_tau.shape == (n,)):
            raise ValueError("OneEuroFilter: min_cutoff, beta, d_cutoff and initial must all have the same length")
        self.reset()

    @classmethod
    def from_groups(cls, groups: list[tuple[OneEuroParams, int]], initial: np.ndarray) -> OneEuroFilter:
        """Build from consecutive channel groups, e.g. [(shape_params, 52), (gaze_params, 4)]."""
        mc = np.concatenate([np.full(n, p.min_cutoff) for p, n in groups])
        beta = np.concatenate([np.full(n, p.beta) for p, n in groups])
        dc = np.concatenate([np.full(n, p.d_cutoff) for p, n in groups])
        return cls(mc, beta, dc, initial)

    def reset(self) -> None:
        """Forget history: the next sample of every channel passes through unchanged."""
        self._x = self._initial.copy()
        self._dx = np.zeros_like(self._x)
        self._t = np.full_like(self._x, np.nan)

    @property
    def value(self) -> np.ndarray:
        """Current filtered values (a copy)."""
        return self._x.copy()

    def update(self, x: np.ndarray, timestamp: float, mask: np.ndarray | None = None) -> np.ndarray:
        """Filter one sample taken at ``timestamp`` (seconds). Channels where ``mask`` is False (or x is NaN) keep
        their state and report their last value. Returns the filtered vector (a view of internal state: copy it to
        keep it)."""
        x = np.asarray(x, np.float64)
        use = np.isfinite(x) if mask is None else (mask & np.isfinite(x))
        first = np.isnan(self._t)
        dt = np.maximum(timestamp - self._t, _MIN_DT)
        dt[first] = 1.0  # any positive value; first samples are copied through below
        x_in = np.where(use, x, self._x)
        dx = (x_in - self._x) / dt
        a_d = dt / (dt + self._d_tau)
        dx_hat = self._dx + a_d * (dx - self._dx)
        cutoff = self._min_cutoff + self._beta * np.abs(dx_hat)
        a = dt / (dt + 1.0 / (_TWO_PI * cutoff))
        x_hat = self._x + a * (x_in - self._x)
        take_raw = use & first
        x_hat[take_raw] = x_in[take_raw]
        dx_hat[take_raw] = 0.0
        self._x = np.where(use, x_hat, self._x)
        self._dx = np.where(use, dx_hat, self._dx)
        self._t = np.where(use, timestamp, self._t)
        return self._x


class ExponentialDecay:
    """Exponential smoothing with a time constant: y += (1 - exp(-dt / tau)) * (x - y).

    A convex combination of distributions is a distribution, so smoothed probabilities stay normalized.
    """

    def __init__(self, tau_s: float, initial: np.ndarray) -> None:
        """``tau_s`` = 0 passes samples through; ``initial`` is the value reported before any sample."""
        if tau_s < 0:
            raise ValueError(f"ExponentialDecay: tau_s must be >= 0, got {tau_s}")
        self._tau = float(tau_s)
        self._initial = np.asarray(initial, np.float64).copy()
        self.reset()

    def reset(self) -> None:
        """Forget history: report the initial value until the next sample, which passes through."""
        self._y = self._initial.copy()
        self._t: float | None = None

    @property
    def value(self) -> np.ndarray:
        """Current smoothed value (a copy)."""
        return self._y.copy()

    def update(self, x: np.ndarray | None, timestamp: float) -> np.ndarray:
        """Add a sample (None = no measurement this frame: hold). Returns the smoothed value (internal state)."""
        if x is None:
            return self._y
        x = np.asarray(x, np.float64)
        if not np.isfinite(x).all():
            return self._y  # a NaN from a model must not poison the state forever
        if self._t is None or self._tau == 0.0:
            self._y = x.copy()
        else:
            dt = max(timestamp - self._t, 0.0)
            alpha = 1.0 - math.exp(-dt / self._tau)
            self._y = self._y + alpha * (x - self._y)
        self._t = timestamp
        return self._y
