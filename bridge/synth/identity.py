"""Who is wearing the headset (Identity) and how this donning went (SessionConditions).

Both are small frozen dataclasses of numbers sampled from a seeded ``np.random.Generator`` with heavy
domain randomization; the renderer derives textures from ``Identity.texture_seed`` so an identity is
reproducible at any resolution.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class Identity:
    """Per-person appearance. Reflectances are near-IR (850-880 nm) unless named ``visible``.

    Sided values are (left, right) for the SUBJECT's left/right eye.
    """

    texture_seed: int
    skin_nir: float  # NIR skin reflectance (bright: 0.55..0.9)
    skin_visible: float  # visible-light grey level of skin (dark..light skin) for the external webcam
    skin_texture: float  # pore/freckle texture amplitude
    eye_half_width: float  # eye opening half-width in eye-canvas units
    eye_height: float  # scales the lid arcs (round vs narrow eyes)
    eye_tilt: float  # canthal tilt: + raises the outer corner
    eye_shape_power: float  # lid arc exponent (almond .. round)
    eye_offset: tuple[float, float]  # eye centre (x, y) offset in the canvas
    iris_radius: float
    iris_nir: float  # iris grey level in NIR (mid grey, brighter for light eyes)
    iris_texture: float
    limbal_ring: float  # darkness of the iris rim
    sclera_nir: float
    lash_length: float
    lash_density: float
    mascara: float  # 0 none .. 1 heavy (darker, thicker upper lashes)
    eyeliner: float
    brow_thickness: float
    brow_darkness: float
    brow_height: float  # neutral brow distance above the eye
    brow_arch: float
    crease_depth: float  # upper-lid crease darkness (0: monolid)
    crease_height: float
    socket_depth: float  # periocular shading
    lip_upper_thickness: float
    lip_lower_thickness: float
    lip_nir: float  # lip reflectance relative to skin (NIR lips are only slightly darker)
    lip_visible: float  # same for visible light (lips clearly darker)
    mouth_half_width: float
    teeth_brightness: float
    teeth_gap: float  # visibility of gaps between teeth
    facial_hair: float  # 0 none .. 1 full beard (dark in NIR)
    mustache: float
    mustache_height: float
    chin_length: float
    face_width: float  # cheek contour half-width in the mouth/lower-face views
    nostril_size: float
    glasses: bool
    glasses_frame: float  # frame thickness
    glasses_y: float  # where the lower rim crosses the eye view
    makeup_shadow: float  # eyeshadow darkening of the upper lid (weak in NIR)
    asymmetry: tuple[float, float]  # per-side brow height offsets (left, right)
    head_hair_length: float = 0.0  # 0 short .. 1 long hair falling beside the face (external webcam)
    head_hair_visible: float = 0.2  # its grey level in visible light
    wrinkles: float = 0.3  # depth of expression wrinkles (crow's feet, glabellar furrows): an age proxy
    contact_lens: bool = False  # soft lens rim visible around the iris
    contact_lens_radius: float = 1.15  # relative to the iris radius


@dataclass(frozen=True, slots=True)
class SessionConditions:
    """One donning of the headset: slip per camera, exposure and sensor behaviour, lighting."""

    slip_shift: tuple[tuple[float, float], ...]  # per view (dx, dy) in fractions of the view size
    slip_rotation_deg: tuple[float, ...]  # per view
    slip_scale: tuple[float, ...]  # per view zoom (>1 = closer)
    exposure: float  # multiplies the image (auto-exposure error)
    gain_noise: float  # sensor noise std (0..1 scale)
    gamma: float
    black_level: float
    vignette_radius: float  # circular baffle radius (fraction of the half-diagonal)
    vignette_softness: float
    vignette_center: tuple[float, float]
    intrusion: float  # how much of the headset/lens rim intrudes into the eye views
    intrusion_angle_deg: float
    pupil_fraction: float  # pupil radius / iris radius (dark headset: dilated)
    glint_count: int
    glint_ring_radius: float  # relative to the iris radius
    glint_offset: tuple[float, float]  # glint ring centre offset (LED ring vs camera position)
    glint_brightness: float
    motion_blur_prob: float
    blur_sigma: float  # defocus of this device (pixels at model resolution)
    light_direction: float  # -1..1 side lighting of the external webcam
    background_visible: float  # grey level behind the face for the external webcam
    background_texture: float
    headset_shade: float  # grey of the headset body in the external webcam
    mouth_illumination: float  # NIR falloff strength toward the bottom of the mouth camera
    slip_aspect: tuple[float, ...] = (1.0, 1.0, 1.0, 1.0)  # per view vertical squash (oblique camera, < 1)
    slip_shear: tuple[float, ...] = (0.0, 0.0, 0.0, 0.0)  # per view horizontal shear (off-axis camera)


VIEW_ORDER = ("left_eye", "right_eye", "mouth", "lower_face")


def _u(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(rng.uniform(lo, hi))


def sample_identity(rng: np.random.Generator) -> Identity:
    """Draw a random person. Ranges are deliberately wide (domain randomization)."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"sample_identity: rng must be a numpy Generator, got {type(rng).__name__}")
    mascara = _u(rng, 0.0, 1.0) if rng.random() < 0.3 else 0.0
    beard = rng.random()
    facial_hair = _u(rng, 0.3, 1.0) if beard < 0.2 else (_u(rng, 0.05, 0.3) if beard < 0.35 else 0.0)
    mustache = max(facial_hair, _u(rng, 0.3, 0.9)) if rng.random() < 0.15 or facial_hair > 0.3 else 0.0
    monolid = rng.random() < 0.25
    return Identity(
        texture_seed=int(rng.integers(0, 2**31 - 1)),
        skin_nir=_u(rng, 0.5, 0.86),
        skin_visible=_u(rng, 0.18, 0.85),
        skin_texture=_u(rng, 0.01, 0.07),
        eye_half_width=_u(rng, 0.58, 0.78),
        eye_height=_u(rng, 0.7, 1.25),
        eye_tilt=_u(rng, -0.05, 0.09),
        eye_shape_power=_u(rng, 0.45, 0.9),
        eye_offset=(_u(rng, -0.08, 0.08), _u(rng, -0.06, 0.1)),
        iris_radius=_u(rng, 0.23, 0.3),
        iris_nir=_u(rng, 0.28, 0.6),
        iris_texture=_u(rng, 0.05, 0.25),
        limbal_ring=_u(rng, 0.2, 0.7),
        sclera_nir=_u(rng, 0.62, 0.9),
        lash_length=_u(rng, 0.05, 0.14),
        lash_density=_u(rng, 0.3, 1.0),
        mascara=mascara,
        eyeliner=_u(rng, 0.3, 1.0) if rng.random() < 0.2 else 0.0,
        brow_thickness=_u(rng, 0.08, 0.18),
        brow_darkness=_u(rng, 0.25, 0.85),
        brow_height=_u(rng, 0.55, 0.85),
        brow_arch=_u(rng, 0.0, 0.12),
        crease_depth=_u(rng, 0.0, 0.1) if monolid else _u(rng, 0.15, 0.5),
        crease_height=_u(rng, 0.08, 0.18),
        socket_depth=_u(rng, 0.1, 0.45),
        lip_upper_thickness=_u(rng, 0.05, 0.13),
        lip_lower_thickness=_u(rng, 0.07, 0.17),
        lip_nir=_u(rng, 0.72, 0.95),
        lip_visible=_u(rng, 0.5, 0.85),
        mouth_half_width=_u(rng, 0.36, 0.5),
        teeth_brightness=_u(rng, 0.7, 1.0),
        teeth_gap=_u(rng, 0.1, 0.6),
        facial_hair=facial_hair,
        mustache=mustache,
        mustache_height=_u(rng, 0.6, 1.2),
        chin_length=_u(rng, 0.8, 1.2),
        face_width=_u(rng, 0.95, 1.3),
        nostril_size=_u(rng, 0.7, 1.3),
        glasses=bool(rng.random() < 0.25),
        glasses_frame=_u(rng, 0.02, 0.08),
        glasses_y=_u(rng, 0.55, 0.95),
        makeup_shadow=_u(rng, 0.0, 0.12) if rng.random() < 0.25 else 0.0,
        asymmetry=(_u(rng, -0.05, 0.05), _u(rng, -0.05, 0.05)),
        head_hair_length=_u(rng, 0.3, 1.0) if rng.random() < 0.45 else _u(rng, 0.0, 0.15),
        head_hair_visible=_u(rng, 0.03, 0.6),
        wrinkles=_u(rng, 0.1, 0.6),
        contact_lens=bool(rng.random() < 0.12),
        contact_lens_radius=_u(rng, 1.08, 1.25),
    )


