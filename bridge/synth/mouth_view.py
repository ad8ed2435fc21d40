"""Lower-face rendering shared by two views:

- ``mouth``: the NIR mouth camera mounted low on the headset (lips, teeth, tongue, jaw, chin, cheeks, nostrils);
- ``lower_face``: an external visible-light webcam (grayscale) seeing the lower face of a person wearing a
  headset: the headset hides everything above the nose tip.

The mouth geometry (lip lines, aperture, teeth, tongue, chin, folds) is computed per image column from the
52 shapes, then turned into soft per-pixel masks. Image +x is the SUBJECT's left (front-facing cameras).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bridge.schema import BLENDSHAPE_INDEX as _I
from bridge.synth.camera import ViewGeometry
from bridge.synth.identity import Identity, SessionConditions
from bridge.synth.textures import fractal_noise, hair_texture, soft_band, value_noise

# Face units per view unit: the mouth camera is close (mouth ~60% of the frame width). The external webcam view
# is a roughly face-ALIGNED crop (as a face detector/aligner delivers it, and as the occluded-lower-face paper
# trains): the face fills most of the frame, the image centre sits at the nose tip, so hiding the upper half leaves
# nose tip, mouth and chin (mouth ~1/3 of the frame width instead of ~10 px of 48 in a whole-head frame).
MOUTH_VIEW_SCALE = 0.7
LOWER_FACE_VIEW_SCALE = 1.15
LOWER_FACE_Y_OFFSET = 0.55  # view y of the face origin below the image centre (puts the headset edge near mid-height)
# The webcam's scene (headset, neck, hair, shirt) is laid out in "scene" units: the whole-head framing the scene was
# designed in (1.55 face units per unit, face origin 0.12 below the centre). Keeping those units keeps the scene
# identical while the crop changes.
_SCENE_SCALE = 1.55
_SCENE_Y_OFFSET = 0.12


@dataclass(frozen=True, slots=True)
class MouthMaterials:
    """Grey levels of one imaging modality (NIR or visible), relative to 0..1 radiance."""

    skin: float
    lip_ratio: float  # lip radiance / skin radiance
    interior: float  # mouth cavity
    teeth: float
    tongue_ratio: float  # tongue radiance / skin radiance
    hair_darkness: float  # facial hair radiance multiplier at full coverage (0 = black)
    fold_scale: float  # how visible creases are (NIR flattens them a little)


@dataclass(frozen=True, slots=True)
class MouthAssets:
    """Static layers of one mouth-region view for an (identity, session, size)."""

    geom: ViewGeometry
    xf: np.ndarray  # (1, 1, Wc) face x of each canvas column
    yf: np.ndarray  # (1, Hc, 1) face y of each canvas row
    pxf: float  # face units per canvas pixel
    skin: np.ndarray  # (1, Hc, Wc) skin radiance incl. shading/texture (face coordinates)
    hair: np.ndarray  # (1, Hc, Wc) 0..1 facial-hair coverage texture
    puff_blob: np.ndarray  # (1, Hc, Wc) cheek bulge highlight
    teeth_gaps: np.ndarray  # (1, 1, Wc) 0..1 darkening between teeth
    lip_lines: np.ndarray  # (1, 1, Wc) vertical lip wrinkles
    background: np.ndarray  # (1, Hc, Wc) what is outside the face (neck/room)
    overlay_mul: np.ndarray | None  # (1, Hc, Wc) e.g. the headset body in the lower-face view
    overlay_add: np.ndarray | None
    overlay_rows: slice  # canvas rows the overlay touches
    materials: MouthMaterials


def _grids(geom: ViewGeometry, scale: float, y_offset: float) -> tuple[np.ndarray, np.ndarray, float]:
    xf = (geom.x * scale).astype(np.float32)
    yf = ((geom.y - y_offset) * scale).astype(np.float32)
    return xf, yf, geom.px * scale


def _static_skin(rng, ident: Identity, xf, yf, skin_level: float, shape, light_dir: float,
                 nose_shadow: float = 0.0) -> np.ndarray:
    X, Y = xf[0], yf[0]
    cheeks = np.exp(-(((np.abs(X) - 0.75) / 0.35) ** 2) - ((Y + 0.15) / 0.4) ** 2)
    chin = np.exp(-((X / 0.35) ** 2) - ((Y - 0.5 * ident.chin_length) / 0.18) ** 2)
    philtrum = np.exp(-((X / 0.05) ** 2)) * np.clip((-Y - 0.15) / 0.1, 0, 1) * np.clip((Y + 0.6) / 0.1, 0, 1)
    roundness = np.clip(np.abs(X) / (1.05 * ident.face_width), 0, 1) ** 3
    shading = 1.0 + 0.08 * cheeks + 0.06 * chin - 0.08 * philtrum + 0.25 * light_dir * np.clip(X / 1.2, -1, 1)
    shading = shading * (1.0 - 0.3 * roundness)
    # Light from above: the nose shades the upper lip (external camera only; the headset LEDs sit near the camera).
    shading = shading * (1.0 - nose_shadow * np.exp(-((X / 0.3) ** 2) - ((Y + 0.5) / 0.1) ** 2))
    texture = 1.0 + ident.skin_texture * (fractal_noise(rng, shape, 12.0, 3) + 0.5 * fractal_noise(rng, shape, 48.0, 2))
    return (skin_level * shading * texture).astype(np.float32)


def _cheek_puff(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Where cheekPuff bulges the skin: a soft blob beside each mouth corner (face coordinates)."""
    return np.exp(-(((np.abs(x) - 0.72) / 0.3) ** 2) - ((y - 0.05) / 0.35) ** 2).astype(np.float32)


