"""The assembled pipeline with real tracker, presets and sinks (models and source are test doubles)."""

from __future__ import annotations

import time

import numpy as np
from pythonosc.udp_client import SimpleUDPClient
from test_outputs_helpers import PythonOscReceiver, RawReceiver
from test_pipeline_doubles import LabelModels, ScriptedSource, UnplugMidRun, jaw_curve

from bridge.app.assemble import assemble
from bridge.config import Config, ControlSection
from bridge.outputs.facebridge_decoder import decode_datagram
from bridge.outputs.registry import output_options
from bridge.schema import FER8, TrackingFlags
from bridge.sources.replay import Recording


def build(outputs, source, models=None, control=False, port=0):
    config = Config(control=ControlSection(port=port))
    return assemble(config, outputs=outputs, models=models or LabelModels(), source_obj=source, control=control)


def jaw_values(msgs):
    # The VMC output spells perfect-sync (arkit52) names in PascalCase by default (docs/outputs.md).
    return [args[1] for addr, args in msgs if addr == "/VMC/Ext/Blend/Val" and args[0] == "JawOpen"]


def test_frames_flow_to_every_output_and_stages_are_timed(tmp_path):
    vmc_rx, fb_rx = PythonOscReceiver(), RawReceiver()
    outputs = [output_options("vmc", port=vmc_rx.port), output_options("facebridge", port=fb_rx.port),
               output_options("recorder", path=str(tmp_path))]
    bridge = build(outputs, ScriptedSource(count=60, fps=120))  # paced: python-osc's server is slow to drain
    try:
        reason = bridge.pipeline.run(duration_s=30)
        msgs = vmc_rx.wait_for(lambda m: len(jaw_values(m)) >= 60)
        datagrams = fb_rx.drain()
    finally:
        bridge.close()
        vmc_rx.close()
        fb_rx.close()
    assert reason == "source finished"
    assert bridge.pipeline.frames == 60
    jaw = np.array(jaw_values(msgs))
    assert len(jaw) == 60
    truth = np.array([jaw_curve(i) for i in range(60)])
    # The filtered jawOpen follows the scripted one once the tracker's start-up ramp (~0.35 s) is over.
    assert np.corrcoef(jaw[30:], truth[30:])[0, 1] > 0.9
    assert jaw.max() > 0.7
    decoded = [m for d in datagrams for m in decode_datagram(d).messages]
    headers = [m for m in decoded if type(m).__name__ == "FrameHeader"]
    assert [h.sequence for h in headers] == list(range(60))  # every frame, in order
    stages = bridge.pipeline.times.summary_ms()
    for stage in ("quality", "preprocess", "models", "tracking", "retarget", "outputs"):
        assert 0.0 < stages[stage]["p50"] <= stages[stage]["p99"]  # really timed: NaN or 0 would fail
    assert any(k.startswith("output[vmc:") for k in stages)
    (rec_dir,) = tmp_path.iterdir()
    states = list(Recording(rec_dir).face_states())
    assert len(states) == 60
    assert FER8[int(np.argmax(states[-1].emotion8))] == "happiness"  # the models' emotion reached the recording


class ExplodingSink:
    name = "exploding"
    rig_key = None

    def send(self, frame):
        raise ZeroDivisionError("output bug")

    def stats(self):
        return {}

    def close(self):
        pass


def test_a_crashing_output_does_not_stop_the_pipeline():
    rx = PythonOscReceiver()
    bridge = build([output_options("vmc", port=rx.port)], ScriptedSource(count=20))
    bridge.fanout.sinks.insert(0, ExplodingSink())
    bridge.fanout.health["exploding"] = type(bridge.fanout.health[bridge.fanout.sinks[1].name])()
    try:
        assert bridge.pipeline.run(duration_s=30) == "source finished"
        msgs = rx.wait_for(lambda m: len(jaw_values(m)) >= 20)
    finally:
        bridge.close()
        rx.close()
    assert len(jaw_values(msgs)) == 20
    assert bridge.fanout.health["exploding"].errors == 20


