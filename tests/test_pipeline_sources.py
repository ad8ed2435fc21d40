"""The pipeline on real sources: a looping video file through OpenCV's capture thread, closed mid-run, and the
synthetic headset."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from test_outputs_helpers import PythonOscReceiver, RawReceiver
from test_pipeline_doubles import LabelModels, UnplugMidRun

from bridge.app.assemble import assemble
from bridge.config import Config
from bridge.outputs.registry import output_options
from bridge.schema import TrackingFlags
from bridge.sources import CameraSpec, open_frameset_source


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    path = tmp_path_factory.mktemp("v") / "loop.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (96, 96))
    rng = np.random.default_rng(1)
    for _ in range(20):
        writer.write(cv2.cvtColor(rng.integers(40, 200, (96, 96), dtype=np.uint8), cv2.COLOR_GRAY2BGR))
    writer.release()
    return path


def test_unplugging_a_real_video_source_mid_run(video):
    source = open_frameset_source([CameraSpec(source=str(video), layout="combined_eyes_mouth", loop=True, fps=60)])
    source.start()
    rx = PythonOscReceiver()
    bridge = assemble(Config(), outputs=[output_options("vmc", port=rx.port)], models=LabelModels(),
                      source_obj=source, control=False)
    unplug = UnplugMidRun(bridge.pipeline, source, frames_before=10, idle_after=10)
    try:
        # The 60 s limit is only a backstop: the run stops once 10 idle steps followed the unplug.
        reason = bridge.pipeline.run(duration_s=60, on_step=unplug)
        expected = bridge.pipeline.frames + 5
        msgs = rx.wait_for(lambda m: sum(1 for a, _ in m if a == "/VMC/Ext/OK") >= expected, timeout=30)
    finally:
        bridge.close()
        rx.close()
    assert reason == "stopped"  # neither "source finished" nor a stall: it kept stepping after the unplug
    assert bridge.pipeline.frames >= 10  # frames flowed before the unplug
    assert bridge.pipeline.idle_steps >= 10  # and the pipeline kept stepping after it
    assert bridge.pipeline.last.state.flags & TrackingFlags.CAMERA_LOST
    assert sum(1 for a, _ in msgs if a == "/VMC/Ext/OK") >= bridge.pipeline.frames + 5


def test_synthetic_headset_through_the_pipeline():
    source = open_frameset_source("synthetic:fps=60,seed=2,realtime=0")
    source.start()
    rx = RawReceiver()
    bridge = assemble(Config(), outputs=[output_options("vmc", port=rx.port)], models=LabelModels(),
                      source_obj=source, control=False)
    try:
        results = [bridge.pipeline.step() for _ in range(4)]
    finally:
        bridge.close()
        rx.close()
    assert all(r.had_frames for r in results)
    assert set(bridge.pipeline.last.rigs) == {"arkit52-perfect-sync"}
    assert bridge.pipeline.errors == {}
