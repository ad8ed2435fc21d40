"""Crops for imported images: the runtime's eye crop and a FER-like face-aligned square (brows to chin).

FER2013/FER+ faces (what the lower-face model learns from) are framed with the brows at ~25 % of the height, the
chin at ~95 % and the cheeks/ears at the edges. Sets that come with landmarks or a mouth box are cut to the same
framing, so every face source looks alike at 48x48.
"""

from __future__ import annotations

import cv2
import numpy as np

from bridge.inference.preprocess import centre_square, resize_square, to_gray_u8

BROW_Y = 0.23  # brow line, fraction of the crop height (FER-like framing)
CHIN_Y = 0.97  # chin
# A wide-open (yawning) mouth box in that framing: its centre sits at ~76 % of the height and it is ~32 % of the
# crop wide (a yawn narrows the lips; a closed mouth is ~40 %).
YAWN_MOUTH_CY = 0.76
YAWN_MOUTH_W = 0.32


def eye_crop(image: np.ndarray, size: int) -> tuple[np.ndarray, tuple[float, float, float]]:
    """The runtime eye-camera policy (centre square, resize) and the transform (x0, y0, side) that maps source
    pixel coordinates to crop fractions: u = (x - x0) / side."""
    gray = to_gray_u8(image)
    h, w = gray.shape
    side = min(h, w)
    x0, y0 = (w - side) // 2, (h - side) // 2
    return resize_square(centre_square(gray), size), (float(x0), float(y0), float(side))


def square_crop(image: np.ndarray, cx: float, cy: float, side: float, size: int) -> np.ndarray:
    """A ``side`` px square centred on (cx, cy), edge-padded where it leaves the frame, resized to ``size``."""
    gray = to_gray_u8(image)
    side = max(2.0, float(side))
    scale = size / side
    # One affine warp = crop + pad + resize; INTER_AREA is not available in warpAffine, so pre-shrink big sources.
    src = gray
    if scale < 0.5:
        f = 2.0 * scale
        src = cv2.resize(gray, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
        cx, cy, scale = cx * f, cy * f, scale / f
    m = np.array([[scale, 0, size / 2 - cx * scale], [0, scale, size / 2 - cy * scale]], np.float32)
    return cv2.warpAffine(src, m, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def face_box_from_landmarks(points: np.ndarray) -> tuple[float, float, float]:
    """(cx, cy, side) of the FER-like square from 68 iBUG landmarks (jaw 0-16, brows 17-26)."""
    p = np.asarray(points, np.float32).reshape(-1, 2)
    brow = float(p[17:27, 1].min())
    chin = float(p[8, 1])
    side = max((chin - brow) / (CHIN_Y - BROW_Y), float(p[0:17, 0].max() - p[0:17, 0].min()))
    cx = float((p[0:17, 0].min() + p[0:17, 0].max()) / 2)
    top = brow - BROW_Y * side
    return cx, top + side / 2, side


def face_box_from_yawn_mouth(cx: float, cy: float, w: float, h: float) -> tuple[float, float, float]:
    """(cx, cy, side) of the FER-like square from a wide-open mouth box (pixels)."""
    side = max(w / YAWN_MOUTH_W, h / 0.40)
    return cx, cy - (YAWN_MOUTH_CY - 0.5) * side, side


def mask_stats(mask: np.ndarray) -> tuple[float, float, float] | None:
    """(centroid x, centroid y, visible fraction) of a binary disc mask (pupil or iris), or None when empty.

    Visible fraction = mask area / area of the disc whose diameter is the mask's width: eyelids cut a disc from
    above and below but leave its width, so this measures lid occlusion independent of the disc's size.
    """
    m = to_gray_u8(mask) > 127
    ys, xs = np.nonzero(m)
    if len(xs) < 4:
        return None
    width = float(xs.max() - xs.min() + 1)
    frac = float(len(xs)) / (np.pi * (width / 2) ** 2)
    return float(xs.mean()), float(ys.mean()), float(min(1.0, frac))


# A headset eye camera frames the eye at about half the frame's width (shared/reference/cameras.md): eye crops cut
# around landmarks are this many eye widths (corner to corner) on a side.
EYE_SIDE_IN_EYE_WIDTHS = 2.0


def eye_aperture(contour: np.ndarray) -> float:
    """Visible eye area of a 6-point eyelid contour (iBUG order: outer corner, two upper-lid points, inner corner,
    two lower-lid points) divided by the squared eye width: scale-free, 0 for a closed eye, ~0.2 relaxed open."""
    p = np.asarray(contour, np.float64).reshape(6, 2)
    width2 = float(((p[3] - p[0]) ** 2).sum())
    if width2 <= 0:
        return float("nan")
    x, y = p[:, 0], p[:, 1]
    return float(0.5 * abs(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1))) / width2)


def eye_crop_from_contour(image: np.ndarray, contour: np.ndarray, size: int) -> np.ndarray:
    """A square eye crop centred on a 6-point eyelid contour, EYE_SIDE_IN_EYE_WIDTHS eye widths on a side (the eye
    at about half the frame width, as a headset eye camera sees it)."""
    p = np.asarray(contour, np.float32).reshape(6, 2)
    width = float(np.linalg.norm(p[3] - p[0]))
    cx, cy = (float(v) for v in p.mean(0))
    return square_crop(image, cx, cy, EYE_SIDE_IN_EYE_WIDTHS * width, size)


# Eye crops cut from a face-detector box (x, y, w, h) of the webcam's Haar detector (bridge.sources.face_detector):
# eye centres in box units and the crop side in box widths. Measured with OpenCV's eye cascade on the 193 custom_nir
# frames (median eye centres (0.69, 0.378) and (0.305, 0.389)); the side puts the eye at about half the crop's width
# with the brow near the top edge, as a headset eye camera frames it (shared/reference/cameras.md).
EYE_CENTRE_X = (0.69, 0.31)  # subject's LEFT eye (image right, camera facing the subject), subject's RIGHT eye
EYE_CENTRE_Y = 0.385
EYE_CROP_SIDE = 0.40


def eye_crops_from_face_box(image: np.ndarray, box: tuple[float, float, float, float],
                            size: int) -> tuple[np.ndarray, np.ndarray]:
    """(left eye, right eye) square crops of the SUBJECT's eyes from a face box, unmirrored (as the left and the right
    headset eye camera see them: bridge.inference's ``left_eye`` / ``right_eye`` views)."""
    x, y, w, h = (float(v) for v in box)
    cy = y + EYE_CENTRE_Y * h
    left, right = (square_crop(image, x + fx * w, cy, EYE_CROP_SIDE * w, size) for fx in EYE_CENTRE_X)
    return left, right
