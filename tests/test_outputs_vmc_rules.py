"""What VMC receivers read, pinned (issue 15, fixes 7-9): perfect-sync name spelling, eye bones, datagram size.

Sources: sh-akira/VirtualMotionCaptureProtocol f41f427 (docs/marionette-spec.markdown), gpsnmeajp/
EasyVirtualMotionCaptureForUnity 02c81e8 (EVMC4U/ExternalReceiver.cs), malaybaku/VMagicMirror
(ExternalTrackerPerfectSync.cs: the perfect-sync keys are ExpressionKey.CreateCustom(nameof(EyeBlinkLeft)) ...).
"""

from __future__ import annotations

import math
import shutil
import struct

import numpy as np
import pytest
from pythonosc.osc_bundle import OscBundle
from test_outputs_helpers import frame_with, free_udp_port, oscdump_until

from bridge.outputs.vmc import MAX_DATAGRAM_BYTES, VmcSink, eye_rotation
from bridge.schema import BLENDSHAPE_NAMES, EyeState
from retarget.rigs import VRM0_ALIASES, VRM1_NAMES


def messages(datagrams):
    return [(m.address, tuple(m.params)) for d in datagrams for m in OscBundle(d)]


def sink(**kw) -> VmcSink:
    return VmcSink("127.0.0.1", free_udp_port(), rig_key="main", **kw)


def val_names(datagrams) -> list[str]:
    return [args[0] for a, args in messages(datagrams) if a == "/VMC/Ext/Blend/Val"]


def test_fix7_perfect_sync_names_are_pascal_case_by_default_and_selectable():
    # marionette-spec.markdown:116-117: Blend/Val names are case-sensitive; only tolerant receivers (EVMC4U,
    # ExternalReceiver.cs:980 key.ToLower()) ignore case. VMagicMirror's perfect-sync clips are EyeBlinkLeft ...
    frame = frame_with(BLENDSHAPE_NAMES, np.full(52, 0.5), rig="arkit52")
    s, camel, both = sink(), sink(arkit_names="camel"), sink(arkit_names="both")
    try:
        pascal = val_names(s.encode(frame))
        assert pascal[:3] == ["EyeBlinkLeft", "EyeLookDownLeft", "EyeLookInLeft"] and len(pascal) == 52
        assert "TongueOut" in pascal and "eyeBlinkLeft" not in pascal
        assert val_names(camel.encode(frame)) == list(BLENDSHAPE_NAMES)
        assert val_names(both.encode(frame))[:2] == ["eyeBlinkLeft", "EyeBlinkLeft"]
        # Exact bytes of one message: address, ",sf", the name NUL-padded to 4, big-endian float32.
        want = b"/VMC/Ext/Blend/Val\0\0,sf\0EyeBlinkLeft\0\0\0\0" + struct.pack(">f", 0.5)
        assert struct.pack(">i", len(want)) + want in s.encode(frame)[0]  # a bundle element: size, then message
        # Only the 52 ARKit names of an arkit52 rig are respelled: VRM names and other rigs are left alone.
        vrm = frame_with(VRM1_NAMES, np.ones(len(VRM1_NAMES)), rig="vrm1", vrm0_aliases=VRM0_ALIASES)
        assert set(val_names(s.encode(vrm))) == set(VRM1_NAMES) | set(VRM0_ALIASES.values())
    finally:
        for x in (s, camel, both):
            x.close()
    with pytest.raises(ValueError, match="arkit_names"):
        sink(arkit_names="Pascal")


def rotate(q, v):
    """Rotate vector v by unit quaternion q = (x, y, z, w)."""
    x, y, z, w = q
    u = np.array([x, y, z])
    v = np.asarray(v, float)
    return 2 * np.dot(u, v) * u + (w * w - np.dot(u, u)) * v + 2 * w * np.cross(u, v)


def test_eye_rotation_turns_the_forward_axis_the_right_way():
    # Unity: left-handed, +z forward, +x right, +y up. 20 degrees to the subject's right, 10 degrees up.
    # (np.cross is right-handed; in a left-handed frame the same formula gives the left-handed rotation.)
    f = rotate(eye_rotation(20.0, 0.0), [0, 0, 1])
    assert f == pytest.approx([math.sin(math.radians(20)), 0, math.cos(math.radians(20))], abs=1e-9)
    f = rotate(eye_rotation(0.0, 10.0), [0, 0, 1])
    assert f[1] == pytest.approx(math.sin(math.radians(10))) and f[0] == pytest.approx(0, abs=1e-12)
    assert np.linalg.norm(eye_rotation(17.0, -8.0)) == pytest.approx(1.0)


