"""What VRChat and VRCFaceTracking-style avatars read, pinned byte by byte (issue 15, fixes 1-6 and 9).

Every rule quotes the receiver's source: benaclejames/VRCFaceTracking at 4c58db6 (the commit the issue cites),
paths under VRCFaceTracking.Core/. The reference formulas below are re-typed from that file, not imported.
"""

from __future__ import annotations

import math
import struct

import numpy as np
import pytest
from pythonosc.osc_bundle import OscBundle

from bridge.outputs.base import OutputFrame
from bridge.outputs.vrcft import (
    AvatarInfo,
    AvatarParameter,
    find_binary,
    find_parameter,
    native_eye_rule,
    plan_for_avatar,
)
from bridge.outputs.vrchat import MAX_DATAGRAM_BYTES, VrchatSink
from bridge.schema import BLENDSHAPE_NAMES, FER8, EyeState, FaceState
from retarget.engine import Retargeter
from retarget.library import load_preset
from retarget.rigs import UNIFIED_BASE, UNIFIED_GAZE, UNIFIED_V2

PRESET = load_preset("vrchat-unified-v2")
FT = "/avatar/parameters/FT/v2/"


def osc_float(address: str, value: float) -> bytes:
    """OSC 1.0 message bytes: address and ',f' NUL-padded to 4, big-endian float32."""
    def pad(b: bytes) -> bytes:
        return b + b"\0" * (4 - len(b) % 4)
    return pad(address.encode()) + pad(b",f") + struct.pack(">f", value)


def osc_bool(address: str, value: bool) -> bytes:
    def pad(b: bytes) -> bytes:
        return b + b"\0" * (4 - len(b) % 4)
    return pad(address.encode()) + pad(b",T" if value else b",F")


def elements(datagrams: list[bytes]) -> list[bytes]:
    """The raw message bytes inside each bundle."""
    out = []
    for d in datagrams:
        assert d.startswith(b"#bundle\0")
        i = 16
        while i < len(d):
            (n,) = struct.unpack(">i", d[i:i + 4])
            out.append(d[i + 4:i + 4 + n])
            i += 4 + n
    return out


def face(shapes: dict[str, float] | None = None, left: EyeState | None = None, right: EyeState | None = None,
         confidence=(1.0, 1.0, 1.0, 1.0)) -> FaceState:
    b = np.zeros(52, np.float32)
    for k, v in (shapes or {}).items():
        b[BLENDSHAPE_NAMES.index(k)] = v
    e = np.zeros(8, np.float32)
    e[0] = 1.0
    return FaceState(timestamp=0.0, sequence=0, blendshapes=b, emotion8=e, emotion_label=FER8[0],
                     left_eye=left or EyeState(), right_eye=right or EyeState(),
                     confidence=np.asarray(confidence, np.float32))


def retarget(fs: FaceState) -> OutputFrame:
    return OutputFrame(state=fs, rigs={"vrc": Retargeter(PRESET).apply(fs)})


def sink(**kw) -> VrchatSink:
    kw.setdefault("listen_port", None)
    kw.setdefault("resend_s", 3600.0)
    return VrchatSink("127.0.0.1", 9, rig_key="vrc", **kw)


