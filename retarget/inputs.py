"""The input side of a preset: the named channels a mapping may read, and how a FaceState becomes that vector.

Channels, in vector order:
  * the 52 canonical ARKit shapes (``jawOpen`` ...), 0..1
  * the 8 FER+ emotion probabilities by label (``happiness`` ...), 0..1
  * gaze per eye normalised to -1..1 (``gazeLeftYaw`` ... ; +-1 = +-GAZE_FULL_SCALE_DEG, yaw > 0 = toward the
    subject's right, pitch > 0 = up), eye openness (``eyeOpenLeft``/``eyeOpenRight``, 0..1)
  * ``valence`` and ``arousal``, -1..1
"""

from __future__ import annotations

import numpy as np

from bridge.schema import (
    BLENDSHAPE_INDEX,
    BLENDSHAPE_NAMES,
    FER8,
    MIRROR_INDEX,
    NUM_BLENDSHAPES,
    EyeState,
    FaceState,
)

GAZE_FULL_SCALE_DEG = 30.0  # gaze of +-30 degrees reads as +-1 (about the range eyes turn without the head)
EYE_CHANNELS: tuple[str, ...] = (
    "gazeLeftYaw", "gazeLeftPitch", "gazeRightYaw", "gazeRightPitch", "eyeOpenLeft", "eyeOpenRight",
)  # fmt: skip
AFFECT_CHANNELS: tuple[str, ...] = ("valence", "arousal")
INPUT_NAMES: tuple[str, ...] = BLENDSHAPE_NAMES + FER8 + EYE_CHANNELS + AFFECT_CHANNELS
INPUT_INDEX: dict[str, int] = {n: i for i, n in enumerate(INPUT_NAMES)}
NUM_INPUTS = len(INPUT_NAMES)
EMOTION_SLICE = slice(NUM_BLENDSHAPES, NUM_BLENDSHAPES + len(FER8))
_EYE0 = NUM_BLENDSHAPES + len(FER8)
INPUT_RANGES: dict[str, tuple[float, float]] = {
    n: ((-1.0, 1.0) if ("gaze" in n or n in AFFECT_CHANNELS) else (0.0, 1.0)) for n in INPUT_NAMES
}
_LOOKUP = {n.lower(): n for n in INPUT_NAMES}
# Also accept eyeBlink_L style spellings of the shapes.
_LOOKUP.update({n[:-4].lower() + "_l": n for n in BLENDSHAPE_NAMES if n.endswith("Left")})
_LOOKUP.update({n[:-5].lower() + "_r": n for n in BLENDSHAPE_NAMES if n.endswith("Right")})

EYE_MODES: tuple[str, ...] = ("independent", "link", "left_drives_both", "right_drives_both")


def resolve_input(name: str) -> str | None:
    """Canonical input channel for ``name`` (case-insensitive; ``eyeBlink_L`` accepted), or None."""
    return _LOOKUP.get(name.lower())


def _bounded(v: float, lo: float) -> float:
    """v clamped to [lo, 1]; NaN -> 0. Plain floats: far cheaper than numpy calls for six values."""
    if v != v:  # NaN
        return 0.0
    return lo if v < lo else (1.0 if v > 1.0 else v)


def face_state_to_vector(fs: FaceState, out: np.ndarray) -> np.ndarray:
    """Write the input channels of ``fs`` into ``out`` (float32, at least NUM_INPUTS) and return it.

    Gaze beyond full scale is clamped and non-finite eye/affect values (a source bug) read as 0 or the
    nearest bound, so nothing non-finite reaches the rig."""
    out[:NUM_BLENDSHAPES] = fs.blendshapes
    out[EMOTION_SLICE] = fs.emotion8
    le, re_ = fs.left_eye, fs.right_eye
    k = 1.0 / GAZE_FULL_SCALE_DEG
    out[_EYE0 : _EYE0 + 8] = (
        _bounded(le.gaze_yaw * k, -1.0), _bounded(le.gaze_pitch * k, -1.0),
        _bounded(re_.gaze_yaw * k, -1.0), _bounded(re_.gaze_pitch * k, -1.0),
        _bounded(le.openness, 0.0), _bounded(re_.openness, 0.0),
        _bounded(fs.valence, -1.0), _bounded(fs.arousal, -1.0),
    )  # fmt: skip
    return out


