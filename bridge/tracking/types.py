"""The tracking stage's seam: what the pipeline needs from a tracker (``Tracker`` is the implementation)."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np

from bridge.inference.types import ModelInputs, ModelOutputs
from bridge.schema import FaceState
from bridge.tracking.quality import FrameQuality


class NeutralSource(Protocol):
    """The personalization reference the models subtract (Eyemotion)."""

    def reference(self) -> dict[str, np.ndarray] | None:
        """Mean neutral crop per eye view, or None while not (yet) captured."""
        ...


class FaceTracker(Protocol):
    """Model outputs + frame quality in, one FaceState per frame out; control commands between frames."""

    warnings: list[str]  # non-fatal problems for the app to log

    @property
    def neutral(self) -> NeutralSource:
        """The personalization reference the models subtract."""
        ...

    def update(self, outputs: ModelOutputs, quality: FrameQuality, timestamp: float, sequence: int,
               inputs: ModelInputs | None = None) -> FaceState:
        """One frame's FaceState. Never raises on bad model values."""
        ...

    def idle(self, timestamp: float, sequence: int | None = None) -> FaceState:
        """A step without camera data (lost cameras, pause): hold / ease to neutral."""
        ...

    def recalibrate(self) -> None: ...

    def recenter(self) -> None: ...

    def pause(self) -> None: ...

    def resume(self) -> None: ...

    def reset_calibration(self) -> None: ...

    def save_calibration(self) -> Path | None:
        """Persist what was learned (range of motion); returns the file written, None when there is nothing."""
        ...