def test_source_closed_mid_run_keeps_outputs_alive_and_flags_camera_lost():
    rx = PythonOscReceiver()
    source = ScriptedSource(count=None, fps=60)
    bridge = build([output_options("vmc", port=rx.port)], source)
    unplug = UnplugMidRun(bridge.pipeline, source, frames_before=10, idle_after=10)
    try:
        # The 60 s limit is only a backstop: the run stops once 10 idle steps followed the unplug.
        reason = bridge.pipeline.run(duration_s=60, on_step=unplug)
        steps = bridge.pipeline.frames + bridge.pipeline.idle_steps  # one /VMC/Ext/OK per step
        msgs = rx.wait_for(lambda m: sum(1 for a, _ in m if a == "/VMC/Ext/OK") >= steps, timeout=30)
    finally:
        bridge.close()
        rx.close()
    assert reason == "stopped"  # neither "source finished" nor a stall: it kept stepping after the unplug
    assert bridge.pipeline.frames >= 10 and bridge.pipeline.idle_steps >= 10
    last = bridge.pipeline.last.state
    assert last.flags & TrackingFlags.CAMERA_LOST
    ok = [args for addr, args in msgs if addr == "/VMC/Ext/OK"]
    assert len(ok) > bridge.pipeline.frames  # outputs kept going after the unplug
    assert ok[-1][3] == 0  # VMC trackingStatus reports the loss


def test_control_pause_skips_models_and_resume_continues():
    source = ScriptedSource(count=None, fps=200)
    models = LabelModels()
    bridge = build([output_options("vmc", port=RawReceiver().port)], source, models=models, control=True)
    client = SimpleUDPClient("127.0.0.1", bridge.control.address[1])
    try:
        for _ in range(5):
            bridge.pipeline.step()
        client.send_message("/facebridge/pause", [])
        deadline = time.monotonic() + 30  # generous: the control thread may be slow to run on a loaded box
        while not bridge.pipeline.paused and time.monotonic() < deadline:
            bridge.pipeline.step()
        calls = models.calls
        states = [bridge.pipeline.step().state for _ in range(5)]
        assert models.calls == calls
        assert all(s.flags & TrackingFlags.PAUSED for s in states)
        client.send_message("/facebridge/resume", [])
        deadline = time.monotonic() + 30  # generous: the control thread may be slow to run on a loaded box
        while bridge.pipeline.paused and time.monotonic() < deadline:
            bridge.pipeline.step()
        bridge.pipeline.step()
        assert models.calls > calls
        assert not bridge.pipeline.last.state.flags & TrackingFlags.PAUSED
    finally:
        bridge.close()


class FlakyModels(LabelModels):
    """Raises on every third frame, like a model fed a frame it cannot handle."""

    def predict(self, inputs, neutral=None):
        if self.calls % 3 == 2:
            self.calls += 1
            raise ValueError("bad crop")
        return super().predict(inputs, neutral)


def test_a_frame_that_breaks_the_models_is_counted_not_fatal():
    rx = RawReceiver()
    bridge = build([output_options("vmc", port=rx.port)], ScriptedSource(count=30), models=FlakyModels())
    try:
        assert bridge.pipeline.run(duration_s=30) == "source finished"
    finally:
        bridge.close()
        rx.close()
    assert bridge.pipeline.errors == {"frame: ValueError": 10}
    assert bridge.pipeline.frames == 20 and bridge.pipeline.sequence == 30  # every frame still produced a state


def test_vrm_preset_sends_vrm0_aliases_over_vmc():
    rx = PythonOscReceiver()
    config = Config(control=ControlSection(port=0))
    bridge = assemble(config, outputs=[output_options("vmc", port=rx.port)], preset="vrm1-basic",
                      models=LabelModels(), source_obj=ScriptedSource(count=3), control=False)
    try:
        bridge.pipeline.run(duration_s=30)
        msgs = rx.wait_for(lambda m: sum(a == "/VMC/Ext/Blend/Apply" for a, _ in m) >= 3)
    finally:
        bridge.close()
        rx.close()
    names = {args[0] for addr, args in msgs if addr == "/VMC/Ext/Blend/Val"}
    assert {"happy", "aa", "blinkLeft"} <= names  # VRM 1.0
    assert {"Joy", "A", "Blink_L"} <= names  # and the VRM 0.x aliases
