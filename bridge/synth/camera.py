"""View geometry (render canvas -> camera image through the session's headset slip) and the camera model
(exposure, lens vignette, headset intrusion, defocus/motion blur, sensor noise, gamma, 8-bit output).

Faces are drawn in an axis-aligned *canvas* (face coordinates, separable x/y grids: cheap to vectorize);
the slip (shift/rotation/scale of this donning) is one ``cv2.warpAffine`` per frame into the camera image.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

# Without a known slip, the canvas extends this far beyond the nominal view (which spans [-1, 1] on its
# shorter side) so that typical slip shifts/rotations/zoom-outs still land on drawn pixels.
CANVAS_EXTENT = 1.4


@dataclass(frozen=True, slots=True)
class ViewGeometry:
    """Canvas grid of one view at one output size."""

    out_hw: tuple[int, int]
    canvas_hw: tuple[int, int]
    px: float  # canvas pixel size in face units
    x: np.ndarray  # (1, 1, Wc) float32 face x of each canvas column (increasing to image right)
    y: np.ndarray  # (1, Hc, 1) float32 face y of each canvas row (increasing DOWN)

    @staticmethod
    def for_size(out_hw: tuple[int, int], supersample: float = 1.0, slip: tuple | None = None) -> ViewGeometry:
        """Canvas for an output size. With ``slip`` = (shift, rotation_deg, scale[, aspect, shear]) the canvas is
        just large enough for what that slip shows (fewer pixels to draw); without it, a generous fixed margin."""
        h, w = out_hw
        m = min(h, w)
        px = 2.0 / (m * supersample)
        if slip is None:
            half_x, half_y = CANVAS_EXTENT * w / m, CANVAS_EXTENT * h / m
        else:
            a = _slip_linear(*slip[1:])
            vx, vy = w / m, h / m  # view half extents in face units before slip
            margin = 3 * px  # bilinear taps + rounding
            half_x = abs(a[0, 0]) * vx + abs(a[0, 1]) * vy + 2 * abs(slip[0][0]) + margin
            half_y = abs(a[1, 0]) * vx + abs(a[1, 1]) * vy + 2 * abs(slip[0][1]) + margin
        wc, hc = int(math.ceil(2 * half_x / px)), int(math.ceil(2 * half_y / px))
        x = ((np.arange(wc, dtype=np.float32) + 0.5) * px - wc * px / 2).reshape(1, 1, wc)
        y = ((np.arange(hc, dtype=np.float32) + 0.5) * px - hc * px / 2).reshape(1, hc, 1)
        return ViewGeometry(out_hw=(h, w), canvas_hw=(hc, wc), px=px, x=x, y=y)

    def slip_matrix(self, shift: tuple[float, float], rotation_deg: float, scale: float, aspect: float = 1.0,
                    shear: float = 0.0) -> np.ndarray:
        """2x3 matrix mapping OUTPUT pixel (col, row) -> CANVAS pixel, for cv2 WARP_INVERSE_MAP."""
        h, w = self.out_hw
        m = min(h, w)
        hc, wc = self.canvas_hw
        view_px = 2.0 / m  # face units per output pixel before zoom
        # output pixel -> view coords (centred, face units) -> shear/squash/rotate/zoom -> shift -> canvas pixel
        a = _slip_linear(rotation_deg, scale, aspect, shear) * view_px / self.px
        centre_out = np.array([w / 2 - 0.5, h / 2 - 0.5])
        centre_canvas = np.array([wc / 2 - 0.5, hc / 2 - 0.5]) + np.array(shift) * 2.0 / self.px
        t = centre_canvas - a @ centre_out
        return np.hstack([a, t[:, None]]).astype(np.float64)


def _slip_linear(rotation_deg: float, scale: float, aspect: float = 1.0, shear: float = 0.0) -> np.ndarray:
    """2x2 map from view coordinates to face coordinates for one slip (rotation, zoom, squash, shear)."""
    th = math.radians(rotation_deg)
    rot = np.array([[math.cos(th), -math.sin(th)], [math.sin(th), math.cos(th)]])
    # aspect < 1: the face looks vertically squashed (the view covers more face height)
    squash = np.array([[1.0, shear], [0.0, 1.0 / aspect]])
    return rot @ squash / scale


def warp_to_camera(canvas: np.ndarray, geom: ViewGeometry, matrix: np.ndarray) -> np.ndarray:
    """(B, Hc, Wc) float32 canvas -> (B, H, W) float32 camera images through the slip: one (2, 3) matrix for
    the batch or (B, 2, 3) matrices, one per frame."""
    h, w = geom.out_hw
    out = np.empty((canvas.shape[0], h, w), np.float32)
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    per_frame = matrix.ndim == 3
    for b in range(canvas.shape[0]):
        m = matrix[b] if per_frame else matrix
        cv2.warpAffine(canvas[b], m, (w, h), dst=out[b], flags=flags, borderMode=cv2.BORDER_REPLICATE)
    return out


def radial_vignette(out_hw: tuple[int, int], radius: float, softness: float, centre: tuple[float, float]) -> np.ndarray:
    """(H, W) 0..1 circular lens/baffle disc: 1 inside ``radius`` (fraction of the half-diagonal), black corners."""
    h, w = out_hw
    m = min(h, w)
    yy = (np.arange(h, dtype=np.float32) - h / 2 + 0.5)[:, None] / (m / 2) - centre[1]
    xx = (np.arange(w, dtype=np.float32) - w / 2 + 0.5)[None, :] / (m / 2) - centre[0]
    r = np.sqrt(xx * xx + yy * yy) / math.sqrt(2.0)
    edge = np.clip((radius - r) / max(softness, 1e-3), 0.0, 1.0)
    # cos^4-like falloff inside the disc as well
    return (edge * (1.0 - 0.35 * np.clip(r / max(radius, 1e-3), 0, 1) ** 2)).astype(np.float32)


def intrusion_mask(out_hw: tuple[int, int], amount: float, angle_deg: float) -> np.ndarray:
    """(H, W) multiplier: a dark curved headset/lens-rim edge entering from one side (1 = clear)."""
    h, w = out_hw
    if amount <= 0:
        return np.ones((h, w), np.float32)
    m = min(h, w)
    yy = (np.arange(h, dtype=np.float32) - h / 2 + 0.5)[:, None] / (m / 2)
    xx = (np.arange(w, dtype=np.float32) - w / 2 + 0.5)[None, :] / (m / 2)
    th = math.radians(angle_deg)
    d = xx * math.cos(th) + yy * math.sin(th)  # distance along the intrusion direction
    # A large circle (the rim) rather than a straight edge.
    perp = -xx * math.sin(th) + yy * math.cos(th)
    boundary = 1.0 - amount * 2.0 + 0.25 * perp * perp
    inside = np.clip((d - boundary) / 0.06, 0.0, 1.0)
    return (1.0 - 0.92 * inside).astype(np.float32)


def gamma_lut(gamma: float, black_level: float) -> np.ndarray:
    """(256,) uint8 tone curve applied to the 8-bit image (sensor response + black level)."""
    v = np.arange(256, dtype=np.float64) / 255.0
    return np.clip(255.0 * (black_level + (1.0 - black_level) * v**gamma) + 0.5, 0, 255).astype(np.uint8)


def blur_frames(images: np.ndarray, rng: np.random.Generator, sigma: float, motion_prob: float) -> None:
    """In place: device defocus (Gaussian ``sigma`` px) on every frame and a random motion streak on some."""
    n, h, w = images.shape
    if sigma > 0.3:
        # One separable pass per axis over the whole batch: rows of one frame never mix with another's.
        k = cv2.getGaussianKernel(2 * int(math.ceil(2 * sigma)) + 1, sigma).astype(np.float32)
        flat = images.reshape(n * h, w)
        cv2.sepFilter2D(flat, -1, k, np.ones((1, 1), np.float32), dst=flat, borderType=cv2.BORDER_REFLECT)
        cols = np.ascontiguousarray(images.transpose(1, 0, 2).reshape(h, n * w))
        cv2.sepFilter2D(cols, -1, np.ones((1, 1), np.float32), k, dst=cols, borderType=cv2.BORDER_REFLECT)
        images[:] = cols.reshape(h, n, w).transpose(1, 0, 2)
    if motion_prob > 0:
        for b in np.flatnonzero(rng.random(n) < motion_prob):
            length = int(rng.integers(2, max(3, w // 12) + 1))
            kernel = np.zeros((length, length), np.float32)
            if rng.random() < 0.6:  # blinks and vertical saccades dominate
                kernel[:, length // 2] = 1.0
            else:
                kernel[length // 2, :] = 1.0
            kernel /= kernel.sum()
            cv2.filter2D(images[b], -1, kernel, dst=images[b], borderType=cv2.BORDER_REFLECT)


def finish_camera(
    images: np.ndarray,
    gain_map: np.ndarray,
    noise_std: float,
    lut: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """(B, H, W) float32 linear radiance -> (B, H, W) uint8: gain/vignette, signal-dependent noise, tone curve."""
    images *= gain_map
    n, h, w = images.shape
    noise = np.empty((n * h, w), np.float32)
    # OpenCV's Gaussian generator is ~5x faster than numpy's; seeding it from ``rng`` right before use keeps
    # the output a pure function of the caller's generator (same thread, same seed -> same noise).
    cv2.setRNGSeed(int(rng.integers(0, 2**31 - 1)))
    cv2.randn(noise, 0.0, float(noise_std))  # type: ignore[call-overload]  # stubs lack the scalar form
    noise = noise.reshape(n, h, w)
    # Shot noise grows with brightness; read noise floor keeps dark pupils noisy too.
    images += noise * (0.5 + images)
    np.clip(images, 0.0, 1.0, out=images)
    images *= 255.0
    out8 = images.astype(np.uint8)
    return cv2.LUT(out8.reshape(n * h, w), lut).reshape(n, h, w)