# ---- VRCFaceTracking's combined parameters, re-typed from its source ----------------------------------------------
def vrcft_combined(w: dict[str, float], open_l: float, open_r: float) -> dict[str, float]:
    """UnifiedExpressionsParameters.cs:87-300 and UnifiedSimpleExpressions.cs:32-51; ``w`` = base shape weights."""
    def s(n):  # a base shape, 0 when the preset does not drive it
        return w.get(n, 0.0)
    simple = {  # UnifiedSimpleExpressions.cs:32-51
        "BrowUpRight": s("BrowOuterUpRight") * .60 + s("BrowInnerUpRight") * .40,
        "BrowUpLeft": s("BrowOuterUpLeft") * .60 + s("BrowInnerUpLeft") * .40,
        "BrowDownRight": s("BrowLowererRight") * .75 + s("BrowPinchRight") * .25,
        "BrowDownLeft": s("BrowLowererLeft") * .75 + s("BrowPinchLeft") * .25,
        "MouthSmileRight": s("MouthCornerPullRight") * .8 + s("MouthCornerSlantRight") * .2,
        "MouthSmileLeft": s("MouthCornerPullLeft") * .8 + s("MouthCornerSlantLeft") * .2,
        "MouthSadRight": max(s("MouthFrownRight"), s("MouthStretchRight")),
        "MouthSadLeft": max(s("MouthFrownLeft"), s("MouthStretchLeft")),
    }
    g = simple.__getitem__
    c = {
        "EyeOpenLeft": open_l, "EyeOpenRight": open_r, "EyeOpen": (open_l + open_r) / 2,  # :87-89
        "EyeClosedLeft": 1 - open_l, "EyeClosedRight": 1 - open_r, "EyeClosed": 1 - (open_l + open_r) / 2,  # :91-93
        "EyeWide": max(s("EyeWideLeft"), s("EyeWideRight")),  # :99-102
        "EyeLidLeft": open_l * .75 + s("EyeWideLeft") * .25, "EyeLidRight": open_r * .75 + s("EyeWideRight") * .25,
        "EyeLid": (open_l + open_r) / 2 * .75 + (s("EyeWideRight") + s("EyeWideLeft")) / 2 * .25,  # :108-112
        "EyeSquint": max(s("EyeSquintLeft"), s("EyeSquintRight")),  # :118-121
        "EyesSquint": max(s("EyeSquintLeft"), s("EyeSquintRight")),  # :123-126
        "BrowUp": (g("BrowUpRight") + g("BrowUpLeft")) * .5, "BrowDown": (g("BrowDownRight") + g("BrowDownLeft")) * .5,
        "BrowInnerUp": (s("BrowInnerUpLeft") + s("BrowInnerUpRight")) / 2,
        "BrowOuterUp": (s("BrowOuterUpLeft") + s("BrowOuterUpRight")) / 2,
        "BrowExpressionRight": min(1, s("BrowInnerUpRight") * .5 + s("BrowOuterUpRight") * .5) - g("BrowDownRight"),
        "BrowExpressionLeft": min(1, s("BrowInnerUpLeft") * .5 + s("BrowOuterUpLeft") * .5) - g("BrowDownLeft"),
        "BrowExpression": (min(1, (s("BrowInnerUpRight") + s("BrowOuterUpRight")) * .5) - g("BrowDownRight")
                           + min(1, (s("BrowInnerUpLeft") + s("BrowOuterUpLeft")) * .5) - g("BrowDownLeft")) * .5,
        "JawX": s("JawRight") - s("JawLeft"), "JawZ": s("JawForward") - s("JawBackward"),  # :164-165
        "CheekSquint": (s("CheekSquintLeft") + s("CheekSquintRight")) / 2,
        "CheekPuffSuckLeft": s("CheekPuffLeft") - s("CheekSuckLeft"),
        "CheekPuffSuckRight": s("CheekPuffRight") - s("CheekSuckRight"),
        "CheekPuffSuck": (s("CheekPuffRight") + s("CheekPuffLeft")) / 2
        - (s("CheekSuckRight") + s("CheekSuckLeft")) / 2,
        "MouthUpperX": s("MouthUpperRight") - s("MouthUpperLeft"),
        "MouthLowerX": s("MouthLowerRight") - s("MouthLowerLeft"),
        "MouthX": (s("MouthUpperRight") + s("MouthLowerRight")) / 2 - (s("MouthUpperLeft") + s("MouthLowerLeft")) / 2,
        "LipSuckUpper": (s("LipSuckUpperRight") + s("LipSuckUpperLeft")) / 2,
        "LipSuckLower": (s("LipSuckLowerRight") + s("LipSuckLowerLeft")) / 2,
        "LipSuck": (s("LipSuckUpperRight") + s("LipSuckUpperLeft") + s("LipSuckLowerRight")
                    + s("LipSuckLowerLeft")) / 4,
        "LipFunnelUpper": (s("LipFunnelUpperRight") + s("LipFunnelUpperLeft")) / 2,
        "LipFunnelLower": (s("LipFunnelLowerRight") + s("LipFunnelLowerLeft")) / 2,
        "LipFunnel": (s("LipFunnelUpperRight") + s("LipFunnelUpperLeft") + s("LipFunnelLowerRight")
                      + s("LipFunnelLowerLeft")) / 4,
        "LipPuckerUpper": (s("LipPuckerUpperRight") + s("LipPuckerUpperLeft")) / 2,
        "LipPuckerLower": (s("LipPuckerLowerRight") + s("LipPuckerLowerLeft")) / 2,
        "LipPuckerRight": (s("LipPuckerUpperRight") + s("LipPuckerLowerRight")) / 2,
        "LipPuckerLeft": (s("LipPuckerUpperLeft") + s("LipPuckerLowerLeft")) / 2,
        "LipPucker": (s("LipPuckerUpperRight") + s("LipPuckerUpperLeft") + s("LipPuckerLowerRight")
                      + s("LipPuckerLowerLeft")) / 4,
        "LipSuckFunnelUpper": (s("LipSuckUpperRight") + s("LipSuckUpperLeft")) / 2
        - (s("LipFunnelUpperRight") + s("LipFunnelUpperLeft")) / 2,
        "LipSuckFunnelLower": (s("LipSuckLowerRight") + s("LipSuckLowerLeft")) / 2
        - (s("LipFunnelLowerRight") + s("LipFunnelLowerLeft")) / 2,
        "LipSuckFunnelLowerLeft": s("LipSuckLowerLeft") - s("LipFunnelLowerLeft"),
        "LipSuckFunnelLowerRight": s("LipSuckLowerRight") - s("LipFunnelLowerRight"),
        "LipSuckFunnelUpperLeft": s("LipSuckUpperLeft") - s("LipFunnelUpperLeft"),
        "LipSuckFunnelUpperRight": s("LipSuckUpperRight") - s("LipFunnelUpperRight"),
        "MouthUpperUp": s("MouthUpperUpRight") * .5 + s("MouthUpperUpLeft") * .5,  # :235
        "MouthLowerDown": s("MouthLowerDownRight") * .5 + s("MouthLowerDownLeft") * .5,  # :236
        "MouthOpen": s("MouthUpperUpRight") * .25 + s("MouthUpperUpLeft") * .25  # :237-239
        + s("MouthLowerDownRight") * .25 + s("MouthLowerDownLeft") * .25,
        "MouthStretch": (s("MouthStretchRight") + s("MouthStretchLeft")) / 2,
        "MouthPress": (s("MouthPressRight") + s("MouthPressLeft")) / 2,
        "MouthDimple": (s("MouthDimpleRight") + s("MouthDimpleLeft")) / 2,
        "NoseSneer": (s("NoseSneerRight") + s("NoseSneerLeft")) / 2,
        "MouthTightenerStretch": (s("MouthTightenerRight") + s("MouthTightenerLeft")) / 2
        - (s("MouthStretchRight") + s("MouthStretchLeft")) / 2,
        "MouthTightenerStretchLeft": s("MouthTightenerLeft") - s("MouthStretchLeft"),
        "MouthTightenerStretchRight": s("MouthTightenerRight") - s("MouthStretchRight"),
        "MouthCornerYLeft": s("MouthCornerSlantLeft") - s("MouthFrownLeft"),  # :260-268
        "MouthCornerYRight": s("MouthCornerSlantRight") - s("MouthFrownRight"),
        "MouthCornerY": (s("MouthCornerSlantLeft") - s("MouthFrownLeft") + s("MouthCornerSlantRight")
                         - s("MouthFrownRight")) * .5,
        "SmileFrownRight": g("MouthSmileRight") - s("MouthFrownRight"),  # :270-279
        "SmileFrownLeft": g("MouthSmileLeft") - s("MouthFrownLeft"),
        "SmileFrown": g("MouthSmileRight") * .5 + g("MouthSmileLeft") * .5 - s("MouthFrownRight") * .5
        - s("MouthFrownLeft") * .5,
        "SmileSadRight": g("MouthSmileRight") - g("MouthSadRight"),  # :282-291
        "SmileSadLeft": g("MouthSmileLeft") - g("MouthSadLeft"),
        "SmileSad": (g("MouthSmileLeft") + g("MouthSmileRight")) / 2 - (g("MouthSadLeft") + g("MouthSadRight")) / 2,
        "TongueX": s("TongueRight") - s("TongueLeft"), "TongueY": s("TongueUp") - s("TongueDown"),  # :297-298
    }
    c.update(simple)
    return c


