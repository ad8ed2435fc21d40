"""The typed boundary between the models stage and the tracking stage.

The runtime pipeline only depends on these types and on the ``FaceModels`` protocol, so any model
set (the shipped ONNX files, a test double, a future model) plugs in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from bridge.frames import FrameSet


@dataclass(frozen=True, slots=True)
class ModelInputs:
    """Preprocessed crops at model resolution: view -> (H, W) float32 in 0..1.

    ``left_eye`` is NOT mirrored here; mirroring is the model's business.
    """

    images: dict[str, np.ndarray]


@dataclass(frozen=True, slots=True)
class ModelOutputs:
    """Raw (unfiltered) model outputs for one frame set. A field is None when no model could produce it
    (its camera is missing). Distributions are probabilities summing to 1; ``au10`` is multi-label."""

    blendshapes: np.ndarray | None = None  # (52,) 0..1, canonical order
    gaze: np.ndarray | None = None  # (2, 2) degrees: [left, right] x [yaw, pitch]
    openness: np.ndarray | None = None  # (2,) 0..1: [left, right]
    emotive5: np.ndarray | None = None  # (5,) softmax over schema.EMOTIVE5
    au10: np.ndarray | None = None  # (10,) sigmoid per schema.AU10
    valence: float | None = None
    arousal: float | None = None
    emotion8_sources: dict[str, np.ndarray] = field(default_factory=dict)  # e.g. eyes/mouth/lower_face/shapes
    emotion8: np.ndarray | None = None  # (8,) fused over schema.FER8
    confidence: dict[str, float] = field(default_factory=dict)  # region -> 0..1 model confidence
    personalized: bool = False  # True when a neutral reference was subtracted


class FaceModels(Protocol):
    """What the pipeline needs from a model set."""

    def preprocess(self, frames: FrameSet) -> ModelInputs:
        """Crop/letterbox/resize each view to model resolution (documented policy)."""
        ...

    def predict(self, inputs: ModelInputs, neutral: dict[str, np.ndarray] | None = None) -> ModelOutputs:
        """Run every model whose cameras are present. ``neutral`` maps eye views to the mean neutral
        crop (same shape as the inputs) for Eyemotion personalization; None runs un-personalized."""
        ...