def _teeth_gaps(rng, ident: Identity, xf) -> np.ndarray:
    x = xf[0, 0]
    width = rng.uniform(0.075, 0.1)
    phase = rng.uniform(-0.02, 0.02)
    gaps = np.clip(1.0 - np.abs(((x - phase) / width + 0.5) % 1.0 - 0.5) / 0.12, 0, 1)
    return (ident.teeth_gap * gaps).reshape(1, 1, -1).astype(np.float32)


def build_mouth_assets(ident: Identity, sess: SessionConditions, out_hw: tuple[int, int],
                       supersample: float = 1.0, slip: tuple | None = None) -> MouthAssets:
    """Static layers of the NIR mouth camera."""
    rng = np.random.default_rng([ident.texture_seed, 21])
    geom = ViewGeometry.for_size(out_hw, supersample, slip)
    xf, yf, pxf = _grids(geom, MOUTH_VIEW_SCALE, 0.0)
    shape = geom.canvas_hw
    skin = _static_skin(rng, ident, xf, yf, ident.skin_nir, shape, 0.0)
    # NIR falls off with distance from the headset's LEDs: the chin/neck (bottom) are darker.
    falloff = 1.0 - sess.mouth_illumination * np.clip((yf[0] + 0.2) / 1.6, 0, 1)
    skin = skin * falloff
    hair = hair_texture(rng, shape, strand_px=0.025 / pxf)
    background = (0.08 + 0.12 * rng.random()) * ident.skin_nir * falloff * (1 + 0.3 * value_noise(rng, shape, 4.0))
    puff = _cheek_puff(xf[0], yf[0])
    mats = MouthMaterials(
        skin=ident.skin_nir, lip_ratio=ident.lip_nir, interior=0.04, teeth=0.85 * ident.teeth_brightness,
        tongue_ratio=0.7, hair_darkness=0.25, fold_scale=0.8,
    )
    lip_lines = (0.06 * value_noise(rng, (1, geom.canvas_hw[1]), geom.canvas_hw[1] / 3)).reshape(1, 1, -1)
    return MouthAssets(
        geom=geom, xf=xf, yf=yf, pxf=pxf, skin=skin[None].astype(np.float32), hair=hair[None],
        puff_blob=puff[None], teeth_gaps=_teeth_gaps(rng, ident, xf), lip_lines=lip_lines.astype(np.float32),
        background=background[None].astype(np.float32), overlay_mul=None, overlay_add=None,
        overlay_rows=slice(0, 0), materials=mats,
    )


