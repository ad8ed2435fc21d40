"""Per-camera geometry: grayscale conversion, crop, rotation, flip and resize (in that order)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

FLIPS = ("none", "horizontal", "vertical")
_RIGHT_ANGLES = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}


def to_gray(image: np.ndarray) -> np.ndarray:
    """Any OpenCV image (gray, BGR, BGRA, 3 equal channels, 16-bit) -> 2-D uint8."""
    img = np.asarray(image)
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[:, :, 0]
    if img.dtype == np.uint16:
        img = (img >> 8).astype(np.uint8)
    elif img.dtype != np.uint8:
        img = np.clip(img, 0, 255).astype(np.uint8)
    if img.ndim == 3:
        code = {3: cv2.COLOR_BGR2GRAY, 4: cv2.COLOR_BGRA2GRAY}.get(img.shape[2])
        if code is None:
            raise ValueError(f"to_gray: unsupported image with {img.shape[2]} channels")
        img = cv2.cvtColor(img, code)
    if img.ndim != 2:
        raise ValueError(f"to_gray: expected a 2-D or 3-D image, got shape {img.shape}")
    return img


def clip_box(box: tuple[int, int, int, int], width: int, height: int) -> tuple[int, int, int, int]:
    """Intersect an (x, y, w, h) box with the image; raises ValueError when nothing is left."""
    x, y, w, h = box
    x0, y0 = max(0, int(x)), max(0, int(y))
    x1, y1 = min(width, int(x + w)), min(height, int(y + h))
    if x1 <= x0 or y1 <= y0:
        raise ValueError(f"box {tuple(box)} lies outside the {width}x{height} frame")
    return x0, y0, x1 - x0, y1 - y0


@dataclass(frozen=True, slots=True)
class ViewTransform:
    """Crop (x, y, w, h in source pixels) -> rotate (degrees CLOCKWISE; 90/180/270 exact, other angles about the
    centre keeping the size) -> flip -> resize (w, h). A crop partly outside the frame is clipped to it."""

    crop: tuple[int, int, int, int] | None = None
    rotate: float = 0.0
    flip: str = "none"
    resize: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        if self.crop is not None and (len(self.crop) != 4 or self.crop[2] <= 0 or self.crop[3] <= 0):
            raise ValueError(f"crop must be (x, y, w, h) with w, h > 0, got {self.crop}")
        if not math.isfinite(self.rotate):
            raise ValueError(f"rotate must be a finite number of degrees, got {self.rotate}")
        if self.flip not in FLIPS:
            raise ValueError(f"flip must be one of {FLIPS}, got {self.flip!r}")
        if self.resize is not None and (len(self.resize) != 2 or self.resize[0] <= 0 or self.resize[1] <= 0):
            raise ValueError(f"resize must be (w, h) with w, h > 0, got {self.resize}")

    @property
    def is_identity(self) -> bool:
        return self.crop is None and self.rotate % 360 == 0 and self.flip == "none" and self.resize is None

    def apply(self, image: np.ndarray) -> np.ndarray:
        """Transform a 2-D image; returns a new contiguous array (or the input when nothing is configured)."""
        img = image
        if self.crop is not None:
            x, y, w, h = clip_box(self.crop, img.shape[1], img.shape[0])
            img = img[y : y + h, x : x + w]
        angle = self.rotate % 360
        if angle in _RIGHT_ANGLES:
            img = cv2.rotate(img, _RIGHT_ANGLES[int(angle)])
        elif angle != 0:
            h, w = img.shape[:2]
            # OpenCV's positive angle is counter-clockwise; ours is clockwise like image viewers.
            matrix = cv2.getRotationMatrix2D(((w - 1) / 2.0, (h - 1) / 2.0), -angle, 1.0)
            img = cv2.warpAffine(np.ascontiguousarray(img), matrix, (w, h), flags=cv2.INTER_LINEAR,
                                 borderMode=cv2.BORDER_REPLICATE)
        if self.flip == "horizontal":
            img = img[:, ::-1]
        elif self.flip == "vertical":
            img = img[::-1, :]
        if self.resize is not None and (img.shape[1], img.shape[0]) != tuple(self.resize):
            shrinking = self.resize[0] * self.resize[1] < img.shape[0] * img.shape[1]
            img = cv2.resize(np.ascontiguousarray(img), tuple(int(v) for v in self.resize),
                             interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)
        return np.ascontiguousarray(img)
