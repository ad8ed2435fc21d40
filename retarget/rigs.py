"""Rig profiles: the target name sets a preset can drive, their value ranges, aliases and left/right mirror map.

Names and facts come from shared/reference/rigs-and-names.md. Targets are matched case-insensitively and
through each rig's aliases (e.g. VRM 0.x names for vrm1, ``eyeBlink_L`` for arkit52), because every
ecosystem spells the same shape differently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from bridge.schema import BLENDSHAPE_NAMES


@dataclass(frozen=True)
class RigProfile:
    """One avatar rig's target names (in the rig's own order) and the range each target may take."""

    name: str
    names: tuple[str, ...]
    description: str
    lo: np.ndarray  # (len(names),) float32 lower bound per target
    hi: np.ndarray  # (len(names),) float32 upper bound per target
    aliases: dict[str, str] = field(default_factory=dict)  # alternative spelling -> canonical target name
    vrm0_aliases: dict[str, str] | None = None  # VRM1 -> VRM0 names for VMC senders (vrm1 only)
    descriptions: dict[str, str] = field(default_factory=dict)  # per-target meaning (facs53)
    mirror_negate: frozenset[str] = frozenset()  # signed horizontal targets whose sign flips under mirroring

    def __post_init__(self) -> None:
        self.lo.setflags(write=False)
        self.hi.setflags(write=False)
        # Lower-cased lookup, built once: exact names first so an alias never shadows a real target.
        lookup = {alias.lower(): target for alias, target in self.aliases.items()}
        lookup.update({n.lower(): n for n in self.names})
        object.__setattr__(self, "_lookup", lookup)
        object.__setattr__(self, "_index", {n: i for i, n in enumerate(self.names)})

    def resolve(self, name: str) -> str | None:
        """Canonical target name for ``name`` (case-insensitive, aliases accepted), or None if unknown."""
        return self._lookup.get(name.lower())  # type: ignore[attr-defined]

    def index(self, name: str) -> int:
        """Position of a canonical target name in ``names``."""
        return self._index[name]  # type: ignore[attr-defined]

    def range_of(self, name: str) -> tuple[float, float]:
        """(lo, hi) of one canonical target."""
        i = self.index(name)
        return float(self.lo[i]), float(self.hi[i])

    def mirror_map(self) -> tuple[np.ndarray, np.ndarray]:
        """(index, sign): value i of the mirrored face = sign[i] * value[index[i]]."""
        idx = np.array([self.index(mirror_target_name(n)) for n in self.names], dtype=np.int64)
        sign = np.array([-1.0 if n in self.mirror_negate else 1.0 for n in self.names], dtype=np.float32)
        return idx, sign


_SIDE_SUFFIX = re.compile(r"^(.*?)(_?)([LR])([BT]?)$")


def mirror_target_name(name: str) -> str:
    """The same target on the other side of the face: Left<->Right anywhere, and a trailing L/R (Meta, _L/_R)."""
    swapped = name.replace("Left", "\0").replace("Right", "Left").replace("\0", "Right")
    m = _SIDE_SUFFIX.match(swapped)
    # Only a side letter right after a lowercase letter or "_" (BrowLowererL, LipSuckLB, Dimpler_L).
    if m and (m.group(2) or m.group(1)[-1:].islower()):
        other = "R" if m.group(3) == "L" else "L"
        return f"{m.group(1)}{m.group(2)}{other}{m.group(4)}"
    return swapped


def _words(text: str) -> tuple[str, ...]:
    """Whitespace-separated names (long name lists read better as text blocks)."""
    return tuple(text.split())


def _range(names: tuple[str, ...], signed: frozenset[str] = frozenset()) -> tuple[np.ndarray, np.ndarray]:
    lo = np.array([-1.0 if n in signed else 0.0 for n in names], dtype=np.float32)
    hi = np.ones(len(names), dtype=np.float32)
    return lo, hi


def _rig(name, names, description, signed=frozenset(), negate=frozenset(), **kw) -> RigProfile:
    assert len(set(names)) == len(names), f"duplicate target in rig {name}"
    lo, hi = _range(names, signed)
    return RigProfile(name=name, names=names, description=description, lo=lo, hi=hi, mirror_negate=negate, **kw)


# ---- arkit52: Apple's camelCase names in Apple's grouped order. -----------------------------------------------
def _underscore_form(name: str) -> str:
    # eyeBlinkLeft -> eyeBlink_L (iFacialMocap, ARKit raw strings)
    for side, short in (("Left", "_L"), ("Right", "_R")):
        if name.endswith(side):
            return name[: -len(side)] + short
    return name


ARKIT52 = _rig(
    "arkit52",
    BLENDSHAPE_NAMES,
    "Apple ARKit 52 blendshapes, camelCase, Apple's grouped order (perfect-sync avatars, iFacialMocap, MediaPipe).",
    aliases={_underscore_form(n): n for n in BLENDSHAPE_NAMES if _underscore_form(n) != n},
)

# ---- livelink: the same 52 in PascalCase + the 9 rotations of a Live Link Face packet. ---------------------------
LIVELINK_ROTATIONS = (
    "HeadYaw", "HeadPitch", "HeadRoll",
    "LeftEyeYaw", "LeftEyePitch", "LeftEyeRoll",
    "RightEyeYaw", "RightEyePitch", "RightEyeRoll",
)  # fmt: skip
_LIVELINK_SHAPES = tuple(n[0].upper() + n[1:] for n in BLENDSHAPE_NAMES)
LIVELINK = _rig(
    "livelink",
    _LIVELINK_SHAPES + LIVELINK_ROTATIONS,
    "Unreal Live Link Face: the 52 ARKit shapes in PascalCase (Apple order), then 9 head/eye rotations "
    "normalised to -1..1 (yaw > 0 = toward the subject's right, pitch > 0 = up).",
    signed=frozenset(LIVELINK_ROTATIONS),
    negate=frozenset(n for n in LIVELINK_ROTATIONS if n.endswith(("Yaw", "Roll"))),
)

# ---- facs53: this project's 53-shape FACS rig (REFA-style; REFA does not publish its list). -------------------
FACS53_DESCRIPTIONS: dict[str, str] = {}
_FACS53_SPEC: tuple[tuple[str, str, bool], ...] = (
    # (base name, FACS meaning, has left/right halves)
    ("InnerBrowRaiser", "AU1 inner brow raiser: inner ends of the brow pulled up", True),
    ("OuterBrowRaiser", "AU2 outer brow raiser: outer brow pulled up", True),
    ("BrowLowerer", "AU4 brow lowerer: brows pulled down and together", True),
    ("UpperLidRaiser", "AU5 upper lid raiser: eye opened wide", True),
    ("CheekRaiser", "AU6 cheek raiser: cheek lifted, crow's feet (Duchenne smile)", True),
    ("LidTightener", "AU7 lid tightener: lids narrowed (squint)", True),
    ("NoseWrinkler", "AU9 nose wrinkler: nose sides wrinkled (sneer)", True),
    ("UpperLipRaiser", "AU10 upper lip raiser: upper lip lifted", True),
    ("LipCornerPuller", "AU12 lip corner puller: smile", True),
    ("Dimpler", "AU14 dimpler: lip corner tightened inward", True),
    ("LipCornerDepressor", "AU15 lip corner depressor: frown", True),
    ("LowerLipDepressor", "AU16 lower lip depressor: lower lip pulled down", True),
    ("ChinRaiser", "AU17 chin raiser: chin boss and lower lip pushed up", False),
    ("LipPucker", "AU18 lip pucker: lips pushed forward (kiss)", True),
    ("TongueShow", "AU19 tongue show: tongue out", False),
    ("LipStretcher", "AU20 lip stretcher: lips stretched sideways", True),
    ("LipFunneler", "AU22 lip funneler: lips funnelled outward (\"oh\")", False),
    ("LipTightener", "AU23 lip tightener: red of the lips narrowed", True),
    ("LipPressor", "AU24 lip pressor: lips pressed together", True),
    ("LipsPart", "AU25 lips part: lips apart", False),
    ("JawDrop", "AU26 jaw drop: jaw lowered", False),
    ("LipSuck_Upper", "AU28 lip suck, upper lip rolled in", False),
    ("LipSuck_Lower", "AU28 lip suck, lower lip rolled in", False),
    ("JawThrust", "AU29 jaw thrust: jaw pushed forward", False),
    ("JawSideways", "AU30 jaw sideways: jaw moved toward that side (subject's left/right)", True),
    ("CheekPuff", "AU34 puff: cheeks blown out", False),
    ("EyesClosed", "AU43 eyes closed: upper lid fully lowered (blinks are short AU43)", True),
    ("EyesTurnLeft", "AU61 eyes turn left (subject's left); per eye", True),
    ("EyesTurnRight", "AU62 eyes turn right (subject's right); per eye", True),
    ("EyesUp", "AU63 eyes up; per eye", True),
    ("EyesDown", "AU64 eyes down; per eye", True),
)
_facs_names: list[str] = []
for _base, _meaning, _sided in _FACS53_SPEC:
    if _sided:
        for _suffix, _side in (("_L", "subject's left"), ("_R", "subject's right")):
            _facs_names.append(_base + _suffix)
            FACS53_DESCRIPTIONS[_base + _suffix] = f"{_meaning} ({_side} side)"
    else:
        _facs_names.append(_base)
        FACS53_DESCRIPTIONS[_base] = _meaning
FACS53 = _rig(
    "facs53",
    tuple(_facs_names),
    "FaceBridge's 53-shape FACS rig in the spirit of REFA's 53 bases (one shape per action unit, split left/right "
    "where the AU can be asymmetric); see docs/rigs.md.",
    descriptions=dict(FACS53_DESCRIPTIONS),
)

# ---- vrm1: the 18 VRM 1.0 expression presets. ---------------------------------------------------------------
VRM1_NAMES = (
    "happy", "angry", "sad", "relaxed", "surprised",
    "aa", "ih", "ou", "ee", "oh",
    "blink", "blinkLeft", "blinkRight",
    "lookUp", "lookDown", "lookLeft", "lookRight",
    "neutral",
)  # fmt: skip
VRM0_ALIASES: dict[str, str] = {
    "happy": "Joy", "angry": "Angry", "sad": "Sorrow", "relaxed": "Fun", "surprised": "Surprised",
    "aa": "A", "ih": "I", "ou": "U", "ee": "E", "oh": "O",
    "blink": "Blink", "blinkLeft": "Blink_L", "blinkRight": "Blink_R",
    "lookUp": "LookUp", "lookDown": "LookDown", "lookLeft": "LookLeft", "lookRight": "LookRight",
    "neutral": "Neutral",
}  # fmt: skip
VRM1 = _rig(
    "vrm1",
    VRM1_NAMES,
    "VRM 1.0 expression presets (18, 0..1). VMC senders also send the VRM 0.x names (vrm0_aliases).",
    aliases={v0: v1 for v1, v0 in VRM0_ALIASES.items()},
    vrm0_aliases=dict(VRM0_ALIASES),
)

# ---- unified_expressions_v2: VRCFaceTracking's 88 base shapes + common combined parameters. -----------------
UNIFIED_BASE = tuple(
    _words("""EyeSquintRight EyeSquintLeft EyeWideRight EyeWideLeft BrowPinchRight BrowPinchLeft BrowLowererRight
    BrowLowererLeft BrowInnerUpRight BrowInnerUpLeft BrowOuterUpRight BrowOuterUpLeft NasalDilationRight
    NasalDilationLeft NasalConstrictRight NasalConstrictLeft CheekSquintRight CheekSquintLeft CheekPuffRight
    CheekPuffLeft CheekSuckRight CheekSuckLeft JawOpen JawRight JawLeft JawForward JawBackward JawClench
    JawMandibleRaise MouthClosed LipSuckUpperRight LipSuckUpperLeft LipSuckLowerRight LipSuckLowerLeft
    LipSuckCornerRight LipSuckCornerLeft LipFunnelUpperRight LipFunnelUpperLeft LipFunnelLowerRight
    LipFunnelLowerLeft LipPuckerUpperRight LipPuckerUpperLeft LipPuckerLowerRight LipPuckerLowerLeft
    MouthUpperUpRight MouthUpperUpLeft MouthUpperDeepenRight MouthUpperDeepenLeft NoseSneerRight NoseSneerLeft
    MouthLowerDownRight MouthLowerDownLeft MouthUpperRight MouthUpperLeft MouthLowerRight MouthLowerLeft
    MouthCornerPullRight MouthCornerPullLeft MouthCornerSlantRight MouthCornerSlantLeft MouthFrownRight
    MouthFrownLeft MouthStretchRight MouthStretchLeft MouthDimpleRight MouthDimpleLeft MouthRaiserUpper
    MouthRaiserLower MouthPressRight MouthPressLeft MouthTightenerRight MouthTightenerLeft TongueOut TongueUp
    TongueDown TongueRight TongueLeft TongueRoll TongueBendDown TongueCurlUp TongueSquish TongueFlat
    TongueTwistRight TongueTwistLeft SoftPalateClose ThroatSwallow NeckFlexRight NeckFlexLeft""")
)
# Combined ("v2/...") parameters VRCFaceTracking computes from the base shapes and eyes
# (VRCFaceTracking.Core/Params/Expressions/UnifiedExpressionsParameters.cs), then its 8 "simple" shapes
# (UnifiedSimpleExpressions.cs). Signed ones run -1..1. Names VRCFaceTracking defines but FaceBridge has no
# source for (PupilDiameter*, TongueArchY, TongueShape, Head/*) are left out.
UNIFIED_COMBINED = tuple(
    _words("""EyeX EyeY EyeLeftX EyeLeftY EyeRightX EyeRightY EyeOpenLeft EyeOpenRight EyeOpen EyeClosedLeft
    EyeClosedRight EyeClosed EyeWide EyeSquint EyesSquint EyeLid EyeLidLeft EyeLidRight PupilDilation BrowUp BrowDown
    BrowInnerUp BrowOuterUp BrowExpressionLeft BrowExpressionRight BrowExpression JawX JawZ CheekSquint
    CheekPuffSuckLeft CheekPuffSuckRight CheekPuffSuck CheekSuck MouthUpperX MouthLowerX MouthX LipSuckUpper
    LipSuckLower LipSuck LipFunnelUpper LipFunnelLower LipFunnel LipPuckerUpper LipPuckerLower LipPuckerRight
    LipPuckerLeft LipPucker LipSuckFunnelUpper LipSuckFunnelLower LipSuckFunnelLowerLeft LipSuckFunnelLowerRight
    LipSuckFunnelUpperLeft LipSuckFunnelUpperRight MouthUpperUp MouthLowerDown MouthOpen MouthStretch
    MouthTightener MouthPress MouthDimple NoseSneer MouthTightenerStretch MouthTightenerStretchLeft
    MouthTightenerStretchRight MouthCornerYLeft MouthCornerYRight MouthCornerY SmileFrownRight SmileFrownLeft
    SmileFrown SmileSadRight SmileSadLeft SmileSad TongueX TongueY
    BrowUpRight BrowUpLeft BrowDownRight BrowDownLeft MouthSmileRight MouthSmileLeft MouthSadRight
    MouthSadLeft""")
)
UNIFIED_SIGNED = frozenset(
    _words("""EyeX EyeY EyeLeftX EyeLeftY EyeRightX EyeRightY BrowExpressionLeft BrowExpressionRight BrowExpression
    JawX JawZ CheekPuffSuckLeft CheekPuffSuckRight CheekPuffSuck MouthUpperX MouthLowerX MouthX LipSuckFunnelUpper
    LipSuckFunnelLower LipSuckFunnelLowerLeft LipSuckFunnelLowerRight LipSuckFunnelUpperLeft LipSuckFunnelUpperRight
    MouthTightenerStretch MouthTightenerStretchLeft MouthTightenerStretchRight MouthCornerYLeft MouthCornerYRight
    MouthCornerY SmileFrownLeft SmileFrownRight SmileFrown SmileSadLeft SmileSadRight SmileSad TongueX TongueY""")
)
# Gaze parameters: VRCFaceTracking sends the gaze vector's components, tan(angle) (Types/Vector2.cs ToYaw/ToPitch);
# the vrchat output computes them from the tracked angles (a preset's linear gaze values stop at 30 degrees).
UNIFIED_GAZE = ("EyeX", "EyeY", "EyeLeftX", "EyeLeftY", "EyeRightX", "EyeRightY")
UNIFIED_V2 = _rig(
    "unified_expressions_v2",
    UNIFIED_BASE + UNIFIED_COMBINED,
    "VRCFaceTracking Unified Expressions: 88 base shapes (enum order) then common combined v2 parameters. "
    "Signed parameters (…X, …Y, JawZ, BrowExpression*, CheekPuffSuck*, SmileFrown*, SmileSad*) run -1..1.",
    signed=UNIFIED_SIGNED,
    negate=frozenset(n for n in UNIFIED_SIGNED if n.endswith("X")),
)

# ---- meta63: OpenXR XR_FB_face_tracking / OVRFaceExpressions. ---------------------------------------------
META63_NAMES = tuple(
    _words("""BrowLowererL BrowLowererR CheekPuffL CheekPuffR CheekRaiserL CheekRaiserR CheekSuckL CheekSuckR
    ChinRaiserB
    ChinRaiserT DimplerL DimplerR EyesClosedL EyesClosedR EyesLookDownL EyesLookDownR EyesLookLeftL EyesLookLeftR
    EyesLookRightL EyesLookRightR EyesLookUpL EyesLookUpR InnerBrowRaiserL InnerBrowRaiserR JawDrop JawSidewaysLeft
    JawSidewaysRight JawThrust LidTightenerL LidTightenerR LipCornerDepressorL LipCornerDepressorR LipCornerPullerL
    LipCornerPullerR LipFunnelerLB LipFunnelerLT LipFunnelerRB LipFunnelerRT LipPressorL LipPressorR LipPuckerL
    LipPuckerR LipStretcherL LipStretcherR LipSuckLB LipSuckLT LipSuckRB LipSuckRT LipTightenerL LipTightenerR
    LipsToward LowerLipDepressorL LowerLipDepressorR MouthLeft MouthRight NoseWrinklerL NoseWrinklerR
    OuterBrowRaiserL OuterBrowRaiserR UpperLidRaiserL UpperLidRaiserR UpperLipRaiserL UpperLipRaiserR""")
)
META63 = _rig(
    "meta63",
    META63_NAMES,
    "Meta / OpenXR face tracking (OVRFaceExpressions, XR_FB_face_tracking): 63 expressions, 0..1. "
    "Suffix L/R = subject's left/right; LB/LT = left bottom/top lip.",
)

RIGS: dict[str, RigProfile] = {r.name: r for r in (ARKIT52, LIVELINK, FACS53, VRM1, UNIFIED_V2, META63)}
