"""Status line rendering (TTY redraw vs plain lines), the JSON file, and preset hot reload in the retarget stage."""

from __future__ import annotations

import io
import json
import math
import shutil

from bridge.app.retarget_stage import PresetRetargeters
from bridge.app.status import CameraStatus, StatusReporter, StatusSnapshot, format_line, tracking_word
from bridge.app.timing import LatencyRing, StageTimes
from bridge.schema import FaceState, TrackingFlags


def snapshot(**changes) -> StatusSnapshot:
    base = dict(uptime_s=3.0, frames=180, cameras={"left_eye": CameraStatus(59.8, 180, 2, 0, True),
                                                    "mouth": CameraStatus(0.0, 90, 5, 3, False)},
                latency_ms_p50=1.234, latency_ms_p99=4.5, capture_latency_ms_p50=math.nan, tracking="tracking",
                flags=[], top_emotion="happiness", top_emotion_p=0.81)
    base.update(changes)
    return StatusSnapshot(**base)


def test_format_line_shows_fps_latency_drops_state_and_emotion():
    line = format_line(snapshot(output_errors={"vmc": 0, "x": 4}, pipeline_errors={"frame: ValueError": 2}))
    assert line == ("left_eye:60fps mouth:0fps(lost) | latency p50/p99 1.2/4.5ms | dropped 7 | tracking | "
                    "happiness 0.81 | output errors 4 | bad frames 2")
    assert "latency p50/p99 --" in format_line(snapshot(latency_ms_p50=math.nan, latency_ms_p99=math.nan))
    assert "1.2/4.5ms (from capture 9.8ms) |" in format_line(snapshot(capture_latency_ms_p50=9.84))


def test_tracking_word_priorities():
    assert tracking_word(TrackingFlags.OK) == "tracking"
    assert tracking_word(TrackingFlags.CALIBRATING_NEUTRAL | TrackingFlags.NO_PERSONALIZATION) == "calibrating"
    assert tracking_word(TrackingFlags.CAMERA_LOST | TrackingFlags.EASING_TO_NEUTRAL) == "camera-lost"
    assert tracking_word(TrackingFlags.TOO_DARK) == "degraded"
    assert tracking_word(TrackingFlags.PAUSED | TrackingFlags.CAMERA_LOST) == "paused"


class FakeTty(io.StringIO):
    def isatty(self):
        return True


def test_tty_redraws_in_place_and_pipes_get_plain_lines(tmp_path):
    tty = FakeTty()
    reporter = StatusReporter(stream=tty, interval_s=0.5, plain_interval_s=5.0)
    reporter.report(snapshot(tracking="calibrating"), now=0.0)
    reporter.report(snapshot(), now=0.1)  # not due yet
    reporter.report(snapshot(), now=0.6)
    reporter.finish()
    text = tty.getvalue()
    assert text.count("\r") == 2 and "\n" not in text[:-1] and text.endswith("\n")
    assert "calibrating" in text and text.rstrip().endswith("happiness 0.81")

    pipe = io.StringIO()
    status_file = tmp_path / "s" / "status.json"
    reporter = StatusReporter(stream=pipe, interval_s=0.5, plain_interval_s=5.0, json_path=status_file,
                              json_interval_s=1.0)
    for now in (0.0, 0.6, 1.2, 5.1):
        reporter.report(snapshot(frames=int(now * 60)), now=now)
    lines = pipe.getvalue().splitlines()
    assert len(lines) == 2 and "\r" not in pipe.getvalue()
    data = json.loads(status_file.read_text())
    assert data["frames"] == 306 and data["cameras"]["mouth"]["connected"] is False
    assert not list(status_file.parent.glob("*.tmp"))  # atomic replace leaves no temp files
    assert json.loads(json.dumps(snapshot(latency_ms_p50=math.nan).to_json()))["latency_ms_p50"] is None


def test_preset_file_hot_reload_keeps_last_good(tmp_path):
    from retarget import preset_path

    path = tmp_path / "mine.toml"
    shutil.copy(preset_path("arkit52-perfect-sync"), path)
    stage = PresetRetargeters([str(path)], hot_reload=True, reload_wait_s=None)
    state = FaceState.neutral(timestamp=1.0).with_changes(
        blendshapes=[0.5 if i == 17 else 0.0 for i in range(52)])  # jawOpen
    before = stage.apply(state)[str(path)]
    assert stage.poll() == []
    path.write_text("this is [not a preset")
    events = stage.poll()
    assert len(events) == 1 and "keeping the last good preset" in events[0]
    assert stage.poll() == []  # the same error is reported once
    after = stage.apply(state)[str(path)]
    assert after.names == before.names and (after.values == before.values).all()
    shutil.copy(preset_path("vrm1-basic"), path)
    events = stage.poll()
    assert events == [f"preset {path}: reloaded"]
    assert stage.apply(state)[str(path)].rig == "vrm1"


def test_latency_ring_keeps_the_newest_durations_and_resets():
    ring = LatencyRing(size=4)
    assert all(math.isnan(v) for v in ring.percentiles_ms())
    for ms in (100, 1, 2, 3, 4):  # the 100 ms outlier is overwritten by the fifth value
        ring.add(ms / 1000)
    p50, p99 = ring.percentiles_ms()
    assert p50 == 2.5 and 3.9 < p99 < 4.0
    ring.reset()
    assert all(math.isnan(v) for v in ring.percentiles_ms())
    ring.add(0.007)
    assert ring.percentiles_ms((50.0,)) == (7.0,)
    times = StageTimes(size=8)
    times.add("models", 0.002)
    times.add("quality", 0.001)
    assert list(times.summary_ms()) == ["models", "quality"]  # first-use order = the pipeline's stage order
