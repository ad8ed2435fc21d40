"""VRChat sink: eye tracking, VRCFaceTracking float/binary parameters, change-only sends, /avatar/change.

The receiver rules (benaclejames/VRCFaceTracking 4c58db6, VRCFaceTracking.Core/...) are pinned in
tests/test_outputs_vrchat_rules.py; here: transport, change detection and the listener."""

from __future__ import annotations

import shutil
import socket
import time

import numpy as np
import pytest
from pythonosc.osc_bundle import OscBundle
from pythonosc.udp_client import SimpleUDPClient
from test_outputs_helpers import PythonOscReceiver, frame_with, free_udp_port, oscdump_until

from bridge.outputs.vrcft import binary_bits
from bridge.outputs.vrchat import VrchatSink
from bridge.schema import EyeState, FaceState

NAMES = ("JawOpen", "MouthClosed", "EyeSquintLeft")
P = "/avatar/parameters/FT/v2/"


def messages(datagrams):
    return [(m.address, tuple(m.params)) for d in datagrams for m in OscBundle(d)]


@pytest.mark.parametrize(("value", "bits", "expected", "has_negative"), [
    (0.0, 4, [False] * 4, True),
    (0.5, 4, [False, False, False, True], True),  # int(0.5*16)=8 -> bit 3
    (0.3, 3, [False, True, False], True),  # int(0.3*8)=2
    (0.999991, 4, [True] * 4, True),  # > 0.99999 sets every bit
    (1.0, 2, [True, True], True),
    (-0.75, 2, [True, True], True),  # int(0.75*4)=3, sign separately
    (-0.75, 2, [False, False], False),  # no Negative parameter: negative values clear every bit
])
def test_binary_bits_follow_vrcfacetracking(value, bits, expected, has_negative):
    # BinaryBaseParameter.cs:19-36
    assert binary_bits(value, tuple(range(bits)), 1 << bits, has_negative) == expected


def test_eye_tracking_and_parameters_reach_python_osc_server():
    rx = PythonOscReceiver()
    sink = VrchatSink("127.0.0.1", rx.port, rig_key="main", listen_port=None)
    state = FaceState.neutral(timestamp=time.time(), sequence=3).with_changes(
        left_eye=EyeState(gaze_yaw=10.0, gaze_pitch=5.0, openness=0.2),
        right_eye=EyeState(gaze_yaw=12.0, gaze_pitch=-4.0, openness=0.4))
    try:
        sink.send(frame_with(NAMES, [0.5, 0.0, 0.25], state=state))
        msgs = rx.wait_for(lambda m: any(a.endswith("LipTrackingActive") for a, _ in m))
    finally:
        sink.close()
        rx.close()
    got = dict(msgs)
    # Unity convention: +pitch looks down, so our pitch (up positive) is negated.
    np.testing.assert_allclose(got["/tracking/eye/LeftRightPitchYaw"], [-5.0, 10.0, 4.0, 12.0], atol=1e-5)
    assert got["/tracking/eye/EyesClosedAmount"][0] == pytest.approx(0.7)
    assert got[P + "JawOpen"] == (0.5,) and got[P + "EyeSquintLeft"] == (0.25,)
    # No v2/ on the status bools: VRCFaceTracking's pattern (?<!(v\d+))/EyeTrackingActive$ rejects it
    # (UnifiedExpressionsParameters.cs:304-306, BaseParameter.cs:81); without an avatar description it sends
    # DefaultPrefix + name (BaseParameter.cs:89-94).
    assert got["/avatar/parameters/EyeTrackingActive"] == (True,)
    assert P + "EyeTrackingActive" not in got


