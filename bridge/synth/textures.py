"""Procedural textures (smooth value noise, hair strands) generated from a seed with OpenCV resizes, and the soft
band profile the views draw lines and folds with."""

from __future__ import annotations

import cv2
import numpy as np


def value_noise(rng: np.random.Generator, shape: tuple[int, int], cells: float) -> np.ndarray:
    """Smooth noise in about [-1, 1] with ``cells`` random values across the larger side (bicubic upsampling)."""
    h, w = shape
    ch = max(2, int(round(cells * h / max(h, w))) + 1)
    cw = max(2, int(round(cells * w / max(h, w))) + 1)
    coarse = rng.uniform(-1.0, 1.0, (ch, cw)).astype(np.float32)
    return cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC)


def fractal_noise(rng: np.random.Generator, shape: tuple[int, int], base_cells: float, octaves: int = 3) -> np.ndarray:
    """Sum of value-noise octaves (each twice as fine, half as strong), normalised to about [-1, 1]."""
    out = np.zeros(shape, np.float32)
    amp, total = 1.0, 0.0
    for k in range(octaves):
        out += amp * value_noise(rng, shape, base_cells * 2**k)
        total += amp
        amp *= 0.5
    return out / total


def strands(rng: np.random.Generator, n: int, density: float, period_px: float = 2.5) -> np.ndarray:
    """(n,) 0..1 coverage of thin hairs along a row (lashes, brow hairs): irregular, sparser when density is low."""
    fine: np.ndarray = rng.random(n).astype(np.float32)
    k = max(1, int(round(period_px / 2)))
    fine = np.convolve(fine, np.ones(k, np.float32) / k, mode="same")
    fine = (fine - fine.mean()) / (fine.std() + 1e-6)
    clumps = value_noise(rng, (1, n), max(2.0, n / 10.0))[0]
    return np.clip(0.35 + 0.45 * density + 0.2 * fine + 0.15 * clumps, 0.0, 1.0).astype(np.float32)


def hair_texture(rng: np.random.Generator, shape: tuple[int, int], strand_px: float = 3.0,
                 horizontal: bool = False) -> np.ndarray:
    """0..1 fine hair coverage: per-pixel noise smeared along strands (vertical, or horizontal for brows)."""
    h, w = shape
    fine: np.ndarray = rng.random((h, w)).astype(np.float32)
    k = max(1, int(round(strand_px)))
    fine = cv2.blur(fine, (2 * k + 1, 1) if horizontal else (1, 2 * k + 1))
    fine = (fine - fine.mean()) / (fine.std() + 1e-6)
    clumps = value_noise(rng, shape, max(3.0, max(h, w) / 8.0))
    return np.clip(0.55 + 0.3 * fine + 0.25 * clumps, 0.0, 1.0).astype(np.float32)


def soft_band(d: np.ndarray, half_width) -> np.ndarray:
    """Triangular profile 1 at d = 0 falling to 0 at |d| = half_width (cheap stand-in for a Gaussian). In place on
    ``d`` (which is returned): the renderers call it on fresh temporaries in the per-frame path."""
    out = np.abs(d, out=d)
    out /= half_width
    np.subtract(1.0, out, out=out)
    np.maximum(out, 0.0, out=out)
    return out
