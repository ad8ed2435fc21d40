"""Crop policy: any camera image (any size/aspect, 8-bit gray or RGB/BGR) -> a square float32 crop in 0..1.

Policy (the same for the live pipeline, `infer`, training and evaluation, so the models see one distribution):

* colour images are converted to gray (BT.601 luma; a near-IR frame stored as 3 equal channels is unchanged);
* ``left_eye``, ``right_eye``, ``mouth``: CENTRE-CROP to the largest centred square, then resize. Headset cameras
  point at their region, so the centre holds the eye/mouth and a crop keeps full resolution (portrait 400x640 eye
  frames keep the eye, a wide frame loses its empty sides);
* ``lower_face``: the input is a ROUGHLY FACE-ALIGNED image (as the occluded-lower-face paper uses: a face crop, or
  the external camera framed on the face). It gets the same CENTRE-SQUARE crop, then the upper half is blacked out:
  the model was trained on faces whose upper half is hidden (by a headset or a black box), so a visible upper face
  must not reach it. Measured on 937 frames of the 16 test identities rendered at the live source's 320x240: centre
  crop 0.668 FER8 accuracy (the 64x64 dataset view: 0.673), a (H+W)/2 square with black bars 0.575, with
  edge-replicated bars 0.635. A 3:4 portrait face crop loses 1/8 of its height at top and bottom, which keeps the
  mouth (it moves within the +-10 % shift jitter the model is trained with, along with +-20 % scale);
* resizing uses INTER_AREA when shrinking (anti-aliased) and INTER_LINEAR when enlarging.
"""

from __future__ import annotations

import cv2
import numpy as np

CENTRE_CROP_VIEWS = frozenset({"left_eye", "right_eye", "mouth"})
OCCLUDED_VIEWS = frozenset({"lower_face"})  # centre crop + upper half hidden


def to_gray_u8(image: np.ndarray, name: str = "image") -> np.ndarray:
    """8-bit gray (H, W) from gray, gray+alpha, RGB/BGR or RGBA input; 16-bit input is scaled down to 8 bits."""
    img = np.asarray(image)
    if img.dtype == np.uint16:
        img = (img >> 8).astype(np.uint8)
    elif img.dtype != np.uint8:
        if not np.issubdtype(img.dtype, np.floating):
            raise ValueError(f"{name}: unsupported pixel type {img.dtype}; use 8-bit gray or RGB images")
        img = np.clip(img * (255.0 if img.max(initial=0) <= 1.0 else 1.0), 0, 255).astype(np.uint8)
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[:, :, 0]
    if img.ndim == 3 and img.shape[2] == 2:
        img = img[:, :, 0]
    if img.ndim == 3 and img.shape[2] in (3, 4):
        img = cv2.cvtColor(img, cv2.COLOR_BGRA2GRAY if img.shape[2] == 4 else cv2.COLOR_BGR2GRAY)
    if img.ndim != 2 or img.shape[0] < 2 or img.shape[1] < 2:
        raise ValueError(f"{name}: expected a 2-D gray or 3-channel image, got shape {img.shape}")
    return img


def centre_square(img: np.ndarray) -> np.ndarray:
    """The largest centred square of a 2-D image (a view, no copy)."""
    h, w = img.shape[:2]
    side = min(h, w)
    y0, x0 = (h - side) // 2, (w - side) // 2
    return img[y0:y0 + side, x0:x0 + side]


def resize_square(img: np.ndarray, size: int) -> np.ndarray:
    """Resize a square image to size x size (area filter when shrinking)."""
    if img.shape[0] == size and img.shape[1] == size:
        return img
    interp = cv2.INTER_AREA if img.shape[0] > size else cv2.INTER_LINEAR
    return cv2.resize(img, (size, size), interpolation=interp)


