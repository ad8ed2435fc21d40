"""HeadsetRenderer: batches of (shapes, gaze) -> single-channel uint8 images of every requested view."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from bridge.schema import CAMERAS, NUM_BLENDSHAPES
from bridge.synth.camera import (
    blur_frames,
    finish_camera,
    gamma_lut,
    intrusion_mask,
    radial_vignette,
    warp_to_camera,
)
from bridge.synth.eye_view import EyeAssets, build_eye_assets, render_eye_canvas
from bridge.synth.identity import VIEW_ORDER, Identity, SessionConditions
from bridge.synth.mouth_view import MouthAssets, build_lower_face_assets, build_mouth_assets, render_mouth_canvas

MODEL_SIZE = (64, 64)
DEFAULT_SIZES: dict[str, tuple[int, int]] = {view: MODEL_SIZE for view in CAMERAS}
# Device-like resolutions (H, W): ESP32 eye/mouth trackers stream 240x240; a webcam crop 320x240 landscape.
DEVICE_SIZES: dict[str, tuple[int, int]] = {
    "left_eye": (240, 240),
    "right_eye": (240, 240),
    "mouth": (240, 240),
    "lower_face": (240, 320),
}


def validate_sizes(sizes: dict[str, tuple[int, int]] | None) -> dict[str, tuple[int, int]]:
    """Check a {view: (H, W)} mapping; raises ValueError naming the bad view/size."""
    if sizes is None:
        return dict(DEFAULT_SIZES)
    if not isinstance(sizes, dict) or not sizes:
        raise ValueError(f"sizes must be a non-empty dict view -> (H, W) with views from {CAMERAS}, got {sizes!r}")
    out = {}
    for view, hw in sizes.items():
        if view not in CAMERAS:
            raise ValueError(f"unknown camera view {view!r} in sizes; expected a subset of {CAMERAS}")
        try:
            h, w = (int(v) for v in hw)
        except (TypeError, ValueError):
            raise ValueError(f"sizes[{view!r}] must be (H, W) integers, got {hw!r}") from None
        if not (16 <= h <= 2048 and 16 <= w <= 2048):
            raise ValueError(f"sizes[{view!r}] = {(h, w)} is out of range: use 16..2048 pixels per side")
        out[view] = (h, w)
    return out


class _ViewCamera:
    """Session-constant camera parameters of one view at one size."""

    def __init__(self, view: str, sess: SessionConditions, assets: EyeAssets | MouthAssets) -> None:
        i = VIEW_ORDER.index(view)
        geom = assets.geom
        h, w = geom.out_hw
        self.geom = geom
        matrix = geom.slip_matrix(sess.slip_shift[i], sess.slip_rotation_deg[i], sess.slip_scale[i],
                                  sess.slip_aspect[i], sess.slip_shear[i])
        if view == "left_eye":
            # Canonical eye canvases have the nose at +x (right-eye layout); the subject's left eye, seen by
            # its own camera, has the nose at image LEFT, so read the canvas mirrored.
            matrix = matrix.copy()
            matrix[0, :] *= -1.0
            matrix[0, 2] += geom.canvas_hw[1] - 1
        self.matrix = matrix
        if view in ("left_eye", "right_eye"):
            vig = radial_vignette((h, w), sess.vignette_radius, sess.vignette_softness, sess.vignette_center)
            vig = vig * intrusion_mask((h, w), sess.intrusion, sess.intrusion_angle_deg + 180.0 * (view == "left_eye"))
            noise = sess.gain_noise
        elif view == "mouth":
            vig = radial_vignette((h, w), sess.vignette_radius + 0.15, sess.vignette_softness, (0.0, 0.0))
            noise = sess.gain_noise
        else:  # external webcam: mild lens falloff, its own auto exposure, less noise
            vig = radial_vignette((h, w), 1.6, 0.6, (0.0, 0.0))
            noise = 0.6 * sess.gain_noise
        self.gain_map = (sess.exposure * vig).astype(np.float32)
        self.noise = float(noise)
        self.lut = gamma_lut(sess.gamma, sess.black_level)
        # Defocus is specified in pixels at model resolution (64); blur runs on the canvas (cheaper when the
        # canvas is coarser than the output), so convert to canvas pixels.
        self.blur_sigma = sess.blur_sigma * min(h, w) / 64.0 * (2.0 / min(h, w)) / geom.px
        self.motion_prob = sess.motion_blur_prob


class HeadsetRenderer:
    """Renders the synthetic headset's camera views.

    ``sizes`` maps each wanted view (any subset of schema.CAMERAS) to (H, W); default: every view at 64x64.
    ``render_scale`` < 1 draws the face on a coarser canvas that the slip warp upsamples to the output size
    (noise stays per output pixel): device-size frames for live use at a fraction of the cost.
    Static layers (textures, sprites, vignettes) are cached per (identity, session) so batches are cheap.
    """

    def __init__(self, sizes: dict[str, tuple[int, int]] | None = None, cache_size: int = 8,
                 render_scale: float = 1.0) -> None:
        if not (0.1 <= render_scale <= 4.0):
            raise ValueError(f"render_scale must be in 0.1..4, got {render_scale!r}")
        self.render_scale = float(render_scale)
        self.sizes = validate_sizes(sizes)
        self.views = tuple(v for v in CAMERAS if v in self.sizes)
        self._cache: OrderedDict[tuple, tuple] = OrderedDict()
        self._cache_size = cache_size

    def _assets(self, ident: Identity, sess: SessionConditions, view: str):
        key = (ident, sess, view)
        hit = self._cache.get(key)
        if hit is not None:
            self._cache.move_to_end(key)
            return hit
        size = self.sizes[view]
        k = self.render_scale
        i = VIEW_ORDER.index(view)
        # the canvas is only as big as this slip needs
        slip = (sess.slip_shift[i], sess.slip_rotation_deg[i], sess.slip_scale[i], sess.slip_aspect[i],
                sess.slip_shear[i])
        if view in ("left_eye", "right_eye"):
            assets: EyeAssets | MouthAssets = build_eye_assets(ident, sess, 0 if view == "left_eye" else 1, size, k,
                                                               slip)
        elif view == "mouth":
            assets = build_mouth_assets(ident, sess, size, k, slip)
        else:
            assets = build_lower_face_assets(ident, sess, size, k, slip)
        entry = (assets, _ViewCamera(view, sess, assets))
        self._cache[key] = entry
        if len(self._cache) > self._cache_size * len(CAMERAS):
            self._cache.popitem(last=False)
        return entry

    def render_canvas(self, ident: Identity, sess: SessionConditions, view: str, shapes: np.ndarray,
                      gaze: np.ndarray) -> np.ndarray:
        """Noise-free (B, Hc, Wc) canvas radiance of one view (before slip and camera); for tests/debugging."""
        assets, _ = self._assets(ident, sess, view)
        if isinstance(assets, EyeAssets):
            return render_eye_canvas(assets, ident, shapes, gaze)
        return render_mouth_canvas(assets, ident, shapes)

    def render_batch(self, ident: Identity, sess: SessionConditions, shapes: np.ndarray, gaze: np.ndarray,
                     rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Render B frames. shapes (B, 52) in 0..1, gaze (B, 2, 2) degrees [left, right] x [yaw, pitch].

        Returns {view: (B, H, W) uint8}. Deterministic for the same inputs and rng state.
        """
        shapes, gaze = check_inputs(shapes, gaze)
        if not isinstance(ident, Identity) or not isinstance(sess, SessionConditions):
            raise TypeError("render_batch: pass an Identity and a SessionConditions (sample_identity/sample_session)")
        if shapes.shape[0] == 0:
            return {view: np.zeros((0,) + self.sizes[view], np.uint8) for view in self.views}
        out: dict[str, np.ndarray] = {}
        for view in self.views:
            assets, cam = self._assets(ident, sess, view)
            if isinstance(assets, EyeAssets):
                canvas = render_eye_canvas(assets, ident, shapes, gaze)
            else:
                canvas = render_mouth_canvas(assets, ident, shapes)
            canvas = np.ascontiguousarray(canvas, np.float32)
            blur_frames(canvas, rng, cam.blur_sigma, cam.motion_prob)
            matrix = head_motion_matrices(cam, gaze) if view == "lower_face" else cam.matrix
            img = warp_to_camera(canvas, cam.geom, matrix)
            out[view] = finish_camera(img, cam.gain_map, cam.noise, cam.lut, rng)
        return out


