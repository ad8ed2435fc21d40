"""Where the lower face is in an external webcam's frame (the headset hides the upper face).

The box comes from the config (``lower_face_region``, pixels of the transformed frame). With ``detect_face`` it is
re-centred every few frames and smoothed, so the crop follows the user when they move. What finds it:
a face detector when one is available - YuNet (``cv2.FaceDetectorYN``) when a model file is given, else the
bundled Haar cascades (OpenCV 4.x ships them in ``cv2.data.haarcascades``; OpenCV 5 does not) - otherwise a
model-free template tracker that follows the configured region's first appearance. A face under a headset is
hard for frontal-face detectors, so the tracker is also the choice when a detector keeps failing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

import cv2
import numpy as np

from bridge.sources.transform import clip_box

Box = tuple[int, int, int, int]
FaceDetector = Callable[[np.ndarray], Sequence[Box]]  # gray image -> face boxes
RegionFinder = Callable[[np.ndarray], Box | None]  # gray image -> lower-face box, None when not found

# The lower face inside a detected face box (fractions of the box): from just below the eyes to below the chin.
LOWER_FACE_IN_FACE_BOX = (-0.05, 0.45, 1.10, 0.70)
DETECT_MAX_WIDTH = 320  # detectors run on a downscaled copy: a face under a headset is large in a webcam frame


def _haar_detector() -> tuple[FaceDetector | None, str]:
    if not hasattr(cv2, "CascadeClassifier"):
        return None, f"OpenCV {cv2.__version__} has no CascadeClassifier (removed in OpenCV 5)"
    base = getattr(getattr(cv2, "data", None), "haarcascades", "")
    for name in ("haarcascade_frontalface_alt2.xml", "haarcascade_frontalface_default.xml"):
        path = os.path.join(base, name)
        if os.path.isfile(path):
            cascade = cv2.CascadeClassifier(path)
            if not cascade.empty():
                def detect(gray: np.ndarray, _c=cascade) -> list[Box]:
                    found = _c.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=4, minSize=(40, 40))
                    return [(int(b[0]), int(b[1]), int(b[2]), int(b[3])) for b in found]
                return detect, f"Haar cascade {name}"
    return None, f"no Haar face cascade in cv2.data.haarcascades ({base or 'missing'})"


def _yunet_detector(model_path: str) -> tuple[FaceDetector | None, str]:
    if not hasattr(cv2, "FaceDetectorYN"):
        return None, f"OpenCV {cv2.__version__} has no FaceDetectorYN"
    if not os.path.isfile(model_path):
        return None, f"YuNet model file {model_path!r} not found"
    detector = cv2.FaceDetectorYN.create(model_path, "", (320, 320), 0.6)

    def detect(gray: np.ndarray) -> list[Box]:
        bgr = cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
        detector.setInputSize((bgr.shape[1], bgr.shape[0]))
        _, faces = detector.detect(bgr)
        return [] if faces is None else [(int(f[0]), int(f[1]), int(f[2]), int(f[3])) for f in faces]

    return detect, f"YuNet {os.path.basename(model_path)}"


def default_face_detector(model_path: str | None = None) -> tuple[FaceDetector | None, str]:
    """The best available face detector and a description (or None and why none is available)."""
    if model_path:
        return _yunet_detector(model_path)
    return _haar_detector()


def face_finder(detector: FaceDetector) -> RegionFinder:
    """A RegionFinder from a face detector: the biggest face (the user), converted to its lower part."""

    def find(gray: np.ndarray) -> Box | None:
        scale = min(1.0, DETECT_MAX_WIDTH / gray.shape[1])
        small = gray if scale == 1.0 else cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        faces = list(detector(small))
        if not faces:
            return None
        fx, fy, fw, fh = max(faces, key=lambda b: b[2] * b[3])
        ox, oy, ow, oh = LOWER_FACE_IN_FACE_BOX
        return (int((fx + ox * fw) / scale), int((fy + oy * fh) / scale), int(ow * fw / scale), int(oh * fh / scale))

    return find


class TemplateRegionTracker:
    """A RegionFinder without any model: remembers what the configured region shows in the first frame (the
    headset's lower edge, cheeks, chin) and finds it again by normalised cross-correlation in a window around its
    last position. Matching the FIRST appearance (never updated) means it cannot drift; a weak match (the face
    left, the view is blocked) returns None so the last box stays.
    """

    def __init__(self, region: Box, search_margin: float = 0.5, min_score: float = 0.4,
                 work_width: int = 96) -> None:
        if region[2] <= 0 or region[3] <= 0:
            raise ValueError(f"template region must have w, h > 0, got {region}")
        self.region = region
        self.search_margin = search_margin
        self.min_score = min_score
        self.work_width = work_width  # the template is matched at this width: ~0.1 ms per search
        self.last_score = 0.0
        self._template: np.ndarray | None = None
        self._scale = 1.0
        self._box: Box = region

    def __call__(self, gray: np.ndarray) -> Box | None:
        height, width = gray.shape[:2]
        if self._template is None:
            x, y, w, h = clip_box(self.region, width, height)
            self._scale = min(1.0, self.work_width / w)
            self._template = self._small(gray[y : y + h, x : x + w])
            self._box = (x, y, w, h)
            if self._template.std() < 2.0:  # a featureless region (black frame at start): try again next time
                self._template = None
            return None
        x, y, w, h = self._box
        mx, my = int(w * self.search_margin), int(h * self.search_margin)
        sx0, sy0 = max(0, x - mx), max(0, y - my)
        sx1, sy1 = min(width, x + w + mx), min(height, y + h + my)
        window = self._small(gray[sy0:sy1, sx0:sx1])
        th, tw = self._template.shape
        if window.shape[0] < th or window.shape[1] < tw:
            return None
        scores = cv2.matchTemplate(window, self._template, cv2.TM_CCOEFF_NORMED)
        _, best, _, (bx, by) = cv2.minMaxLoc(scores)
        self.last_score = float(best)
        if not np.isfinite(best) or best < self.min_score:
            return None
        self._box = (sx0 + round(bx / self._scale), sy0 + round(by / self._scale), w, h)
        return self._box

    def _small(self, image: np.ndarray) -> np.ndarray:
        if self._scale == 1.0:
            return np.ascontiguousarray(image)
        return cv2.resize(image, None, fx=self._scale, fy=self._scale, interpolation=cv2.INTER_AREA)


class LowerFaceLocator:
    """Callable: transformed webcam frame -> lower-face box (x, y, w, h) in pixels.

    ``region`` is the configured box (None = whole frame until something is found). With a ``finder`` (a face
    detector via ``face_finder`` or a ``TemplateRegionTracker``) the box is re-centred every ``detect_every``
    frames; the centre moves by ``smoothing`` of the way each time so the crop does not jitter. When the finder
    finds nothing the last box is kept.
    """

    def __init__(self, region: Box | None = None, finder: RegionFinder | None = None, detect_every: int = 5,
                 smoothing: float = 0.5) -> None:
        if region is not None and (len(region) != 4 or region[2] <= 0 or region[3] <= 0):
            raise ValueError(f"lower_face_region must be (x, y, w, h) with w, h > 0, got {region}")
        if detect_every < 1 or not 0 < smoothing <= 1:
            raise ValueError("detect_every must be >= 1 and smoothing in (0, 1]")
        self.region = region
        self.finder = finder
        self.detect_every = detect_every
        self.smoothing = smoothing
        self._frame = 0
        self._center: tuple[float, float] | None = None
        self._size: tuple[float, float] | None = None

    def __call__(self, gray: np.ndarray) -> Box:
        height, width = gray.shape[:2]
        if self.finder is not None and self._frame % self.detect_every == 0:
            found = self.finder(gray)
            if found is not None:
                cx, cy = found[0] + found[2] / 2.0, found[1] + found[3] / 2.0
                if self._center is None:
                    self._center = (cx, cy)
                else:
                    a = self.smoothing
                    self._center = (self._center[0] + a * (cx - self._center[0]),
                                    self._center[1] + a * (cy - self._center[1]))
                # The configured size wins (the user sized it); otherwise follow the detected face's size.
                self._size = (self.region[2], self.region[3]) if self.region else (found[2], found[3])
        self._frame += 1
        if self._center is not None and self._size is not None:
            w, h = self._size
            box = (round(self._center[0] - w / 2), round(self._center[1] - h / 2), round(w), round(h))
            return _shift_inside(box, width, height)
        if self.region is not None:
            return clip_box(self.region, width, height)
        return 0, 0, width, height


def _shift_inside(box: Box, width: int, height: int) -> Box:
    """Move a box (keeping its size when it fits) so it lies inside the frame."""
    x, y, w, h = box
    w, h = min(w, width), min(h, height)
    return min(max(0, x), width - w), min(max(0, y), height - h), w, h
