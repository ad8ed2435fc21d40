"""FrameSetSource: what the pipeline reads. Real cameras (one capture thread each + the assembler), the synthetic
headset (bridge.sources.synthetic), or a replay - all behind the same start/read/stats/close."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Protocol

from bridge.frames import FrameSet
from bridge.sources.assembler import FrameSetAssembler
from bridge.sources.base import Backoff, CameraSource, CapturedFrame, SourceError, SourceStats
from bridge.sources.spec import CameraSpec, parse_source_spec
from bridge.sources.synthetic import SyntheticFrameSetSource, parse_synthetic_options


class FrameSetSource(Protocol):
    """The pipeline's view of its input."""

    def start(self) -> None:
        """Open every camera (SourceError listing what is available when one is missing) and start capturing."""
        ...

    def read(self, timeout: float = 0.5) -> FrameSet | None:
        """The newest complete frame set, waiting at most ``timeout`` seconds; None when nothing new arrived."""
        ...

    def stats(self) -> dict[str, SourceStats]:
        """Per-camera health, keyed by camera name."""
        ...

    def close(self) -> None:
        """Stop all threads and release devices. Idempotent."""
        ...

    @property
    def finished(self) -> bool:
        """True once a finite source (file, folder, recording) has nothing more to deliver."""
        ...


class CameraFrameSetSource:
    """Several CameraSources feeding one FrameSetAssembler; ``read`` returns a set as soon as one is ready."""

    def __init__(self, cameras: Sequence[CameraSource], lockstep: Sequence[str] = (), max_wait: float = 0.025,
                 stale_after: float = 0.5) -> None:
        names = [c.name for c in cameras]
        if len(set(names)) != len(names):
            raise SourceError(f"camera names must be unique, got {names}")
        self.cameras = list(cameras)
        self._lockstep = set(lockstep)
        self._assembler = FrameSetAssembler(names, max_wait=max_wait, stale_after=stale_after)
        self._cond = threading.Condition()
        self._by_name = {c.name: c for c in cameras}
        self._started = False
        self._closed = False

    def _on_frame(self, camera: str, frame: CapturedFrame) -> None:
        """Called from a capture thread: newest frame wins (a replaced unread frame counts as dropped)."""
        source = self._by_name[camera]
        with self._cond:
            if self._assembler.offer(camera, frame):
                source.counters.drop()
            self._cond.notify_all()
            if camera in self._lockstep:  # offline mode: hold the producer until the frame was used
                while self._assembler.is_fresh(camera) and not self._closed and not source.stop_requested():
                    self._cond.wait(0.1)

    def start(self) -> None:
        if self._started:
            return
        self._started = True
        try:
            for camera in self.cameras:
                camera.start(self._on_frame)
        except BaseException:
            self.close()
            raise

    def read(self, timeout: float = 0.5) -> FrameSet | None:
        if not self._started:
            raise SourceError("read() before start(): call start() first (it opens the cameras)")
        deadline = time.monotonic() + max(0.0, timeout)
        with self._cond:
            while True:
                now = time.monotonic()
                frames = self._assembler.assemble(now)
                if frames is not None:
                    self._cond.notify_all()  # wake lockstep producers
                    return frames
                if now >= deadline or self._closed or self.finished:
                    return None
                wake = deadline
                pending = self._assembler.next_deadline()
                if pending is not None:
                    wake = min(wake, pending)
                self._cond.wait(max(0.0005, wake - now))

    def stats(self) -> dict[str, SourceStats]:
        return {c.name: c.stats() for c in self.cameras}

    @property
    def finished(self) -> bool:
        with self._cond:
            nothing_waiting = self._assembler.next_deadline() is None
        return nothing_waiting and all(c.finished for c in self.cameras)

    def close(self) -> None:
        with self._cond:
            if self._closed:
                return
            self._closed = True
            self._cond.notify_all()
        for camera in self.cameras:
            camera.close()

    def __enter__(self) -> CameraFrameSetSource:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_frameset_source(specs: str | CameraSpec | Sequence[CameraSpec] = "synthetic", *, layout: str | None = None,
                         views: Sequence[str] = (), max_wait: float = 0.025, stale_after: float = 0.5,
                         backoff: Backoff | None = None) -> FrameSetSource:
    """Build (not start) the FrameSetSource for a spec string or camera specs.

    A bare spec string of a real camera becomes one CameraSpec with ``layout`` (default ``combined_eyes_mouth``,
    a Vive-Facial-Tracker-like frame) and ``views`` (default: all the layout produces). ``synthetic[:opts]`` and
    ``replay:PATH`` deliver whole frame sets and must be used alone.
    """
    if isinstance(specs, str):
        target = parse_source_spec(specs)
        if target.kind == "synthetic":
            return SyntheticFrameSetSource(**parse_synthetic_options(dict(target.options), specs))
        if target.kind == "replay":
            from bridge.sources.replay import ReplaySource

            return ReplaySource(str(target.location))
        specs = [CameraSpec(source=specs, layout=layout or "combined_eyes_mouth", views=tuple(views))]
    elif isinstance(specs, CameraSpec):
        specs = [specs]
    specs = list(specs)
    if not specs:
        raise SourceError("no cameras configured; give at least one camera or the 'synthetic' source")
    if len(specs) == 1 and specs[0].target.kind in ("synthetic", "replay"):
        return open_frameset_source(specs[0].source)
    seen: dict[str, str] = {}
    for spec in specs:
        for view in spec.views:
            if view in seen:
                raise SourceError(f"view {view!r} is fed by two cameras ({seen[view]!r} and {spec.name!r}); "
                                  "each view needs exactly one camera")
            seen[view] = spec.name
    from bridge.sources.factory import open_camera

    # Each camera gets its own Backoff: one camera's failures must not slow another's reconnects.
    cameras = [open_camera(spec, backoff=None if backoff is None else Backoff(backoff.initial, backoff.factor,
                                                                              backoff.maximum)) for spec in specs]
    lockstep = [spec.name for spec in specs if spec.lockstep]
    return CameraFrameSetSource(cameras, lockstep=lockstep, max_wait=max_wait, stale_after=stale_after)
