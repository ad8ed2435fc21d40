"""The real bridge behind the preview: source -> models -> tracking -> retarget -> outputs, on a worker thread.

It is built from the same parts `facebridge run` assembles (bridge.app.assemble: source spec, source opening,
model loading, sinks, Pipeline); the differences are what make it a preview:

* outputs that read the main preset (every ``--output`` without a preset of its own) are sent the EDITED preset,
  swapped in whenever the designer changes a knob (``set_preset``), so the avatar follows the tuning live;
* a tap at the end of the fan-out hands every FaceState and its camera images to the UI thread, which retargets
  them with the original and the edited preset itself (A/B on the same frame);
* with no ``--output`` nothing is sent anywhere.
"""

from __future__ import annotations

import collections
import logging
import threading
from typing import Any

from bridge.outputs.base import OutputFrame
from bridge.preview.feed import FeedItem
from bridge.schema import FaceState
from retarget import Preset, Retargeter

log = logging.getLogger(__name__)
EDITED_KEY = "preview:edited"
QUEUE_FRAMES = 240  # about 8 s at 30 fps: the UI drains it every frame, this only bounds a stalled UI


class _Tap:
    """The last sink of the fan-out: queues (FaceState, images) for the UI thread."""

    name = "preview"
    rig_key: str | None = None

    def __init__(self) -> None:
        self.queue: collections.deque[FeedItem] = collections.deque(maxlen=QUEUE_FRAMES)

    def send(self, frame: OutputFrame) -> None:
        images = dict(frame.frames.images) if frame.frames is not None else {}
        self.queue.append(FeedItem(frame.state, images))

    def stats(self) -> dict[str, int]:
        return {}

    def close(self) -> None:
        pass


class EditedRetargetStage:
    """The pipeline's retarget stage: the edited preset under EDITED_KEY, other outputs' own presets as in `run`.

    ``set_preset`` may be called from the UI thread; the swap happens on the pipeline thread before the next
    frame, so a frame is never retargeted with a half-installed preset."""

    def __init__(self, preset: Preset, others: Any | None = None) -> None:
        self._rt = Retargeter(preset)
        self._pending: Preset | None = None
        self.others = others  # bridge.app.retarget_stage.PresetRetargeters for outputs with their own preset

    def set_preset(self, preset: Preset) -> None:
        self._pending = preset  # one reference assignment: atomic with respect to the pipeline thread

    @property
    def preset(self) -> Preset:
        return self._rt.preset

    def apply(self, state: FaceState) -> dict[str, Any]:
        pending, self._pending = self._pending, None
        if pending is not None:
            self._rt.set_preset(pending)
        rigs = self.others.apply(state) if self.others is not None else {}
        rigs[EDITED_KEY] = self._rt.apply(state)
        return rigs

    def poll(self) -> list[str]:
        return self.others.poll() if self.others is not None else []


