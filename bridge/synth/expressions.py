"""Expression tables and exact label derivation for the synthetic headset.

Three tables (sources in docs/emotion-tables.md):
- FACS action unit -> ARKit blendshape weights (``AU_SHAPES``),
- EMFACS emotion prototypes as AU combinations (``EMOTION_AUS``) -> 52-shape vectors (``emotion_shapes``),
- circumplex emotion -> (valence, arousal) (``EMOTION_VA``).

Labels (AU10 multi-hot, openness, eyeLook* shapes) are DERIVED from the rendered shapes and gaze with the
same geometry the renderer uses, so a label never disagrees with its image.
"""

from __future__ import annotations

import numpy as np

from bridge.schema import AU10, BLENDSHAPE_INDEX, NUM_BLENDSHAPES

# FACS action unit -> ARKit shape weights (both sides unless the AU is lateralised with L/R).
AU_SHAPES: dict[str, dict[str, float]] = {
    "AU1": {"browInnerUp": 1.0},
    "AU2": {"browOuterUpLeft": 1.0, "browOuterUpRight": 1.0},
    "AU4": {"browDownLeft": 1.0, "browDownRight": 1.0},
    "AU5": {"eyeWideLeft": 1.0, "eyeWideRight": 1.0},
    "AU6": {"cheekSquintLeft": 1.0, "cheekSquintRight": 1.0, "eyeSquintLeft": 0.25, "eyeSquintRight": 0.25},
    "AU7": {"eyeSquintLeft": 1.0, "eyeSquintRight": 1.0},
    "AU9": {"noseSneerLeft": 1.0, "noseSneerRight": 1.0},
    "AU10": {"mouthUpperUpLeft": 1.0, "mouthUpperUpRight": 1.0},
    "AU12": {"mouthSmileLeft": 1.0, "mouthSmileRight": 1.0},
    "AU14": {"mouthDimpleLeft": 1.0, "mouthDimpleRight": 1.0},
    "AU15": {"mouthFrownLeft": 1.0, "mouthFrownRight": 1.0},
    "AU16": {"mouthLowerDownLeft": 1.0, "mouthLowerDownRight": 1.0},
    "AU17": {"mouthShrugLower": 1.0},
    "AU18": {"mouthPucker": 1.0},
    "AU20": {"mouthStretchLeft": 1.0, "mouthStretchRight": 1.0},
    "AU22": {"mouthFunnel": 1.0},
    "AU23": {"mouthPressLeft": 0.6, "mouthPressRight": 0.6, "mouthPucker": 0.2},
    "AU24": {"mouthPressLeft": 1.0, "mouthPressRight": 1.0},
    "AU25": {"mouthLowerDownLeft": 0.3, "mouthLowerDownRight": 0.3, "jawOpen": 0.1},
    "AU26": {"jawOpen": 1.0},
    "AU28": {"mouthRollLower": 1.0, "mouthRollUpper": 1.0},
    "AU43": {"eyeBlinkLeft": 1.0, "eyeBlinkRight": 1.0},
    "AU12L": {"mouthSmileLeft": 1.0},
    "AU14L": {"mouthDimpleLeft": 1.0},
}

# EMFACS-style prototypes (Friesen & Ekman 1983; Ekman, Friesen & Hager 2002): AU -> intensity (A..E as 0.2..1.0).
EMOTION_AUS: dict[str, dict[str, float]] = {
    "neutral": {},
    "happiness": {"AU6": 0.8, "AU12": 1.0, "AU25": 0.4},
    "surprise": {"AU1": 1.0, "AU2": 1.0, "AU5": 0.8, "AU26": 0.6},
    "sadness": {"AU1": 0.9, "AU4": 0.5, "AU15": 0.9, "AU17": 0.4},
    "anger": {"AU4": 1.0, "AU5": 0.3, "AU7": 0.45, "AU23": 0.9, "AU9": 0.2},
    "disgust": {"AU9": 0.9, "AU10": 0.6, "AU15": 0.5, "AU16": 0.3, "AU7": 0.3, "AU4": 0.3},
    "fear": {"AU1": 1.0, "AU2": 0.6, "AU4": 0.5, "AU5": 1.0, "AU20": 0.9, "AU26": 0.4},
    "contempt": {"AU12L": 0.7, "AU14L": 0.8},  # unilateral; the side is randomised when performed
}

# Circumplex placements (Russell 1980), consistent with AffectNet category centroids (Mollahosseini et al. 2019).
EMOTION_VA: dict[str, tuple[float, float]] = {
    "neutral": (0.0, 0.0),
    "happiness": (0.75, 0.35),
    "surprise": (0.2, 0.8),
    "sadness": (-0.7, -0.35),
    "anger": (-0.6, 0.65),
    "disgust": (-0.65, 0.3),
    "fear": (-0.55, 0.8),
    "contempt": (-0.5, 0.25),
}

