"""Face detection and tracking for a webcam that sees a whole face (camera layout ``webcam``).

Detector: OpenCV's bundled Haar cascade ``haarcascade_frontalface_alt2`` (``cv2.data.haarcascades``, OpenCV 4.x),
run on a copy downscaled to ``detect_width`` pixels; when the plain image shows no face the histogram-equalised one
is tried. Chosen by measurement on the real faces of the approved smile and yawn sets (``python -m
bridge.sources.face_bench``; figures in docs/cameras.md). OpenCV 5 dropped the cascades: pyproject pins OpenCV < 5.

``FaceTracker`` turns per-frame detections into one steady box: a full detection while no face is tracked, a cheap
re-detection in a window around the box every ``detect_every`` frames, normalised cross-correlation of the face's
look at its last detection in between (and when the detector misses a face that is still there, e.g. a wide yawn),
adaptive smoothing (small moves are jitter and are damped, large moves are followed at once), and a face that is
neither detected nor matched for ``lost_after`` frames is reported gone (``None``) until a detection finds it again.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

Box = tuple[float, float, float, float]  # x, y, w, h in pixels of the image given
FaceDetector = Callable[[np.ndarray], Sequence[Box]]  # gray u8 image -> face boxes, biggest first

DEFAULT_CASCADE = "haarcascade_frontalface_alt2.xml"


class FaceDetectorUnavailable(RuntimeError):
    """No face detector can be built here (the message says why and what to install)."""


def cascade_path(name: str = DEFAULT_CASCADE) -> str:
    """The path of a Haar cascade bundled with OpenCV. Raises FaceDetectorUnavailable naming what is missing."""
    if not hasattr(cv2, "CascadeClassifier"):
        raise FaceDetectorUnavailable(
            f"OpenCV {cv2.__version__} has no Haar cascade detector (OpenCV 5 removed it); the webcam layout needs "
            "OpenCV 4: pip install 'opencv-python-headless>=4.8,<5'")
    base = getattr(getattr(cv2, "data", None), "haarcascades", "") or ""
    path = os.path.join(base, name)
    if not os.path.isfile(path):
        raise FaceDetectorUnavailable(
            f"OpenCV {cv2.__version__} ships no {name} (looked in {base or 'cv2.data: missing'}); install the "
            "wheel that bundles it: pip install 'opencv-python-headless>=4.8,<5'")
    return path


class HaarFaceDetector:
    """Callable: gray u8 image -> face boxes (x, y, w, h) in its pixels, biggest first.

    ``detect_width``: the image is shrunk to this width first (a webcam face is large; 320 px keeps a face of
    ``min_face`` = 12 % of the frame height at >= 28 px, the cascade's 20 px window plus margin).
    ``min_neighbors``: overlapping hits a face needs (3: best measured recall at few false faces).
    ``equalize``: retry on the histogram-equalised image when the plain one shows nothing (dim or backlit faces).
    """

    def __init__(self, cascade: str = DEFAULT_CASCADE, detect_width: int = 320, min_neighbors: int = 3,
                 min_face: float = 0.12, equalize: bool = True) -> None:
        path = cascade_path(cascade)  # first: it explains a missing CascadeClassifier (OpenCV 5)
        self._cascade = getattr(cv2, "CascadeClassifier")(path)  # noqa: B009 - absent from OpenCV 5's stubs
        if self._cascade.empty():
            raise FaceDetectorUnavailable(f"OpenCV could not load the Haar cascade {cascade}")
        self.detect_width = detect_width
        self.min_neighbors = min_neighbors
        self.min_face = min_face
        self.equalize = equalize
        self.description = f"Haar cascade {os.path.splitext(cascade)[0]} (OpenCV {cv2.__version__})"

    def __call__(self, gray: np.ndarray, size_range: tuple[float, float] | None = None) -> list[Box]:
        """Faces in ``gray``; ``size_range`` (min, max face side in its pixels) narrows the search (the tracker
        knows the face's size: far fewer pyramid levels)."""
        scale = min(1.0, self.detect_width / gray.shape[1])
        small = gray if scale == 1.0 else cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        if size_range is None:
            lo, hi = max(20, int(min(small.shape[:2]) * self.min_face)), 0
        else:
            lo, hi = max(20, int(size_range[0] * scale)), int(size_range[1] * scale)
        found = self._detect(small, lo, hi)
        if not len(found) and self.equalize:
            found = self._detect(cv2.equalizeHist(small), lo, hi)
        boxes = [(x / scale, y / scale, w / scale, h / scale) for x, y, w, h in found]
        return sorted(boxes, key=lambda b: -b[2] * b[3])

    def _detect(self, image: np.ndarray, lo: int, hi: int) -> Sequence:
        max_size = (hi, hi) if hi > lo else (0, 0)
        return self._cascade.detectMultiScale(image, scaleFactor=1.1, minNeighbors=self.min_neighbors,
                                              minSize=(lo, lo), maxSize=max_size)


def open_face_detector() -> HaarFaceDetector:
    """The default face detector. Raises FaceDetectorUnavailable (one line: why, and what to install)."""
    return HaarFaceDetector()


@dataclass(frozen=True, slots=True)
class TrackerState:
    """What the tracker did on the last frame (for status and tests)."""

    found: bool  # a face is being tracked (box valid)
    method: str  # "detect", "redetect", "match", "hold" (kept through a short miss) or "none"
    misses: int  # consecutive frames neither detected nor matched


class FaceTracker:
    """Callable: gray u8 frame -> the tracked face box (x, y, w, h), or None while no face is found.

    ``detect_every``: frames between local re-detections while tracking (template matching in between).
    ``search_every``: frames between full-frame searches while no face is tracked (a detection costs ~10-30 ms).
    ``lost_after``: consecutive frames without detection or a good match after which the face counts as gone.
    ``min_score``: normalised cross-correlation a template match needs to count.
    """

    def __init__(self, detector: FaceDetector, detect_every: int = 5, search_every: int = 3, lost_after: int = 15,
                 min_score: float = 0.6, template_width: int = 48) -> None:
        if detect_every < 1 or search_every < 1 or lost_after < 1:
            raise ValueError("detect_every, search_every and lost_after must be >= 1")
        self.detector = detector
        self.detect_every = detect_every
        self.search_every = search_every
        self.lost_after = lost_after
        self.min_score = min_score
        self.template_width = template_width
        self.state = TrackerState(False, "none", 0)
        self._box: np.ndarray | None = None  # smoothed (cx, cy, side)
        self._template: np.ndarray | None = None
        self._frame = 0
        self._since_detect = 0

    def reset(self) -> None:
        """Forget the face (the next frame searches the whole image)."""
        self._box = self._template = None
        self.state = TrackerState(False, "none", 0)

    @property
    def box(self) -> Box | None:
        """The current smoothed box, or None."""
        if self._box is None:
            return None
        cx, cy, side = (float(v) for v in self._box)
        return cx - side / 2, cy - side / 2, side, side

    def __call__(self, gray: np.ndarray) -> Box | None:
        self._frame += 1
        if self._box is None:
            if (self._frame - 1) % self.search_every == 0:
                faces = list(self.detector(gray))
                if faces:
                    self._accept(gray, faces[0], first=True)
                    self.state = TrackerState(True, "detect", 0)
            return self.box
        self._since_detect += 1
        measured, method = None, "hold"
        if self._since_detect >= self.detect_every:
            measured = self._redetect(gray)
            method = "redetect"
        if measured is None:
            measured = self._match(gray)
            method = "match" if measured is not None else "hold"
        if measured is None:
            misses = self.state.misses + 1
            if misses >= self.lost_after:
                self.reset()
                self.state = TrackerState(False, "none", misses)
                return None
            self.state = TrackerState(True, "hold", misses)
            return self.box
        self.state = TrackerState(True, method, 0)
        return self.box

    # --- internals ----------------------------------------------------------------------------------------------
    def _accept(self, gray: np.ndarray, face: Box, first: bool = False) -> None:
        x, y, w, h = face
        side = (w + h) / 2.0
        new = np.array([x + w / 2.0, y + h / 2.0, side])
        if first or self._box is None:
            self._box = new
        else:
            self._smooth(new, size_rate=0.3)
        self._since_detect = 0
        self._template = self._cut_template(gray)

    def _smooth(self, new: np.ndarray, size_rate: float) -> None:
        """Move the box toward a measurement: a move of >= 15 % of the face size is followed at once, a small one
        (detector jitter) only by 25 % per frame."""
        assert self._box is not None
        side = self._box[2]
        shift = float(np.hypot(*(new[:2] - self._box[:2]))) / max(side, 1.0)
        rate = float(np.clip(shift / 0.15, 0.25, 1.0))
        self._box[:2] += rate * (new[:2] - self._box[:2])
        self._box[2] += size_rate * (new[2] - self._box[2])

    def _window(self, gray: np.ndarray, margin: float) -> tuple[int, int, int, int]:
        assert self._box is not None
        cx, cy, side = self._box
        half = side * (0.5 + margin)
        height, width = gray.shape[:2]
        x0, y0 = int(max(0, cx - half)), int(max(0, cy - half))
        x1, y1 = int(min(width, cx + half)), int(min(height, cy + half))
        return x0, y0, x1, y1

    def _redetect(self, gray: np.ndarray) -> Box | None:
        """Detect in a window of twice the face's size around it (much cheaper than the whole frame)."""
        x0, y0, x1, y1 = self._window(gray, 0.5)
        if x1 - x0 < 24 or y1 - y0 < 24:
            return None
        assert self._box is not None
        self._since_detect = 0  # found or not: the next attempt is detect_every frames away (a detection is costly)
        side = float(self._box[2])
        roi = np.ascontiguousarray(gray[y0:y1, x0:x1])
        try:
            faces = list(self.detector(roi, (0.6 * side, 1.6 * side)))  # type: ignore[call-arg]
        except TypeError:  # a plain detector callable without size_range
            faces = [f for f in self.detector(roi) if 0.6 * side <= f[2] <= 1.6 * side]
        if not faces:
            return None
        face = (faces[0][0] + x0, faces[0][1] + y0, faces[0][2], faces[0][3])
        self._accept(gray, face)
        return face

    def _cut_template(self, gray: np.ndarray) -> np.ndarray | None:
        assert self._box is not None
        cx, cy, side = self._box
        half = side * 0.4  # the inner face (eyes to mouth): the background around it moves differently
        x0, y0 = int(round(cx - half)), int(round(cy - half))
        x1, y1 = int(round(cx + half)), int(round(cy + half))
        if x0 < 0 or y0 < 0 or x1 > gray.shape[1] or y1 > gray.shape[0] or x1 - x0 < 8:
            return None
        scale = self.template_width / (x1 - x0)
        patch = cv2.resize(gray[y0:y1, x0:x1], None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        return patch if patch.std() >= 2.0 else None

    def _match(self, gray: np.ndarray) -> Box | None:
        """Find the face's last detected look in a window around the box (normalised cross-correlation)."""
        if self._template is None or self._box is None:
            return None
        x0, y0, x1, y1 = self._window(gray, 0.35)
        cx, cy, side = self._box
        scale = self.template_width / (0.8 * side)
        window = cv2.resize(gray[y0:y1, x0:x1], None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        th, tw = self._template.shape
        if window.shape[0] < th or window.shape[1] < tw:
            return None
        scores = cv2.matchTemplate(window, self._template, cv2.TM_CCOEFF_NORMED)
        _, best, _, (bx, by) = cv2.minMaxLoc(scores)
        if not np.isfinite(best) or best < self.min_score:
            return None
        mx = x0 + (bx + tw / 2.0) / scale
        my = y0 + (by + th / 2.0) / scale
        self._smooth(np.array([mx, my, side]), size_rate=0.0)
        return mx - side / 2, my - side / 2, side, side