@pytest.mark.parametrize("seed", range(12))
def test_fix5_every_combined_parameter_is_vrcfacetrackings_formula_of_the_sent_base_shapes(seed):
    # Fix 5: the combined parameters are present and equal VRCFaceTracking's formula applied to the base shapes
    # of the same frame (UnifiedExpressionsParameters.cs:87-300, UnifiedSimpleExpressions.cs:32-51).
    rng = np.random.default_rng(seed)
    shapes = {n: float(v) for n, v in zip(BLENDSHAPE_NAMES, rng.random(52) ** 2, strict=True)}
    ol, or_ = (float(x) for x in rng.random(2))
    out = Retargeter(PRESET).apply(face(shapes, EyeState(0, 0, ol), EyeState(0, 0, or_))).as_dict()
    base = {n: v for n, v in out.items() if n in UNIFIED_BASE}
    expected = vrcft_combined(base, ol, or_)
    assert set(expected) <= set(out), sorted(set(expected) - set(out))
    for name, value in expected.items():
        assert out[name] == pytest.approx(np.clip(value, -1, 1), abs=2e-6), name


def test_fix1_mouth_open_comes_from_the_lips_not_the_jaw():
    # UnifiedExpressionsParameters.cs:237-239: MouthOpen = 0.25 * (MouthUpperUpRight + MouthUpperUpLeft +
    # MouthLowerDownRight + MouthLowerDownLeft). The frame: JawOpen 0.506, lips nearly closed.
    fs = face({"jawOpen": 0.506, "mouthUpperUpLeft": 0.02, "mouthUpperUpRight": 0.022, "mouthLowerDownLeft": 0.021,
               "mouthLowerDownRight": 0.021})
    msgs = elements(sink().encode(retarget(fs), now=0.0))
    want = np.float32(0.25) * (np.float32(0.02) + np.float32(0.022) + np.float32(0.021) + np.float32(0.021))
    got = next(m for m in msgs if m.startswith(b"/avatar/parameters/FT/v2/MouthOpen\0"))
    assert got == osc_float(FT + "MouthOpen", float(want))
    assert struct.unpack(">f", got[-4:])[0] == pytest.approx(0.021, abs=1e-6)
    assert osc_float(FT + "JawOpen", float(np.float32(0.506))) in msgs