def build_lower_face_assets(ident: Identity, sess: SessionConditions, out_hw: tuple[int, int],
                            supersample: float = 1.0, slip: tuple | None = None) -> MouthAssets:
    """Static layers of the external webcam: background, headset body over the upper face, neck."""
    rng = np.random.default_rng([ident.texture_seed, 31])
    geom = ViewGeometry.for_size(out_hw, supersample, slip)
    xf, yf, pxf = _grids(geom, LOWER_FACE_VIEW_SCALE, LOWER_FACE_Y_OFFSET)
    shape = geom.canvas_hw
    skin = _static_skin(rng, ident, xf, yf, ident.skin_visible, shape, sess.light_direction,
                        nose_shadow=rng.uniform(0.05, 0.3))
    hair = hair_texture(rng, shape, strand_px=0.025 / pxf)
    X, Y = xf[0] / _SCENE_SCALE, yf[0] / _SCENE_SCALE + _SCENE_Y_OFFSET  # scene coordinates
    # Room behind the person, then the neck (shadowed skin) under the chin.
    room = sess.background_visible * (1.0 + sess.background_texture * fractal_noise(rng, shape, 5.0, 3))
    room = room * (1.0 + 0.2 * sess.light_direction * X / 2.0)
    neck_w = 0.3 * ident.face_width
    neck = np.clip((neck_w + 0.05 * np.clip(Y - 0.6, 0, 1) - np.abs(X)) / 0.04, 0, 1) * np.clip((Y - 0.1) / 0.05, 0, 1)
    chin_view = _SCENE_Y_OFFSET + 0.62 * ident.chin_length / _SCENE_SCALE
    under_chin = np.clip((Y - chin_view) / 0.35, 0, 1)  # the jaw shadows the top of the neck
    neck_level = ident.skin_visible * (0.35 + 0.35 * under_chin) * (1.0 + 0.2 * sess.light_direction * X)
    shirt = np.clip((Y - 0.95) / 0.05, 0, 1) * np.clip((np.abs(X) - 0.2) / 0.05, 0, 1)
    background = room * (1 - neck) + neck_level * neck
    background = background * (1 - shirt) + rng.uniform(0.05, 0.8) * shirt
    # Head hair falling beside the face (behind it: the face is composited over the background).
    face_edge = 1.05 * ident.face_width / _SCENE_SCALE
    hair_w = 0.08 + 0.25 * ident.head_hair_length
    hair_end = -0.2 + 1.3 * ident.head_hair_length
    side = np.clip((face_edge + hair_w - np.abs(X)) / 0.04, 0, 1) * np.clip((np.abs(X) - face_edge + 0.2) / 0.04, 0, 1)
    hair_mask = side * np.clip((hair_end - Y) / 0.1, 0, 1)
    hair_level = ident.head_hair_visible * (0.8 + 0.4 * hair_texture(rng, shape, strand_px=0.03 / pxf))
    background = background * (1 - hair_mask) + hair_level * hair_mask
    # Headset body: dark plastic over the upper face with a lighter facial-interface rim along its lower edge.
    curve = -0.28 + rng.uniform(-0.06, 0.06) + 0.14 * (X / 0.9) ** 2
    body = np.clip((curve - Y) / 0.02, 0, 1) * np.clip((1.15 * ident.face_width * 0.6 - np.abs(X) + 0.35) / 0.05, 0, 1)
    rim = np.clip(1.0 - np.abs(Y - curve + 0.03) / 0.04, 0, 1) * body
    shade = sess.headset_shade * (1.0 + 0.25 * fractal_noise(rng, shape, 6.0, 2))
    shade = shade * (1.0 + 0.3 * np.clip(-Y - 0.5, 0, 1))
    strap = np.clip((np.abs(X) - 0.95) / 0.05, 0, 1) * np.clip((0.0 - Y) / 0.05, 0, 1)
    cover = np.clip(body + strap, 0, 1)
    # The headset shades the face just below it.
    below = Y - curve
    shadow = 1.0 - rng.uniform(0.1, 0.4) * np.exp(-np.clip(below, 0, None) / 0.08) * ((below > 0) & (below < 0.3))
    overlay_mul = ((1.0 - cover) * shadow)[None].astype(np.float32)
    overlay_add = (cover * shade + 0.12 * rim)[None].astype(np.float32)
    touched = np.flatnonzero((overlay_mul[0] < 1.0).any(axis=1))
    overlay_rows = slice(int(touched[0]), int(touched[-1]) + 1) if touched.size else slice(0, 0)
    puff = _cheek_puff(xf[0], yf[0])
    mats = MouthMaterials(
        skin=ident.skin_visible, lip_ratio=ident.lip_visible, interior=0.05, teeth=0.9 * ident.teeth_brightness,
        tongue_ratio=0.75, hair_darkness=0.2, fold_scale=1.0,
    )
    lip_lines = (0.05 * value_noise(rng, (1, geom.canvas_hw[1]), geom.canvas_hw[1] / 3)).reshape(1, 1, -1)
    return MouthAssets(
        geom=geom, xf=xf, yf=yf, pxf=pxf, skin=skin[None], hair=hair[None], puff_blob=puff[None],
        teeth_gaps=_teeth_gaps(rng, ident, xf), lip_lines=lip_lines.astype(np.float32),
        background=background[None].astype(np.float32), overlay_mul=overlay_mul, overlay_add=overlay_add,
        overlay_rows=overlay_rows, materials=mats,
    )


