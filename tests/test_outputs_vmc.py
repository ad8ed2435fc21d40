"""VMC sink against real receivers: python-osc's server and liblo's oscdump."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from pythonosc.osc_bundle import OscBundle
from test_outputs_helpers import PythonOscReceiver, RawReceiver, frame_with, free_udp_port, oscdump_until

from bridge.osc.codec import MAX_DATAGRAM_BYTES
from bridge.outputs.vmc import VmcSink
from bridge.schema import BLENDSHAPE_NAMES, TrackingFlags

VRM0 = {"happy": "Joy", "aa": "A", "blinkLeft": "Blink_L", "blinkRight": "Blink_R"}


def test_vmc_sends_every_shape_then_apply_to_python_osc_server():
    rx = PythonOscReceiver()
    sink = VmcSink("127.0.0.1", rx.port, rig_key="main")
    try:
        values = np.linspace(0, 1, len(BLENDSHAPE_NAMES), dtype=np.float32)
        sink.send(frame_with(BLENDSHAPE_NAMES, values))
        msgs = rx.wait_for(lambda m: any(a == "/VMC/Ext/Blend/Apply" for a, _ in m))
    finally:
        sink.close()
        rx.close()
    vals = {args[0]: args[1] for addr, args in msgs if addr == "/VMC/Ext/Blend/Val"}
    pascal = [n[0].upper() + n[1:] for n in BLENDSHAPE_NAMES]  # perfect-sync clip names (test_outputs_vmc_rules.py)
    assert list(vals) == pascal
    np.testing.assert_allclose([vals[n] for n in pascal], values, atol=1e-7)
    ok = [args for addr, args in msgs if addr == "/VMC/Ext/OK"]
    assert ok == [(1, 3, 0, 1)]
    assert [addr for addr, _ in msgs if addr == "/VMC/Ext/T"]


def test_vmc_bundles_fit_mtu_and_apply_is_last():
    rx = RawReceiver()
    names = [f"shape_with_a_rather_long_name_{i:03d}" for i in range(120)]
    sink = VmcSink("127.0.0.1", rx.port, rig_key="main")
    try:
        frame = frame_with(names, np.full(len(names), 0.25), flags=TrackingFlags.CAMERA_LOST)
        expected = sink.encode(frame)
        assert len(expected) > 1  # 120 long names cannot fit one datagram
        sink.send(frame)
        datagrams = rx.receive(len(expected))
    finally:
        sink.close()
        rx.close()
    assert all(len(d) <= MAX_DATAGRAM_BYTES for d in datagrams)
    addresses = []
    for d in datagrams:
        bundle = OscBundle(d)
        addresses += [m.address for m in bundle]  # python-osc parses every element
    assert addresses[-1] == "/VMC/Ext/Blend/Apply"
    assert addresses.count("/VMC/Ext/Blend/Val") == len(names)
    ok = OscBundle(datagrams[0]).content(0)
    assert ok.address == "/VMC/Ext/OK" and ok.params[3] == 0  # camera lost -> trackingStatus 0


def val_names(sink, frame):
    return [m.params[0] for d in sink.encode(frame) for m in OscBundle(d) if m.address == "/VMC/Ext/Blend/Val"]


def test_vmc_vrm0_aliases_when_the_rig_frame_carries_them():
    names = ("happy", "aa", "blinkLeft", "blinkRight", "neutral")
    sink = VmcSink("127.0.0.1", free_udp_port(), rig_key="main")
    quiet = VmcSink("127.0.0.1", free_udp_port(), rig_key="main", send_aliases=False)
    try:
        vrm = frame_with(names, np.ones(5), rig="vrm1", vrm0_aliases=VRM0)
        vrm_names = val_names(sink, vrm)
        arkit_names = val_names(sink, frame_with(names, np.ones(5), rig="arkit52"))
        off_names = val_names(quiet, vrm)
    finally:
        sink.close()
        quiet.close()
    assert len(vrm_names) == 9
    assert set(vrm_names) == set(names) | set(VRM0.values())
    assert arkit_names == list(names) and off_names == list(names)


@pytest.mark.skipif(shutil.which("oscdump") is None, reason="liblo-tools (oscdump) not installed")
def test_vmc_decoded_by_liblo_oscdump(tmp_path):
    port = free_udp_port()
    sink = VmcSink("127.0.0.1", port, rig_key="main")
    try:
        text = oscdump_until(port, lambda: sink.send(frame_with(("jawOpen", "eyeBlinkLeft"), [0.625, 0.125])),
                             lambda out: "/VMC/Ext/Blend/Apply" in out, tmp_path / "dump.txt")
    finally:
        sink.close()
    assert '/VMC/Ext/Blend/Val sf "JawOpen" 0.625000' in text
    assert '/VMC/Ext/Blend/Val sf "EyeBlinkLeft" 0.125000' in text
    assert "/VMC/Ext/OK iiii 1 3 0 1" in text