def test_fix8_eye_bones_for_bone_lookat_models():
    # marionette-spec.markdown:84-93: /VMC/Ext/Bone/Pos (string)HumanBodyBones name, local p.xyz, q.xyzw.
    # EVMC4U/ExternalReceiver.cs:883-901 accepts it only as a string + 7 floats; :1336-1344 applies LeftEye/RightEye.
    names = ("blink", "lookLeft", "lookRight", "lookUp", "lookDown")
    frame = frame_with(names, [0.2, 0.0, 0.4, 0.1, 0.0], rig="vrm1", vrm0_aliases=VRM0_ALIASES,
                       left_eye=EyeState(15.0, 5.0, 1.0), right_eye=EyeState(12.0, 5.0, 1.0))
    bone, both, expr = sink(look_at="bone", eye_bone_position=(-0.031, 0.062, 0.028)), sink(look_at="both"), sink()
    try:
        msgs = messages(bone.encode(frame))
        bones = {args[0]: args[1:] for a, args in msgs if a == "/VMC/Ext/Bone/Pos"}
        assert set(bones) == {"LeftEye", "RightEye"}
        assert all(len(v) == 7 and all(isinstance(x, float) for x in v) for v in bones.values())
        assert bones["LeftEye"][:3] == pytest.approx((-0.031, 0.062, 0.028))
        assert bones["RightEye"][:3] == pytest.approx((0.031, 0.062, 0.028))  # mirrored
        assert bones["LeftEye"][3:] == pytest.approx(eye_rotation(15.0, 5.0), abs=1e-6)
        assert bones["RightEye"][3:] == pytest.approx(eye_rotation(12.0, 5.0), abs=1e-6)
        sent = val_names(bone.encode(frame))
        assert "lookRight" not in sent and "LookRight" not in sent and "blink" in sent  # bones replace look shapes
        assert [a for a, _ in msgs][-1] == "/VMC/Ext/Blend/Apply"
        assert {"lookRight", "LookRight"} <= set(val_names(both.encode(frame)))
        assert "/VMC/Ext/Bone/Pos" in {a for a, _ in messages(both.encode(frame))}
        assert "/VMC/Ext/Bone/Pos" not in {a for a, _ in messages(expr.encode(frame))}  # default: expressions
    finally:
        for x in (bone, both, expr):
            x.close()
    with pytest.raises(ValueError, match="look_at"):
        sink(look_at="eyes")
    with pytest.raises(ValueError, match="eye_bone_position"):
        sink(eye_bone_position=(0.0, float("nan"), 0.0))


def test_fix9_vmc_datagrams_fit_one_unfragmented_packet():
    # 1,500 MTU - 20 IPv4 - 8 UDP = 1,472. The issue measured 1,484 B for ARKit every frame before.
    frame = frame_with(BLENDSHAPE_NAMES, np.full(52, 0.5), rig="arkit52")
    for kw in ({}, {"arkit_names": "both", "look_at": "both"}):
        s = sink(**kw)
        try:
            datagrams = s.encode(frame)
        finally:
            s.close()
        assert max(len(d) for d in datagrams) <= MAX_DATAGRAM_BYTES == 1472
        assert messages(datagrams)[-1][0] == "/VMC/Ext/Blend/Apply"


@pytest.mark.skipif(shutil.which("oscdump") is None, reason="liblo-tools (oscdump) not installed")
def test_pascal_names_and_eye_bones_decoded_by_oscdump(tmp_path):
    port = free_udp_port()
    s = VmcSink("127.0.0.1", port, rig_key="main", look_at="both")
    frame = frame_with(("jawOpen", "eyeBlinkLeft"), [0.625, 0.125], left_eye=EyeState(0.0, 0.0, 1.0))
    try:
        text = oscdump_until(port, lambda: s.send(frame), lambda out: "/VMC/Ext/Blend/Apply" in out,
                             tmp_path / "dump.txt")
    finally:
        s.close()
    assert '/VMC/Ext/Blend/Val sf "JawOpen" 0.625000' in text
    line = next(ln for ln in text.splitlines() if "/VMC/Ext/Bone/Pos" in ln and '"LeftEye"' in ln)
    values = [float(x) for x in line.split('"LeftEye"')[1].split()]
    assert line.split()[2] == "sfffffff"  # string + 7 floats, what EVMC4U checks (ExternalReceiver.cs:883-892)
    assert values == pytest.approx([-0.03, 0.06, 0.03, 0.0, 0.0, 0.0, 1.0], abs=1e-6)


def test_vmc_options_from_config_reach_the_sink():
    from bridge.config import ConfigError, config_from_dict
    from bridge.outputs.registry import build_sink

    cfg = config_from_dict({"outputs": [{"kind": "vmc", "port": free_udp_port(), "arkit_names": "both",
                                         "look_at": "bone", "eye_bone_position": [-0.02, 0.05, 0.03]}]})
    s = build_sink(cfg.outputs[0], "main")
    try:
        frame = frame_with(("eyeBlinkLeft",), [0.5], rig="arkit52", left_eye=EyeState(0.0, 0.0, 1.0))
        msgs = messages(s.encode(frame))
    finally:
        s.close()
    assert [args[0] for a, args in msgs if a == "/VMC/Ext/Blend/Val"] == ["eyeBlinkLeft", "EyeBlinkLeft"]
    bones = {args[0]: args[1:4] for a, args in msgs if a == "/VMC/Ext/Bone/Pos"}
    assert bones["RightEye"] == pytest.approx((0.02, 0.05, 0.03))
    with pytest.raises(ConfigError, match=r"arkit_names: 'Pascal' is not allowed \(did you mean 'pascal'"):
        config_from_dict({"outputs": [{"kind": "vmc", "arkit_names": "Pascal"}]})
    with pytest.raises(ConfigError, match=r"outputs\[0\]\.look_at: 'eyes' is not allowed"):
        config_from_dict({"outputs": [{"kind": "vmc", "look_at": "eyes"}]})