def test_fix2_status_bools_have_no_v2_and_v2_forms_are_not_matched():
    # UnifiedExpressionsParameters.cs:304-306 names them "EyeTrackingActive" ...; BaseParameter.cs:81 matches
    # (?<!(v\d+))(/NAME)$|^(NAME)$, so an avatar's ".../v2/EyeTrackingActive" is never set by VRCFaceTracking.
    msgs = elements(sink().encode(retarget(face()), now=0.0))
    for name in ("EyeTrackingActive", "ExpressionTrackingActive", "LipTrackingActive"):
        assert osc_bool("/avatar/parameters/" + name, True) in msgs
        assert not any(m.startswith((FT + name).encode()) for m in msgs)
    params = (AvatarParameter("/avatar/parameters/FT/v2/EyeTrackingActive", "EyeTrackingActive", "bool"),
              AvatarParameter("/avatar/parameters/FT/EyeTrackingActive", "EyeTrackingActive", "bool"))
    assert find_parameter(params[:1], "EyeTrackingActive", "bool") is None
    assert find_parameter(params, "EyeTrackingActive", "bool") is params[1]


def test_fix3_gaze_is_the_tangent_of_the_angle():
    # Types/Vector2.cs:46-50: yaw = atan(x), pitch = -atan(y) (degrees), so x = tan(yaw), y = tan(up angle);
    # UnifiedData.cs:59: the combined gaze is the mean of the two vectors.
    fs = face(left=EyeState(20.0, -10.0, 1.0), right=EyeState(24.0, -10.0, 1.0))
    msgs = elements(sink().encode(retarget(fs), now=0.0))
    tl, tr = math.tan(math.radians(20.0)), math.tan(math.radians(24.0))
    assert osc_float(FT + "EyeLeftX", tl) in msgs  # 0.364, where a linear +-30 degree scale gave 0.667
    assert osc_float(FT + "EyeRightX", tr) in msgs
    assert osc_float(FT + "EyeLeftY", math.tan(math.radians(-10.0))) in msgs
    assert osc_float(FT + "EyeX", float(np.float32(0.5 * (tl + tr)))) in msgs
    # Past 30 degrees it keeps turning (the old scale pinned at 30); VRChat clamps floats to 1 = 45 degrees.
    far = elements(sink().encode(retarget(face(left=EyeState(40.0, 0.0, 1.0))), now=0.0))
    assert osc_float(FT + "EyeLeftX", math.tan(math.radians(40.0))) in far
    assert set(UNIFIED_GAZE) <= set(PRESET.target_names())


