"""Emotion output: smoothed class probabilities, a flicker-free winning label, valence/arousal.

Eyemotion smooths its predicted probabilities with exponential decay "to get temporally stable labels"; on top of
that the winning FER8 label only changes when a challenger leads the current label by ``label_margin`` for
``label_hold_s`` without interruption, so two nearly tied classes cannot make the label (and the light cue driven
by it) flicker.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from bridge.schema import AU10, EMOTIVE5, FER8
from bridge.tracking.filters import ExponentialDecay

# Approximate circumplex coordinates (valence, arousal) of the FER8 classes, after Russell (1980) and the
# AffectNet category means; used only when no valence/arousal model ran.
FER8_CIRCUMPLEX: np.ndarray = np.array([
    (0.0, 0.0),     # neutral
    (0.8, 0.4),     # happiness
    (0.2, 0.8),     # surprise
    (-0.7, -0.3),   # sadness
    (-0.5, 0.7),    # anger
    (-0.6, 0.3),    # disgust
    (-0.5, 0.7),    # fear
    (-0.4, 0.2),    # contempt
], dtype=np.float64)  # fmt: skip


def one_hot(n: int, index: int = 0) -> np.ndarray:
    """A distribution with all mass on ``index``."""
    v = np.zeros(n)
    v[index] = 1.0
    return v


def affect_from_emotion8(probs: np.ndarray) -> tuple[float, float]:
    """Valence/arousal implied by a FER8 distribution (expectation over FER8_CIRCUMPLEX)."""
    va = np.asarray(probs, np.float64) @ FER8_CIRCUMPLEX
    return float(va[0]), float(va[1])


def pool_sources(sources: list[np.ndarray]) -> np.ndarray | None:
    """Equal-weight log-linear pool (normalized geometric mean) of FER8 distributions; None for no sources.

    Used to re-fuse the emotion8 sources whose cameras are still healthy when another one fails, so a dark mouth
    camera's garbage classifier output does not leak into the fused distribution.
    """
    if not sources:
        return None
    logit = np.mean([np.log(np.clip(p, 1e-6, 1.0)) for p in sources], axis=0)
    e = np.exp(logit - logit.max())
    return e / e.sum()


@dataclass(frozen=True, slots=True)
class EmotionConfig:
    """Smoothing and label hysteresis of the emotion output."""

    label_margin: float = 0.1  # a challenger must lead the current label by this much probability ...
    label_hold_s: float = 0.3  # ... continuously for this long before the label switches

    def validate(self) -> None:
        """Raise ValueError naming the bad key."""
        if not (0 <= self.label_margin < 1):
            raise ValueError(f"emotion.label_margin must be in [0, 1), got {self.label_margin!r}")
        if not (self.label_hold_s >= 0 and math.isfinite(self.label_hold_s)):
            raise ValueError(f"emotion.label_hold_s must be >= 0 seconds, got {self.label_hold_s!r}")


class LabelHysteresis:
    """Winning class index with a margin and a hold time (Schmitt-trigger style)."""

    def __init__(self, margin: float, hold_s: float, initial: int = 0) -> None:
        self.margin = margin
        self.hold_s = hold_s
        self._initial = initial
        self.reset()

    def reset(self) -> None:
        """Back to the initial label."""
        self.current = self._initial
        self._challenger: int | None = None
        self._since = 0.0

    def update(self, probs: np.ndarray, timestamp: float) -> int:
        """Feed one distribution; returns the (possibly unchanged) winning index."""
        best = int(np.argmax(probs))
        if best == self.current or probs[best] - probs[self.current] < self.margin:
            self._challenger = None
            return self.current
        if best != self._challenger:
            self._challenger, self._since = best, timestamp
        if timestamp - self._since >= self.hold_s:
            self.current, self._challenger = best, None
        return self.current


@dataclass(frozen=True, slots=True)
class SmoothedEmotion:
    """Smoothed (not yet eased) emotion outputs of one frame."""

    emotion8: np.ndarray
    emotive5: np.ndarray
    au10: np.ndarray
    valence: float
    arousal: float


class EmotionSmoother:
    """Exponential decay on emotion8 / emotive5 / au10 (tau = probability_tau_s) and valence/arousal
    (tau = affect_tau_s). A missing output (None) holds its last value."""

    def __init__(self, probability_tau_s: float, affect_tau_s: float) -> None:
        self.emotion8 = ExponentialDecay(probability_tau_s, one_hot(len(FER8)))
        self.emotive5 = ExponentialDecay(probability_tau_s, one_hot(len(EMOTIVE5)))
        self.au10 = ExponentialDecay(probability_tau_s, np.zeros(len(AU10)))
        self.affect = ExponentialDecay(affect_tau_s, np.zeros(2))

    def reset(self) -> None:
        """Back to neutral."""
        for f in (self.emotion8, self.emotive5, self.au10, self.affect):
            f.reset()

    def update(self, emotion8: np.ndarray | None, emotive5: np.ndarray | None, au10: np.ndarray | None,
               valence: float | None, arousal: float | None, timestamp: float) -> SmoothedEmotion:
        """Smooth one frame. Without a valence/arousal model, they are derived from the raw emotion8."""
        e8 = self.emotion8.update(emotion8, timestamp)
        e5 = self.emotive5.update(emotive5, timestamp)
        au = self.au10.update(au10, timestamp)
        if valence is not None and arousal is not None:
            va_in = np.array([valence, arousal])
        elif emotion8 is not None:
            va_in = np.array(affect_from_emotion8(emotion8))
        else:
            va_in = None
        va = self.affect.update(va_in, timestamp)
        return SmoothedEmotion(emotion8=e8, emotive5=e5, au10=au, valence=float(va[0]), arousal=float(va[1]))
