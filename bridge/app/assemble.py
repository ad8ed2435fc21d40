"""Build a running bridge from a Config (+ command-line overrides): source, models, tracker, presets, sinks,
control input, pipeline. Everything heavy is imported here, not at CLI parse time."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bridge.app.control import ControlServer
from bridge.app.overrides import apply_overrides
from bridge.app.pipeline import Pipeline
from bridge.app.retarget_stage import PresetRetargeters, default_preset_for_rig
from bridge.config import Config
from bridge.inference.types import FaceModels
from bridge.outputs.base import OutputOptions
from bridge.outputs.fanout import SinkFanout
from bridge.tracking.types import FaceTracker

if TYPE_CHECKING:
    from bridge.sources.frameset_source import FrameSetSource
    from bridge.sources.spec import CameraSpec

log = logging.getLogger(__name__)


class StartupError(RuntimeError):
    """The bridge cannot start; the message says what is wrong and what to do."""


@dataclass
class Bridge:
    """The assembled parts. ``close()`` releases all of them (idempotent)."""

    pipeline: Pipeline
    source: FrameSetSource
    models: FaceModels
    tracker: FaceTracker
    retarget: PresetRetargeters
    fanout: SinkFanout
    control: ControlServer | None
    description: str

    def close(self) -> None:
        for closer in (self.source.close, self.fanout.close, self.control.close if self.control else None):
            if closer is None:
                continue
            try:
                closer()
            except Exception:
                log.exception("error while shutting down")


def source_spec_for(config: Config) -> str | list[CameraSpec]:
    """What to hand to open_frameset_source: the configured cameras, or ``[source] spec`` (a recording directory
    becomes ``replay:DIR``; ``synthetic`` gets ``[source] fps`` and ``seed``; a camera becomes one CameraSpec with
    ``[source] layout``)."""
    from bridge.recording_format import is_recording

    if config.cameras:
        return list(config.cameras)
    spec = config.source.spec
    if is_recording(spec):
        return f"replay:{spec}"
    if spec.strip().lower() == "synthetic":
        return f"synthetic:fps={config.source.fps},seed={config.source.seed}"
    from bridge.sources.spec import CameraSpec, SourceError, parse_source_spec

    try:
        kind = parse_source_spec(spec).kind
    except SourceError as exc:
        raise StartupError(str(exc)) from None
    if kind in ("synthetic", "replay"):
        return spec
    try:
        return [CameraSpec(source=spec, layout=config.source.layout)]
    except SourceError as exc:
        raise StartupError(str(exc)) from None


def describe_source(spec: str | Sequence[CameraSpec]) -> str:
    if isinstance(spec, str):
        return spec
    return ", ".join(f"{c.name}={c.source}" for c in spec)


def start_source(spec: str | Sequence[CameraSpec]) -> FrameSetSource:
    """Build (``bridge.sources.open_frameset_source``) and start the source; a missing camera becomes a
    StartupError listing what is available."""
    from bridge.sources import SourceError, open_frameset_source

    try:
        source = open_frameset_source(spec)
    except SourceError as exc:  # a bad camera setting (layout, crop, detector): the camera list would not help
        raise StartupError(str(exc)) from None
    try:
        source.start()
    except SourceError as exc:
        text = str(exc)
        devices = isinstance(spec, list) and any(_is_device(c) for c in spec)
        if devices and "available" not in text.lower():
            try:
                from bridge.sources.discovery import available_summary

                text += "\n" + available_summary()
            except Exception:  # discovery is best effort; the original error is what matters
                pass
        raise StartupError(text) from None
    return source


def _is_device(camera: CameraSpec) -> bool:
    """A camera the "Available cameras" list can help with (a device, serial port or network stream, not a file)."""
    try:
        return camera.target.kind in ("device", "serial", "http", "stream")
    except Exception:  # a spec that does not parse has already produced its own message
        return False


def load_models(config: Config) -> FaceModels:
    """The configured model set (default: the shipped ONNX models)."""
    from bridge.inference.onnx_models import OnnxFaceModels

    try:
        return OnnxFaceModels.load(config.models.dir or None, threads=config.models.threads)
    except FileNotFoundError as exc:
        raise StartupError(f"{exc}\n(set [models] dir in the config to use another model set)") from None
    except ValueError as exc:
        raise StartupError(str(exc)) from None


def resolve_presets(config: Config, outputs: list[OutputOptions]) -> list[str | None]:
    """The preset key each output reads (None for outputs that read only the FaceState, e.g. the recorder)."""
    from retarget import DEFAULT_PRESET

    main = config.preset.name or DEFAULT_PRESET
    keys: list[str | None] = []
    by_rig: dict[str, str] = {}  # preferred rig -> its shipped preset (looked up once)
    for entry in outputs:
        own = getattr(entry, "preset", "")
        if not entry.uses_rig:
            keys.append(None)
        elif own:
            keys.append(own)
        elif entry.preferred_rig:
            if entry.preferred_rig not in by_rig:
                by_rig[entry.preferred_rig] = default_preset_for_rig(entry.preferred_rig, main, entry.kind)
            keys.append(by_rig[entry.preferred_rig])
        else:
            keys.append(main)
    return keys


def assemble(config: Config, *, source: str | None = None, preset: str | None = None,
             outputs: list[OutputOptions] | None = None, models: FaceModels | None = None,
             source_obj: FrameSetSource | None = None, control: bool | None = None) -> Bridge:
    """Build and start everything from ``config``. ``source``/``preset``/``outputs``/``control`` are applied to
    the config first (bridge.app.overrides, the same rules as the command-line flags); ``models`` / ``source_obj``
    inject a model set / an opened source (bench, tests). Raises StartupError with an actionable message."""
    from bridge.outputs.registry import build_sink
    from bridge.tracking import Tracker
    from retarget import PresetError

    config = apply_overrides(config, source=source, preset=preset, outputs=outputs, control=control)
    entries = [e for e in config.outputs if e.enabled]
    if not entries:
        raise StartupError("no enabled outputs; add [[outputs]] to the config or pass --output KIND:HOST:PORT")
    keys = resolve_presets(config, entries)
    try:
        retarget = PresetRetargeters([k for k in keys if k is not None], hot_reload=config.preset.hot_reload)
    except PresetError as exc:
        raise StartupError(f"preset: {exc}") from None
    model_set = models if models is not None else load_models(config)
    tracker = Tracker(config.tracking) if config.tracking is not None else Tracker()
    for warning in tracker.warnings:
        log.warning("tracking: %s", warning)

    sinks = []
    control_server = None
    try:
        for entry, key in zip(entries, keys, strict=True):
            try:
                sinks.append(build_sink(entry, key))
            except (OSError, ValueError) as exc:
                raise StartupError(f"output {entry.kind}: {exc}") from None
        if config.control.enabled:
            try:
                control_server = ControlServer(config.control.host, config.control.port)
            except OSError as exc:
                log.warning("%s; running without control input", exc)
        spec = None
        if source_obj is None:
            spec = source_spec_for(config)
            source_obj = start_source(spec)
    except BaseException:
        for sink in sinks:
            sink.close()
        if control_server is not None:
            control_server.close()
        raise
    if control_server is not None:  # VRChat menu buttons arrive on the vrchat output's listen port
        for sink in sinks:
            listener = getattr(sink, "listener", None)
            if listener is not None:
                listener.forward = control_server.submit_from
    fanout = SinkFanout(sinks)
    pipeline = Pipeline(source_obj, model_set, tracker, retarget, fanout,
                        commands=control_server.drain if control_server else None,
                        read_timeout_s=config.source.read_timeout_s)
    description = f"source {describe_source(spec) if spec is not None else 'injected'} -> " + ", ".join(
        f"{s.name}" + (f" [{k}]" if k else "") for s, k in zip(sinks, keys, strict=True))
    return Bridge(pipeline, source_obj, model_set, tracker, retarget, fanout, control_server, description)
