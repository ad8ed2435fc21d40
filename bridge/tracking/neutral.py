"""Eyemotion personalization: the mean neutral eye image of this user and session.

Eyemotion subtracts the mean of a user's neutral eye images (first 5 s of the session) from every input, which
removes appearance (eye shape, skin, make-up, headset fit) and gave +7 points on held-out people. Here the pipeline
feeds preprocessed eye crops (ModelInputs.images) for the first ``duration_s`` after start or after recalibrate();
frames with closed eyes or failing cameras are skipped so a blink does not pollute the mean.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from bridge.schema import CAMERAS

EYE_VIEWS: tuple[str, ...] = ("left_eye", "right_eye")


@dataclass(frozen=True, slots=True)
class NeutralConfig:
    """How the neutral reference is captured."""

    duration_s: float = 5.0  # Eyemotion: "first 5 seconds"
    min_frames: int = 15  # per view; capture extends past duration_s until reached
    max_duration_s: float = 30.0  # give up (stay un-personalized) if still short of min_frames by then
    views: tuple[str, ...] = EYE_VIEWS
    closed_below: float = 0.5  # eye openness below this = closed, the frame is skipped

    def validate(self) -> None:
        """Raise ValueError naming the bad key."""
        if not (self.duration_s > 0 and math.isfinite(self.duration_s)):
            raise ValueError(f"neutral.duration_s must be > 0 seconds, got {self.duration_s!r}")
        if not (self.max_duration_s >= self.duration_s and math.isfinite(self.max_duration_s)):
            raise ValueError(f"neutral.max_duration_s ({self.max_duration_s!r}) must be >= neutral.duration_s "
                             f"({self.duration_s!r})")
        if not (isinstance(self.min_frames, int) and self.min_frames >= 1):
            raise ValueError(f"neutral.min_frames must be an integer >= 1, got {self.min_frames!r}")
        bad = [v for v in self.views if v not in CAMERAS]
        if bad or not self.views:
            raise ValueError(f"neutral.views: {list(self.views)} must be a non-empty subset of {list(CAMERAS)}")
        if not 0 <= self.closed_below <= 1:
            raise ValueError(f"neutral.closed_below must be in 0..1, got {self.closed_below!r}")


class NeutralReference:
    """Accumulates the per-view mean of neutral crops; ``reference()`` is what the models subtract."""

    def __init__(self, config: NeutralConfig | None = None) -> None:
        self.config = config or NeutralConfig()
        self.config.validate()
        self._reference: dict[str, np.ndarray] | None = None
        self.rejected = 0  # frames refused because of a shape mismatch (counted, never raised)
        self.recalibrate()

    def recalibrate(self) -> None:
        """Start a new capture at the next timestamp seen; the old reference is dropped (the headset may have
        moved, so it no longer matches)."""
        self._sums: dict[str, np.ndarray] = {}
        self._counts: dict[str, int] = {}
        self._start: float | None = None
        self._done = False
        self._reference = None
        self.skipped = 0  # frames skipped because eyes were closed or tracking was failing

    def _begin(self, timestamp: float) -> float:
        """The capture start time (set on the first call)."""
        if self._start is None:
            self._start = timestamp
        return self._start

    def capturing(self, timestamp: float) -> bool:
        """True while the neutral reference is being captured at ``timestamp`` (starts the clock on first call)."""
        start = self._begin(timestamp)
        if self._done:
            return False
        elapsed = timestamp - start
        if elapsed < self.config.duration_s:
            return True
        offered = [v for v in self.config.views if v in self._counts]
        enough = all(self._counts[v] >= self.config.min_frames for v in offered)
        if enough or elapsed >= self.config.max_duration_s:
            self._finish()
            return False
        return True

    def progress(self, timestamp: float) -> float:
        """0..1 share of the capture window elapsed (1 once done), for status displays."""
        if self._done:
            return 1.0
        if self._start is None:
            return 0.0
        return min(1.0, (timestamp - self._start) / self.config.duration_s)

    def add(self, images: dict[str, np.ndarray], timestamp: float, *, eyes_open: bool = True,
            failing: bool = False) -> bool:
        """Offer one frame's preprocessed crops (view -> float32 HxW). Returns True if it went into the mean.

        Pass ``eyes_open=False`` during a blink and ``failing=True`` when the eye cameras are failing (Tracker.update
        does both when given ``inputs=``); such frames and frames outside the capture window are skipped.
        """
        if not self.capturing(timestamp):
            return False
        if not eyes_open or failing:
            self.skipped += 1
            return False
        used = False
        for view in self.config.views:
            img = images.get(view)
            if img is None:
                continue
            img = np.asarray(img, np.float32)
            acc = self._sums.get(view)
            if acc is None:
                self._sums[view] = img.astype(np.float64)
                self._counts[view] = 1
            elif acc.shape != img.shape:
                self.rejected += 1  # the crop size changed mid-capture (config change): skip, don't crash
                continue
            else:
                acc += img
                self._counts[view] += 1
            used = True
        return used

    def _finish(self) -> None:
        self._done = True
        ref = {}
        for view, acc in self._sums.items():
            if self._counts[view] >= self.config.min_frames:
                mean = (acc / self._counts[view]).astype(np.float32)
                mean.setflags(write=False)
                ref[view] = mean
        self._reference = ref or None

    def frame_counts(self) -> dict[str, int]:
        """Frames accumulated per view in the current (or last) capture."""
        return dict(self._counts)

    def reference(self) -> dict[str, np.ndarray] | None:
        """view -> mean neutral crop (read-only float32), or None while capturing / if capture failed."""
        return self._reference
