"""Batch augmentation on torch tensors (B, C, H, W) in 0..1.

Eyemotion augments with small rotation/scale/brightness and NO flips (left/right labels). We keep that rule and widen
the ranges toward what real headsets do: slippage (rotation, scale, shift), exposure/gain and gamma differences
between devices, sensor noise and motion/focus blur. The only flip anywhere is the deliberate left-eye mirroring
inside the blendshape model.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True, slots=True)
class AugmentConfig:
    rotate_deg: float = 6.0
    scale: float = 0.08
    shift: float = 0.06  # fraction of the image size
    gain: tuple[float, float] = (0.6, 1.4)
    offset: float = 0.08
    gamma: tuple[float, float] = (0.7, 1.45)
    noise_max: float = 0.04
    blur_prob: float = 0.3
    zoom_max: float = 0.0  # extra centred zoom-in, uniform in [1, 1 + zoom_max] (framing differences)


def random_affine(x: torch.Tensor, cfg: AugmentConfig, g: torch.Generator) -> torch.Tensor:
    """Per-sample random rotation/scale/shift (border padding: headset images have no black frame to invent)."""
    b = x.shape[0]
    ang = (torch.rand(b, generator=g) * 2 - 1) * cfg.rotate_deg * torch.pi / 180
    sc = 1 + (torch.rand(b, generator=g) * 2 - 1) * cfg.scale
    if cfg.zoom_max > 0:
        sc = sc * (1 + torch.rand(b, generator=g) * cfg.zoom_max)
    tx, ty = ((torch.rand(2, b, generator=g) * 2 - 1) * cfg.shift * 2)
    cos, sin = torch.cos(ang) / sc, torch.sin(ang) / sc
    aspect = x.shape[3] / x.shape[2]
    theta = torch.stack([torch.stack([cos, -sin / aspect, tx], 1), torch.stack([sin * aspect, cos, ty], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)


def photometric_params(b: int, cfg: AugmentConfig, g: torch.Generator) -> tuple[torch.Tensor, ...]:
    """Gain, offset and gamma per sample, shape (B, 1, 1, 1) each."""
    gain = cfg.gain[0] + torch.rand(b, generator=g) * (cfg.gain[1] - cfg.gain[0])
    offset = (torch.rand(b, generator=g) * 2 - 1) * cfg.offset
    lg = torch.log(torch.tensor(cfg.gamma))
    gamma = torch.exp(lg[0] + torch.rand(b, generator=g) * (lg[1] - lg[0]))
    return tuple(t.view(b, 1, 1, 1) for t in (gain, offset, gamma))


def apply_photometric(x: torch.Tensor, params: tuple[torch.Tensor, ...]) -> torch.Tensor:
    gain, offset, gamma = params
    return (x.clamp(0, 1).pow(gamma) * gain + offset).clamp(0, 1)


def random_blur(x: torch.Tensor, cfg: AugmentConfig, g: torch.Generator) -> torch.Tensor:
    """Gaussian blur (sigma 0.5..1.5 px) on a random subset of the batch."""
    b, c = x.shape[:2]
    pick = torch.rand(b, generator=g) < cfg.blur_prob
    if not bool(pick.any()):
        return x
    sigma = 0.5 + float(torch.rand(1, generator=g)) * 1.0
    r = torch.arange(-2, 3, dtype=x.dtype)
    k1 = torch.exp(-(r**2) / (2 * sigma**2))
    k1 = k1 / k1.sum()
    k = (k1[:, None] * k1[None, :]).expand(c, 1, 5, 5)
    blurred = F.conv2d(F.pad(x[pick], (2, 2, 2, 2), mode="replicate"), k, groups=c)
    out = x.clone()
    out[pick] = blurred
    return out


def add_noise(x: torch.Tensor, cfg: AugmentConfig, g: torch.Generator) -> torch.Tensor:
    sigma = torch.rand(x.shape[0], 1, 1, 1, generator=g) * cfg.noise_max
    return (x + torch.randn(x.shape, generator=g) * sigma).clamp(0, 1)


def augment_images(x: torch.Tensor, cfg: AugmentConfig, g: torch.Generator) -> torch.Tensor:
    """Full augmentation for a batch of single images (geometry, photometry, blur, noise)."""
    x = random_affine(x, cfg, g)
    x = apply_photometric(x, photometric_params(x.shape[0], cfg, g))
    return add_noise(random_blur(x, cfg, g), cfg, g)


def augment_with_reference(x: torch.Tensor, ref: torch.Tensor, cfg: AugmentConfig,
                           g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Augment frames and their session's neutral mean consistently: the same camera exposure (photometry) for both,
    but geometry only on the frame (headset slippage after the neutral capture) and noise only on the frame."""
    x = random_affine(x, cfg, g)
    p = photometric_params(x.shape[0], cfg, g)
    x, ref = apply_photometric(x, p), apply_photometric(ref, p)
    return add_noise(random_blur(x, cfg, g), cfg, g), ref
