"""What every camera source shares: stats, errors, the capture thread with reconnect/backoff, counters.

A ``CameraSource`` owns ONE capture thread. The thread connects, grabs raw frames (JPEG bytes or a
decoded array), converts them to grayscale views with the camera's ``FrameProcessor`` and hands each
result to a sink (the ``FrameSetAssembler`` via ``CameraFrameSetSource``), which keeps only the newest
frame per camera. Nothing is ever queued, so a slow consumer never sees a backlog.
"""

from __future__ import annotations

import collections
import contextlib
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

# Consecutive identical frames after which a camera is hinted as frozen (a stuck driver repeats its buffer;
# real sensors always show some noise).
FROZEN_AFTER_FRAMES = 15
# Per-camera fps is measured over the capture times of the last frames within this window (seconds).
FPS_WINDOW_S = 2.0
# A camera that delivered nothing for this long reports 0 fps.
FPS_IDLE_S = 1.0
FPS_MIN_SPAN_S = 0.2


class SourceError(RuntimeError):
    """A source cannot be opened or configured. The message names the camera/spec and what to do."""


class EndOfStream(Exception):
    """A finite source (video file, image folder without looping) has delivered its last frame."""


class ConnectionLost(OSError):
    """The transport went away mid-stream (unplugged cable, closed socket); the thread reconnects."""


@dataclass(frozen=True, slots=True)
class SourceStats:
    """A snapshot of one camera's health, safe to read from any thread.

    ``dropped`` counts frames that never reached the pipeline (overwritten by a newer one before being read,
    stale serial backlog, corrupt/truncated); ``corrupt`` is the corrupt/truncated part of it. ``errors`` counts
    transport failures (connect failures, read errors, disconnects).
    """

    fps: float
    frames: int
    dropped: int
    errors: int
    connected: bool
    last_frame_time: float | None
    frozen_hint: bool
    corrupt: int = 0
    reconnects: int = 0
    finished: bool = False
    last_error: str = ""
    face_found: bool | None = None  # webcam layout: the face tracker has a face (None: no face tracker)


@dataclass(frozen=True, slots=True)
class CapturedFrame:
    """One camera frame after processing: grayscale views keyed by schema.CAMERAS name."""

    views: dict[str, np.ndarray]
    capture_time: float  # time.time() when the frame's last byte arrived
    index: int  # per-camera frame counter


# A raw frame from a transport: JPEG bytes (decoded by the base class, corrupt ones counted) or an image array.
RawFrame = bytes | np.ndarray
FrameSink = Callable[[str, CapturedFrame], None]


class Backoff:
    """Exponential reconnect delay: initial, initial*factor, ... capped at maximum; reset after a success."""

    def __init__(self, initial: float = 0.2, factor: float = 2.0, maximum: float = 5.0) -> None:
        if initial <= 0 or factor < 1 or maximum < initial:
            raise ValueError("Backoff: need 0 < initial <= maximum and factor >= 1, got"
                             f" {initial}, {factor}, {maximum}")
        self.initial, self.factor, self.maximum = initial, factor, maximum
        self._next = initial

    def next_delay(self) -> float:
        """The delay to wait now; the following one grows."""
        delay = self._next
        self._next = min(self.maximum, self._next * self.factor)
        return delay

    def reset(self) -> None:
        self._next = self.initial


class Pacer:
    """Releases frames at a fixed rate (video files, image folders, bench pools) using an Event so close() stays
    responsive. ``fps`` None or 0: no pacing."""

    def __init__(self, fps: float | None) -> None:
        self.period = 1.0 / fps if fps and fps > 0 else 0.0
        self._due = 0.0

    def wait(self, stop: threading.Event, timeout: float | None = None) -> bool:
        """Wait until the next frame is due. True when it is; False when ``stop`` was set or the frame is due more
        than ``timeout`` seconds from now (then it waits ``timeout`` and the frame stays due for the next call)."""
        if self.period == 0.0:
            return not stop.is_set()
        now = time.monotonic()
        if self._due == 0.0 or now - self._due > self.period:  # first frame, or fell behind: don't try to catch up
            self._due = now
        wait = self._due - now
        if timeout is not None and wait > timeout:
            stop.wait(timeout)
            return False
        if stop.wait(max(0.0, wait)):
            return False
        self._due += self.period
        return True


