"""Replay of a facebridge recording (see bridge/recording_format.py).

``Recording`` reads the FaceStates (and raw FrameSets when recorded) back exactly as written: same arrays bit for
bit, same capture times and sequence numbers. ``ReplaySource`` serves the raw frames through the same
start/read/stats/close interface as the live camera sources, paced like the original capture (``speed``) or as
fast as the consumer reads (``realtime=False``).
"""

from __future__ import annotations

import json
import mmap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from bridge.frames import FrameSet
from bridge.recording_format import (
    FACES_FILE,
    FRAMES_FILE,
    RecordingError,
    frames_from_record,
    is_recording,
    read_meta,
    state_from_record,
)
from bridge.schema import FaceState
from bridge.sources.base import FrameCounters, SingleStreamStats, SourceError

__all__ = ["Recording", "RecordingError", "ReplaySource", "is_recording"]


class Recording:
    """Read access to one recording directory."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.meta = read_meta(self.path)
        self.has_frames = bool(self.meta.get("raw_frames")) and (self.path / FRAMES_FILE).is_file()

    def _records(self) -> Iterator[tuple[dict, str]]:
        faces = self.path / FACES_FILE
        with open(faces, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                where = f"{faces}:{lineno}"
                if not line.endswith("\n"):
                    return  # last line cut short by a crash mid-write: ignore it rather than fail
                try:
                    yield json.loads(line), where
                except json.JSONDecodeError as exc:
                    raise RecordingError(f"{where}: invalid JSON ({exc})") from None

    def face_states(self) -> Iterator[FaceState]:
        """Every recorded FaceState, in order."""
        for rec, where in self._records():
            yield state_from_record(rec, where)

    def frame_sets(self) -> Iterator[FrameSet]:
        """Every recorded FrameSet, in order (needs a recording made with raw frames)."""
        if not self.has_frames:
            raise RecordingError(f"{self.path}: recorded without raw frames; re-record with raw_frames = true "
                                 f"to replay it through the models")
        with open(self.path / FRAMES_FILE, "rb") as fh:
            size = (self.path / FRAMES_FILE).stat().st_size
            pixels = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
            try:
                for rec, where in self._records():
                    frames = frames_from_record(rec, pixels, where)
                    if frames is not None:
                        yield frames
            finally:
                if isinstance(pixels, mmap.mmap):
                    pixels.close()


class ReplaySource(SingleStreamStats):
    """Frame-set source over a recording. ``read`` returns the next FrameSet (None when none is due yet or the
    recording ended; ``stats()[...].finished`` tells which)."""

    def __init__(self, path: str | Path, realtime: bool = True, speed: float = 1.0, loop: bool = False) -> None:
        try:
            self.recording = Recording(path)
        except RecordingError as exc:
            raise SourceError(str(exc)) from None
        if not self.recording.has_frames:
            raise SourceError(f"recording {path}: has no raw frames to replay through the models (it was recorded "
                              f"with raw_frames = false)")
        if speed <= 0:
            raise SourceError(f"recording {path}: speed must be > 0, got {speed}")
        self.name = f"replay:{self.recording.path.name}"
        self.realtime, self.speed, self.loop = realtime, float(speed), loop
        self.counters = FrameCounters()
        self._iter: Iterator[FrameSet] | None = None
        self._t0: tuple[float, float] | None = None  # (first capture time, wall time when it was served)
        self._pending: FrameSet | None = None
        self._stop = threading.Event()

    def start(self) -> None:
        self._iter = self.recording.frame_sets()
        self.counters.connected = True

    def read(self, timeout: float = 0.5) -> FrameSet | None:
        """Next frame set, waiting (up to ``timeout``) until it is due when pacing in real time."""
        if self._iter is None:
            raise SourceError(f"{self.name}: read() before start()")
        if self.counters.finished:
            self._stop.wait(timeout)  # behave like a quiet camera rather than spinning the caller
            return None
        frames = self._pending if self._pending is not None else self._next()
        self._pending = None
        if frames is None:
            return None
        if self.realtime:
            now = time.monotonic()
            if self._t0 is None:
                self._t0 = (frames.capture_time, now)
            due = self._t0[1] + (frames.capture_time - self._t0[0]) / self.speed
            if due - now > timeout:  # a gap in the recording: keep the frame for a later read
                self._stop.wait(timeout)
                self._pending = frames
                return None
            if due > now:
                self._stop.wait(due - now)
        # The fingerprint is the sequence number: replayed frames are never "frozen" at the source level.
        self.counters.frame(time.time(), frames.sequence)
        return frames

    def _next(self) -> FrameSet | None:
        assert self._iter is not None
        try:
            return next(self._iter)
        except StopIteration:
            if self.loop:
                self._iter, self._t0 = self.recording.frame_sets(), None
                frames = next(self._iter, None)
                if frames is not None:
                    return frames
        except RecordingError as exc:
            self.counters.error(str(exc))
        self.counters.finished = True
        self.counters.connected = False
        return None

    def close(self) -> None:
        self._stop.set()
        self.counters.connected = False
        if self._iter is not None:
            self._iter.close()  # type: ignore[attr-defined]  # generator: releases the mmap and file
            self._iter = None