def hide_upper_half(img: np.ndarray) -> np.ndarray:
    """Black out the upper half of a square face crop (occluded-lower-face protocol). Returns a new array."""
    out = np.array(img, copy=True)
    out[: out.shape[0] // 2] = 0
    return out


def crop_view_u8(image: np.ndarray, view: str, size: int, occlude: bool = True) -> np.ndarray:
    """Apply the documented crop policy of ``view`` and return a (size, size) uint8 crop.

    ``occlude=False`` keeps the upper half of a lower_face crop (only training's full-face stage wants that).
    """
    gray = to_gray_u8(image, view)
    if view in OCCLUDED_VIEWS:
        square = resize_square(centre_square(gray), size)
        return hide_upper_half(square) if occlude else square
    if view in CENTRE_CROP_VIEWS:
        return resize_square(centre_square(gray), size)
    raise ValueError(f"unknown camera view {view!r}; expected one of {sorted(CENTRE_CROP_VIEWS | OCCLUDED_VIEWS)}")


def crop_view(image: np.ndarray, view: str, size: int) -> np.ndarray:
    """``crop_view_u8`` as float32 in 0..1 (the model input scale)."""
    return crop_view_u8(image, view, size).astype(np.float32) * np.float32(1.0 / 255.0)


def crop_batch_u8(images: np.ndarray, view: str, size: int, occlude: bool = True) -> np.ndarray:
    """Crop a stack (N, H, W) of uint8 frames of one view with the policy of ``view``."""
    images = np.asarray(images)
    out = np.empty((images.shape[0], size, size), dtype=np.uint8)
    for i, img in enumerate(images):
        out[i] = crop_view_u8(img, view, size, occlude)
    return out


# FER+-like framing from a face-detector box (x, y, w, h): the crop's centre in box units and its side in box widths.
# Calibrated by running the webcam's detector (bridge.sources.face_detector) on FER+ faces: the median box inside a
# 48x48 FER frame (`python -m bridge.sources.face_bench --fer ...`; figures in docs/cameras.md).
FACE_FRAME_CENTRE = (0.497, 0.506)
FACE_FRAME_SIDE = 1.032


def face_aligned_square(box: tuple[float, float, float, float]) -> tuple[float, float, float]:
    """The FER-like square (centre x, centre y, side) in image pixels for a face-detector box (x, y, w, h)."""
    x, y, w, h = (float(v) for v in box)
    if not (w > 0 and h > 0):
        raise ValueError(f"face box must have w, h > 0, got {box}")
    return x + FACE_FRAME_CENTRE[0] * w, y + FACE_FRAME_CENTRE[1] * h, FACE_FRAME_SIDE * (w + h) / 2.0


def square_crop(gray: np.ndarray, cx: float, cy: float, side: float, size: int | None = None) -> np.ndarray:
    """The square of ``side`` pixels centred on (cx, cy) of a 2-D image, edge-replicated where it leaves the frame,
    resized to ``size`` (None: its own side)."""
    half = side / 2.0
    x0, y0 = int(round(cx - half)), int(round(cy - half))
    n = max(2, int(round(side)))
    x1, y1 = x0 + n, y0 + n
    h, w = gray.shape[:2]
    inner = gray[max(0, y0):min(h, y1), max(0, x0):min(w, x1)]
    if inner.size == 0:  # the box lies wholly outside the frame: nothing to replicate from
        raise ValueError(f"crop square ({cx:.0f}, {cy:.0f}, side {side:.0f}) lies outside the {w}x{h} image")
    top, left = max(0, -y0), max(0, -x0)
    bottom, right = max(0, y1 - h), max(0, x1 - w)
    square = cv2.copyMakeBorder(inner, top, bottom, left, right, cv2.BORDER_REPLICATE) if top or left or bottom \
        or right else np.ascontiguousarray(inner)
    return square if size is None else resize_square(square, size)


def face_aligned_crop(image: np.ndarray, box: tuple[float, float, float, float], size: int | None = None) -> np.ndarray:
    """A face framed like a FER2013/FER+ face (brows to chin, ears at the edges) from a face-detector box.

    ``image``: gray or colour, any size; ``box``: (x, y, w, h) from the webcam's face detector. Returns a square
    gray uint8 image (``size`` x ``size``, or the framing's own pixel size when None), edge-padded where the frame
    ends. Its ``crop_view_u8(..., "lower_face", ...)`` is the lower-face model's input.
    """
    gray = to_gray_u8(image, "face image")
    cx, cy, side = face_aligned_square(box)
    return square_crop(gray, cx, cy, side, size)


def neutral_reference(crops: list[np.ndarray] | np.ndarray) -> np.ndarray:
    """Mean of a user's neutral crops of one view (float32, model resolution): the Eyemotion personalization input.

    Pass the ``ModelInputs.images[view]`` of the frames captured while the user holds a neutral face (the first
    seconds of a session). Raises ValueError when there is nothing to average.
    """
    arr = np.asarray(crops, dtype=np.float32)
    if arr.ndim != 3 or arr.shape[0] == 0:
        raise ValueError(f"neutral_reference: expected a non-empty stack of (H, W) crops, got shape {arr.shape}")
    return arr.mean(axis=0)


def neutral_references(inputs_seq) -> dict[str, np.ndarray]:
    """Neutral means for the eye views from a sequence of ModelInputs (views missing in every frame are skipped)."""
    out: dict[str, np.ndarray] = {}
    for view in ("left_eye", "right_eye"):
        crops = [inp.images[view] for inp in inputs_seq if view in inp.images]
        if crops:
            out[view] = neutral_reference(crops)
    return out
