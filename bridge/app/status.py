"""The live status: one snapshot type, rendered as a terminal line, periodic plain lines or a JSON file."""

from __future__ import annotations

import glob
import json
import logging
import math
import os
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

from bridge.ratelimit import LogLimiter
from bridge.schema import FER8, TrackingFlags
from bridge.textfile import remove_stale_temp_files

log = logging.getLogger("facebridge.status")


@dataclass(frozen=True, slots=True)
class CameraStatus:
    fps: float
    frames: int
    dropped: int
    errors: int
    connected: bool
    face_found: bool | None = None  # webcam layout: whether the face tracker has a face (None: not a webcam)
    last_error: str = ""  # the camera's latest problem, e.g. which file of a folder was unreadable


@dataclass(frozen=True, slots=True)
class StatusSnapshot:
    """Everything the status line shows. ``tracking`` is a short state word; ``flags`` the TrackingFlags names."""

    uptime_s: float
    frames: int
    cameras: dict[str, CameraStatus]
    latency_ms_p50: float
    latency_ms_p99: float
    capture_latency_ms_p50: float  # camera capture time -> last datagram sent
    tracking: str
    flags: list[str]
    top_emotion: str
    top_emotion_p: float
    outputs: dict[str, dict[str, int]] = field(default_factory=dict)
    output_errors: dict[str, int] = field(default_factory=dict)
    control: dict[str, int] = field(default_factory=dict)
    pipeline_errors: dict[str, int] = field(default_factory=dict)  # "stage: ExceptionType" -> frames affected

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("latency_ms_p50", "latency_ms_p99", "capture_latency_ms_p50"):
            data[key] = None if math.isnan(data[key]) else round(data[key], 3)
        return data


def tracking_word(flags: TrackingFlags) -> str:
    """One word for the tracking state, most important first."""
    if flags & TrackingFlags.PAUSED:
        return "paused"
    if flags & TrackingFlags.CAMERA_LOST:
        return "camera-lost"
    if flags & TrackingFlags.EASING_TO_NEUTRAL:
        return "easing-to-neutral"
    if flags & TrackingFlags.CALIBRATING_NEUTRAL:
        return "calibrating"
    if flags & (TrackingFlags.CAMERA_FROZEN | TrackingFlags.TOO_DARK | TrackingFlags.TOO_BRIGHT
                | TrackingFlags.EYE_OUT_OF_VIEW | TrackingFlags.LOW_CONFIDENCE):
        return "degraded"
    return "tracking"


def build_snapshot(pipeline: Any, source_stats: Mapping[str, Any], started: float,
                   control_counters: Any | None = None) -> StatusSnapshot:
    """Collect a snapshot from a Pipeline and its source's stats (call from the pipeline thread)."""
    cams = {name: CameraStatus(fps=round(float(s.fps), 1), frames=int(s.frames), dropped=int(s.dropped),
                               errors=int(s.errors), connected=bool(s.connected),
                               face_found=getattr(s, "face_found", None), last_error=str(getattr(s, "last_error", "")))
            for name, s in source_stats.items()}
    p50, p99 = pipeline.end_to_end.percentiles_ms()
    (capture_p50,) = pipeline.capture_to_send.percentiles_ms((50.0,))
    last = pipeline.last
    if last is None:
        flags, word, top, top_p = TrackingFlags.OK, "starting", "neutral", 0.0
    else:
        state = last.state
        flags, word = state.flags, tracking_word(state.flags)
        if word == "calibrating":  # how far the neutral-reference capture is (personalization)
            word += f" {pipeline.tracker.neutral.progress(state.timestamp):.0%}"
        top = state.emotion_label
        top_p = float(state.emotion8[FER8.index(top)])
    outputs = {sink.name: dict(sink.stats()) for sink in pipeline.fanout.sinks}
    errors = {name: h.errors for name, h in pipeline.fanout.health.items()}
    control = {} if control_counters is None else asdict(control_counters)
    return StatusSnapshot(
        uptime_s=round(time.monotonic() - started, 2), frames=pipeline.frames, cameras=cams,
        latency_ms_p50=p50, latency_ms_p99=p99, capture_latency_ms_p50=capture_p50, tracking=word,
        flags=[f.name for f in TrackingFlags if f and f in flags and f.name],
        top_emotion=top, top_emotion_p=round(top_p, 3), outputs=outputs, output_errors=errors, control=control,
        pipeline_errors=dict(pipeline.errors),
    )


