"""Layout ``webcam``: a camera that sees a whole face -> the ``lower_face`` view (``mouth`` on request).

The layout feeds ``lower_face`` only: the lower-face model, trained on real faces, gives the mouth shapes. Measured
on the smile set's 139 validation faces with a detected face: jawOpen AUC by mouth_open 0.837 and mouthSmile AUC by
smile 0.921 from lower_face alone, against 0.508 / 0.731 when the mouth view (the headset blendshape model, trained
on NIR renders) is added and wins.

The face is found and tracked by ``bridge.sources.face_detector.FaceTracker``. ``lower_face`` is the FER-like face
crop (``bridge.inference.preprocess.face_aligned_crop``: what the lower-face model is trained on, its upper half
hidden later by the crop policy); ``mouth`` is a square around the mouth framed like a headset mouth camera (mouth
about 55 % of the width, as the synthetic mouth camera the blendshape model learned from shows it). While no face
is found no views are produced: the pipeline then treats them like a lost camera (CAMERA_LOST, ease to neutral) and
recovers by itself when the face is back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from bridge.inference.preprocess import face_aligned_crop, square_crop

Box = tuple[float, float, float, float]

# The mouth inside a face-detector box, measured on the 68 landmarks of the smile set's real faces (median, box
# units; `python -m bridge.sources.face_bench`, 813 faces): centre (0.502, 0.809), mouth-corner width 0.336.
MOUTH_CENTRE_IN_BOX = (0.502, 0.809)
MOUTH_WIDTH_IN_BOX = 0.336
MOUTH_FRACTION_OF_VIEW = 0.55  # mouth-corner width / view width of the synthetic headset mouth camera
MAX_VIEW_SIDE = 192  # crops are made at most this big: the models take 48-64 px, the rest is wasted copying


def mouth_square(box: Box) -> tuple[float, float, float]:
    """(centre x, centre y, side) of the mouth view for a face box (x, y, w, h)."""
    x, y, w, h = box
    side = MOUTH_WIDTH_IN_BOX * w / MOUTH_FRACTION_OF_VIEW
    return x + MOUTH_CENTRE_IN_BOX[0] * w, y + MOUTH_CENTRE_IN_BOX[1] * h, side


def mouth_crop(gray: np.ndarray, box: Box, size: int | None = None) -> np.ndarray:
    """The mouth view (square, gray u8, edge-padded) for a face box."""
    cx, cy, side = mouth_square(box)
    return square_crop(gray, cx, cy, side, size)


def _size(side: float) -> int:
    return int(min(MAX_VIEW_SIDE, max(2, round(side))))


class WebcamFaceCrops:
    """Callable: transformed webcam frame (gray u8) -> {view: crop} for ``views``; {} while no face is found."""

    def __init__(self, tracker: Callable[[np.ndarray], Box | None], views: Sequence[str] = ("lower_face", "mouth")):
        bad = [v for v in views if v not in ("lower_face", "mouth")]
        if bad or not views:
            raise ValueError(f"layout webcam feeds lower_face and/or mouth, got views {tuple(views)}")
        self.tracker = tracker
        self.views = tuple(views)
        self.face_found = False
        self.last_box: Box | None = None

    def __call__(self, gray: np.ndarray) -> dict[str, np.ndarray]:
        box = self.tracker(gray)
        self.face_found = box is not None
        self.last_box = box
        if box is None:
            return {}
        out: dict[str, np.ndarray] = {}
        if "lower_face" in self.views:
            out["lower_face"] = face_aligned_crop(gray, box, _size(box[2]))
        if "mouth" in self.views:
            out["mouth"] = mouth_crop(gray, box, _size(mouth_square(box)[2]))
        return out
