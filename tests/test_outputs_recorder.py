"""Recorder -> replay: FaceStates and raw frames come back bit-exactly; recordings are never overwritten."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from bridge.frames import FrameSet
from bridge.outputs.base import OutputFrame
from bridge.outputs.recorder import RecorderSink, new_recording_dir
from bridge.recording_format import FACES_FILE, RecordingError
from bridge.schema import AU10, EMOTIVE5, FER8, NUM_BLENDSHAPES, REGIONS, EyeState, FaceState, TrackingFlags
from bridge.sources.base import SourceError
from bridge.sources.replay import Recording, ReplaySource


def random_state(rng: np.random.Generator, seq: int, t: float) -> FaceState:
    e8 = rng.random(len(FER8)).astype(np.float32)
    return FaceState(
        timestamp=t, sequence=seq, blendshapes=rng.random(NUM_BLENDSHAPES).astype(np.float32),
        left_eye=EyeState(float(rng.normal(0, 10)), float(rng.normal(0, 10)), float(rng.random())),
        right_eye=EyeState(np.float32(rng.normal(0, 10)), float(rng.normal(0, 10)), float(rng.random())),
        emotive5=rng.random(len(EMOTIVE5)).astype(np.float32), au10=rng.random(len(AU10)).astype(np.float32),
        emotion8=e8 / e8.sum(), emotion_label=FER8[seq % len(FER8)], valence=float(rng.uniform(-1, 1)),
        arousal=float(rng.uniform(-1, 1)), confidence=rng.random(len(REGIONS)).astype(np.float32),
        flags=TrackingFlags(seq % 512),
    )


def random_frames(rng: np.random.Generator, seq: int, t: float) -> FrameSet:
    images = {"left_eye": rng.integers(0, 256, (40, 48), dtype=np.uint8),
              "right_eye": rng.integers(0, 256, (40, 48), dtype=np.uint8),
              "mouth": rng.integers(0, 256, (30, 64), dtype=np.uint8)}
    return FrameSet(images=images, capture_time=t, sequence=seq)


def assert_states_identical(a: FaceState, b: FaceState) -> None:
    for name in ("blendshapes", "emotive5", "au10", "emotion8", "confidence"):
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype and x.tobytes() == y.tobytes(), name
    for name in ("timestamp", "sequence", "emotion_label", "valence", "arousal", "flags"):
        assert getattr(a, name) == getattr(b, name), name
    for eye in ("left_eye", "right_eye"):
        ea, eb = getattr(a, eye), getattr(b, eye)
        assert (float(ea.gaze_yaw), float(ea.gaze_pitch), float(ea.openness)) == (eb.gaze_yaw, eb.gaze_pitch,
                                                                                  eb.openness)


def record(tmp_path, n=25, raw=True, rng_seed=1):
    rng = np.random.default_rng(rng_seed)
    sink = RecorderSink(tmp_path, raw_frames=raw)
    states, framesets = [], []
    t0 = 1_700_000_000.123456
    for i in range(n):
        t = t0 + i / 60.0
        state, fs = random_state(rng, i, t), random_frames(rng, i, t)
        sink.send(OutputFrame(state=state, frames=fs))
        states.append(state)
        framesets.append(fs)
    sink.close()
    return sink.path, states, framesets


def test_recorded_face_states_replay_bit_exactly(tmp_path):
    path, states, _ = record(tmp_path, raw=False)
    replayed = list(Recording(path).face_states())
    assert len(replayed) == len(states)
    for a, b in zip(states, replayed, strict=True):
        assert_states_identical(a, b)


def test_replay_source_serves_the_recorded_frames_exactly(tmp_path):
    path, _, framesets = record(tmp_path, n=12, raw=True)
    src = ReplaySource(path, realtime=False)
    src.start()
    got = []
    while (fs := src.read(0.1)) is not None:
        got.append(fs)
    stats = src.stats()
    src.close()
    assert len(got) == len(framesets)
    for a, b in zip(framesets, got, strict=True):
        assert a.capture_time == b.capture_time and a.sequence == b.sequence
        assert set(a.images) == set(b.images)
        for view in a.images:
            assert np.array_equal(a.images[view], b.images[view])
    (only,) = stats.values()
    assert only.finished and only.frames == len(framesets)


def test_realtime_replay_is_paced_like_the_capture(tmp_path):
    path, _, framesets = record(tmp_path, n=7, raw=True)  # 6 gaps of 1/60 s = 0.1 s
    src = ReplaySource(path, realtime=True, speed=1.0)
    src.start()
    start = time.monotonic()
    n = sum(1 for _ in iter(lambda: src.read(0.5), None))
    elapsed = time.monotonic() - start
    src.close()
    assert n == 7
    assert elapsed >= 0.09  # paced, not dumped (no upper bound: the machine may be loaded)


def test_recorder_never_overwrites(tmp_path):
    a = new_recording_dir(tmp_path, stamp="20260101-000000")
    b = new_recording_dir(tmp_path, stamp="20260101-000000")
    assert a != b and a.is_dir() and b.is_dir()
    s1, s2 = RecorderSink(tmp_path), RecorderSink(tmp_path)
    s1.close()
    s2.close()
    assert s1.path != s2.path


def test_truncated_and_corrupt_recordings_give_clear_errors(tmp_path):
    path, states, _ = record(tmp_path, n=5, raw=True)
    faces = path / FACES_FILE
    text = faces.read_text()
    faces.write_text(text + '{"t": 1.0, "seq"')  # a crash mid-line: the partial line is ignored
    assert len(list(Recording(path).face_states())) == 5
    lines = text.splitlines()
    broken = json.loads(lines[2])
    del broken["shapes"]
    faces.write_text("\n".join([lines[0], lines[1], json.dumps(broken)]) + "\n")
    with pytest.raises(RecordingError, match=r"faces.jsonl:3: face record lacks key 'shapes'"):
        list(Recording(path).face_states())
    with pytest.raises(SourceError, match="not a facebridge recording"):
        ReplaySource(tmp_path / "nothing-here")


def test_replay_without_raw_frames_is_refused_with_advice(tmp_path):
    path, _, _ = record(tmp_path, n=3, raw=False)
    with pytest.raises(SourceError, match="raw_frames"):
        ReplaySource(path)