def sample_session(rng: np.random.Generator, identity: Identity) -> SessionConditions:
    """Draw one donning: headset slip, exposure, noise, lens and LED setup (depends weakly on ``identity``)."""
    if not isinstance(identity, Identity):
        raise TypeError(f"sample_session: identity must be an Identity, got {type(identity).__name__}")
    n = len(VIEW_ORDER)
    shifts = tuple((_u(rng, -0.1, 0.1), _u(rng, -0.1, 0.1)) for _ in range(n))
    return SessionConditions(
        slip_shift=shifts,
        slip_rotation_deg=tuple(_u(rng, -10.0, 10.0) for _ in range(n)),
        slip_scale=tuple(_u(rng, 0.8, 1.25) for _ in range(n)),
        exposure=float(np.exp(rng.normal(0.0, 0.22))),
        gain_noise=_u(rng, 0.005, 0.05),
        gamma=_u(rng, 0.75, 1.3),
        black_level=_u(rng, 0.0, 0.08),
        vignette_radius=_u(rng, 0.8, 1.2),
        vignette_softness=_u(rng, 0.08, 0.3),
        vignette_center=(_u(rng, -0.1, 0.1), _u(rng, -0.1, 0.1)),
        intrusion=_u(rng, 0.0, 0.25) if rng.random() < 0.5 else 0.0,
        intrusion_angle_deg=_u(rng, 0.0, 360.0),
        pupil_fraction=_u(rng, 0.3, 0.6),
        glint_count=int(rng.integers(6, 13)),
        glint_ring_radius=_u(rng, 0.45, 0.9),
        glint_offset=(_u(rng, -0.1, 0.1), _u(rng, -0.12, 0.05)),
        glint_brightness=_u(rng, 0.5, 1.0),
        motion_blur_prob=_u(rng, 0.0, 0.25),
        blur_sigma=_u(rng, 0.0, 0.9),
        light_direction=_u(rng, -0.8, 0.8),
        background_visible=_u(rng, 0.1, 0.9),
        background_texture=_u(rng, 0.0, 0.2),
        headset_shade=_u(rng, 0.05, 0.5),
        mouth_illumination=_u(rng, 0.2, 0.7),
        # The eye/mouth cameras look at the face obliquely from below/the side: squash and shear stand in for
        # the perspective of a close off-axis camera.
        slip_aspect=tuple(_u(rng, 0.8, 1.08) for _ in range(n)),
        slip_shear=tuple(_u(rng, -0.15, 0.15) for _ in range(n)),
    )