# ---- eye link / drive / mirror as linear maps on the input vector ----------------------------------------
# Per-eye shapes in schema order: blink, lookDown, lookIn, lookOut, lookUp, squint, wide. When one eye drives the
# other, In and Out swap: the left eye looking "in" (toward the nose) means the right eye looks "out".
_EYE_LEFT = [BLENDSHAPE_INDEX[n] for n in BLENDSHAPE_NAMES[:7]]
_EYE_RIGHT = [BLENDSHAPE_INDEX[n] for n in BLENDSHAPE_NAMES[7:14]]
_CONJUGATE = [0, 1, 3, 2, 4, 5, 6]  # per-eye slot k of the driving eye -> slot of the driven eye
_GAZE_L = (_EYE0, _EYE0 + 1, _EYE0 + 4)  # yaw, pitch, openness
_GAZE_R = (_EYE0 + 2, _EYE0 + 3, _EYE0 + 5)


def eye_matrix(mode: str) -> np.ndarray:
    """(NUM_INPUTS, NUM_INPUTS) map applied to the input vector for an eye mode (see EYE_MODES)."""
    m = np.eye(NUM_INPUTS, dtype=np.float32)
    if mode == "independent":
        return m
    if mode == "link":
        # Both eyes get the average of conjugate slots (left lookIn with right lookOut: both mean "looking to the
        # subject's right"), so shared gaze is kept and per-eye noise, vergence and winks are removed.
        pairs = [(_EYE_LEFT[k], _EYE_RIGHT[_CONJUGATE[k]]) for k in range(7)]
        for a, b in [*pairs, *zip(_GAZE_L, _GAZE_R, strict=True)]:
            m[a, a] = m[a, b] = m[b, a] = m[b, b] = 0.5
        return m
    if mode in ("left_drives_both", "right_drives_both"):
        src, dst = (_EYE_LEFT, _EYE_RIGHT) if mode == "left_drives_both" else (_EYE_RIGHT, _EYE_LEFT)
        gsrc, gdst = (_GAZE_L, _GAZE_R) if mode == "left_drives_both" else (_GAZE_R, _GAZE_L)
        for k, s in enumerate(src):
            d = dst[_CONJUGATE[k]]
            m[d, :] = 0.0
            m[d, s] = 1.0
        for s, d in zip(gsrc, gdst, strict=True):
            m[d, :] = 0.0
            m[d, s] = 1.0
        return m
    raise ValueError(f"unknown eye mode {mode!r}; expected one of {EYE_MODES}")


def mirror_matrix() -> np.ndarray:
    """(NUM_INPUTS, NUM_INPUTS) map swapping the subject's left and right (shapes, eyes, gaze yaw sign)."""
    perm = np.arange(NUM_INPUTS)
    perm[:NUM_BLENDSHAPES] = MIRROR_INDEX
    sign = np.ones(NUM_INPUTS, dtype=np.float32)
    for left, right in zip(_GAZE_L, _GAZE_R, strict=True):
        perm[left], perm[right] = right, left
    sign[[_EYE0, _EYE0 + 2]] = -1.0  # yaw flips direction in a mirror
    m = np.zeros((NUM_INPUTS, NUM_INPUTS), dtype=np.float32)
    m[np.arange(NUM_INPUTS), perm] = sign
    return m


def mirror_face_state(fs: FaceState) -> FaceState:
    """The same face seen in a mirror: sides swapped, gaze yaw negated. (The tests' reference for mirror_matrix.)"""
    le, re_ = fs.left_eye, fs.right_eye
    return fs.with_changes(
        blendshapes=np.asarray(fs.blendshapes)[MIRROR_INDEX],
        left_eye=EyeState(-re_.gaze_yaw, re_.gaze_pitch, re_.openness),
        right_eye=EyeState(-le.gaze_yaw, le.gaze_pitch, le.openness),
    )