AVATAR = AvatarInfo("avtr_test", (
    AvatarParameter("/avatar/parameters/v2/JawOpen", "JawOpen", "float"),  # bare v2/
    AvatarParameter("/avatar/parameters/FT/v2/MouthX1", "MouthX1", "bool"),  # 3-bit binary + sign
    AvatarParameter("/avatar/parameters/FT/v2/MouthX2", "MouthX2", "bool"),
    AvatarParameter("/avatar/parameters/FT/v2/MouthX4", "MouthX4", "bool"),
    AvatarParameter("/avatar/parameters/FT/v2/MouthXNegative", "MouthXNegative", "bool"),
    AvatarParameter("/avatar/parameters/FT/v2/SmileSad", "SmileSad", "bool"),  # bool encoding, threshold 0.5
    AvatarParameter("/avatar/parameters/FT/v2/TongueOut", "TongueOut", "int"),  # wrong type: ignored
    AvatarParameter("/avatar/parameters/v1/v2/CheekPuffSuck", "CheekPuffSuck", "float"),  # after "v1": rejected
    AvatarParameter("/avatar/parameters/LipTrackingActive", "LipTrackingActive", "bool"),
    AvatarParameter("/avatar/parameters/VelocityZ", "VelocityZ", "float"),
))


def test_fix4_only_the_avatars_parameters_at_its_addresses_and_bit_counts():
    # BaseParameter.cs:97-105: the first avatar parameter of the same type whose address matches; else not sent.
    # BinaryBaseParameter.cs:59-79,98-109: bits = bools NAME<2^k>, scale = 2^(number of bits);
    # :19-36: bit k of (int)(|v| * scale); NAMENegative = v < 0. ParamContainers.cs:92: bool = v < 0.5.
    bits, scale = find_binary(AVATAR.parameters, "v2/MouthX")
    assert [s for _, s in bits] == [0, 1, 2] and scale == 8
    s = sink()
    s.avatars = _Static(AVATAR)
    fs = face({"jawOpen": 0.5, "mouthLeft": 0.4, "mouthSmileLeft": 0.9})  # MouthX = -0.4, SmileSad = 0.36
    msgs = elements(s.encode(retarget(fs), now=0.0))
    addresses = [m[:m.index(b"\0")].decode() for m in msgs]
    assert osc_float("/avatar/parameters/v2/JawOpen", 0.5) in msgs
    # int(0.4 * 8) = 3 -> bits 1 and 2 set, 4 clear; negative
    assert osc_bool(FT + "MouthX1", True) in msgs and osc_bool(FT + "MouthX2", True) in msgs
    assert osc_bool(FT + "MouthX4", False) in msgs and osc_bool(FT + "MouthXNegative", True) in msgs
    assert osc_bool(FT + "SmileSad", True) in msgs  # 0.36 < 0.5
    assert osc_bool("/avatar/parameters/LipTrackingActive", True) in msgs
    sent = {a for a in addresses if a.startswith("/avatar/")}
    assert sent == {"/avatar/parameters/v2/JawOpen", FT + "MouthX1", FT + "MouthX2", FT + "MouthX4",
                    FT + "MouthXNegative", FT + "SmileSad", "/avatar/parameters/LipTrackingActive"}
    assert "/avatar/parameters/FT/v2/TongueOut" not in sent and "/avatar/parameters/VelocityZ" not in sent


def test_fix4_version_prefixed_addresses_are_rejected():
    # BaseParameter.cs:81: the look-behind (?<!(v\d+)) refuses "/v1/JawOpen"-style legacy addresses for v2 names
    # only when the text before "/v2/NAME" ends in v<digits>.
    p = AvatarParameter("/avatar/parameters/v3/v2/JawOpen", "JawOpen", "float")
    assert find_parameter((p,), "v2/JawOpen", "float") is None
    ok = AvatarParameter("/avatar/parameters/FT/v2/JawOpen", "JawOpen", "float")
    assert find_parameter((p, ok), "v2/JawOpen", "float") is ok
    assert find_parameter((AvatarParameter("v2/JawOpen", "JawOpen", "float"),), "v2/JawOpen", "float") is not None