class FrameCounters:
    """Thread-safe per-camera counters and the fps / frozen measurements behind ``SourceStats``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.frames = self.dropped = self.corrupt = self.errors = self.reconnects = 0
        self.connected = False
        self.finished = False
        self.last_error = ""
        self.face_found: bool | None = None
        self.last_frame_time: float | None = None
        self._times: collections.deque[float] = collections.deque(maxlen=256)
        self._last_fingerprint: int | None = None
        self._identical_run = 0

    def frame(self, capture_time: float, fingerprint: int) -> None:
        with self._lock:
            self.frames += 1
            self.last_frame_time = capture_time
            self._times.append(capture_time)
            self._identical_run = self._identical_run + 1 if fingerprint == self._last_fingerprint else 0
            self._last_fingerprint = fingerprint

    def drop(self, n: int = 1, corrupt: bool = False) -> None:
        with self._lock:
            self.dropped += n
            if corrupt:
                self.corrupt += n

    def error(self, message: str) -> None:
        with self._lock:
            self.errors += 1
            self.last_error = message

    def note(self, message: str) -> None:
        """Remember a problem for the status display without counting it as a transport error."""
        with self._lock:
            self.last_error = message

    def snapshot(self, now: float | None = None) -> SourceStats:
        now = time.time() if now is None else now
        with self._lock:
            recent = [t for t in self._times if t >= now - FPS_WINDOW_S]
            fps = 0.0
            # A short span (two frames arriving back to back after a stall) says nothing about the rate.
            if len(recent) >= 2 and now - recent[-1] < FPS_IDLE_S and recent[-1] - recent[0] >= FPS_MIN_SPAN_S:
                fps = (len(recent) - 1) / (recent[-1] - recent[0])
            return SourceStats(
                fps=fps, frames=self.frames, dropped=self.dropped, errors=self.errors, connected=self.connected,
                last_frame_time=self.last_frame_time, frozen_hint=self._identical_run >= FROZEN_AFTER_FRAMES,
                corrupt=self.corrupt, reconnects=self.reconnects, finished=self.finished, last_error=self.last_error,
                face_found=self.face_found,
            )


class SingleStreamStats:
    """``stats()`` and ``finished`` for a frame-set source that is one stream with one ``FrameCounters``
    (synthetic headset, replay, bench pool): subclasses set ``name`` and ``counters``."""

    name: str
    counters: FrameCounters

    def stats(self) -> dict[str, SourceStats]:
        return {self.name: self.counters.snapshot()}

    @property
    def finished(self) -> bool:
        """True once a finite stream delivered its last frame set (never for endless ones)."""
        return self.counters.finished


def fingerprint(raw: RawFrame, image: np.ndarray) -> int:
    """Cheap content hash for frozen detection: the JPEG bytes when we have them, else a subsampled image."""
    if isinstance(raw, bytes | bytearray):
        return zlib.crc32(raw)
    return zlib.crc32(np.ascontiguousarray(image[::4, ::4]).tobytes())


class CameraSource:
    """Base class: one capture thread per camera with reconnect/backoff and counters.

    Subclasses implement ``_connect`` (open the transport; raise SourceError/OSError), ``_grab`` (return one
    RawFrame, or None when nothing arrived within a short timeout; raise EndOfStream at the end of a finite
    source and OSError/ConnectionLost when the transport breaks) and ``_disconnect``. ``_interrupt`` may unblock
    a pending read from another thread on close.
    """

    #: kind shown in messages ("device", "mjpeg", "serial", ...)
    kind = "camera"

    def __init__(self, name: str, processor: Callable[[np.ndarray], dict[str, np.ndarray]],
                 backoff: Backoff | None = None) -> None:
        self.name = name
        self.processor = processor
        self.counters = FrameCounters()
        self._backoff = backoff or Backoff()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._sink: FrameSink | None = None
        self._open = False
        self._index = 0

    # --- subclass hooks -------------------------------------------------------------------------------------
    def _connect(self) -> None:
        raise NotImplementedError

    def _grab(self) -> RawFrame | None:
        raise NotImplementedError

    def _disconnect(self) -> None:
        raise NotImplementedError

    def _interrupt(self) -> None:
        """Unblock a read in progress (called from close() in another thread). Default: rely on read timeouts."""

    def availability_hint(self) -> str:
        """What could be opened instead, for the missing-camera error at start (files/folders: nothing)."""
        from bridge.sources.discovery import available_summary

        return available_summary()

    def describe(self) -> str:
        return f"{self.kind} camera {self.name!r}"

    # --- lifecycle ------------------------------------------------------------------------------------------
    def start(self, sink: FrameSink, require_connected: bool = True) -> None:
        """Open the transport (failing loudly if ``require_connected``) and start the capture thread."""
        if self._thread is not None:
            raise SourceError(f"{self.describe()}: already started")
        self._sink = sink
        try:
            self._connect()
            self._open = True
            self.counters.connected = True
        except Exception as exc:  # noqa: BLE001 - OpenCV/driver errors too: the caller gets one SourceError
            if require_connected:
                hint = self.availability_hint()
                raise SourceError(f"{self.describe()}: cannot open: {exc}" + (f"\n{hint}" if hint else "")) from exc
            self.counters.error(str(exc))
        self._thread = threading.Thread(target=self._run, name=f"capture-{self.name}", daemon=True)
        self._thread.start()

    def stop_requested(self) -> bool:
        return self._stop.is_set()

    def close(self, join_timeout: float = 3.0) -> None:
        """Stop the capture thread and release the transport. Idempotent."""
        self._stop.set()
        with contextlib.suppress(Exception):  # closing must never raise
            self._interrupt()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(join_timeout)
        if self._thread is None or not self._thread.is_alive():
            self._safe_disconnect()
        self.counters.connected = False

    def stats(self) -> SourceStats:
        return self.counters.snapshot()

    @property
    def finished(self) -> bool:
        return self.counters.finished

    # --- capture thread -------------------------------------------------------------------------------------
    def _safe_disconnect(self) -> None:
        if self._open:
            self._open = False
            with contextlib.suppress(Exception):  # a broken transport may fail to close; nothing to do about it
                self._disconnect()

    def _lost(self, message: str) -> None:
        self.counters.error(message)
        self.counters.connected = False
        self._safe_disconnect()
        self._stop.wait(self._backoff.next_delay())

    def _run(self) -> None:
        while not self._stop.is_set():
            if not self._open:
                try:
                    self._connect()
                except Exception as exc:  # noqa: BLE001 - any failure means "try again later"
                    self._lost(f"reconnect failed: {exc}")
                    continue
                self._open = True
                self.counters.connected = True
                self.counters.reconnects += 1
            try:
                raw = self._grab()
            except EndOfStream:
                self.counters.finished = True
                break
            except Exception as exc:  # noqa: BLE001 - the bridge never dies on a bad transport
                if not self._stop.is_set():
                    self._lost(f"read failed: {exc}")
                continue
            if raw is None:
                continue
            self._backoff.reset()
            self.deliver(raw, time.time())
        self._safe_disconnect()
        self.counters.connected = False

    def deliver(self, raw: RawFrame, capture_time: float) -> bool:
        """Decode (if JPEG), process into views and hand to the sink. Returns False when the frame was dropped."""
        if isinstance(raw, bytes | bytearray):
            from bridge.sources.jpeg import decode_jpeg_gray

            image = decode_jpeg_gray(raw)
            if image is None:
                self.counters.drop(corrupt=True)
                return False
        else:
            from bridge.sources.transform import to_gray

            image = to_gray(raw)
        try:
            views = self.processor(image)
        except Exception as exc:  # noqa: BLE001 - e.g. a crop outside a frame of unexpected size
            self.counters.error(f"processing failed: {exc}")
            self.counters.drop()
            return False
        self._index += 1
        self.counters.face_found = getattr(self.processor, "face_found", None)
        self.counters.frame(capture_time, fingerprint(raw, image))
        if self._sink is not None:
            self._sink(self.name, CapturedFrame(views=views, capture_time=capture_time, index=self._index))
        return True
