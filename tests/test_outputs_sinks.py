"""facebridge sink (decoded by the protocol decoder), refused destinations, fan-out isolation."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from test_outputs_helpers import PythonOscReceiver, RawReceiver, frame_with, free_udp_port

from bridge.outputs.facebridge_decoder import decode_datagram
from bridge.outputs.facebridge_sink import FacebridgeSink
from bridge.outputs.fanout import SinkFanout
from bridge.outputs.vmc import VmcSink
from bridge.schema import TrackingFlags


def test_facebridge_sink_round_trips_through_the_protocol_decoder():
    rx = RawReceiver()
    sink = FacebridgeSink("127.0.0.1", rx.port, rig_key="main")
    try:
        frame = frame_with(("jawOpen", "eyeBlinkLeft"), [0.5, 0.75], flags=TrackingFlags.TOO_DARK)
        expected = sink.encode(frame)
        sink.encoder.force_names()
        sink.send(frame)
        datagrams = rx.receive(len(expected))
    finally:
        sink.close()
        rx.close()
    decoded = [m for d in datagrams for m in decode_datagram(d).messages]
    kinds = {type(m).__name__: m for m in decoded}
    assert kinds["NamesChunk"].names == ("jawOpen", "eyeBlinkLeft")
    assert kinds["ValuesChunk"].values == pytest.approx((0.5, 0.75))
    assert kinds["LightCue"].r == pytest.approx(1.0) and kinds["LightCue"].intensity == pytest.approx(0.8)
    assert kinds["TrackingInfo"].flags == int(TrackingFlags.TOO_DARK)
    ts = decode_datagram(datagrams[-1]).timetag
    assert ts == pytest.approx(frame.state.timestamp, abs=1e-6)


def test_refusing_destination_warns_once_and_keeps_sending(caplog):
    port = free_udp_port()  # nothing listens here: the kernel answers "port unreachable"
    sink = VmcSink("127.0.0.1", port, rig_key="main")
    caplog.set_level(logging.WARNING)
    try:
        for _ in range(20):
            sink.send(frame_with(("jawOpen",), [0.5]))
        stats = sink.stats()
    finally:
        sink.close()
    assert stats["refused"] >= 1 and stats["sent"] >= 1
    warnings = [r for r in caplog.records if "refuses packets" in r.getMessage()]
    assert len(warnings) == 1


class ExplodingSink:
    name = "exploding"
    rig_key = "main"

    def __init__(self):
        self.calls = 0

    def send(self, frame):
        self.calls += 1
        raise RuntimeError("boom")

    def stats(self):
        return {}

    def close(self):
        raise OSError("cannot close either")


def test_a_crashing_sink_never_stops_the_others(caplog):
    rx = PythonOscReceiver()
    good = VmcSink("127.0.0.1", rx.port, rig_key="main")
    bad = ExplodingSink()
    fanout = SinkFanout([bad, good])
    caplog.set_level(logging.ERROR)
    try:
        for i in range(5):
            durations = fanout.send(frame_with(("jawOpen",), [i / 10]))
        msgs = rx.wait_for(lambda m: sum(a == "/VMC/Ext/Blend/Apply" for a, _ in m) >= 5)
    finally:
        fanout.close()  # the bad sink's close raises too; must not propagate
        rx.close()
    assert bad.calls == 5
    assert fanout.health["exploding"].errors == 5 and "boom" in fanout.health["exploding"].last_error
    assert fanout.health[good.name].frames == 5
    assert sum(a == "/VMC/Ext/Blend/Apply" for a, _ in msgs) == 5
    assert set(durations) == {"exploding", good.name}
    assert len([r for r in caplog.records if "exploding" in r.getMessage()]) == 2  # one send error + one close


def test_values_are_clamped_for_vmc():
    sink = VmcSink("127.0.0.1", free_udp_port(), rig_key="main")
    from pythonosc.osc_bundle import OscBundle

    try:
        dgrams = sink.encode(frame_with(("a", "b"), [1.5, -0.5]))
    finally:
        sink.close()
    vals = [m.params[1] for d in dgrams for m in OscBundle(d) if m.address == "/VMC/Ext/Blend/Val"]
    np.testing.assert_allclose(vals, [1.0, 0.0])


def test_build_sink_for_every_kind_from_config(tmp_path):
    from bridge.outputs.registry import build_sink, output_options

    entries = [output_options("facebridge", port=free_udp_port()), output_options("vmc"),
               output_options("vrchat", listen_port=free_udp_port(), binary={"JawOpen": 4}),
               output_options("vrchat", port=9100, listen_port=0),
               output_options("recorder", path=str(tmp_path), raw_frames=True)]
    sinks = [build_sink(e, "main") for e in entries]
    try:
        names = [s.name for s in sinks]
        assert names[1] == "vmc:127.0.0.1:39539" and names[2] == "vrchat:127.0.0.1:9000"
        assert sinks[2].listener.listening and sinks[3].listener is None  # listen_port 0 = don't listen
        assert sinks[4].raw_frames and sinks[4].rig_key is None
    finally:
        for s in sinks:
            s.close()