# Eye-head coordination: the head turns with about a third of a gaze shift. The headset cameras move with the head
# (their views do not change), but the external webcam sees the face shift and roll.
HEAD_FRACTION_OF_GAZE = 0.35
WEBCAM_SHIFT_PER_DEG = 0.012  # view units per degree of head rotation
WEBCAM_ROLL_PER_YAW = 0.15  # degrees of image roll per degree of head yaw (people tilt a little as they turn)


def head_motion_matrices(cam: _ViewCamera, gaze: np.ndarray) -> np.ndarray:
    """(B, 2, 3) slip matrices of the external webcam with the head motion implied by each frame's gaze."""
    yaw = HEAD_FRACTION_OF_GAZE * gaze[:, :, 0].mean(axis=1)
    pitch = HEAD_FRACTION_OF_GAZE * gaze[:, :, 1].mean(axis=1)
    px = cam.geom.px
    out = np.repeat(cam.matrix[None], len(gaze), axis=0)
    # Turning toward the subject's right moves the face to image LEFT; looking up lifts the chin (image up).
    # The matrices map output -> canvas, so the canvas offset has the opposite sign of the image motion.
    out[:, 0, 2] += (yaw * WEBCAM_SHIFT_PER_DEG) / px
    out[:, 1, 2] += (pitch * WEBCAM_SHIFT_PER_DEG) / px
    # Roll about the canvas centre: canvas = R (A p + t - centre) + centre.
    roll = np.radians(WEBCAM_ROLL_PER_YAW * yaw)
    c, s = np.cos(roll), np.sin(roll)
    rot = np.stack([np.stack([c, -s], -1), np.stack([s, c], -1)], -2)  # (B, 2, 2)
    hc, wc = cam.geom.canvas_hw
    centre = np.array([wc / 2 - 0.5, hc / 2 - 0.5])
    linear = rot @ out[:, :, :2]
    shift = (rot @ (out[:, :, 2] - centre)[:, :, None])[:, :, 0] + centre
    return np.concatenate([linear, shift[:, :, None]], axis=2)


def check_inputs(shapes, gaze) -> tuple[np.ndarray, np.ndarray]:
    """Validate and convert a batch of shapes/gaze; raises ValueError saying what is wrong."""
    shapes = np.asarray(shapes, dtype=np.float32)
    gaze = np.asarray(gaze, dtype=np.float32)
    if shapes.ndim != 2 or shapes.shape[1] != NUM_BLENDSHAPES:
        raise ValueError(f"shapes must be (B, {NUM_BLENDSHAPES}) in canonical ARKit order, got {shapes.shape}")
    if gaze.shape != (shapes.shape[0], 2, 2):
        raise ValueError(f"gaze must be (B, 2, 2) degrees [left,right] x [yaw,pitch] with B={shapes.shape[0]}, "
                         f"got {gaze.shape}")
    if not (np.all(np.isfinite(shapes)) and np.all(np.isfinite(gaze))):
        raise ValueError("shapes and gaze must be finite (found NaN/inf)")
    return np.clip(shapes, 0.0, 1.0), np.clip(gaze, -60.0, 60.0)
