"""Recordings in the preview (no Qt): a timeline over a recording's FaceStates (play/pause, step, loop a range,
scrub) and a deterministic evaluator, so one expression can be tuned again and again.

Determinism: the retargeted value shown for frame i depends only on (preset, i). Continuous-mode presets are
stateless per frame; discrete mode (hysteresis, hold, cross-fade) depends on the frames before, so any jump that
is not "the next frame" replays frames 0..i through a fresh Retargeter (about 20 microseconds a frame: a 20 s
recording re-evaluates in a few milliseconds).
"""

from __future__ import annotations

import json
import mmap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bridge.recording_format import FACES_FILE, FRAMES_FILE, RecordingError, frames_from_record
from bridge.schema import FER8, FaceState
from bridge.sources.replay import Recording
from retarget import Preset, Retargeter, RetargetFrame


@dataclass
class LoopRange:
    start: int
    end: int  # inclusive


class Timeline:
    """Position, play/pause, stepping, a loop range and scrubbing over ``times`` (seconds, one per frame)."""

    def __init__(self, times: np.ndarray) -> None:
        if len(times) == 0:
            raise RecordingError("the recording holds no frames")
        self.times = np.asarray(times, dtype=np.float64)
        self.count = len(self.times)
        self.position = 0
        self.playing = False
        self.loop: LoopRange | None = None
        self.speed = 1.0
        self._clock = 0.0  # recording time reached by play(), relative to the frame at ``position``

    @property
    def fps(self) -> float:
        """Median frame rate of the recording."""
        if self.count < 2:
            return 30.0
        dt = float(np.median(np.diff(self.times)))
        return 1.0 / dt if dt > 0 else 30.0

    @property
    def duration(self) -> float:
        return float(self.times[-1] - self.times[0])

    def time_of(self, i: int) -> float:
        """Seconds from the start of the recording."""
        return float(self.times[i] - self.times[0])

    def bounds(self) -> tuple[int, int]:
        return (self.loop.start, self.loop.end) if self.loop is not None else (0, self.count - 1)

    def seek(self, i: int) -> int:
        """Scrub to frame ``i`` (clamped to the recording)."""
        self.position = min(max(int(i), 0), self.count - 1)
        self._clock = 0.0
        return self.position

    def step(self, n: int = 1) -> int:
        """Step ``n`` frames (negative: back), wrapping inside the loop range when one is set."""
        lo, hi = self.bounds()
        i = self.position + n
        if self.loop is not None and not lo <= self.position <= hi:
            i = lo  # outside the loop: jump into it
        elif self.loop is not None:
            span = hi - lo + 1
            i = lo + (i - lo) % span
        return self.seek(i)

    def set_loop(self, start: int | None, end: int | None) -> None:
        """Loop frames start..end (inclusive); None clears the loop."""
        if start is None or end is None:
            self.loop = None
            return
        a, b = sorted((min(max(int(start), 0), self.count - 1), min(max(int(end), 0), self.count - 1)))
        self.loop = LoopRange(a, b)
        if not a <= self.position <= b:
            self.seek(a)

    def advance(self, seconds: float) -> int:
        """Play forward by ``seconds`` of wall time (times ``speed``) following the recording's own clock;
        returns how many frames were passed. At the end: wraps to the loop start, or stops (pauses)."""
        if not self.playing:
            return 0
        self._clock += max(float(seconds), 0.0) * self.speed
        lo, hi = self.bounds()
        moved = 0
        while True:
            if self.position >= hi:
                if self.loop is None:
                    self.playing = False
                    self._clock = 0.0
                    return moved
                if self._clock < 1.0 / self.fps - 1e-6:
                    return moved
                self._clock -= 1.0 / self.fps
                self.position = lo
                moved += 1
                continue
            dt = float(self.times[self.position + 1] - self.times[self.position])
            dt = dt if 0 < dt < 5.0 else 1.0 / self.fps  # gaps and clock jumps play at the median rate
            if self._clock < dt - 1e-6:  # tolerance: frame times are not exact multiples of the tick
                return moved
            self._clock -= dt
            self.position += 1
            moved += 1


def with_emotion(state: FaceState, emotion: str) -> FaceState:
    """``state`` as if the tracker were certain of ``emotion`` (one of FER8): for trying an emotion's pose and
    light on any frame."""
    probs = np.zeros(len(FER8), dtype=np.float32)
    probs[FER8.index(emotion)] = 1.0
    return state.with_changes(emotion8=probs, emotion_label=emotion)


