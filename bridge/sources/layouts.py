"""Camera layouts: how one camera frame is cut into the views the models consume.

What a user's camera shows (``--layout`` and ``layout`` in the config):

- ``webcam``: a whole scene with a face in it (an external webcam, no headset hiding the face): a face detector
  finds and tracks the face (``bridge.sources.face_detector``) and feeds ``lower_face`` (the FER-like face crop,
  ``face_aligned_crop``) and ``mouth`` (a crop around the mouth framed like a headset mouth camera);
- ``lower_face``: a webcam under the headset seeing the lower face (same as ``lower_face_external`` below);
- ``eyes``: one frame with both eyes (``eyes_side_by_side``);
- ``left_eye`` / ``right_eye``: one eye camera (the models copy its eye onto the other: a blink is a blink);
- ``mouth``: a headset mouth camera;
- ``headset``: a combined eyes + mouth frame (``combined_eyes_mouth``).

The older names stay valid:

- ``single``: the whole frame is one view (a dedicated eye or mouth camera).
- ``eyes_side_by_side``: one frame holding both eyes. For a camera FACING the subject the subject's left eye
  appears on the image's RIGHT half, so ``subject_left_on="image_right"`` is the default; set
  ``"image_left"`` for sources that mirror their output.
- ``combined_eyes_mouth``: a Vive-Facial-Tracker-like combined frame: eyes side by side in the top half, the
  mouth in the bottom half (override with ``regions``).
- ``lower_face_external``: a webcam seeing the lower face under the headset; the lower-face box comes from
  ``lower_face_region`` (pixels) and can be re-centred by a face detector (``bridge.sources.lower_face``).

Regions are fractions (x, y, w, h) of the frame AFTER the camera's crop/rotate/flip/resize.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from bridge.schema import CAMERAS

# The words a user picks from (``--layout``), then the older config names.
CAMERA_KINDS: tuple[str, ...] = ("webcam", "lower_face", "eyes", "left_eye", "right_eye", "mouth", "headset")
LAYOUTS: tuple[str, ...] = CAMERA_KINDS + ("single", "eyes_side_by_side", "combined_eyes_mouth", "lower_face_external")
# Kinds that are another layout under a user's name (same regions and processing).
LAYOUT_ALIASES: dict[str, str] = {"lower_face": "lower_face_external", "eyes": "eyes_side_by_side",
                                  "headset": "combined_eyes_mouth", "left_eye": "single", "right_eye": "single",
                                  "mouth": "single"}
KIND_HELP: dict[str, str] = {
    "webcam": "a webcam seeing your whole face (face detector; feeds lower_face)",
    "lower_face": "a webcam under the headset seeing your lower face",
    "eyes": "one camera showing both eyes side by side",
    "left_eye": "one eye camera on your left eye (drives both eyes)",
    "right_eye": "one eye camera on your right eye (drives both eyes)",
    "mouth": "a headset mouth camera",
    "headset": "a combined headset frame: both eyes on top, mouth below",
}
EYE_SIDES: tuple[str, ...] = ("image_right", "image_left")
LAYOUT_VIEWS: dict[str, tuple[str, ...]] = {
    "single": CAMERAS,
    "eyes_side_by_side": ("left_eye", "right_eye"),
    "combined_eyes_mouth": ("left_eye", "right_eye", "mouth"),
    "lower_face_external": ("lower_face",),
    "webcam": ("lower_face",),  # its mouth shapes come from the lower-face model (see webcam.py)
    "lower_face": ("lower_face",),
    "eyes": ("left_eye", "right_eye"),
    "left_eye": ("left_eye",),
    "right_eye": ("right_eye",),
    "mouth": ("mouth",),
    "headset": ("left_eye", "right_eye", "mouth"),
}


def base_layout(layout: str) -> str:
    """The layout whose regions/processing a user's kind uses (``headset`` -> ``combined_eyes_mouth``, ...)."""
    return LAYOUT_ALIASES.get(layout, layout)
Region = tuple[float, float, float, float]


