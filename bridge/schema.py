"""The face schema: canonical names, label sets and the one per-frame type (FaceState).

Everything in the bridge speaks these names. Left/Right always mean the SUBJECT's left/right:
``eyeBlinkLeft`` closes the person's own left eye, which appears on the image's right side in a
front-facing camera.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field, replace

import numpy as np

# The 52 ARKit blendshapes in Apple's grouped order (shared/reference/rigs-and-names.md).
BLENDSHAPE_NAMES: tuple[str, ...] = (
    "eyeBlinkLeft", "eyeLookDownLeft", "eyeLookInLeft", "eyeLookOutLeft",
    "eyeLookUpLeft", "eyeSquintLeft", "eyeWideLeft",
    "eyeBlinkRight", "eyeLookDownRight", "eyeLookInRight", "eyeLookOutRight",
    "eyeLookUpRight", "eyeSquintRight", "eyeWideRight",
    "jawForward", "jawLeft", "jawRight", "jawOpen",
    "mouthClose", "mouthFunnel", "mouthPucker", "mouthLeft",
    "mouthRight", "mouthSmileLeft", "mouthSmileRight", "mouthFrownLeft",
    "mouthFrownRight", "mouthDimpleLeft", "mouthDimpleRight", "mouthStretchLeft",
    "mouthStretchRight", "mouthRollLower", "mouthRollUpper", "mouthShrugLower",
    "mouthShrugUpper", "mouthPressLeft", "mouthPressRight", "mouthLowerDownLeft",
    "mouthLowerDownRight", "mouthUpperUpLeft", "mouthUpperUpRight",
    "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft",
    "browOuterUpRight", "cheekPuff", "cheekSquintLeft", "cheekSquintRight",
    "noseSneerLeft", "noseSneerRight", "tongueOut",
)  # fmt: skip
NUM_BLENDSHAPES = len(BLENDSHAPE_NAMES)
BLENDSHAPE_INDEX: dict[str, int] = {name: i for i, name in enumerate(BLENDSHAPE_NAMES)}


def shape_index(name: str) -> int:
    """Index of a canonical blendshape name; raises KeyError naming the bad key."""
    try:
        return BLENDSHAPE_INDEX[name]
    except KeyError:
        raise KeyError(f"unknown blendshape {name!r}; expected one of the 52 ARKit names") from None


# Per-eye shape groups, same order for both eyes (blink, lookDown, lookIn, lookOut, lookUp, squint, wide)
# so a shared per-eye head can emit both. Brows and cheekSquint are upper-face but not "eye" shapes.
EYE_SHAPES_LEFT: tuple[int, ...] = tuple(range(0, 7))
EYE_SHAPES_RIGHT: tuple[int, ...] = tuple(range(7, 14))
# Mirror map: index i -> index of the same shape on the other side (identity for symmetric shapes).


def _mirror_name(name: str) -> str:
    if name.endswith("Left"):
        return name[: -len("Left")] + "Right"
    if name.endswith("Right"):
        return name[: -len("Right")] + "Left"
    return name


MIRROR_INDEX: np.ndarray = np.array([BLENDSHAPE_INDEX[_mirror_name(n)] for n in BLENDSHAPE_NAMES], dtype=np.int64)
MIRROR_INDEX.setflags(write=False)

# Eyemotion's 5 emotive classes (mutually exclusive) and its 10 upper-face action units
# (treated here as MULTI-label: co-occurrence allowed, unlike the paper).
EMOTIVE5: tuple[str, ...] = ("neutral", "anger", "surprise", "happiness", "eyes_closed")
AU10: tuple[str, ...] = ("AU0", "AU1+2L", "AU1+2R", "AU4", "AU5", "AU44", "AU43", "AU46L", "AU46R", "AU6")
AU10_DESCRIPTIONS: dict[str, str] = {
    "AU0": "neutral",
    "AU1+2L": "left brow raise",
    "AU1+2R": "right brow raise",
    "AU4": "brow lower",
    "AU5": "upper lid raise",
    "AU44": "squint",
    "AU43": "both eyes closed",
    "AU46L": "left wink",
    "AU46R": "right wink",
    "AU6": "cheek raise",
}
# The 8 FER+ emotions (occluded-lower-face paper, FER+/AffectNet order).
FER8: tuple[str, ...] = ("neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear", "contempt")

# Camera views a headset (or external webcam) provides.
CAMERAS: tuple[str, ...] = ("left_eye", "right_eye", "mouth", "lower_face")
# Regions that carry a confidence.
REGIONS: tuple[str, ...] = ("left_eye", "right_eye", "mouth", "lower_face")


class TrackingFlags(enum.IntFlag):
    """Why tracking is (partly) degraded. Sent with every frame; 0 means all good."""

    OK = 0
    CALIBRATING_NEUTRAL = 1 << 0  # capturing the neutral reference (personalization)
    CAMERA_LOST = 1 << 1
    CAMERA_FROZEN = 1 << 2  # identical frames
    TOO_DARK = 1 << 3
    TOO_BRIGHT = 1 << 4
    EYE_OUT_OF_VIEW = 1 << 5
    LOW_CONFIDENCE = 1 << 6
    EASING_TO_NEUTRAL = 1 << 7  # outputs are being faded to neutral after a failure timeout
    PAUSED = 1 << 8
    NO_PERSONALIZATION = 1 << 9  # no neutral reference yet: classifiers run un-personalized


@dataclass(frozen=True, slots=True)
class EyeState:
    """One eye: gaze in degrees and openness 0 (closed) .. 1 (normally open).

    Gaze is in the subject's frame: yaw > 0 = looking toward the subject's own right,
    pitch > 0 = looking up. Outputs convert to each protocol's convention.
    """

    gaze_yaw: float = 0.0
    gaze_pitch: float = 0.0
    openness: float = 1.0


def _frozen_array(values, length: int, name: str, lo: float, hi: float) -> np.ndarray:
    # Runs for 5 arrays per frame: one copy, one finiteness check, clip in place (keep it cheap).
    arr = np.array(values, dtype=np.float32, copy=True).reshape(-1)
    if arr.shape[0] != length:
        raise ValueError(f"FaceState.{name}: expected {length} values, got {arr.shape[0]}")
    if not np.isfinite(np.add.reduce(arr)):
        raise ValueError(f"FaceState.{name}: values must be finite")
    # ufuncs with out= instead of np.clip: clip's Python wrapper costs several microseconds
    np.minimum(arr, hi, out=arr)
    np.maximum(arr, lo, out=arr)
    arr.flags.writeable = False
    return arr


def _clamp_unit(value: float, name: str) -> float:
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"FaceState.{name}: value must be finite")
    return -1.0 if v < -1.0 else (1.0 if v > 1.0 else v)


def _uniform(n: int) -> np.ndarray:
    return np.full(n, 1.0 / n, dtype=np.float32)


@dataclass(frozen=True, slots=True)
class FaceState:
    """Everything the tracker knows about the face in one frame. Immutable; arrays are read-only.

    Probability vectors are distributions over EMOTIVE5 / FER8; ``au10`` holds independent
    per-AU probabilities (multi-label). ``confidence`` is per region in REGIONS order, 0..1.
    """

    timestamp: float  # capture time, seconds (time.time() clock for live sources)
    sequence: int
    blendshapes: np.ndarray = field(default_factory=lambda: np.zeros(NUM_BLENDSHAPES, np.float32))
    left_eye: EyeState = field(default_factory=EyeState)
    right_eye: EyeState = field(default_factory=EyeState)
    emotive5: np.ndarray = field(default_factory=lambda: _uniform(len(EMOTIVE5)))
    au10: np.ndarray = field(default_factory=lambda: np.zeros(len(AU10), np.float32))
    emotion8: np.ndarray = field(default_factory=lambda: _uniform(len(FER8)))
    emotion_label: str = "neutral"  # the winning FER8 label after hysteresis
    valence: float = 0.0
    arousal: float = 0.0
    confidence: np.ndarray = field(default_factory=lambda: np.ones(len(REGIONS), np.float32))
    flags: TrackingFlags = TrackingFlags.OK

    def __post_init__(self) -> None:
        # object.__setattr__ because the dataclass is frozen; this runs once per frame.
        object.__setattr__(self, "blendshapes", _frozen_array(self.blendshapes, NUM_BLENDSHAPES, "blendshapes", 0, 1))
        object.__setattr__(self, "emotive5", _frozen_array(self.emotive5, len(EMOTIVE5), "emotive5", 0, 1))
        object.__setattr__(self, "au10", _frozen_array(self.au10, len(AU10), "au10", 0, 1))
        object.__setattr__(self, "emotion8", _frozen_array(self.emotion8, len(FER8), "emotion8", 0, 1))
        object.__setattr__(self, "confidence", _frozen_array(self.confidence, len(REGIONS), "confidence", 0, 1))
        if self.emotion_label not in FER8:
            raise ValueError(f"FaceState.emotion_label: {self.emotion_label!r} is not one of {FER8}")
        object.__setattr__(self, "valence", _clamp_unit(self.valence, "valence"))
        object.__setattr__(self, "arousal", _clamp_unit(self.arousal, "arousal"))
        object.__setattr__(self, "flags", TrackingFlags(int(self.flags)))

    def shape(self, name: str) -> float:
        """Value of one canonical blendshape by name."""
        return float(self.blendshapes[shape_index(name)])

    def emotion_dict(self) -> dict[str, float]:
        return {n: float(v) for n, v in zip(FER8, self.emotion8, strict=True)}

    def with_changes(self, **changes) -> FaceState:
        """A copy with some fields replaced (FaceState itself never changes)."""
        return replace(self, **changes)

    @staticmethod
    def neutral(timestamp: float = 0.0, sequence: int = 0) -> FaceState:
        """The resting face: all shapes 0, eyes open and centred, neutral emotion."""
        e8 = np.zeros(len(FER8), np.float32)
        e8[0] = 1.0
        e5 = np.zeros(len(EMOTIVE5), np.float32)
        e5[0] = 1.0
        return FaceState(timestamp=timestamp, sequence=sequence, emotive5=e5, emotion8=e8)


def mirror_shapes(shapes: np.ndarray) -> np.ndarray:
    """Swap Left/Right shapes (last axis = 52). Used to mirror the left eye onto the right-eye network."""
    return np.asarray(shapes)[..., MIRROR_INDEX]
