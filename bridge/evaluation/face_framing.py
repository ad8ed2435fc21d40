"""Frame raw face photos the way the webcam layout does before `eval --real` scores them.

A class-per-folder set of faces may hold 48x48 FER-style crops, loose face crops, or whole photos (a lab-posed set's
640x490 frames, a portrait). The lower-face model expects a FER-framed face: the webcam layout gets one by running
the face detector and cutting ``face_aligned_crop`` from its box. This module does the same per image, and leaves an
image alone when it already is a face crop (its FER square would cover most of it) or when no face is found (for
instance a lower half whose upper half is already blacked out): those are used as given, and counted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import cv2
import numpy as np

from bridge.inference.preprocess import face_aligned_crop, face_aligned_square, to_gray_u8
from bridge.sources.face_detector import Box, FaceDetector

FRAMINGS = ("auto", "detect", "as-given")

# FER square side / the image's short side at or above which the image already is a face crop. Measured with the
# project's Haar detector (padded search below): FER2013Valid faces 0.84-1.18 (5th-95th percentile, median 1.05),
# loose smile-set face crops 1.05-1.24; whole NIR webcam frames (custom_nir) 0.33-0.57.
ALREADY_FRAMED = 0.8
# A detection whose FER square is smaller than this share of the short side is taken for a false hit, not the face.
SMALLEST_FACE = 0.15
# Faces that fill the image are missed by the cascade (its window needs some margin): search a copy with this much
# replicated border on every side (share of the long side). FER2013Valid detections 58 % -> 82 %, smile 19 % -> 96 %.
SEARCH_PAD = 0.25

# How each image was framed (the report counts them).
DETECTED, ALREADY, NO_FACE, GIVEN = "framed from the detected face", "already a face crop", "no face found", "as given"


def largest_face(gray: np.ndarray, detector: FaceDetector) -> Box | None:
    """The largest face box (x, y, w, h) in ``gray``'s pixels, searched on an edge-padded copy; None without one."""
    pad = int(round(max(gray.shape[:2]) * SEARCH_PAD))
    padded = cv2.copyMakeBorder(gray, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    boxes = [b for b in detector(padded) if b[2] > 0 and b[3] > 0]  # biggest first (the FaceDetector contract)
    if not boxes:
        return None
    x, y, w, h = boxes[0]
    return x - pad, y - pad, w, h


def frame_face(image: np.ndarray, detector: FaceDetector | None, framing: str = "auto") -> tuple[np.ndarray, str]:
    """(the image to feed the lower_face camera, how it was framed). ``framing``: "auto" crops around the detected
    face unless the image already is a face crop; "detect" crops whenever a face is found; "as-given" never crops."""
    if framing not in FRAMINGS:
        raise ValueError(f"framing must be one of {', '.join(FRAMINGS)}, got {framing!r}")
    if framing == "as-given" or detector is None:
        return image, GIVEN
    gray = to_gray_u8(image, "face image")
    box = largest_face(gray, detector)
    short = min(gray.shape[:2])
    side = face_aligned_square(box)[2] if box is not None else 0.0
    if box is None or side < SMALLEST_FACE * short:
        return image, NO_FACE
    if framing == "auto" and side >= ALREADY_FRAMED * short:
        return image, ALREADY
    return face_aligned_crop(gray, box), DETECTED


def frame_faces(images: Sequence[np.ndarray], detector: FaceDetector | None,
                framing: str = "auto") -> tuple[list[np.ndarray], dict[str, int]]:
    """``frame_face`` over a list; returns the framed images and how many were framed each way."""
    out: list[np.ndarray] = []
    how: Counter[str] = Counter()
    for img in images:
        framed, kind = frame_face(img, detector, framing)
        out.append(framed)
        how[kind] += 1
    return out, dict(how)
