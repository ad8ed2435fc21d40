"""FrameSetAssembler: combines the newest frame of every camera into one FrameSet when a set is ready.

Each camera's capture thread ``offer``s frames; an unread frame that gets replaced is a drop (newest wins,
nothing queues). A set is READY when every live camera has a fresh (not yet used) frame, or when some camera's
fresh frame has waited ``max_wait`` seconds for the others (unsynchronised cameras, a slow or dead camera must not
stall the pipeline). A set holds the fresh frames plus the latest frame of cameras that are not fresh but
delivered within ``stale_after`` seconds (a repeated frame is the SAME ndarray object as before, so the pipeline
can tell a repeat from a frozen camera); cameras silent for longer are left out (the pipeline flags them lost).
``capture_time`` is the oldest included image's capture time. Not thread-safe by itself: the owner locks.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from bridge.frames import FrameSet
from bridge.sources.base import CapturedFrame


@dataclass(slots=True)
class _Slot:
    frame: CapturedFrame | None = None
    arrived: float = 0.0  # monotonic time the newest frame was offered (liveness)
    waiting_since: float = 0.0  # when the oldest unread frame arrived (max_wait counts from here)
    fresh: bool = False


class FrameSetAssembler:
    """Newest-frame-per-camera store that builds FrameSets (see module docstring for the readiness rule)."""

    def __init__(self, cameras: list[str], max_wait: float = 0.025, stale_after: float = 0.5) -> None:
        if not cameras or len(set(cameras)) != len(cameras):
            raise ValueError(f"FrameSetAssembler: camera names must be non-empty and unique, got {cameras}")
        if max_wait < 0 or stale_after <= 0:
            raise ValueError("FrameSetAssembler: max_wait must be >= 0 and stale_after > 0")
        self.cameras = list(cameras)
        self.max_wait = max_wait
        self.stale_after = stale_after
        self._slots = {name: _Slot() for name in cameras}
        self._sequence = 0

    def offer(self, camera: str, frame: CapturedFrame, now: float | None = None) -> bool:
        """Store a camera's newest frame. Returns True when an unread frame was overwritten (a drop)."""
        slot = self._slots[camera]
        replaced = slot.fresh
        slot.arrived = time.monotonic() if now is None else now
        if not replaced:
            slot.waiting_since = slot.arrived
        slot.frame, slot.fresh = frame, True
        return replaced

    def is_fresh(self, camera: str) -> bool:
        return self._slots[camera].fresh

    def _live(self, now: float) -> list[str]:
        return [n for n, s in self._slots.items() if s.frame is not None and now - s.arrived <= self.stale_after]

    def ready(self, now: float | None = None) -> bool:
        """Whether ``assemble`` would return a set now."""
        now = time.monotonic() if now is None else now
        fresh = [s.waiting_since for s in self._slots.values() if s.fresh]
        if not fresh:
            return False
        # Every camera has spoken at least once and all that are still alive have something new.
        if all(s.frame is not None for s in self._slots.values()) and all(
            self._slots[n].fresh for n in self._live(now)
        ):
            return True
        return now - min(fresh) >= self.max_wait

    def next_deadline(self) -> float | None:
        """Monotonic time at which waiting fresh frames will be released anyway (None: nothing waiting)."""
        fresh = [s.waiting_since for s in self._slots.values() if s.fresh]
        return min(fresh) + self.max_wait if fresh else None

    def assemble(self, now: float | None = None) -> FrameSet | None:
        """Build and return the FrameSet if ready (marking its frames used), else None."""
        now = time.monotonic() if now is None else now
        if not self.ready(now):
            return None
        include = set(self._live(now)) | {n for n, s in self._slots.items() if s.fresh}
        views: dict = {}
        times: list[float] = []
        for name in self.cameras:
            slot = self._slots[name]
            if name in include and slot.frame is not None:
                views.update(slot.frame.views)
                times.append(slot.frame.capture_time)
                slot.fresh = False
        self._sequence += 1
        return FrameSet(images=views, capture_time=min(times), sequence=self._sequence)