class LiveFeed:
    """Runs a Pipeline on a daemon thread; ``next()`` hands the UI the queued FaceStates (oldest first)."""

    def __init__(self, pipeline: Any, source: Any, fanout: Any, stage: EditedRetargetStage, tap: _Tap,
                 description: str) -> None:
        self.pipeline, self.source, self.fanout, self.stage, self.tap = pipeline, source, fanout, stage, tap
        self.description = description
        self.stop_reason: str | None = None
        self._thread = threading.Thread(target=self._run, name="preview-pipeline", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self.stop_reason = self.pipeline.run()
        except Exception as exc:  # the preview must show why the pipeline stopped, not vanish
            log.exception("preview pipeline stopped")
            self.stop_reason = f"error: {exc}"

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def set_preset(self, preset: Preset) -> None:
        """Send ``preset`` to the outputs from the next frame on."""
        self.stage.set_preset(preset)

    def next(self, timeout: float = 0.0) -> FeedItem | None:
        """The oldest queued frame, or None (waits up to ``timeout`` seconds for one)."""
        if not self.tap.queue and timeout > 0:
            self.pipeline.stop_event.wait(timeout)
        try:
            return self.tap.queue.popleft()
        except IndexError:
            return None

    def output_names(self) -> list[str]:
        return [s.name for s in self.fanout.sinks if s is not self.tap]

    def close(self) -> None:
        self.pipeline.stop()
        self._thread.join(timeout=5.0)
        for closer in (self.source.close, self.fanout.close):
            try:
                closer()
            except Exception:
                log.exception("error while closing the preview pipeline")


def start_live(config: Any, preset: Preset, models: Any = None) -> LiveFeed:
    """Assemble and start the real pipeline for the preview from a Config (flags already applied by
    bridge.app.overrides; outputs = ``config.outputs``, may be empty). Raises bridge.app.assemble.StartupError
    with an actionable message."""
    from bridge.app.assemble import describe_source, load_models, source_spec_for, start_source
    from bridge.app.pipeline import Pipeline
    from bridge.outputs.fanout import SinkFanout
    from bridge.tracking import Tracker

    driver = build_outputs(config)
    sinks = list(driver.fanout.sinks) if driver is not None else []
    try:
        stage = EditedRetargetStage(preset, driver.others if driver is not None else None)
        model_set = models if models is not None else load_models(config)
        tracker = Tracker(config.tracking) if config.tracking is not None else Tracker()
        spec = source_spec_for(config)
        source_obj = start_source(spec)
    except BaseException:
        if driver is not None:
            driver.close()
        raise
    tap = _Tap()
    fanout = SinkFanout([*sinks, tap])
    pipeline = Pipeline(source_obj, model_set, tracker, stage, fanout, read_timeout_s=config.source.read_timeout_s)
    description = f"{describe_source(spec)} -> models -> tracking" + (
        " -> " + ", ".join(s.name for s in sinks) if sinks else " (no outputs)")
    return LiveFeed(pipeline, source_obj, fanout, stage, tap, description)


class OutputDriver:
    """The ``--output`` sinks for frames the UI produces itself (recordings, ground-truth synthetic): each shown
    frame is sent with the edited preset, so the avatar follows play, stepping and scrubbing."""

    def __init__(self, fanout: Any, keys: list[str | None]) -> None:
        self.fanout, self.keys = fanout, keys
        self.others: Any = None  # PresetRetargeters for outputs with a preset of their own

    def send(self, state: FaceState, edited: Any) -> None:
        rigs = self.others.apply(state) if self.others is not None else {}
        rigs[EDITED_KEY] = edited
        self.fanout.send(OutputFrame(state=state, rigs=rigs))

    def output_names(self) -> list[str]:
        return [s.name for s in self.fanout.sinks]

    def close(self) -> None:
        self.fanout.close()


def build_outputs(config: Any) -> OutputDriver | None:
    """Sinks for ``config.outputs`` (None when there are none); same keys rule as ``start_live``."""
    from bridge.app.assemble import StartupError
    from bridge.app.retarget_stage import PresetRetargeters
    from bridge.outputs.fanout import SinkFanout
    from bridge.outputs.registry import build_sink
    from retarget import PresetError

    entries = [e for e in config.outputs if e.enabled]
    if not entries:
        return None
    # Like bridge.app.assemble.resolve_presets, except that the main preset is the edited one.
    keys = [None if not e.uses_rig else (getattr(e, "preset", "") or EDITED_KEY) for e in entries]
    sinks: list[Any] = []
    try:
        for entry, key in zip(entries, keys, strict=True):
            try:
                sinks.append(build_sink(entry, key))
            except (OSError, ValueError) as exc:
                raise StartupError(f"output {entry.kind}: {exc}") from None
        own = [k for k in keys if k not in (None, EDITED_KEY)]
        driver = OutputDriver(SinkFanout(sinks), keys)
        if own:
            driver.others = PresetRetargeters(own, hot_reload=config.preset.hot_reload)
    except PresetError as exc:
        for sink in sinks:
            sink.close()
        raise StartupError(f"preset: {exc}") from None
    except BaseException:
        for sink in sinks:
            sink.close()
        raise
    return driver