class _Static:
    """An avatar source that always reports one avatar (stands in for AvatarTracker)."""

    def __init__(self, avatar: AvatarInfo) -> None:
        self.current = (1, avatar)

    def close(self) -> None:
        pass


@pytest.mark.parametrize(("names", "gaze", "closed"), [
    ((), True, True),  # no face-tracking eye parameters: VRChat's native eye tracking
    (("FT/v2/EyeLeftX",), False, True),  # gaze parameters: no native gaze
    (("FT/v2/EyeLidLeft",), True, False),  # lid parameters: no EyesClosedAmount
    (("FT/v2/EyeClosedLeft",), True, True),  # "Closed" is neither Open nor Lid (:65-69)
    (("LeftEyeX",), False, True),  # legacy v1 names count (EyeTrackingParams.cs:13)
    (("FT/v2/EyeLeftX2",), False, True),  # a binary bit counts as its parameter
    (("FT/v2/EyeTrackingActive", "FT/v2/JawOpen"), True, True),
])
def test_fix6_native_eye_tracking_only_without_the_avatars_own_eye_parameters(names, gaze, closed):
    # UnifiedExpressionsParameters.cs:53-58 (gaze: name has "Eye" and 'X' or 'Y') and :65-69 (closed: "Eye" and
    # "Open" or "Lid"), an avatar parameter counts when its address ends in a known eye parameter name.
    params = tuple(AvatarParameter("/avatar/parameters/" + n, n.rsplit("/", 1)[-1], "float") for n in names)
    assert native_eye_rule(params, UNIFIED_V2.names) == (gaze, closed)
    s = sink()
    s.avatars = _Static(AvatarInfo("a", params))
    msgs = elements(s.encode(retarget(face()), now=0.0))
    assert any(m.startswith(b"/tracking/eye/LeftRightPitchYaw\0") for m in msgs) is gaze
    assert any(m.startswith(b"/tracking/eye/EyesClosedAmount\0") for m in msgs) is closed


def test_fix9_every_datagram_fits_one_unfragmented_udp_packet():
    # 1,500-byte Ethernet MTU - 20 (IPv4 header) - 8 (UDP header) = 1,472 bytes of payload.
    assert MAX_DATAGRAM_BYTES == 1472
    everything = AvatarInfo("big", tuple(AvatarParameter(f"/avatar/parameters/SomeLongFolderName/v2/{n}", n, "float")
                                         for n in UNIFIED_V2.names))
    s = sink(prefix="SomeLongFolderName/v2/")
    for avatar in (None, everything):
        if avatar is not None:
            s.avatars = _Static(avatar)
        fs = face({n: 0.5 for n in BLENDSHAPE_NAMES}, EyeState(10, 5, 0.7), EyeState(12, 4, 0.6))
        datagrams = s.encode(retarget(fs), now=0.0)
        assert len(elements(datagrams)) >= 130
        assert max(len(d) for d in datagrams) <= 1472
        for d in datagrams:
            OscBundle(d)  # each datagram is a complete bundle on its own


def test_plan_counts_what_it_drives():
    plan = plan_for_avatar(PRESET.target_names(), AVATAR, frozenset(UNIFIED_BASE), UNIFIED_V2.names)
    assert plan.count == 1 + 3 + 1 + 1 + 1  # JawOpen, 3 bits + sign, SmileSad, LipTrackingActive


@pytest.mark.parametrize(("options", "left_x", "right_x"), [
    ({}, 20.0, 10.0),
    ({"eyes": "link"}, 15.0, 15.0),  # the preset's eye link averages the angles
    ({"mirror": True}, -10.0, -20.0),  # mirror: sides swap, yaw flips
    ({"eyes": "left_drives_both"}, 20.0, 20.0),
])
def test_fix3_gaze_tangents_follow_the_presets_eye_options(options, left_x, right_x):
    import dataclasses

    preset = dataclasses.replace(PRESET, **options)
    fs = face(left=EyeState(20.0, 0.0, 1.0), right=EyeState(10.0, 0.0, 1.0))
    frame = OutputFrame(state=fs, rigs={"vrc": Retargeter(preset).apply(fs)})
    msgs = elements(sink().encode(frame, now=0.0))
    assert osc_float(FT + "EyeLeftX", math.tan(math.radians(left_x))) in msgs
    assert osc_float(FT + "EyeRightX", math.tan(math.radians(right_x))) in msgs
