"""The live pipeline: source -> quality + preprocessing -> models -> tracking -> FaceState -> retarget -> outputs.

Data flows one way. Each stage is timed (``Pipeline.times``) for the status line and the bench; end-to-end
latency runs from "frame set ready" (the source handed it over) to "last datagram sent". Control commands are
applied between frames on the pipeline thread, so no other thread ever touches the tracker. When no frame set
arrives within the read timeout the tracker is still stepped (``idle``) so outputs carry CAMERA_LOST, ease to
neutral and keep VRChat's eye tracking alive.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from bridge.app.control import Command
from bridge.app.timing import LatencyRing, StageTimes
from bridge.frames import FrameSet
from bridge.inference.types import FaceModels
from bridge.outputs.base import OutputFrame
from bridge.outputs.fanout import SinkFanout
from bridge.schema import FaceState
from bridge.tracking.quality import assess_frames
from bridge.tracking.types import FaceTracker

if TYPE_CHECKING:  # the protocols only: the pipeline runs any objects with these methods
    from bridge.sources.frameset_source import FrameSetSource
    from retarget.engine import RetargetFrame

log = logging.getLogger(__name__)


class RetargetStage(Protocol):
    """Preset key -> RetargetFrame for one FaceState (see bridge.app.retarget_stage)."""

    def apply(self, state: FaceState) -> Mapping[str, RetargetFrame]: ...


@dataclass(frozen=True, slots=True)
class StepResult:
    """What one pipeline step produced (for status displays and tests)."""

    state: FaceState
    rigs: Mapping[str, RetargetFrame]
    had_frames: bool
    end_to_end_s: float  # frame set ready -> last datagram sent (perf_counter)


class Pipeline:
    """Owns nothing it did not build: the caller opens/closes the source, sinks and control server.

    ``commands`` is polled once per step (e.g. ``ControlServer.drain``).
    """

    def __init__(self, source: FrameSetSource, models: FaceModels, tracker: FaceTracker, retarget: RetargetStage,
                 fanout: SinkFanout, commands: Callable[[], list[Command]] | None = None,
                 read_timeout_s: float = 0.5, idle_interval_s: float = 0.05) -> None:
        self.source = source
        self.models = models
        self.tracker = tracker
        self.retarget = retarget
        self.fanout = fanout
        self.commands = commands
        self.read_timeout_s = read_timeout_s
        # A closed or broken source may return None at once; idle steps are spaced so that the outputs keep
        # getting (lost-camera) frames at ~20 Hz instead of a busy loop flooding the network.
        self.idle_interval_s = idle_interval_s
        self.stop_event = threading.Event()
        self.times = StageTimes()
        self.end_to_end = LatencyRing()
        # capture time (camera clock, time.time()) -> sent: includes the capture hand-off and decoding, which
        # "ready -> sent" does not. Replayed recordings keep old capture times, so implausible values are skipped.
        self.capture_to_send = LatencyRing()
        self.sequence = 0  # FaceState sequence: counts every state sent (frames and idle steps), never repeats
        self.frames = 0  # frame sets processed
        self.idle_steps = 0  # steps without a frame set
        self.errors: dict[str, int] = {}  # "stage: ExceptionType" -> count (frames dropped, not fatal)
        self.last: StepResult | None = None
        self.paused = False

    # --- commands ---------------------------------------------------------------------------------------------
    def apply_command(self, command: Command) -> None:
        """Apply one control command to the tracker (pipeline thread only)."""
        log.info("control: %s", command.value)
        if command is Command.RECALIBRATE:
            self.tracker.recalibrate()
        elif command is Command.RECENTER:
            self.tracker.recenter()
        elif command is Command.PAUSE:
            self.paused = True
            self.tracker.pause()
        elif command is Command.RESUME:
            self.paused = False
            self.tracker.resume()
        elif command is Command.RESET_CALIBRATION:
            self.tracker.reset_calibration()

    # --- one step ---------------------------------------------------------------------------------------------
    def step(self) -> StepResult | None:
        """Wait for the next frame set (or the read timeout) and push one FaceState through to the outputs.
        Returns None (and sends nothing) once a finite source has ended."""
        if self.commands is not None:
            for command in self.commands():
                self.apply_command(command)
        asked = time.perf_counter()
        try:
            frames = self.source.read(self.read_timeout_s)
        except Exception as exc:  # a source bug must not end the session: treat it as "no frame this time"
            self._count_error("source", exc)
            frames = None
        if frames is None:
            if self.source_finished():
                return None
            remaining = self.idle_interval_s - (time.perf_counter() - asked)
            if remaining > 0:
                self.stop_event.wait(remaining)
        ready = time.perf_counter()
        times = self.times
        state = None
        if frames is not None and not self.paused:
            try:
                state = self._track(frames, ready)
            except Exception as exc:  # a bad frame (odd size, model/runtime error) must never stop the bridge
                self._count_error("frame", exc)
        if state is None:
            # No frame (camera stalled/lost), paused, or a frame that failed: the tracker decides what to show
            # (hold, ease to neutral, flags); skipping the models while paused is what makes pause save CPU.
            state = self.tracker.idle(time.time(), self.sequence)
            self.idle_steps += 1
        t = time.perf_counter()
        self.sequence += 1
        try:
            rigs = self.retarget.apply(state)
        except Exception as exc:  # sinks that need a rig then fail (counted); the recorder still records
            self._count_error("retarget", exc)
            rigs = {}
        t5 = time.perf_counter()
        times.add("retarget", t5 - t)
        per_sink = self.fanout.send(OutputFrame(state=state, rigs=rigs, frames=frames))
        sent = time.perf_counter()
        times.add("outputs", sent - t5)
        for name, seconds in per_sink.items():
            times.add(f"output[{name}]", seconds)
        result = StepResult(state=state, rigs=rigs, had_frames=frames is not None, end_to_end_s=sent - ready)
        if frames is not None:
            self.end_to_end.add(sent - ready)
            age = time.time() - frames.capture_time
            if 0.0 <= age < 5.0:
                self.capture_to_send.add(age)
        self.last = result
        return result

    def _track(self, frames: FrameSet, ready: float) -> FaceState:
        """Quality, models and tracking for one frame set (each timed)."""
        times = self.times
        quality = assess_frames(frames)
        t1 = time.perf_counter()
        times.add("quality", t1 - ready)
        inputs = self.models.preprocess(frames)
        t2 = time.perf_counter()
        times.add("preprocess", t2 - t1)
        outputs = self.models.predict(inputs, self.tracker.neutral.reference())
        t3 = time.perf_counter()
        times.add("models", t3 - t2)
        state = self.tracker.update(outputs, quality, frames.capture_time, self.sequence, inputs=inputs)
        times.add("tracking", time.perf_counter() - t3)
        self.frames += 1
        return state

    def _count_error(self, stage: str, exc: Exception) -> None:
        key = f"{stage}: {type(exc).__name__}"
        self.errors[key] = self.errors.get(key, 0) + 1
        if self.errors[key] == 1:
            log.exception("%s failed (further %s errors are only counted)", stage, type(exc).__name__)

    # --- loop -------------------------------------------------------------------------------------------------
    def source_finished(self) -> bool:
        """True when every camera of a finite source (file, folder, replay) has delivered its last frame."""
        finished = getattr(self.source, "finished", None)
        if finished is not None:
            return bool(finished)
        stats = self.source.stats()
        return bool(stats) and all(getattr(s, "finished", False) for s in stats.values())

    def run(self, duration_s: float | None = None, on_step: Callable[[StepResult], None] | None = None) -> str:
        """Step until ``stop_event`` is set (``stop()``), ``duration_s`` elapsed or a finite source ended.
        Returns why it stopped."""
        deadline = None if duration_s is None else time.monotonic() + duration_s
        while True:
            if self.stop_event.is_set():
                return "stopped"
            if deadline is not None and time.monotonic() >= deadline:
                return "duration"
            result = self.step()
            if result is None:
                return "source finished"
            if on_step is not None:
                on_step(result)

    def stop(self) -> None:
        """Ask run() to return after the current step (safe from signal handlers and other threads)."""
        self.stop_event.set()