def format_line(snap: StatusSnapshot) -> str:
    """The one-line status: per-camera fps, latency, drops, tracking state, top emotion."""
    cams = " ".join(f"{name}:{c.fps:.0f}fps" + ("" if c.connected else "(lost)")
                    + ("(no face)" if c.face_found is False and c.connected else "")
                    for name, c in snap.cameras.items())
    dropped = sum(c.dropped for c in snap.cameras.values())
    latency = "--" if math.isnan(snap.latency_ms_p50) else f"{snap.latency_ms_p50:.1f}/{snap.latency_ms_p99:.1f}ms"
    if not math.isnan(snap.capture_latency_ms_p50):
        latency += f" (from capture {snap.capture_latency_ms_p50:.1f}ms)"
    failing = sum(snap.output_errors.values())
    bad_frames = sum(snap.pipeline_errors.values())
    tail = (f" | output errors {failing}" if failing else "") + (f" | bad frames {bad_frames}" if bad_frames else "")
    tail += "".join(f" | {name}: {c.last_error}" for name, c in snap.cameras.items() if c.last_error and c.dropped)
    return (f"{cams or 'no cameras'} | latency p50/p99 {latency} | dropped {dropped} | {snap.tracking} | "
            f"{snap.top_emotion} {snap.top_emotion_p:.2f}{tail}")


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    """Write JSON so readers never see a half-written file (temp file + rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class StatusReporter:
    """Decides when to print/write. On a TTY: the line is redrawn in place every ``interval_s``; otherwise a
    plain line every ``plain_interval_s``. The JSON file (if any) is rewritten every ``json_interval_s``.

    Reporting never stops the bridge: a stdout whose reader went away (``| head``, a closed terminal) is dropped
    after one warning on stderr, and a status file that cannot be written (disk full, bad path) is warned about
    (rate-limited) and retried at the next interval."""

    def __init__(self, stream: TextIO | None = None, interval_s: float = 0.5, plain_interval_s: float = 5.0,
                 json_path: str | Path | None = None, json_interval_s: float = 1.0) -> None:
        self.stream: TextIO | None = stream if stream is not None else sys.stdout
        try:
            self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        except (OSError, ValueError):  # a closed stream
            self.tty = False
        self.interval_s = interval_s if self.tty else plain_interval_s
        self.json_path = Path(json_path) if json_path else None
        self.json_interval_s = json_interval_s
        self._next_line = 0.0
        self._next_json = 0.0
        self._json_failing = False
        self._width = 0
        self.write_errors = 0  # status lines or files that could not be written
        self._log = LogLimiter(log, per_window=1, window_s=60.0)
        if self.json_path is not None:  # temp files of a run that was killed mid-write (SIGKILL, power loss)
            remove_stale_temp_files(self.json_path, pattern=f"{glob.escape(self.json_path.name)}*.tmp")

    def due(self, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        return now >= self._next_line or (self.json_path is not None and now >= self._next_json)

    def report(self, snap: StatusSnapshot, now: float | None = None, force: bool = False) -> None:
        now = time.monotonic() if now is None else now
        if force or now >= self._next_line:
            self._next_line = now + self.interval_s
            if self.stream is not None:
                line = format_line(snap)
                if self.tty:
                    pad = max(0, self._width - len(line))
                    self._write("\r" + line + " " * pad)
                    self._width = len(line)
                else:
                    self._write(line + "\n")
        if self.json_path is not None and (force or now >= self._next_json):
            self._next_json = now + self.json_interval_s
            try:
                write_json_atomic(self.json_path, snap.to_json())
                self._json_failing = False
            except (OSError, ValueError) as exc:  # deleted folder, full disk, permissions: the bridge keeps running
                self.write_errors += 1
                if not self._json_failing:
                    log.warning("cannot write the status JSON %s: %s (the bridge keeps running; retrying every "
                                "%.0f s)", self.json_path, getattr(exc, "strerror", None) or exc, self.json_interval_s)
                self._json_failing = True

    def _write(self, text: str) -> None:
        stream = self.stream
        if stream is None:
            return
        try:
            stream.write(text)
            stream.flush()
        except (OSError, ValueError) as exc:  # EPIPE: the reader went away; ENOSPC/EFBIG: stdout is a full file
            self.write_errors += 1
            if isinstance(exc, BrokenPipeError | ValueError):  # ValueError: the stream was closed
                self.stream = None
                _silence(stream)
                log.warning("status output stopped: %s (the bridge keeps running)", exc)
            else:
                self._log.log(logging.WARNING, "stream", "cannot write the status line (%s); the bridge keeps "
                              "running", getattr(exc, "strerror", None) or exc)

    def finish(self) -> None:
        """End the in-place line so the shell prompt starts on a fresh line."""
        if self.tty and self._width:
            self._write("\n")


def _silence(stream: TextIO) -> None:
    """Point a broken stdout at /dev/null, so nothing (interpreter shutdown's flush included) writes there again."""
    if stream is not sys.stdout:
        return
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass
