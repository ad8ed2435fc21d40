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


# ---------------------------------------------------------------- camera-like extras (real headsets and webcams)
def random_scale_affine(x: torch.Tensor, scale_range: tuple[float, float], rotate_deg: float, shift: float,
                        g: torch.Generator, padding: str = "reflection") -> tuple[torch.Tensor, torch.Tensor]:
    """Rotation, log-uniform zoom (scale < 1 = the subject gets smaller, e.g. a tight eye crop becoming a headset
    frame in which the eye fills about half the width) and shift. Returns the images and the (B, 2, 3) affine that
    maps OUTPUT normalized coordinates to INPUT ones (to move point labels with ``map_points``)."""
    b = x.shape[0]
    ang = (torch.rand(b, generator=g) * 2 - 1) * rotate_deg * torch.pi / 180
    ls = torch.log(torch.tensor(scale_range, dtype=torch.float32))
    sc = torch.exp(ls[0] + torch.rand(b, generator=g) * (ls[1] - ls[0]))
    tx, ty = (torch.rand(2, b, generator=g) * 2 - 1) * shift * 2
    cos, sin = torch.cos(ang) / sc, torch.sin(ang) / sc
    theta = torch.stack([torch.stack([cos, -sin, tx], 1), torch.stack([sin, cos, ty], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode=padding, align_corners=False), theta


def map_points(points01: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
    """Points (B, 2) as 0..1 fractions of the INPUT image -> their 0..1 position in the affine's output image."""
    p = points01 * 2 - 1
    a, t = theta[:, :, :2], theta[:, :, 2]
    out = torch.linalg.solve(a, (p - t).unsqueeze(2)).squeeze(2)
    return (out + 1) / 2


def add_glints(x: torch.Tensor, p: float, g: torch.Generator) -> torch.Tensor:
    """A ring of 6-12 small specular dots (a headset's LED ring reflected on the cornea) on a random subset."""
    b, _, h, w = x.shape
    pick = torch.rand(b, generator=g) < p
    n = int(pick.sum())
    if n == 0:
        return x
    k = 10
    cx = (0.35 + 0.3 * torch.rand(n, 1, generator=g)) * w
    cy = (0.35 + 0.3 * torch.rand(n, 1, generator=g)) * h
    r = (0.05 + 0.1 * torch.rand(n, 1, generator=g)) * w
    ang = torch.linspace(0, 2 * torch.pi, k + 1)[:k].view(1, k) + torch.rand(n, 1, generator=g) * 6.3
    on = (torch.rand(n, k, generator=g) < 0.8).float()
    gx, gy = cx + r * torch.cos(ang), cy + r * 0.8 * torch.sin(ang)
    sig = 0.4 + 0.6 * torch.rand(n, 1, 1, 1, generator=g)
    yy = torch.arange(h, dtype=x.dtype).view(1, 1, h, 1)
    xx = torch.arange(w, dtype=x.dtype).view(1, 1, 1, w)
    d2 = (xx - gx.view(n, k, 1, 1)) ** 2 + (yy - gy.view(n, k, 1, 1)) ** 2
    dots = (on.view(n, k, 1, 1) * torch.exp(-d2 / (2 * sig**2))).sum(1, keepdim=True)
    out = x.clone()
    out[pick] = (x[pick] + dots * (0.6 + 0.4 * torch.rand(n, 1, 1, 1, generator=g))).clamp(0, 1)
    return out


def add_vignette(x: torch.Tensor, p: float, g: torch.Generator) -> torch.Tensor:
    """Circular lens/baffle vignette (bright disc, dark corners) with a random centre and strength."""
    b, _, h, w = x.shape
    pick = torch.rand(b, generator=g) < p
    n = int(pick.sum())
    if n == 0:
        return x
    yy = torch.linspace(-1, 1, h).view(1, 1, h, 1)
    xx = torch.linspace(-1, 1, w).view(1, 1, 1, w)
    c = (torch.rand(n, 2, 1, 1, generator=g) - 0.5) * 0.3
    rad = 0.9 + 0.5 * torch.rand(n, 1, 1, 1, generator=g)
    r = torch.sqrt((xx - c[:, 0:1]) ** 2 + (yy - c[:, 1:2]) ** 2) / rad
    strength = 0.3 + 0.7 * torch.rand(n, 1, 1, 1, generator=g)
    out = x.clone()
    out[pick] = x[pick] * (1 - strength * r.clamp(0, 1.5).pow(4).clamp(0, 1))
    return out


def jpeg_roundtrip(x: torch.Tensor, p: float, g: torch.Generator, quality: tuple[int, int] = (25, 90)) -> torch.Tensor:
    """JPEG-compress a random subset (ESP32 trackers and webcams stream MJPEG) at quality 25-90."""
    import cv2
    import numpy as np

    b = x.shape[0]
    pick = torch.nonzero(torch.rand(b, generator=g) < p).flatten().tolist()
    if not pick:
        return x
    qs = torch.randint(quality[0], quality[1] + 1, (len(pick),), generator=g).tolist()
    out = x.clone()
    for i, q in zip(pick, qs, strict=True):
        img = (x[i, 0].clamp(0, 1).numpy() * 255 + 0.5).astype(np.uint8)
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, int(q)])
        if ok:
            out[i, 0] = torch.from_numpy(cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE).astype(np.float32) / 255.0)
    return out


def camera_extras(x: torch.Tensor, g: torch.Generator, glints: float = 0.0, vignette: float = 0.2,
                  jpeg: float = 0.25) -> torch.Tensor:
    """The camera effects the base augmentation lacks: LED glints, vignetting, JPEG artefacts."""
    return jpeg_roundtrip(add_vignette(add_glints(x, glints, g), vignette, g), jpeg, g)