# The upper-face AU holds of an Eyemotion collection session (AU0 is the neutral hold itself).
AU_HOLD_SHAPES: dict[str, dict[str, float]] = {
    "AU1+2L": {"browOuterUpLeft": 1.0, "browInnerUp": 0.3},
    "AU1+2R": {"browOuterUpRight": 1.0, "browInnerUp": 0.3},
    "AU4": {"browDownLeft": 1.0, "browDownRight": 1.0},
    "AU5": {"eyeWideLeft": 1.0, "eyeWideRight": 1.0, "browInnerUp": 0.2},
    "AU44": {"eyeSquintLeft": 1.0, "eyeSquintRight": 1.0},
    "AU43": {"eyeBlinkLeft": 1.0, "eyeBlinkRight": 1.0},
    "AU46L": {"eyeBlinkLeft": 1.0, "cheekSquintLeft": 0.25},
    "AU46R": {"eyeBlinkRight": 1.0, "cheekSquintRight": 0.25},
    "AU6": {"cheekSquintLeft": 1.0, "cheekSquintRight": 1.0, "eyeSquintLeft": 0.25, "eyeSquintRight": 0.25},
}

# Everything a performance can perform; Performance.expression indexes this tuple.
EXPRESSIONS: tuple[str, ...] = (
    "neutral", "anger", "surprise", "happiness", "eyes_closed",
    "sadness", "disgust", "fear", "contempt",
    "AU1+2L", "AU1+2R", "AU4", "AU5", "AU44", "AU43", "AU46L", "AU46R", "AU6",
)  # fmt: skip
EXPRESSION_INDEX: dict[str, int] = {n: i for i, n in enumerate(EXPRESSIONS)}

# Label thresholds: a shape this active counts as the AU being present (multi-label).
AU_ON = 0.35
CLOSED_ON = 0.6  # blink at/above this = eye closed; below WINK_OTHER_MAX = the other eye open for a wink
WINK_OTHER_MAX = 0.3

_I = BLENDSHAPE_INDEX


def shapes_from_weights(weights: dict[str, float]) -> np.ndarray:
    """A (52,) float32 vector from {shape name: weight}; raises KeyError naming an unknown shape."""
    out = np.zeros(NUM_BLENDSHAPES, np.float32)
    for name, w in weights.items():
        if name not in _I:
            raise KeyError(f"unknown blendshape {name!r} in an expression table")
        out[_I[name]] = max(out[_I[name]], float(w))
    return out


def emotion_shapes(emotion: str) -> np.ndarray:
    """The (52,) apex shape vector of an FER8 emotion from its EMFACS AU prototype."""
    if emotion not in EMOTION_AUS:
        raise KeyError(f"unknown emotion {emotion!r}; expected one of {tuple(EMOTION_AUS)}")
    out = np.zeros(NUM_BLENDSHAPES, np.float32)
    for au, intensity in EMOTION_AUS[emotion].items():
        out = np.maximum(out, intensity * shapes_from_weights(AU_SHAPES[au]))
    return out


def expression_shapes(name: str) -> np.ndarray:
    """Apex (52,) shapes of anything in EXPRESSIONS (emotions, 'eyes_closed', AU holds)."""
    if name in EMOTION_AUS:
        return emotion_shapes(name)
    if name == "eyes_closed":
        return shapes_from_weights(AU_HOLD_SHAPES["AU43"])
    if name in AU_HOLD_SHAPES:
        return shapes_from_weights(AU_HOLD_SHAPES[name])
    raise KeyError(f"unknown expression {name!r}; expected one of {EXPRESSIONS}")


def au10_from_shapes(shapes: np.ndarray) -> np.ndarray:
    """Multi-hot (..., 10) uint8 over schema.AU10 derived from (..., 52) shapes (co-occurrence allowed)."""
    s = np.asarray(shapes, np.float32)
    bl, br = s[..., _I["eyeBlinkLeft"]], s[..., _I["eyeBlinkRight"]]
    closed_l, closed_r = bl >= CLOSED_ON, br >= CLOSED_ON
    both_closed = closed_l & closed_r
    au = np.zeros(s.shape[:-1] + (len(AU10),), np.uint8)
    au[..., AU10.index("AU1+2L")] = s[..., _I["browOuterUpLeft"]] >= AU_ON
    au[..., AU10.index("AU1+2R")] = s[..., _I["browOuterUpRight"]] >= AU_ON
    au[..., AU10.index("AU4")] = 0.5 * (s[..., _I["browDownLeft"]] + s[..., _I["browDownRight"]]) >= AU_ON
    au[..., AU10.index("AU5")] = 0.5 * (s[..., _I["eyeWideLeft"]] + s[..., _I["eyeWideRight"]]) >= AU_ON
    squint = 0.5 * (s[..., _I["eyeSquintLeft"]] + s[..., _I["eyeSquintRight"]]) >= AU_ON
    au[..., AU10.index("AU44")] = squint & ~both_closed
    au[..., AU10.index("AU43")] = both_closed
    au[..., AU10.index("AU46L")] = closed_l & (br < WINK_OTHER_MAX)
    au[..., AU10.index("AU46R")] = closed_r & (bl < WINK_OTHER_MAX)
    au[..., AU10.index("AU6")] = 0.5 * (s[..., _I["cheekSquintLeft"]] + s[..., _I["cheekSquintRight"]]) >= AU_ON
    au[..., AU10.index("AU0")] = ~au[..., 1:].any(axis=-1)
    return au


