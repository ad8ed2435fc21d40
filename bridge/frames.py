"""The unit a source hands to the pipeline: one image per camera view, with capture times."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bridge.schema import CAMERAS


@dataclass(frozen=True, slots=True)
class FrameSet:
    """Single-channel uint8 images keyed by camera view (a subset of ``schema.CAMERAS``).

    ``left_eye`` is the SUBJECT's left eye as its own camera sees it (not mirrored);
    models mirror it themselves. ``capture_time`` is the time.time() of the oldest image in the set;
    ``sequence`` counts frame sets from the source. ``labels`` carries ground truth when the source
    knows it (synthetic, replay) and is empty for real cameras.
    """

    images: dict[str, np.ndarray]
    capture_time: float
    sequence: int
    labels: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, img in self.images.items():
            if name not in CAMERAS:
                raise ValueError(f"FrameSet: unknown camera view {name!r}; expected one of {CAMERAS}")
            if not isinstance(img, np.ndarray) or img.ndim != 2 or img.dtype != np.uint8:
                raise ValueError(f"FrameSet: view {name!r} must be a 2-D uint8 array, got "
                                 f"{getattr(img, 'dtype', type(img))} {getattr(img, 'shape', '')}")