def default_regions(layout: str, views: tuple[str, ...], subject_left_on: str = "image_right") -> dict[str, Region]:
    """The fractional region of each view for a layout (subject_left_on says which half holds the LEFT eye)."""
    if subject_left_on not in EYE_SIDES:
        raise ValueError(f"subject_left_on must be one of {EYE_SIDES}, got {subject_left_on!r}")
    left_x, right_x = (0.5, 0.0) if subject_left_on == "image_right" else (0.0, 0.5)
    layout = base_layout(layout)
    if layout == "single":
        return {views[0]: (0.0, 0.0, 1.0, 1.0)}
    if layout == "eyes_side_by_side":
        table = {"left_eye": (left_x, 0.0, 0.5, 1.0), "right_eye": (right_x, 0.0, 0.5, 1.0)}
    elif layout == "combined_eyes_mouth":
        table = {"left_eye": (left_x, 0.0, 0.5, 0.5), "right_eye": (right_x, 0.0, 0.5, 0.5),
                 "mouth": (0.0, 0.5, 1.0, 0.5)}
    elif layout in ("lower_face_external", "webcam"):
        table = {"lower_face": (0.0, 0.0, 1.0, 1.0), "mouth": (0.0, 0.0, 1.0, 1.0)}
    else:
        raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
    return {v: table[v] for v in views}


def validate_views(layout: str, views: tuple[str, ...]) -> None:
    """Raise ValueError unless ``views`` fits the layout (``single`` needs exactly one view)."""
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
    allowed = LAYOUT_VIEWS[layout]
    bad = [v for v in views if v not in allowed]
    if bad:
        raise ValueError(f"views {bad} are not produced by layout {layout!r}; allowed: {allowed}")
    if len(set(views)) != len(views) or not views:
        raise ValueError(f"views must be non-empty and unique, got {views}")
    if base_layout(layout) == "single" and len(views) != 1:
        raise ValueError(f"layout 'single' feeds exactly one view, got {views}; pick one of {CAMERAS}")


def region_pixels(region: Region, width: int, height: int) -> tuple[int, int, int, int]:
    """Fractional (x, y, w, h) -> pixel box inside a width x height frame (at least 1x1)."""
    x, y, w, h = region
    x0, y0 = round(x * width), round(y * height)
    x1, y1 = round((x + w) * width), round((y + h) * height)
    x0, y0 = min(max(0, x0), width - 1), min(max(0, y0), height - 1)
    x1, y1 = max(x0 + 1, min(width, x1)), max(y0 + 1, min(height, y1))
    return x0, y0, x1 - x0, y1 - y0


@dataclass(frozen=True, slots=True)
class LayoutSplitter:
    """Cuts a grayscale frame into views by fractional regions."""

    regions: Mapping[str, Region]

    def __post_init__(self) -> None:
        for view, region in self.regions.items():
            if view not in CAMERAS:
                raise ValueError(f"region for unknown view {view!r}; expected one of {CAMERAS}")
            x, y, w, h = region
            if not (0 <= x < 1 and 0 <= y < 1 and 0 < w <= 1 and 0 < h <= 1 and x + w <= 1.0001 and y + h <= 1.0001):
                raise ValueError(f"region for {view!r} must be fractions (x, y, w, h) inside the frame, got {region}")

    def split(self, image: np.ndarray) -> dict[str, np.ndarray]:
        height, width = image.shape[:2]
        out = {}
        for view, region in self.regions.items():
            x, y, w, h = region_pixels(region, width, height)
            out[view] = np.ascontiguousarray(image[y : y + h, x : x + w])
        return out


class FrameProcessor:
    """Camera frame (2-D uint8) -> views: the camera's transform, then its layout split or lower-face locator.

    Runs in the camera's capture thread, so decoding and cropping overlap with inference on the previous set.
    """

    def __init__(self, transform: Callable[[np.ndarray], np.ndarray], splitter: LayoutSplitter | None = None,
                 lower_face: Callable[[np.ndarray], tuple[int, int, int, int]] | None = None,
                 face: Callable[[np.ndarray], dict[str, np.ndarray]] | None = None) -> None:
        if sum(p is not None for p in (splitter, lower_face, face)) != 1:
            raise ValueError("FrameProcessor needs exactly one of splitter, lower_face or face")
        self.transform = transform
        self.splitter = splitter
        self.lower_face = lower_face
        self.face = face

    @property
    def face_found(self) -> bool | None:
        """Whether the webcam face tracker has a face (None: this camera has no face tracker)."""
        return None if self.face is None else bool(getattr(self.face, "face_found", True))

    def __call__(self, image: np.ndarray) -> dict[str, np.ndarray]:
        frame = self.transform(image)
        if self.splitter is not None:
            return self.splitter.split(frame)
        if self.face is not None:
            return self.face(frame)  # {} while no face is found: the pipeline treats its views as lost
        assert self.lower_face is not None  # __init__ requires exactly one of splitter, lower_face, face
        x, y, w, h = self.lower_face(frame)
        return {"lower_face": np.ascontiguousarray(frame[y : y + h, x : x + w])}