def test_only_changed_values_are_resent_and_avatar_change_resends_all():
    sink = VrchatSink("127.0.0.1", free_udp_port(), rig_key="main", binary={"JawOpen": 3}, listen_port=0,
                      resend_s=3600)
    try:
        first = messages(sink.encode(frame_with(NAMES, [0.5, 0.0, 0.25]), now=0.0))
        addresses = [a for a, _ in first]
        assert {P + "JawOpen1", P + "JawOpen2", P + "JawOpen4", P + "JawOpenNegative"} <= set(addresses)
        assert P + "JawOpen" not in addresses  # binary parameters replace the float
        assert dict(first)[P + "JawOpen4"] == (True,)  # int(0.5*8) = 4
        second = messages(sink.encode(frame_with(NAMES, [0.5, 0.0, 0.6]), now=1.0))
        assert [a for a, _ in second if a.startswith(P)] == [P + "EyeSquintLeft"]
        assert "/tracking/eye/LeftRightPitchYaw" in dict(second)  # eyes go out every frame
        assert sink.listener is not None and sink.listener.listening
        SimpleUDPClient("127.0.0.1", sink.listener.port).send_message("/avatar/change", "avtr_1234")
        deadline = time.monotonic() + 30  # generous: loaded CI box
        while not sink.listener.changed.is_set() and time.monotonic() < deadline:
            time.sleep(0.01)
        third = messages(sink.encode(frame_with(NAMES, [0.5, 0.0, 0.6]), now=2.0))
        assert sink.listener.avatar_id == "avtr_1234"
        assert {P + "JawOpen1", P + "MouthClosed", P + "EyeSquintLeft"} <= {a for a, _ in third}
    finally:
        sink.close()


def test_listener_counts_garbage_and_survives():
    sink = VrchatSink("127.0.0.1", free_udp_port(), rig_key="main", listen_port=0)
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.sendto(b"\x00garbage", ("127.0.0.1", sink.listener.port))
            s.sendto(b"/avatar/change\x00\x00,s\x00\x00", ("127.0.0.1", sink.listener.port))  # truncated
        SimpleUDPClient("127.0.0.1", sink.listener.port).send_message("/avatar/change", "avtr_ok")
        deadline = time.monotonic() + 30  # generous: loaded CI box
        while sink.listener.avatar_id != "avtr_ok" and time.monotonic() < deadline:
            time.sleep(0.01)
        assert sink.listener.avatar_id == "avtr_ok"
        assert sink.listener.malformed >= 1
    finally:
        sink.close()


@pytest.mark.skipif(shutil.which("oscdump") is None, reason="liblo-tools (oscdump) not installed")
def test_vrchat_bools_and_eyes_decoded_by_oscdump(tmp_path):
    port = free_udp_port()
    sink = VrchatSink("127.0.0.1", port, rig_key="main", binary={"JawOpen": 2}, listen_port=None, resend_s=0.5)
    try:
        # Bools go out only when they flip or on the 0.5 s full resend, so wait for one that oscdump saw.
        text = oscdump_until(port, lambda: sink.send(frame_with(NAMES, [1.0, 0.0, 0.25])),
                             lambda out: "JawOpenNegative" in out, tmp_path / "dump.txt")
    finally:
        sink.close()
    assert f"{P}JawOpen1 T" in text and f"{P}JawOpen2 T" in text and f"{P}JawOpenNegative F" in text
    assert "/tracking/eye/LeftRightPitchYaw ffff" in text
    assert f'{P}EyeSquintLeft f 0.250000' in text


def test_a_preset_change_sends_every_new_parameter():
    sink = VrchatSink("127.0.0.1", free_udp_port(), rig_key="main", listen_port=None, resend_s=3600)
    try:
        sink.encode(frame_with(NAMES, [0.5, 0.0, 0.25]), now=0.0)
        same = messages(sink.encode(frame_with(NAMES, [0.5, 0.0, 0.25]), now=0.1))
        assert not [a for a, _ in same if a.startswith(P)]
        other = ("JawOpen", "TongueOut")
        after = messages(sink.encode(frame_with(other, [0.5, 0.0]), now=0.2))
        assert {P + "JawOpen", P + "TongueOut", "/avatar/parameters/EyeTrackingActive"} <= {a for a, _ in after}
    finally:
        sink.close()