# Gaze range that maps to a full eyeLook* shape (ARKit look shapes saturate near the edge of the eye's range).
LOOK_YAW_FULL_DEG = 30.0
LOOK_PITCH_FULL_DEG = 25.0


def look_shapes_from_gaze(gaze: np.ndarray) -> dict[str, np.ndarray]:
    """eyeLook{Up,Down,In,Out}{Left,Right} from gaze (..., 2, 2) deg [left,right]x[yaw,pitch].

    yaw > 0 looks toward the subject's own right: that is 'In' for the left eye and 'Out' for the right eye.
    """
    g = np.asarray(gaze, np.float32)
    yaw_l, pitch_l, yaw_r, pitch_r = g[..., 0, 0], g[..., 0, 1], g[..., 1, 0], g[..., 1, 1]

    def pos(v: np.ndarray, full: float) -> np.ndarray:
        return np.clip(v / full, 0.0, 1.0)

    return {
        "eyeLookUpLeft": pos(pitch_l, LOOK_PITCH_FULL_DEG), "eyeLookDownLeft": pos(-pitch_l, LOOK_PITCH_FULL_DEG),
        "eyeLookInLeft": pos(yaw_l, LOOK_YAW_FULL_DEG), "eyeLookOutLeft": pos(-yaw_l, LOOK_YAW_FULL_DEG),
        "eyeLookUpRight": pos(pitch_r, LOOK_PITCH_FULL_DEG), "eyeLookDownRight": pos(-pitch_r, LOOK_PITCH_FULL_DEG),
        "eyeLookInRight": pos(-yaw_r, LOOK_YAW_FULL_DEG), "eyeLookOutRight": pos(yaw_r, LOOK_YAW_FULL_DEG),
    }  # fmt: skip


def apply_look_shapes(shapes: np.ndarray, gaze: np.ndarray) -> np.ndarray:
    """Write the eyeLook* shapes implied by ``gaze`` into a copy of ``shapes`` (..., 52)."""
    out = np.array(shapes, np.float32, copy=True)
    for name, v in look_shapes_from_gaze(gaze).items():
        out[..., _I[name]] = v
    return out


def lid_opening(shapes: np.ndarray, gaze: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-eye lid parameters (..., 2) [left, right] shared by the renderer and the openness label.

    Returns (upper, lower, openness): ``upper`` scales the upper-lid arc above the closure line, ``lower``
    the lower-lid arc below the eye's centre line; ``openness`` = visible aperture height / neutral height, 0..1.
    """
    s = np.asarray(shapes, np.float32)
    g = np.asarray(gaze, np.float32)
    names = (("eyeBlinkLeft", "eyeWideLeft", "eyeSquintLeft", "cheekSquintLeft"),
             ("eyeBlinkRight", "eyeWideRight", "eyeSquintRight", "cheekSquintRight"))  # fmt: skip
    blink = np.stack([s[..., _I[n[0]]] for n in names], -1)
    wide = np.stack([s[..., _I[n[1]]] for n in names], -1)
    squint = np.stack([s[..., _I[n[2]]] for n in names], -1)
    cheek = np.stack([s[..., _I[n[3]]] for n in names], -1)
    pitch = g[..., 1]
    # The upper lid rides with vertical gaze (lid-eye coordination): looking down lowers it.
    upper_open = np.clip(1.0 + 0.55 * wide - 0.35 * squint - 0.1 * cheek + 0.012 * pitch, 0.05, 1.8)
    lower = np.clip(1.0 - 0.55 * squint - 0.45 * cheek, 0.1, 1.2)
    # Blink closes nonlinearly (lid speeds up as it descends), reaching exactly 0 at blink = 1.
    closure = 1.0 - np.clip(blink, 0.0, 1.0) ** 1.3
    upper = upper_open * closure
    neutral_height = UPPER_ARC + LOWER_ARC
    openness = np.clip((upper * UPPER_ARC + lower * LOWER_ARC * closure) / neutral_height, 0.0, 1.0)
    return upper.astype(np.float32), lower.astype(np.float32), openness.astype(np.float32)


# Heights of the upper/lower lid arcs relative to the closure line (eye canvas units; eye half-width ~0.6).
UPPER_ARC = 0.28
LOWER_ARC = 0.17
