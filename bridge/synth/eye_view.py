"""Near-IR periocular eye camera: lids, lashes, brow, crease, sclera, textured iris, dark pupil, LED glints,
glasses, skin texture. Rendered in a canonical orientation (nasal side at +x, i.e. the RIGHT eye as its camera
sees it); the left eye is mirrored back through its slip matrix, so the left_eye image is NOT mirrored.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from bridge.schema import BLENDSHAPE_INDEX as _I
from bridge.synth.camera import ViewGeometry
from bridge.synth.expressions import LOWER_ARC, UPPER_ARC, lid_opening
from bridge.synth.identity import Identity, SessionConditions
from bridge.synth.textures import fractal_noise, hair_texture, soft_band, strands, value_noise

_SPRITE = 64  # iris sprite size (px); drawn once per identity/session, warped per frame
_SPRITE_R = 24.0  # iris radius in sprite px; the sprite reaches r = 1.3 for a contact-lens rim
_GLINT_SPRITE = 48
_GLINT_R = 14.0
EYE_CENTRE_Y = 0.12  # the eye sits a little below the view centre; the brow is near the top edge


@dataclass(frozen=True, slots=True)
class EyeAssets:
    """Everything about one eye view that is constant for an (identity, session, size)."""

    side: int  # 0 = subject's left, 1 = right
    geom: ViewGeometry
    skin: np.ndarray  # (1, Hc, Wc) skin radiance with shading + texture
    brow_hair: np.ndarray  # (1, Hc, Wc) 0..1 hair coverage texture
    lash_strands: np.ndarray  # (1, 1, Wc)
    u: np.ndarray  # (1, 1, Wc) position across the eye, -1 outer corner .. +1 inner corner
    p_upper: np.ndarray  # (1, 1, Wc) upper lid arc profile
    p_lower: np.ndarray  # (1, 1, Wc)
    sclera_col: np.ndarray  # (1, 1, Wc) sclera radiance across the eye (darker toward the corners)
    iris_sprite: np.ndarray  # (S, S, 2) premultiplied (radiance*alpha, alpha)
    glint_sprite: np.ndarray  # (G, G)
    glint_offset: tuple[float, float]  # glint ring centre offset from the eye centre (canvas units)
    glint_scale: float  # canvas px per glint-sprite px
    glasses_mul: np.ndarray | None  # (1, Hc, Wc)
    glasses_add: np.ndarray | None
    crow_feet: np.ndarray  # (1, Hc, Wc) 0..1 wrinkle lines at the outer corner (shown by cheek raise/squint)
    glabella: np.ndarray  # (1, Hc, Wc) 0..1 vertical furrows at the nasal end of the brow (shown by brow lowering)
    crow_rows: slice
    glabella_rows: slice


def _iris_sprite(rng: np.random.Generator, ident: Identity, pupil_fraction: float) -> np.ndarray:
    s = _SPRITE
    c = (s - 1) / 2.0
    yy, xx = np.mgrid[0:s, 0:s].astype(np.float32)
    dx, dy = xx - c, yy - c
    r = np.sqrt(dx * dx + dy * dy) / _SPRITE_R
    theta = np.arctan2(dy, dx)
    # Radial fibres + crypts: iris texture is visible in NIR, especially for light irises.
    n_fibres = int(rng.integers(18, 40))
    wobble = value_noise(rng, (s, s), 6.0)
    fibres = np.cos(n_fibres * theta + 3.0 * wobble) * np.cos(0.5 * n_fibres * theta + 1.7 * wobble + 1.0)
    crypts = fractal_noise(rng, (s, s), 8.0, 3)
    collarette = np.exp(-(((r - rng.uniform(0.45, 0.65)) / 0.06) ** 2))
    value = ident.iris_nir * (1.0 + ident.iris_texture * (0.7 * fibres + 0.9 * crypts) + 0.12 * collarette)
    value *= 1.0 - ident.limbal_ring * np.clip((r - 0.78) / 0.22, 0, 1) ** 1.5
    pupil = np.clip((pupil_fraction - r) * _SPRITE_R + 0.5, 0, 1)
    value = value * (1 - pupil) + 0.025 * pupil
    alpha = np.clip((1.0 - r) * _SPRITE_R + 0.5, 0, 1)
    premult = np.clip(value, 0, 1) * alpha
    if ident.contact_lens:
        # A soft lens rim just outside the limbus: a thin dark ring drawn over the sclera.
        ring = np.clip(1.0 - np.abs(r - ident.contact_lens_radius) * _SPRITE_R / 1.2, 0, 1) * (r > 1.0)
        ring_alpha = 0.35 * ring
        premult = premult + ring_alpha * 0.25 * ident.iris_nir
        alpha = np.maximum(alpha, ring_alpha)
    return np.dstack([premult, alpha]).astype(np.float32)


def _glint_sprite(rng: np.random.Generator, sess: SessionConditions, sigma_sprite_px: float) -> np.ndarray:
    g = _GLINT_SPRITE
    c = (g - 1) / 2.0
    yy, xx = np.mgrid[0:g, 0:g].astype(np.float32)
    out = np.zeros((g, g), np.float32)
    n = sess.glint_count
    start = rng.uniform(0, 2 * np.pi)
    for k in range(n):
        if rng.random() < 0.1:  # an LED occasionally misses the cornea
            continue
        ang = start + 2 * np.pi * k / n
        gx = c + _GLINT_R * math.cos(ang) * rng.uniform(0.9, 1.1)
        gy = c + _GLINT_R * math.sin(ang) * rng.uniform(0.85, 1.0)
        out += np.exp(-((xx - gx) ** 2 + (yy - gy) ** 2) / (2 * sigma_sprite_px**2))
    return np.clip(out * sess.glint_brightness * 1.6, 0, 2.0)


def build_eye_assets(ident: Identity, sess: SessionConditions, side: int, out_hw: tuple[int, int],
                     supersample: float = 1.0, slip: tuple | None = None) -> EyeAssets:
    """Draw the static layers of one eye view (deterministic for identity, session and side).

    ``supersample`` < 1 renders a coarser canvas that the slip warp upsamples (cheap device-size frames).
    """
    rng = np.random.default_rng([ident.texture_seed, 11 + side])
    geom = ViewGeometry.for_size(out_hw, supersample, slip)
    hc, wc = geom.canvas_hw
    x, y = geom.x[0, 0], geom.y[0, :, 0]
    ex, ey = ident.eye_offset[0], EYE_CENTRE_Y + ident.eye_offset[1]
    a = ident.eye_half_width
    u = (x - ex) / a
    base = np.clip(1.0 - u * u, 0.0, 1.0) ** ident.eye_shape_power
    p_upper = base * (1.0 + 0.15 * u)  # highest point toward the nose
    p_lower = base * (1.0 - 0.2 * u)  # lowest point toward the temple
    sclera_col = ident.sclera_nir * (1.0 - 0.45 * np.clip(np.abs(u), 0, 1) ** 3)
    sclera_col = sclera_col * (1.0 - 0.35 * np.clip((u - 0.8) / 0.2, 0, 1))  # caruncle at the inner corner

    X, Y = x[None, :], y[:, None]
    socket = np.exp(-(((X - ex) / (1.25 * a)) ** 2) - ((Y - ey + 0.05) / 0.42) ** 2)
    ridge = np.exp(-(((Y - (ey - ident.brow_height + 0.12)) / 0.2) ** 2))
    cheek = np.clip((Y - ey - 0.35) / 0.5, 0, 1)
    # The lid over the eyeball bulges toward the LEDs (brighter); the orbit around it is recessed (darker).
    globe = np.exp(-(((X - ex) / (0.95 * a)) ** 2) - ((Y - ey + 0.02) / 0.22) ** 2)
    shading = 1.0 - ident.socket_depth * socket + 0.1 * ridge + 0.06 * cheek + 0.5 * ident.socket_depth * globe
    texture = 1.0 + ident.skin_texture * (0.5 * fractal_noise(rng, (hc, wc), 6.0, 2)
                                          + fractal_noise(rng, (hc, wc), 50.0, 2))
    skin = (ident.skin_nir * shading * texture).astype(np.float32)

    # Brow hairs run mostly sideways: fine strands smeared horizontally, denser in the middle of the band.
    hair = 0.25 + 0.85 * hair_texture(rng, (hc, wc), strand_px=0.04 / geom.px, horizontal=True)
    hair = np.clip(hair, 0, 1).astype(np.float32)
    lash = strands(rng, wc, ident.lash_density, period_px=max(1.5, 0.02 / geom.px))

    iris_sprite = _iris_sprite(rng, ident, sess.pupil_fraction)
    glint_scale = sess.glint_ring_radius * ident.iris_radius / (_GLINT_R * geom.px)  # canvas px per sprite px
    glint_sprite = _glint_sprite(rng, sess, sigma_sprite_px=max(0.5, 0.55 / glint_scale))

    # Expression wrinkles are fixed in the skin; only their depth changes per frame.
    oy = ey - ident.eye_tilt
    ox = ex - a
    dx, dy = X - (ox + 0.15), Y - oy
    r = np.sqrt(dx * dx + dy * dy)
    theta = np.arctan2(dy, -dx)  # 0 = pointing to the temple
    n_lines = rng.uniform(5.0, 8.0)
    lines = np.clip(1.0 - np.abs(np.sin(n_lines * theta + rng.uniform(0, np.pi))) / 0.3, 0, 1)
    crow = lines * np.clip((r - 0.17) / 0.05, 0, 1) * np.clip((0.45 - r) / 0.15, 0, 1) * (np.abs(theta) < 1.0)
    crow = (crow * (0.7 + 0.3 * fractal_noise(rng, (hc, wc), 20.0, 2))).astype(np.float32)
    gx = ex + 1.15 * a
    gy = ey - ident.brow_height + 0.05
    glab = np.zeros((hc, wc), np.float32)
    for k in range(int(rng.integers(1, 3))):
        lx = gx + 0.08 * k + rng.uniform(-0.03, 0.03)
        glab += np.clip(1.0 - np.abs(X - lx - 0.15 * (Y - gy)) / 0.025, 0, 1) * np.exp(-(((Y - gy) / 0.15) ** 2))
    glab = np.clip(glab, 0, 1).astype(np.float32)

    def rows_of(m: np.ndarray) -> slice:
        touched = np.flatnonzero((m > 0.01).any(axis=1))
        return slice(int(touched[0]), int(touched[-1]) + 1) if touched.size else slice(0, 0)

    glasses_mul = glasses_add = None
    if ident.glasses:
        yg = ident.glasses_y + (0.12 if side else 0.1) * (X / 1.4) ** 2 + 0.05 * X * (1 if side else -1)
        frame = np.clip(1.0 - np.abs(Y - yg) / (ident.glasses_frame + geom.px), 0, 1)
        lens = (yg > Y).astype(np.float32)
        glasses_mul = (1.0 - 0.85 * frame) * (1.0 - 0.08 * lens)
        streaks = np.zeros_like(frame)
        for _ in range(int(rng.integers(1, 4))):
            ang = rng.uniform(0.3, 1.2)
            d = X * math.cos(ang) + Y * math.sin(ang) - rng.uniform(-1.0, 1.0)
            streaks += rng.uniform(0.05, 0.22) * np.clip(1.0 - np.abs(d) / rng.uniform(0.06, 0.2), 0, 1) ** 2
        spots = np.zeros_like(frame)
        for _ in range(int(rng.integers(0, 6))):
            sx, sy = rng.uniform(-1.1, 1.1), rng.uniform(-1.0, ident.glasses_y)
            spots += 0.9 * np.exp(-((X - sx) ** 2 + (Y - sy) ** 2) / (2 * (1.5 * geom.px) ** 2))
        glasses_add = (streaks * lens + spots * lens + 0.15 * frame).astype(np.float32)
        glasses_mul = glasses_mul[None].astype(np.float32)
        glasses_add = glasses_add[None]
    return EyeAssets(
        side=side, geom=geom, skin=skin[None], brow_hair=hair[None],
        lash_strands=lash.reshape(1, 1, -1).astype(np.float32),
        u=u.reshape(1, 1, -1).astype(np.float32), p_upper=p_upper.reshape(1, 1, -1).astype(np.float32),
        p_lower=p_lower.reshape(1, 1, -1).astype(np.float32),
        sclera_col=sclera_col.reshape(1, 1, -1).astype(np.float32),
        iris_sprite=iris_sprite, glint_sprite=glint_sprite.astype(np.float32),
        glint_offset=(sess.glint_offset[0] * a, sess.glint_offset[1] * a), glint_scale=float(glint_scale),
        glasses_mul=glasses_mul,
        glasses_add=glasses_add,
        crow_feet=crow[None], glabella=glab[None], crow_rows=rows_of(crow), glabella_rows=rows_of(glab),
    )


def _row_range(geom: ViewGeometry, lo: float, hi: float) -> slice:
    """Canvas rows whose face y lies in [lo, hi] (features are only computed where they can be non-zero)."""
    hc = geom.canvas_hw[0]
    y_first = float(geom.y[0, 0, 0])
    r0 = int(np.floor((lo - y_first) / geom.px)) - 1
    r1 = int(np.ceil((hi - y_first) / geom.px)) + 2
    return slice(min(max(r0, 0), hc), min(max(r1, 0), hc))


def render_eye_canvas(assets: EyeAssets, ident: Identity, shapes: np.ndarray, gaze: np.ndarray) -> np.ndarray:
    """(B, Hc, Wc) float32 canvas radiance of one eye (canonical orientation) for a batch of shapes/gaze."""
    side = assets.side
    geom = assets.geom
    b = shapes.shape[0]
    hc, wc = geom.canvas_hw
    px = geom.px
    inv_px = 1.0 / px
    y = geom.y
    sfx = "Left" if side == 0 else "Right"
    col = lambda name: shapes[:, _I[name]].reshape(b, 1, 1)  # noqa: E731

    upper, lower, _ = lid_opening(shapes, gaze)
    upper = upper[:, side].reshape(b, 1, 1)
    lower = lower[:, side].reshape(b, 1, 1)
    closure = 1.0 - np.clip(col("eyeBlink" + sfx), 0, 1) ** 1.3
    eh = ident.eye_height
    ex, ey = ident.eye_offset[0], EYE_CENTRE_Y + ident.eye_offset[1]
    a = ident.eye_half_width
    u = assets.u
    inside_eye = np.clip(1.0 - u * u, 0, 1)  # (1,1,W) horizontal window of lid features
    yc = ey + ident.eye_tilt * u  # (1,1,W)
    lower_arc = (lower * (LOWER_ARC * eh)) * assets.p_lower  # (B,1,W)
    yl = yc + lower_arc
    yu = yc - (upper * (UPPER_ARC * eh)) * assets.p_upper + (1.0 - closure) * lower_arc

    img = np.empty((b, hc, wc), np.float32)
    img[:] = assets.skin

    # --- brow (a dense dark band of hair that moves with the brow shapes)
    w_in = np.clip((u + 1.0) * 0.5, 0.0, 1.0)  # 0 at the temple end, 1 at the nose end
    asym = ident.asymmetry[side]
    brow_y0 = ey - ident.brow_height + asym - ident.brow_arch * np.clip(1.0 - ((u + 0.1) / 1.05) ** 2, 0, 1)
    inner_up, outer_up, down = col("browInnerUp"), col("browOuterUp" + sfx), col("browDown" + sfx)
    brow_y = brow_y0 - 0.2 * inner_up * w_in**1.5 - outer_up * (0.17 * (1.0 - w_in) ** 1.2 + 0.06)
    brow_y = brow_y + 0.15 * down * (0.5 + 0.5 * w_in)
    extent = np.clip((u + 1.25) / 0.2, 0, 1) * np.clip((1.05 - u) / 0.1, 0, 1)
    thick = ident.brow_thickness * (0.55 + 0.45 * w_in) + 1e-3
    rows = _row_range(geom, float(brow_y.min()) - ident.brow_thickness, float(brow_y.max()) + ident.brow_thickness)
    if rows.stop > rows.start:
        brow = soft_band(y[:, rows] - brow_y, thick)
        np.sqrt(brow, out=brow)  # flat-topped: brows are dense bands, not lines
        brow *= extent * -ident.brow_darkness
        brow *= assets.brow_hair[:, rows]
        brow += 1.0
        img[:, rows] *= brow

    # --- upper-lid crease (rises into the orbit when the lid opens; fades when the lid is stretched closed)
    crease_lift = UPPER_ARC * eh * (0.5 + 0.5 * np.minimum(upper, 1.6)) + ident.crease_height
    crease_y = yc - crease_lift * np.sqrt(inside_eye)
    rows = _row_range(geom, float(crease_y.min()) - 0.05, float(yc.max()))
    if rows.stop > rows.start and ident.crease_depth > 0:
        crease = soft_band(y[:, rows] - crease_y, 0.035 + px)
        crease *= -(ident.crease_depth * (0.3 + 0.7 * np.clip(upper, 0, 1))) * inside_eye
        if ident.makeup_shadow > 0:  # eyeshadow between the lid margin and the crease
            lid = np.clip((y[:, rows] - crease_y + 0.08) / 0.16, 0, 1) * np.clip((yu - y[:, rows]) / 0.03, 0, 1)
            crease -= ident.makeup_shadow * lid * inside_eye
        crease += 1.0
        img[:, rows] *= crease

    # --- expression wrinkles: crow's feet with cheek raise / squint, glabellar furrows with brow lowering
    crow_depth = ident.wrinkles * np.clip(col("cheekSquint" + sfx) + 0.5 * col("eyeSquint" + sfx), 0, 1)
    if np.any(crow_depth > 0.01) and assets.crow_rows.stop > assets.crow_rows.start:
        r = assets.crow_rows
        img[:, r] *= 1.0 - crow_depth * assets.crow_feet[:, r]
    glabella_depth = ident.wrinkles * np.clip(down, 0, 1)
    if np.any(glabella_depth > 0.01) and assets.glabella_rows.stop > assets.glabella_rows.start:
        r = assets.glabella_rows
        img[:, r] *= 1.0 - glabella_depth * assets.glabella[:, r]

    # --- lower-lid fold / cheek line (deepens and rises with cheekSquint)
    cheek = col("cheekSquint" + sfx)
    fold_y = yl + 0.1 - 0.06 * cheek
    rows = _row_range(geom, float(fold_y.min()) - 0.05, float(fold_y.max()) + 0.05)
    if rows.stop > rows.start:
        fold = soft_band(y[:, rows] - fold_y, 0.04 + px)
        fold *= -(0.06 + 0.18 * cheek) * inside_eye
        fold += 1.0
        img[:, rows] *= fold

    # --- eyeball inside the aperture: sclera with lid shadow, iris sprite, glints
    rows = _row_range(geom, float(yu.min()), float(yl.max()))
    if rows.stop > rows.start:
        yb = y[:, rows]
        nrows = rows.stop - rows.start
        ap = np.subtract(yb, yu)
        ap *= inv_px
        np.clip(ap, 0.0, 1.0, out=ap)
        below = np.subtract(yl, yb)
        below *= inv_px
        np.clip(below, 0.0, 1.0, out=below)
        ap *= below
        eyeball = soft_band(yb - yu, 0.12)  # the upper lid shadows the eyeball just below it
        eyeball *= -0.35
        eyeball += 1.0
        eyeball *= assets.sclera_col
        # tear meniscus on the lower lid margin: a thin specular line in NIR
        eyeball += soft_band(yb - (yl - 0.015), 0.012 + px) * (0.25 * inside_eye)
        yaw = np.radians(gaze[:, side, 0]).astype(np.float32)
        pitch = np.radians(gaze[:, side, 1]).astype(np.float32)
        re = 0.85 * a
        yaw_sign = 1.0 if side == 0 else -1.0  # canonical +x is nasal; yaw > 0 looks toward the subject's right
        ix = ex + yaw_sign * re * np.sin(yaw)
        iy = ey - 0.03 - re * np.sin(pitch)
        # The glints sit on the corneal bulge: they move about half as far as the iris when the eye rotates.
        gx = ex + 0.5 * (ix - ex) + assets.glint_offset[0]
        gy = ey - 0.03 + 0.5 * (iy - ey + 0.03) + assets.glint_offset[1]
        x0 = float(geom.x[0, 0, 0])
        y0 = float(geom.y[0, rows.start, 0])
        iris = np.empty((b, nrows, wc, 2), np.float32)
        glints = np.empty((b, nrows, wc), np.float32)
        k_iris = ident.iris_radius / (_SPRITE_R * px)
        k_glint = assets.glint_scale
        sc_i = (_SPRITE - 1) / 2.0
        sc_g = (_GLINT_SPRITE - 1) / 2.0
        fx, fy = np.cos(yaw), np.cos(pitch)
        for i in range(b):
            cx, cy = (ix[i] - x0) * inv_px, (iy[i] - y0) * inv_px
            kx, ky = k_iris * fx[i], k_iris * fy[i]  # foreshortened: the iris is a disc turned away from the camera
            m = np.array([[kx, 0.0, cx - kx * sc_i], [0.0, ky, cy - ky * sc_i]])
            cv2.warpAffine(assets.iris_sprite, m, (wc, nrows), dst=iris[i], flags=cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_CONSTANT, borderValue=0)
            gcx, gcy = (gx[i] - x0) * inv_px, (gy[i] - y0) * inv_px
            mg = np.array([[k_glint, 0.0, gcx - k_glint * sc_g], [0.0, k_glint, gcy - k_glint * sc_g]])
            cv2.warpAffine(assets.glint_sprite, mg, (wc, nrows), dst=glints[i], flags=cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        eyeball *= 1.0 - iris[..., 1]
        eyeball += iris[..., 0]
        eyeball += glints
        band = img[:, rows]
        eyeball -= band
        eyeball *= ap
        band += eyeball

    # --- lashes (and eyeliner) over everything near the upper margin; they point down when the lid closes
    lash_len = ident.lash_length * (1.0 + 0.35 * ident.mascara)
    centre = lash_len * 0.45 * (2.0 * closure - 1.0)
    rows = _row_range(geom, float((yu - centre).min()) - 0.6 * lash_len, float((yu - centre).max()) + 0.6 * lash_len)
    lash_strength = 0.45 + 0.2 * ident.lash_density + 0.3 * ident.mascara
    taper = inside_eye**0.3 * assets.lash_strands * lash_strength
    if rows.stop > rows.start:
        s = yu - y[:, rows]
        lash = soft_band(s - centre, 0.55 * lash_len + px)
        lash *= taper
        if ident.eyeliner > 0:
            lash += ident.eyeliner * 0.7 * soft_band(s, 0.02 + px) * inside_eye
        np.minimum(lash, 0.95, out=lash)
        np.subtract(1.0, lash, out=lash)
        img[:, rows] *= lash
    rows = _row_range(geom, float(yl.min()) - 0.02, float(yl.max()) + 0.06)
    if rows.stop > rows.start:
        lower_lash = soft_band(y[:, rows] - yl - 0.02, 0.03 + px)
        lower_lash *= -0.25 * ident.lash_density * assets.lash_strands * inside_eye
        lower_lash += 1.0
        img[:, rows] *= lower_lash
    if assets.glasses_mul is not None and assets.glasses_add is not None:
        img *= assets.glasses_mul
        img += assets.glasses_add
    return img