class DeterministicEvaluator:
    """Retargets frame i of a fixed list of FaceStates so the result depends only on (preset, i)."""

    def __init__(self, states: list[FaceState]) -> None:
        self.states = states
        self._preset: Preset | None = None
        self._rt: Retargeter | None = None
        self._last = -1
        self.replays = 0  # how many times history was replayed (tests, status)

    def frame(self, preset: Preset, i: int) -> RetargetFrame:
        if self._rt is None or preset is not self._preset:
            self._rt = Retargeter(preset)
            self._preset, self._last = preset, -1
        rt = self._rt
        if preset.emotions.mode == "discrete" and i != self._last + 1:
            rt.reset()
            self.replays += 1
            for k in range(i):
                rt.apply(self.states[k])
        self._last = i
        return rt.apply(self.states[i])


class RecordingPlayer:
    """A recording opened for the preview: its FaceStates, camera images when it has raw frames, a Timeline."""

    def __init__(self, path: str | Path, states: list[FaceState] | None = None) -> None:
        self.recording = Recording(path)
        self.path = self.recording.path
        self.states = states if states is not None else list(self.recording.face_states())
        if not self.states:
            raise RecordingError(f"{self.path}: the recording holds no frames")
        self.timeline = Timeline(np.array([s.timestamp for s in self.states]))
        self._frame_entries: list[dict | None] | None = None
        self._pixels: mmap.mmap | bytes | None = None
        self._fh: Any = None

    @property
    def has_images(self) -> bool:
        return self.recording.has_frames

    def state(self, i: int | None = None) -> FaceState:
        return self.states[self.timeline.position if i is None else i]

    def images(self, i: int | None = None) -> dict[str, np.ndarray]:
        """Camera images of frame i (empty when recorded without raw frames)."""
        if not self.has_images:
            return {}
        if self._frame_entries is None:
            self._open_frames()
        i = self.timeline.position if i is None else i
        entry = self._frame_entries[i] if self._frame_entries is not None and i < len(self._frame_entries) else None
        if entry is None or self._pixels is None:
            return {}
        with memoryview(self._pixels) as view:  # released at once: the mmap can be closed later
            frames = frames_from_record(entry, view, f"{self.path / FACES_FILE}:{i + 1}")
        return dict(frames.images) if frames is not None else {}

    def _open_frames(self) -> None:
        entries: list[dict | None] = []
        with open(self.path / FACES_FILE, encoding="utf-8") as fh:
            for line in fh:
                if not line.endswith("\n"):
                    break
                entries.append({"frames": json.loads(line).get("frames")} if line.strip() else None)
        self._frame_entries = [e if e and e["frames"] else None for e in entries]
        size = (self.path / FRAMES_FILE).stat().st_size
        self._fh = open(self.path / FRAMES_FILE, "rb")  # noqa: SIM115 - closed in close()
        self._pixels = mmap.mmap(self._fh.fileno(), 0, access=mmap.ACCESS_READ) if size else b""

    def close(self) -> None:
        if isinstance(self._pixels, mmap.mmap):
            self._pixels.close()
        self._pixels = None
        if self._fh is not None:
            self._fh.close()
            self._fh = None


def reprocess_recording(path: str | Path, config, progress: Callable[[int], None] | None = None
                        ) -> list[FaceState]:
    """Run a recording's raw frames through the real models and tracker (from ``config``) again, as `run` would
    with ``--source DIR``; returns the new FaceStates. Needs a recording made with raw frames."""
    from bridge.app.assemble import load_models
    from bridge.app.pipeline import Pipeline
    from bridge.outputs.fanout import SinkFanout
    from bridge.sources.replay import ReplaySource
    from bridge.tracking import Tracker

    source = ReplaySource(path, realtime=False)
    source.start()
    tracker = Tracker(config.tracking) if config.tracking is not None else Tracker()
    pipeline = Pipeline(source, load_models(config), tracker, _NoRetarget(), SinkFanout([]), read_timeout_s=0.0,
                        idle_interval_s=0.0)
    states: list[FaceState] = []
    try:
        while True:
            result = pipeline.step()
            if result is None:
                break
            if result.had_frames:
                states.append(result.state)
                if progress is not None:
                    progress(len(states))
    finally:
        source.close()
    return states


class _NoRetarget:
    """Reprocessing only needs FaceStates: the preview retargets them itself."""

    def apply(self, state: FaceState) -> dict:
        return {}