def _edge(d: np.ndarray, inv_px: float) -> np.ndarray:
    """Soft step 0..1 over one pixel: 1 where d > 0. In place on ``d``."""
    d *= inv_px
    d += 0.5
    np.clip(d, 0.0, 1.0, out=d)
    return d


def _coverage(y: np.ndarray, top: np.ndarray, bottom: np.ndarray, inv_px: float) -> np.ndarray:
    """Fraction of each pixel row covered by the band [top, bottom] (box filter): 0 for an empty band."""
    yp = y * inv_px
    cov = np.minimum(yp + 0.5, bottom * inv_px)
    cov -= np.maximum(yp - 0.5, top * inv_px)
    np.maximum(cov, 0.0, out=cov)
    np.minimum(cov, 1.0, out=cov)
    return cov


def _rows(yf: np.ndarray, lo: float, hi: float) -> slice:
    """Canvas rows whose face y lies in [lo, hi] (with a pixel of margin)."""
    col = yf[0, :, 0]
    r0 = int(np.searchsorted(col, lo, side="left")) - 1
    r1 = int(np.searchsorted(col, hi, side="right")) + 1
    return slice(max(r0, 0), min(max(r1, 0), col.shape[0]))


def render_mouth_canvas(assets: MouthAssets, ident: Identity, shapes: np.ndarray) -> np.ndarray:
    """(B, Hc, Wc) float32 canvas radiance of the lower face for a batch of (B, 52) shapes."""
    b = shapes.shape[0]
    s = lambda name: shapes[:, _I[name]].reshape(b, 1, 1)  # noqa: E731
    x, yall = assets.xf, assets.yf
    inv_px = 1.0 / assets.pxf
    mats = assets.materials
    hc, wc = assets.geom.canvas_hw

    jaw, close = s("jawOpen"), s("mouthClose")
    funnel, pucker = s("mouthFunnel"), s("mouthPucker")
    roll_lo, roll_up = s("mouthRollLower"), s("mouthRollUpper")
    shrug_lo, shrug_up = s("mouthShrugLower"), s("mouthShrugUpper")
    puff, tongue = s("cheekPuff"), s("tongueOut")
    jaw_dx = 0.15 * (s("jawLeft") - s("jawRight"))  # subject's left = image +x
    cx = 0.2 * (s("mouthLeft") - s("mouthRight")) + 0.5 * jaw_dx
    # Lips close over an open jaw with mouthClose; the visible gap is what jaw opening leaves.
    jaw_gap = np.maximum(jaw - close, 0.0)

    def side(suffix: str):
        smile, frown = s("mouthSmile" + suffix), s("mouthFrown" + suffix)
        dimple, stretch = s("mouthDimple" + suffix), s("mouthStretch" + suffix)
        press = s("mouthPress" + suffix)
        lower_down, upper_up = s("mouthLowerDown" + suffix), s("mouthUpperUp" + suffix)
        half_w = ident.mouth_half_width * (1.0 + 0.22 * smile + 0.25 * stretch + 0.08 * dimple - 0.4 * pucker
                                           - 0.25 * funnel - 0.05 * frown + 0.05 * puff)
        corner_y = -0.14 * smile + 0.13 * frown + 0.04 * stretch - 0.03 * dimple + 0.06 * jaw_gap
        open_up = 0.004 + 0.09 * upper_up + 0.035 * jaw_gap + 0.05 * funnel + 0.015 * smile
        open_lo = 0.004 + 0.4 * jaw_gap + 0.12 * lower_down + 0.06 * funnel + 0.01 * pucker
        th_u = ident.lip_upper_thickness * (1 - 0.8 * roll_up - 0.45 * press + 0.45 * pucker + 0.3 * funnel
                                            - 0.25 * smile + 0.2 * upper_up)
        th_l = ident.lip_lower_thickness * (1 - 0.8 * roll_lo - 0.45 * press + 0.45 * pucker + 0.3 * funnel
                                            - 0.2 * smile + 0.2 * shrug_lo)
        return half_w, corner_y, open_up, open_lo, np.maximum(th_u, 0.01), np.maximum(th_l, 0.01)

    left, right = side("Left"), side("Right")
    on_left = x >= cx  # (B,1,W): image right half belongs to the subject's left
    hw, corner_y, open_up, open_lo, th_u, th_l = (np.where(on_left, lv, rv) for lv, rv in zip(left, right, strict=True))
    u = (x - cx) / hw
    au = np.clip(1.0 - u * u, 0.0, 1.0)
    absu = np.minimum(np.abs(u), 1.0)
    pw = 0.75 - 0.35 * funnel - 0.2 * pucker
    pa = au**pw
    pl = au**0.35
    bow = pl * (1.0 - 0.2 * np.exp(-((u / 0.12) ** 2)))  # cupid's bow notch in the upper lip
    y0 = corner_y * absu**1.8 - 0.05 * shrug_up - 0.03 * shrug_lo
    yiu = y0 - open_up * pa - 0.03 * shrug_up
    yil = y0 + open_lo * pa - 0.04 * shrug_lo
    you = yiu - th_u * bow - 0.005 * pl  # (the small margins vanish past the corners: no line across the face)
    yol = yil + th_l * pl + 0.005 * pl

    img = np.empty((b, hc, wc), np.float32)
    img[:] = assets.skin
    if np.any(puff > 0.01):
        img += assets.skin * assets.puff_blob * (0.18 * puff)

    # --- nasolabial folds (deepen with smile/sneer), mentolabial sulcus, nostrils
    smile_mean = 0.5 * (s("mouthSmileLeft") + s("mouthSmileRight"))
    sneer_l, sneer_r = s("noseSneerLeft"), s("noseSneerRight")
    sneer = 0.5 * (sneer_l + sneer_r)
    cheek_sq = 0.5 * (s("cheekSquintLeft") + s("cheekSquintRight"))
    rows = _rows(yall, -0.62, 0.35)
    y = yall[:, rows]
    # Nasolabial line: from the nose wing, bowing outward, to just past the mouth corner.
    d = y + 0.6
    fold_x = 0.3 + 0.62 * d - 0.38 * d * d + 0.06 * smile_mean + 0.2 * (hw - ident.mouth_half_width)
    fold_depth = mats.fold_scale * (0.03 + 0.25 * smile_mean + 0.15 * sneer + 0.1 * cheek_sq)
    fold = soft_band(np.abs(x - cx) - fold_x, 0.03 + 0.025 * smile_mean)
    fold *= np.clip((0.3 - y) / 0.3, 0, 1) * np.clip((y + 0.62) / 0.2, 0, 1) * -fold_depth
    fold += 1.0
    img[:, rows] *= fold
    mento_y = yol + 0.09 + 0.05 * jaw_gap - 0.03 * shrug_lo
    rows = _rows(yall, float(mento_y.min()) - 0.04, float(mento_y.max()) + 0.04)
    if rows.stop > rows.start:
        mento = soft_band(yall[:, rows] - mento_y, 0.04)
        mento *= -(0.06 + 0.18 * shrug_lo + 0.1 * pucker) * mats.fold_scale * np.clip(1 - ((x - cx) / 0.45) ** 2, 0, 1)
        mento += 1.0
        img[:, rows] *= mento
    ns = ident.nostril_size
    rows = _rows(yall, -0.72 - 0.06 - 0.05 * ns, -0.66 + 0.05 * ns)
    if rows.stop > rows.start:
        y = yall[:, rows]
        for sign, sn in ((1.0, sneer_l), (-1.0, sneer_r)):
            nx = sign * 0.2 * ns * (1 + 0.15 * sn)
            ny = -0.66 - 0.06 * sn
            r2 = ((x - nx) / (0.1 * ns)) ** 2 + ((y - ny) / (0.045 * ns)) ** 2
            nostril = np.clip((1.0 - r2) * 3.0, 0.0, 1.0)
            img[:, rows] *= 1.0 - 0.75 * nostril

    # --- dimples: small pits just outside each mouth corner (mouthDimple*)
    for sign, suffix, half_w, cy_side in ((1.0, "Left", left[0], left[1]), (-1.0, "Right", right[0], right[1])):
        depth = s("mouthDimple" + suffix) * (0.35 * mats.fold_scale)
        if not np.any(depth > 0.01):
            continue
        dx_ = cx + sign * (half_w + 0.07)
        dy_ = cy_side + 0.03
        rows = _rows(yall, float(dy_.min()) - 0.05, float(dy_.max()) + 0.05)
        if rows.stop > rows.start:
            r2 = ((x - dx_) / 0.03) ** 2 + ((yall[:, rows] - dy_) / 0.045) ** 2
            img[:, rows] *= 1.0 - depth * np.clip(1.0 - r2, 0.0, 1.0)

    # --- lips: slightly darker than skin (NIR) / clearly darker (visible); seam between closed lips
    rows = _rows(yall, float(you.min()), float(yol.max()))
    y = yall[:, rows]
    band = img[:, rows]
    lips = _coverage(y, you, yol, inv_px)
    lip_shade = (1.0 - mats.lip_ratio) * (1.0 + assets.lip_lines)
    # The upper lip faces down (shadowed), the lower lip faces the camera (a soft highlight).
    lower_hl = soft_band(y - 0.5 * (yil + yol), 0.6 * th_l + 1e-3) * 0.1
    lips *= lip_shade - lower_hl
    seam = soft_band(y - y0, 0.012 + assets.pxf) * (au > 0) * 0.45 * mats.fold_scale
    lips = np.maximum(lips, seam)
    band *= 1.0 - lips
    # --- mouth opening: dark cavity, teeth under the upper lip, tongue bed
    rows_ap = _rows(yall, float(yiu.min()), float(yil.max()))
    y = yall[:, rows_ap]
    band = img[:, rows_ap]
    ap = _coverage(y, yiu, yil, inv_px)
    if np.any(ap > 0):
        teeth_h = 0.06 + 0.03 * jaw_gap
        gaps = 1.0 - assets.teeth_gaps
        up_teeth = _edge(yiu + teeth_h - y, inv_px) * gaps
        lo_teeth = _edge(y - (yil - 0.04 * np.minimum(jaw_gap * 4.0, 1.0)), inv_px) * gaps * 0.8
        cavity = mats.interior * (1.0 + 4.0 * soft_band(y - yil + 0.03, 0.08) * np.minimum(jaw_gap * 3, 1))
        inside = cavity + (mats.teeth - cavity) * np.clip(up_teeth + lo_teeth, 0.0, 1.0)
        band += ap * (inside - band)
    if np.any(tongue > 0.02):
        tcx, tcy = cx, yil - 0.02 + 0.16 * tongue
        rx, ry = 0.2 * (0.5 + 0.5 * tongue), 0.04 + 0.13 * tongue
        rows = _rows(yall, float((tcy - ry).min()), float((tcy + ry).max()))
        y = yall[:, rows]
        t = np.clip((1.0 - ((x - tcx) / rx) ** 2 - ((y - tcy) / ry) ** 2) * 4.0, 0.0, 1.0) * (tongue > 0.02)
        tongue_val = mats.skin * mats.tongue_ratio * (1.0 - 0.3 * soft_band(x - tcx, 0.03))
        band = img[:, rows]
        band += t * (tongue_val - band)

    # --- facial hair (dark in NIR and visible light): moustache above the upper lip, beard below the lower lip
    if ident.mustache > 0:
        rows = _rows(yall, -0.62, float(you.max()))
        y = yall[:, rows]
        reach = np.clip(1.0 - ((x - cx) / (hw + 0.14)) ** 2, 0, 1)  # (B,1,W): thick in the middle, thin at the ends
        top = you - (0.05 + 0.16 * reach) * ident.mustache_height
        must = np.clip((you - y) / 0.02, 0, 1) * np.clip((y - top) / 0.04, 0, 1) * np.minimum(reach * 4.0, 1.0)
        must *= ident.mustache * (1.0 - mats.hair_darkness)
        must *= assets.hair[:, rows]
        img[:, rows] *= 1.0 - must
    if ident.facial_hair > 0:
        rows = _rows(yall, -0.3, 2.0)
        y = yall[:, rows]
        beard = np.clip((y - yol - 0.04) / 0.06, 0, 1)
        beard = np.maximum(beard, np.clip((np.abs(x) - 0.5) / 0.2, 0, 1) * np.clip((y + 0.3) / 0.2, 0, 1))
        beard *= assets.hair[:, rows] * (ident.facial_hair * (1.0 - mats.hair_darkness))
        img[:, rows] *= 1.0 - beard

    # --- face outline: an oval jaw that narrows to the chin (which drops with the jaw); outside = background
    fw = 1.05 * ident.face_width + 0.12 * puff  # (B,1,1)
    chin_bottom = 0.62 * ident.chin_length + 0.42 * jaw + 0.04 * s("jawForward")
    top = -0.3
    ry = chin_bottom - top
    rows = _rows(yall, top, float(chin_bottom.max()) + 0.05)
    y = yall[:, rows]
    t = np.clip((y - top) / ry, 0.0, None)  # (B,H,1)
    half = np.where(t < 1.0, fw * np.sqrt(np.maximum(1.0 - t * t, 0.0)), -1.0)  # below the chin: no face
    shift = jaw_dx * t
    face = _edge(half - np.abs(x - shift), inv_px)
    band = img[:, rows]
    band -= assets.background[:, rows]
    band *= face
    band += assets.background[:, rows]
    last = rows.stop
    img[:, last:] = assets.background[:, last:]
    if rows.start > 0:  # above the jaw: the cheeks' sides (only matters where they enter the view)
        side_mask = _edge(fw - np.abs(x), inv_px)
        if np.any(side_mask < 1.0):
            upper = img[:, : rows.start]
            upper -= assets.background[:, : rows.start]
            upper *= side_mask
            upper += assets.background[:, : rows.start]
    if (assets.overlay_mul is not None and assets.overlay_add is not None
            and assets.overlay_rows.stop > assets.overlay_rows.start):
        r = assets.overlay_rows
        img[:, r] *= assets.overlay_mul[:, r]
        img[:, r] += assets.overlay_add[:, r]
    return img
