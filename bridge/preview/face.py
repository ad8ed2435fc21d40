"""What a rig's retargeted values do to a face, as the few numbers a 2D schematic face is drawn from (no Qt).

Every rig maps its own target names onto the same features (lids, gaze, brows, jaw, mouth shapes, cheeks), so the
schematic shows the preset's OUTPUT: a VRM preset is drawn from ``aa``/``blink``/``happy``, a VRChat one from
``JawOpen``/``EyeLidLeft``/``MouthSmileLeft``. Left/right are the SUBJECT's (the face is drawn facing the viewer,
so the subject's left eye is on the right of the picture).

Several targets may show the same feature (a Unified Expressions preset sends both ``EyeClosedLeft`` and
``EyeLidLeft``): per feature the largest positive and the most negative contribution are added, so duplicates do
not double up while opposite directions (look in vs look out) still cancel.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields

import numpy as np

from bridge.schema import BLENDSHAPE_NAMES
from retarget.rigs import FACS53, LIVELINK_ROTATIONS, META63_NAMES, UNIFIED_BASE, UNIFIED_COMBINED, VRM1_NAMES

SIDES = ("L", "R")


@dataclass(frozen=True)
class FaceFeatures:
    """The schematic face's degrees of freedom. 0..1 unless noted; ``_l``/``_r`` = the subject's left/right."""

    blink_l: float = 0.0
    blink_r: float = 0.0
    wide_l: float = 0.0
    wide_r: float = 0.0
    squint_l: float = 0.0
    squint_r: float = 0.0
    gaze_x_l: float = 0.0  # -1..1, > 0 = toward the subject's right
    gaze_x_r: float = 0.0
    gaze_y_l: float = 0.0  # -1..1, > 0 = up
    gaze_y_r: float = 0.0
    brow_inner_up_l: float = 0.0
    brow_inner_up_r: float = 0.0
    brow_outer_up_l: float = 0.0
    brow_outer_up_r: float = 0.0
    brow_down_l: float = 0.0
    brow_down_r: float = 0.0
    cheek_squint_l: float = 0.0
    cheek_squint_r: float = 0.0
    sneer_l: float = 0.0
    sneer_r: float = 0.0
    smile_l: float = 0.0
    smile_r: float = 0.0
    frown_l: float = 0.0
    frown_r: float = 0.0
    stretch_l: float = 0.0
    stretch_r: float = 0.0
    upper_up_l: float = 0.0
    upper_up_r: float = 0.0
    lower_down_l: float = 0.0
    lower_down_r: float = 0.0
    press_l: float = 0.0
    press_r: float = 0.0
    jaw_open: float = 0.0
    jaw_x: float = 0.0  # -1..1, > 0 = toward the subject's right
    mouth_x: float = 0.0  # -1..1
    mouth_close: float = 0.0
    funnel: float = 0.0
    pucker: float = 0.0
    roll: float = 0.0  # lips rolled in
    cheek_puff: float = 0.0
    tongue_out: float = 0.0

    def side(self, name: str, side: str) -> float:
        """``side("blink", "L")`` -> blink_l."""
        return float(getattr(self, f"{name}_{side.lower()}"))


FEATURES: tuple[str, ...] = tuple(f.name for f in fields(FaceFeatures))
SIGNED = frozenset({"gaze_x_l", "gaze_x_r", "gaze_y_l", "gaze_y_r", "jaw_x", "mouth_x"})

# A rule: (target, feature, transform of the target's value). Transforms: a weight, or a callable.
Transform = float | Callable[[float], float]
Rule = tuple[str, str, Transform]


def _both(target: str, feature: str, w: Transform = 1.0) -> list[Rule]:
    return [(target, f"{feature}_l", w), (target, f"{feature}_r", w)]


def _sided(fmt: str, feature: str, w: Transform = 1.0, left: str = "Left", right: str = "Right") -> list[Rule]:
    """Rules for a left/right pair of targets: ``fmt`` has one {} for the side word."""
    return [(fmt.format(left), f"{feature}_l", w), (fmt.format(right), f"{feature}_r", w)]


def _arkit_rules(cap: bool) -> list[Rule]:
    def n(name: str) -> str:
        return name[0].upper() + name[1:] if cap else name

    rules: list[Rule] = []
    for side, s in (("Left", "l"), ("Right", "r")):
        inward = 1.0 if side == "Left" else -1.0  # the left eye looking in (to the nose) looks to the subject's right
        rules += [
            (n(f"eyeBlink{side}"), f"blink_{s}", 1.0), (n(f"eyeWide{side}"), f"wide_{s}", 1.0),
            (n(f"eyeSquint{side}"), f"squint_{s}", 1.0), (n(f"eyeLookUp{side}"), f"gaze_y_{s}", 1.0),
            (n(f"eyeLookDown{side}"), f"gaze_y_{s}", -1.0), (n(f"eyeLookIn{side}"), f"gaze_x_{s}", inward),
            (n(f"eyeLookOut{side}"), f"gaze_x_{s}", -inward), (n(f"browDown{side}"), f"brow_down_{s}", 1.0),
            (n(f"browOuterUp{side}"), f"brow_outer_up_{s}", 1.0), (n(f"cheekSquint{side}"), f"cheek_squint_{s}", 1.0),
            (n(f"noseSneer{side}"), f"sneer_{s}", 1.0), (n(f"mouthSmile{side}"), f"smile_{s}", 1.0),
            (n(f"mouthFrown{side}"), f"frown_{s}", 1.0), (n(f"mouthStretch{side}"), f"stretch_{s}", 1.0),
            (n(f"mouthDimple{side}"), f"stretch_{s}", 0.4), (n(f"mouthUpperUp{side}"), f"upper_up_{s}", 1.0),
            (n(f"mouthLowerDown{side}"), f"lower_down_{s}", 1.0), (n(f"mouthPress{side}"), f"press_{s}", 1.0),
        ]  # fmt: skip
    rules += [
        (n("browInnerUp"), "brow_inner_up_l", 1.0), (n("browInnerUp"), "brow_inner_up_r", 1.0),
        (n("jawOpen"), "jaw_open", 1.0), (n("jawLeft"), "jaw_x", -1.0), (n("jawRight"), "jaw_x", 1.0),
        (n("mouthLeft"), "mouth_x", -1.0), (n("mouthRight"), "mouth_x", 1.0), (n("mouthClose"), "mouth_close", 1.0),
        (n("mouthFunnel"), "funnel", 1.0), (n("mouthPucker"), "pucker", 1.0), (n("mouthRollLower"), "roll", 0.6),
        (n("mouthRollUpper"), "roll", 0.6), (n("mouthShrugUpper"), "press_l", 0.3),
        (n("mouthShrugUpper"), "press_r", 0.3), (n("cheekPuff"), "cheek_puff", 1.0),
        (n("tongueOut"), "tongue_out", 1.0),
    ]  # fmt: skip
    return rules


ARKIT_RULES = _arkit_rules(cap=False)
LIVELINK_RULES = _arkit_rules(cap=True) + [
    ("LeftEyeYaw", "gaze_x_l", 1.0), ("LeftEyePitch", "gaze_y_l", 1.0),
    ("RightEyeYaw", "gaze_x_r", 1.0), ("RightEyePitch", "gaze_y_r", 1.0),
]  # fmt: skip

FACS53_RULES: list[Rule] = [
    *_sided("InnerBrowRaiser_{}", "brow_inner_up", 1.0, "L", "R"),
    *_sided("OuterBrowRaiser_{}", "brow_outer_up", 1.0, "L", "R"),
    *_sided("BrowLowerer_{}", "brow_down", 1.0, "L", "R"), *_sided("UpperLidRaiser_{}", "wide", 1.0, "L", "R"),
    *_sided("CheekRaiser_{}", "cheek_squint", 1.0, "L", "R"), *_sided("LidTightener_{}", "squint", 1.0, "L", "R"),
    *_sided("NoseWrinkler_{}", "sneer", 1.0, "L", "R"), *_sided("UpperLipRaiser_{}", "upper_up", 1.0, "L", "R"),
    *_sided("LipCornerPuller_{}", "smile", 1.0, "L", "R"), *_sided("Dimpler_{}", "stretch", 0.4, "L", "R"),
    *_sided("LipCornerDepressor_{}", "frown", 1.0, "L", "R"),
    *_sided("LowerLipDepressor_{}", "lower_down", 1.0, "L", "R"),
    ("LipPucker_L", "pucker", 0.5), ("LipPucker_R", "pucker", 0.5), ("TongueShow", "tongue_out", 1.0),
    *_sided("LipStretcher_{}", "stretch", 1.0, "L", "R"), ("LipFunneler", "funnel", 1.0),
    *_sided("LipTightener_{}", "press", 0.5, "L", "R"), *_sided("LipPressor_{}", "press", 1.0, "L", "R"),
    ("LipsPart", "lower_down_l", 0.5), ("LipsPart", "lower_down_r", 0.5), ("JawDrop", "jaw_open", 1.0),
    ("LipSuck_Upper", "roll", 0.6), ("LipSuck_Lower", "roll", 0.6), ("ChinRaiser", "mouth_close", 0.5),
    ("JawSideways_L", "jaw_x", -1.0), ("JawSideways_R", "jaw_x", 1.0), ("CheekPuff", "cheek_puff", 1.0),
    *_sided("EyesClosed_{}", "blink", 1.0, "L", "R"),
    ("EyesTurnLeft_L", "gaze_x_l", -1.0), ("EyesTurnRight_L", "gaze_x_l", 1.0),
    ("EyesTurnLeft_R", "gaze_x_r", -1.0), ("EyesTurnRight_R", "gaze_x_r", 1.0),
    *_sided("EyesUp_{}", "gaze_y", 1.0, "L", "R"), *_sided("EyesDown_{}", "gaze_y", -1.0, "L", "R"),
]  # fmt: skip

META63_RULES: list[Rule] = [
    *_sided("BrowLowerer{}", "brow_down", 1.0, "L", "R"), *_sided("CheekRaiser{}", "cheek_squint", 1.0, "L", "R"),
    ("CheekPuffL", "cheek_puff", 1.0), ("CheekPuffR", "cheek_puff", 1.0),
    ("ChinRaiserB", "mouth_close", 0.5), ("ChinRaiserT", "mouth_close", 0.5),
    *_sided("Dimpler{}", "stretch", 0.4, "L", "R"), *_sided("EyesClosed{}", "blink", 1.0, "L", "R"),
    *_sided("EyesLookDown{}", "gaze_y", -1.0, "L", "R"), *_sided("EyesLookUp{}", "gaze_y", 1.0, "L", "R"),
    *_sided("EyesLookLeft{}", "gaze_x", -1.0, "L", "R"), *_sided("EyesLookRight{}", "gaze_x", 1.0, "L", "R"),
    *_sided("InnerBrowRaiser{}", "brow_inner_up", 1.0, "L", "R"), ("JawDrop", "jaw_open", 1.0),
    ("JawSidewaysLeft", "jaw_x", -1.0), ("JawSidewaysRight", "jaw_x", 1.0),
    *_sided("LidTightener{}", "squint", 1.0, "L", "R"), *_sided("LipCornerDepressor{}", "frown", 1.0, "L", "R"),
    *_sided("LipCornerPuller{}", "smile", 1.0, "L", "R"),
    *[(f"LipFunneler{q}", "funnel", 1.0) for q in ("LB", "LT", "RB", "RT")],
    *_sided("LipPressor{}", "press", 1.0, "L", "R"), ("LipPuckerL", "pucker", 1.0), ("LipPuckerR", "pucker", 1.0),
    *_sided("LipStretcher{}", "stretch", 1.0, "L", "R"),
    *[(f"LipSuck{q}", "roll", 1.0) for q in ("LB", "LT", "RB", "RT")],
    *_sided("LipTightener{}", "press", 0.5, "L", "R"), *_sided("LowerLipDepressor{}", "lower_down", 1.0, "L", "R"),
    ("MouthLeft", "mouth_x", -1.0), ("MouthRight", "mouth_x", 1.0),
    *_sided("NoseWrinkler{}", "sneer", 1.0, "L", "R"), *_sided("OuterBrowRaiser{}", "brow_outer_up", 1.0, "L", "R"),
    *_sided("UpperLidRaiser{}", "wide", 1.0, "L", "R"), *_sided("UpperLipRaiser{}", "upper_up", 1.0, "L", "R"),
]  # fmt: skip


def _lid_closed(v: float) -> float:
    return 1.0 - min(v / 0.75, 1.0)  # VRCFT EyeLid: 0 closed, 0.75 open, 1 wide


def _lid_wide(v: float) -> float:
    return max(v - 0.75, 0.0) / 0.25


def _inverse(v: float) -> float:
    return 1.0 - v


def _positive(v: float) -> float:
    return max(v, 0.0)


def _negative(v: float) -> float:
    return max(-v, 0.0)


UNIFIED_RULES: list[Rule] = [
    *_sided("EyeSquint{}", "squint"), *_sided("EyeWide{}", "wide"), *_sided("BrowPinch{}", "brow_down", 0.5),
    *_sided("BrowLowerer{}", "brow_down"), *_sided("BrowInnerUp{}", "brow_inner_up"),
    *_sided("BrowOuterUp{}", "brow_outer_up"), *_sided("CheekSquint{}", "cheek_squint"),
    ("CheekPuffLeft", "cheek_puff", 1.0), ("CheekPuffRight", "cheek_puff", 1.0), ("JawOpen", "jaw_open", 1.0),
    ("JawRight", "jaw_x", 1.0), ("JawLeft", "jaw_x", -1.0), ("MouthClosed", "mouth_close", 1.0),
    *[(f"LipSuck{p}{s}", "roll", 1.0) for p in ("Upper", "Lower") for s in ("Left", "Right")],
    *[(f"LipFunnel{p}{s}", "funnel", 1.0) for p in ("Upper", "Lower") for s in ("Left", "Right")],
    *[(f"LipPucker{p}{s}", "pucker", 1.0) for p in ("Upper", "Lower") for s in ("Left", "Right")],
    *_sided("MouthUpperUp{}", "upper_up"), *_sided("NoseSneer{}", "sneer"), *_sided("MouthLowerDown{}", "lower_down"),
    ("MouthUpperRight", "mouth_x", 0.5), ("MouthUpperLeft", "mouth_x", -0.5), ("MouthLowerRight", "mouth_x", 0.5),
    ("MouthLowerLeft", "mouth_x", -0.5), *_sided("MouthCornerPull{}", "smile"),
    *_sided("MouthCornerSlant{}", "smile", 0.5), *_sided("MouthFrown{}", "frown"), *_sided("MouthStretch{}", "stretch"),
    *_sided("MouthDimple{}", "stretch", 0.4), *_sided("MouthPress{}", "press"),
    *_sided("MouthTightener{}", "press", 0.5),
    ("TongueOut", "tongue_out", 1.0),
    # combined v2 parameters
    ("EyeX", "gaze_x_l", 1.0), ("EyeX", "gaze_x_r", 1.0), ("EyeY", "gaze_y_l", 1.0), ("EyeY", "gaze_y_r", 1.0),
    ("EyeLeftX", "gaze_x_l", 1.0), ("EyeLeftY", "gaze_y_l", 1.0), ("EyeRightX", "gaze_x_r", 1.0),
    ("EyeRightY", "gaze_y_r", 1.0), *_sided("EyeOpen{}", "blink", _inverse), *_sided("EyeClosed{}", "blink"),
    *_both("EyeWide", "wide"), *_both("EyeSquint", "squint"), *_both("EyeLid", "blink", _lid_closed),
    *_both("EyeLid", "wide", _lid_wide), *_sided("EyeLid{}", "blink", _lid_closed),
    *_sided("EyeLid{}", "wide", _lid_wide), *_both("BrowUp", "brow_outer_up"), *_both("BrowUp", "brow_inner_up", 0.6),
    *_both("BrowDown", "brow_down"), *_both("BrowInnerUp", "brow_inner_up"), *_both("BrowOuterUp", "brow_outer_up"),
    *_sided("BrowUp{}", "brow_outer_up"), *_sided("BrowDown{}", "brow_down"),
    *_sided("BrowExpression{}", "brow_outer_up", _positive), *_sided("BrowExpression{}", "brow_down", _negative),
    ("JawX", "jaw_x", 1.0), *_both("CheekSquint", "cheek_squint"), ("CheekPuffSuckLeft", "cheek_puff", _positive),
    ("CheekPuffSuckRight", "cheek_puff", _positive), ("MouthX", "mouth_x", 1.0), ("MouthUpperX", "mouth_x", 0.5),
    ("MouthLowerX", "mouth_x", 0.5), ("LipSuckUpper", "roll", 1.0), ("LipSuckLower", "roll", 1.0),
    ("LipFunnelUpper", "funnel", 1.0), ("LipFunnelLower", "funnel", 1.0), ("LipPuckerUpper", "pucker", 1.0),
    ("LipPuckerLower", "pucker", 1.0), *_both("MouthUpperUp", "upper_up"), *_both("MouthLowerDown", "lower_down"),
    ("MouthOpen", "jaw_open", 1.0), *_both("MouthStretch", "stretch"), *_both("MouthTightener", "press", 0.5),
    *_both("MouthPress", "press"), *_both("MouthDimple", "stretch", 0.4), *_both("NoseSneer", "sneer"),
    *_sided("SmileFrown{}", "smile", _positive), *_sided("SmileFrown{}", "frown", _negative),
    *_sided("SmileSad{}", "smile", _positive), *_sided("SmileSad{}", "frown", _negative),
    *_sided("MouthSmile{}", "smile"), *_sided("MouthSad{}", "frown"),
    *_both("EyeOpen", "blink", _inverse), *_both("EyeClosed", "blink"), *_both("EyesSquint", "squint"),
    *_both("BrowExpression", "brow_outer_up", _positive), *_both("BrowExpression", "brow_down", _negative),
    ("CheekPuffSuck", "cheek_puff", _positive), ("LipSuck", "roll", 1.0), ("LipFunnel", "funnel", 1.0),
    ("LipPucker", "pucker", 1.0), ("LipPuckerLeft", "pucker", 1.0), ("LipPuckerRight", "pucker", 1.0),
    *[(f"LipSuckFunnel{p}{s}", "roll", _positive) for p in ("Upper", "Lower") for s in ("", "Left", "Right")],
    *[(f"LipSuckFunnel{p}{s}", "funnel", _negative) for p in ("Upper", "Lower") for s in ("", "Left", "Right")],
    *_both("MouthCornerY", "smile", _positive), *_both("MouthCornerY", "frown", _negative),
    *_sided("MouthCornerY{}", "smile", _positive), *_sided("MouthCornerY{}", "frown", _negative),
    *_both("MouthTightenerStretch", "stretch", _negative), *_both("MouthTightenerStretch", "press", _positive),
    *_sided("MouthTightenerStretch{}", "stretch", _negative), *_sided("MouthTightenerStretch{}", "press", _positive),
    *_both("SmileFrown", "smile", _positive), *_both("SmileFrown", "frown", _negative),
    *_both("SmileSad", "smile", _positive), *_both("SmileSad", "frown", _negative),
]  # fmt: skip

VRM1_RULES: list[Rule] = [
    *_both("happy", "smile"), *_both("happy", "cheek_squint", 0.5), *_both("happy", "squint", 0.3),
    *_both("angry", "brow_down"), *_both("angry", "frown", 0.4), *_both("angry", "sneer", 0.4),
    *_both("sad", "frown", 0.8), *_both("sad", "brow_inner_up"),
    *_both("relaxed", "smile", 0.4), *_both("relaxed", "blink", 0.4),
    *_both("surprised", "brow_inner_up", 0.8), *_both("surprised", "brow_outer_up"), *_both("surprised", "wide"),
    ("surprised", "jaw_open", 0.35),
    ("aa", "jaw_open", 0.9), ("ih", "jaw_open", 0.25), *_both("ih", "stretch", 0.6), ("ou", "pucker", 1.0),
    ("ou", "jaw_open", 0.2), ("ee", "jaw_open", 0.35), *_both("ee", "stretch", 0.9), ("oh", "funnel", 0.9),
    ("oh", "jaw_open", 0.55),
    *_both("blink", "blink"), ("blinkLeft", "blink_l", 1.0), ("blinkRight", "blink_r", 1.0),
    *_both("lookUp", "gaze_y"), *_both("lookDown", "gaze_y", -1.0), *_both("lookLeft", "gaze_x", -1.0),
    *_both("lookRight", "gaze_x"),
]  # fmt: skip

RIG_RULES: dict[str, list[Rule]] = {
    "arkit52": ARKIT_RULES, "livelink": LIVELINK_RULES, "facs53": FACS53_RULES, "meta63": META63_RULES,
    "unified_expressions_v2": UNIFIED_RULES, "vrm1": VRM1_RULES,
}  # fmt: skip

# Every target a rule reads must exist in its rig (a typo would silently draw nothing): checked at import.
_RIG_NAMES = {
    "arkit52": set(BLENDSHAPE_NAMES), "livelink": {n[0].upper() + n[1:] for n in BLENDSHAPE_NAMES}
    | set(LIVELINK_ROTATIONS), "facs53": set(FACS53.names), "meta63": set(META63_NAMES),
    "unified_expressions_v2": set(UNIFIED_BASE) | set(UNIFIED_COMBINED), "vrm1": set(VRM1_NAMES),
}  # fmt: skip
for _rig, _rules in RIG_RULES.items():
    _bad = {t for t, f, _ in _rules if t not in _RIG_NAMES[_rig]} | {f for _, f, _ in _rules if f not in FEATURES}
    assert not _bad, f"face rules for {_rig} name unknown targets/features: {sorted(_bad)}"


@dataclass(frozen=True)
class FaceMapper:
    """Compiled rules for one (rig, target list): ``features(values)`` per frame."""

    rig: str
    names: tuple[str, ...]
    rules: tuple[tuple[int, int, Transform], ...]  # (value index, feature index, transform)
    shown: frozenset[str]  # the targets that move the schematic

    def features(self, values: Sequence[float] | np.ndarray) -> FaceFeatures:
        pos = [0.0] * len(FEATURES)
        neg = [0.0] * len(FEATURES)
        for i, f, t in self.rules:
            v = float(values[i])
            c = t(v) if callable(t) else t * v
            if c > pos[f]:
                pos[f] = c
            elif c < neg[f]:
                neg[f] = c
        out = {}
        for k, name in enumerate(FEATURES):
            v = pos[k] + neg[k]
            out[name] = min(max(v, -1.0), 1.0) if name in SIGNED else min(max(v, 0.0), 1.0)
        return FaceFeatures(**out)


def face_mapper(rig: str, names: Sequence[str]) -> FaceMapper:
    """The mapper for a rig's retargeted frame with target ``names`` (RetargetFrame.names)."""
    index = {n: i for i, n in enumerate(names)}
    feature = {n: k for k, n in enumerate(FEATURES)}
    rules = tuple((index[t], feature[f], w) for t, f, w in RIG_RULES.get(rig, ()) if t in index)
    shown = frozenset(names[i] for i, _, _ in rules)
    return FaceMapper(rig, tuple(names), rules, shown)
