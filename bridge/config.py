"""THE FaceBridge configuration: one TOML schema, defaults for everything, strict validation.

Sections (all optional):
  [source]      the default source (synthetic headset, a device, a file, a URL, serial:PORT, a recording)
  [[cameras]]   one source per camera (fields of bridge.sources.CameraSpec); overrides [source] when present
  [models]      which model set to load
  [tracking]    filters, personalization, failure detection (fields of bridge.tracking.TrackingConfig)
  [preset]      the retarget preset (name or file) and hot reload
  [[outputs]]   any number of facebridge / vmc / vrchat / recorder outputs
  [control]     the OSC control input (recalibrate, recenter, pause, resume)
  [status]      the terminal status line and the status JSON file

Every section is a frozen dataclass; the TOML is checked against the dataclass fields, so an unknown key or a bad
value is a ``ConfigError`` naming the file, the key and what is allowed. ``default_config_text()`` renders the
same dataclasses (defaults + their docs) as the commented file ``facebridge config init`` writes.
"""

from __future__ import annotations

import dataclasses
import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bridge.fields import doc as _doc
from bridge.outputs.base import OutputOptions
from bridge.outputs.facebridge_sink import FacebridgeOptions
from bridge.outputs.registry import OUTPUT_KINDS, output_kind, output_options
from bridge.textfile import TextFileError, read_text_limited
from bridge.validate import KeyLocator, KeyPath, Problems, ValidationError, describe, did_you_mean, from_table

if TYPE_CHECKING:  # imported lazily at run time: `facebridge config` must not load OpenCV
    from bridge.sources import CameraSpec
    from bridge.tracking import TrackingConfig

DEFAULT_CONTROL_PORT = 39572
MAX_CONFIG_BYTES = 1024 * 1024  # the commented default config is ~10 KB
# Kept so code written against the single OutputSection class still builds entries: OutputSection(kind=..., ...).
OutputSection = output_options


class ConfigError(ValidationError):
    """Config problems, one per line: ``file:line: key: what is wrong`` (and what is allowed)."""


# ------------------------------------------------------------------------------------------------ sections


@dataclass(frozen=True, slots=True)
class SourceSection:
    spec: str = field(default="synthetic", metadata=_doc(
        "synthetic | a device index (0) | a video file or image folder | http(s)://... or rtsp://... | "
        "serial:PORT | a recording directory. Used when no [[cameras]] are given."))
    layout: str = field(default="headset", metadata=_doc(
        "what the camera of `spec` shows: webcam (your whole face) | lower_face (a webcam under the headset) | "
        "eyes | left_eye | right_eye | mouth | headset (both eyes on top, mouth below). Ignored by synthetic and "
        "recordings", choices=("webcam", "lower_face", "eyes", "left_eye", "right_eye", "mouth", "headset")))
    fps: float = field(default=60.0, metadata=_doc("frame rate of the synthetic headset", minimum=1.0, maximum=1000.0))
    seed: int = field(default=0, metadata=_doc("random seed of the synthetic headset (identity, expressions)"))
    read_timeout_s: float = field(default=0.5, metadata=_doc(
        "how long the pipeline waits for a frame set before reporting the cameras as stalled",
        minimum=0.01, maximum=10.0))


@dataclass(frozen=True, slots=True)
class ModelsSection:
    dir: str = field(default="", metadata=_doc(
        "directory holding the ONNX model set; empty = the models shipped with FaceBridge (bridge/models)"))
    threads: int = field(default=1, metadata=_doc("onnxruntime intra-op threads per model", minimum=1, maximum=16))


@dataclass(frozen=True, slots=True)
class PresetSection:
    name: str = field(default="", metadata=_doc(
        "retarget preset: a shipped preset name (`facebridge presets list`) or a .toml file; "
        "empty = the default preset (arkit52-perfect-sync)"))
    hot_reload: bool = field(default=True, metadata=_doc(
        "reload a preset FILE when it changes on disk (a broken edit keeps the last good preset)"))


@dataclass(frozen=True, slots=True)
class ControlSection:
    enabled: bool = field(default=True, metadata=_doc(
        "listen for /facebridge/recalibrate, /facebridge/recenter, /facebridge/pause, /facebridge/resume"))
    host: str = field(default="127.0.0.1", metadata=_doc(
        "bind address; 127.0.0.1 accepts commands from this machine only (0.0.0.0 = from the network)"))
    port: int = field(default=DEFAULT_CONTROL_PORT, metadata=_doc("UDP port", minimum=1, maximum=65535))


@dataclass(frozen=True, slots=True)
class StatusSection:
    interval_s: float = field(default=0.5, metadata=_doc(
        "refresh of the live status line on a terminal", minimum=0.05, maximum=60.0))
    plain_interval_s: float = field(default=5.0, metadata=_doc(
        "interval of plain status lines when stdout is not a terminal (logs)", minimum=0.1, maximum=3600.0))
    json_path: str = field(default="", metadata=_doc("write the status as JSON to this file; empty = off"))
    json_interval_s: float = field(default=1.0, metadata=_doc("how often the JSON file is rewritten",
                                                               minimum=0.05, maximum=3600.0))


def _tracking_class() -> type[TrackingConfig]:
    from bridge.tracking import TrackingConfig

    return TrackingConfig


def _camera_class() -> type[CameraSpec]:
    from bridge.sources import CameraSpec

    return CameraSpec


@dataclass(frozen=True, slots=True)
class Config:
    """The whole configuration. ``path`` is the file it came from (None = defaults only)."""

    source: SourceSection = field(default_factory=SourceSection)
    cameras: tuple[CameraSpec, ...] = ()
    models: ModelsSection = field(default_factory=ModelsSection)
    tracking: TrackingConfig | None = None  # None = its defaults
    preset: PresetSection = field(default_factory=PresetSection)
    outputs: tuple[OutputOptions, ...] = (FacebridgeOptions(),)  # one Options per entry (bridge.outputs.registry)
    control: ControlSection = field(default_factory=ControlSection)
    status: StatusSection = field(default_factory=StatusSection)
    path: str | None = None


_SECTIONS: dict[str, type] = {
    "source": SourceSection, "models": ModelsSection, "preset": PresetSection,
    "control": ControlSection, "status": StatusSection,
}
_ARRAYS = ("cameras", "outputs")
_TOP_KEYS = (*_SECTIONS, "tracking", *_ARRAYS)


# ------------------------------------------------------------------------------------------------ validation


def config_from_dict(data: dict[str, Any], source: str = "<config>", text: str | None = None) -> Config:
    """Validate a parsed TOML document. ``source`` names the file in errors; with the file's ``text`` every
    problem also names its line. Raises ConfigError listing every problem (``file:line: key: what is wrong``)."""
    problems = Problems(source, KeyLocator(text).line_of if text is not None else None)
    kwargs: dict[str, Any] = {"path": None if source == "<config>" else source}
    for key in data:
        if key not in _TOP_KEYS:
            problems.unknown_key((key,), _TOP_KEYS, what="section")
    for name, cls in _SECTIONS.items():
        if name in data:
            section = from_table(cls, data[name], problems, (name,))
            if section is not None:
                kwargs[name] = section
    if "tracking" in data:  # the tracking stage owns its section's fields and cross-checks
        tracking = _tracking_class().from_table(data["tracking"], problems, ("tracking",))
        if tracking is not None:
            kwargs["tracking"] = tracking
    for name in _ARRAYS:
        if name not in data:
            continue
        entries = data[name]
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            problems.add((name,), f"expected an array of tables ([[{name}]]), got {describe(entries)}")
            continue
        build = _camera_from_table if name == "cameras" else _output_from_table
        kwargs[name] = tuple(build(e, problems, (name, i)) for i, e in enumerate(entries))
    problems.raise_if_any(ConfigError)
    return Config(**kwargs)


def _camera_from_table(table: dict[str, Any], problems: Problems, path: KeyPath) -> Any:
    return from_table(_camera_class(), table, problems, path)


def _output_from_table(table: dict[str, Any], problems: Problems, path: KeyPath) -> OutputOptions | None:
    """One ``[[outputs]]`` table -> the Options of its kind (looked up in bridge.outputs.registry)."""
    kind = table.get("kind", "facebridge")  # as documented: an entry without kind is our Unity package's sink
    if kind not in OUTPUT_KINDS:
        kinds = list(OUTPUT_KINDS)
        problems.add((*path, "kind"), f"{kind!r} is not allowed{did_you_mean(str(kind), kinds)}; "
                                      f"allowed: {', '.join(kinds)}")
        return None
    cls = OUTPUT_KINDS[kind].options
    own = ["kind", *(f.name for f in dataclasses.fields(cls) if f.init)]
    others = {f.name for k in OUTPUT_KINDS.values() for f in dataclasses.fields(k.options)}
    table = dict(table)
    for key in [k for k in table if k not in own and k in others]:
        problems.add((*path, key), f"does not apply to kind {kind!r}; keys for {kind}: {', '.join(own)}")
        del table[key]
    return from_table(cls, table, problems, path, skip=("kind",))


def load_config(path: str | Path | None) -> Config:
    """Read and validate a TOML config; None returns the defaults."""
    if path is None:
        return Config()
    p = Path(path)
    try:
        # Regular files up to a size cap only (a FIFO would hang, /dev/zero never ends); a BOM is dropped.
        text = read_text_limited(p, MAX_CONFIG_BYTES)
    except FileNotFoundError:
        raise ConfigError(f"{p}: config file not found; create one with `facebridge config init --out {p}`") from None
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read ({exc.strerror or exc})") from None
    except TextFileError as exc:
        raise ConfigError(str(exc)) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}: not valid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{p}: arrays or tables nested too deeply to be a config") from None
    try:
        return config_from_dict(data, str(p), text)
    except RecursionError:
        raise ConfigError(f"{p}: values nested too deeply to be a config") from None


def parse_output_spec(spec: str) -> OutputOptions:
    """``KIND[:HOST[:PORT]]`` (recorder: ``recorder[:DIR]``) from the command line -> that kind's Options."""
    kind, _, rest = spec.partition(":")
    where = f"--output {spec!r}"
    if kind not in OUTPUT_KINDS:
        raise ConfigError(f"{where}: kind {kind!r} is not allowed; allowed: {', '.join(OUTPUT_KINDS)} "
                          f"(form KIND:HOST:PORT, or recorder:DIR)")
    try:
        options = output_kind(kind).options.from_cli(rest)
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    return options


# ------------------------------------------------------------------------------------------------ init file


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + "}" if value else "{}"
    if dataclasses.is_dataclass(value):
        return _toml_value({f.name: getattr(value, f.name) for f in dataclasses.fields(value)})
    raise TypeError(f"cannot write {value!r} as TOML")


def _field_lines(obj: Any, commented: bool = False) -> list[str]:
    lines = []
    for f in dataclasses.fields(obj):
        if not f.init:
            continue
        value = getattr(obj, f.name)
        if value is None:
            lines.append(f"# {f.name}: unset by default")
            continue
        # "{self.default_port}" in a doc names a class attribute of the instance (e.g. each output's own port)
        doc = re.sub(r"\{self\.(\w+)\}", lambda m: str(getattr(obj, m.group(1))), f.metadata.get("doc") or "")
        choices = f.metadata.get("choices")
        if choices:
            doc += f" [{' | '.join(map(str, choices))}]"
        if doc:
            lines.append(f"# {doc}")
        lines.append(("# " if commented else "") + f"{f.name} = {_toml_value(value)}")
    return lines


def _nested_lines(obj: Any, table: str) -> list[str]:
    """``[table]`` with the scalar fields of dataclass ``obj``, then one ``[table.sub]`` per nested dataclass."""
    scalars = [f for f in dataclasses.fields(obj) if not dataclasses.is_dataclass(getattr(obj, f.name))]
    nested = [f for f in dataclasses.fields(obj) if dataclasses.is_dataclass(getattr(obj, f.name))]
    doc = (type(obj).__doc__ or "").strip().splitlines()
    lines = [f"# {doc[0]}"] if doc else []
    lines.append(f"[{table}]")
    for f in scalars:
        value = getattr(obj, f.name)
        lines.append(f"# {f.name}: unset by default" if value is None else f"{f.name} = {_toml_value(value)}")
    for f in nested:
        lines += ["", *_nested_lines(getattr(obj, f.name), f"{table}.{f.name}")]
    return lines


# A commented [[cameras]] example (keys are bridge.sources.CameraSpec fields; tests parse it uncommented).
CAMERA_EXAMPLE = """\
# [[cameras]]                       # a Vive-Facial-Tracker-like camera: both eyes on top, mouth below
# source = "0"                      # device index, file, folder, http(s)/rtsp URL, serial:PORT[@BAUD]
# layout = "combined_eyes_mouth"    # webcam | lower_face | eyes | left_eye | right_eye | mouth | headset (or the older
#                                   # single | eyes_side_by_side | combined_eyes_mouth | lower_face_external)
# rotate = 0                        # degrees clockwise
# flip = "none"                     # none | horizontal | vertical
# crop = [0, 0, 400, 400]           # x, y, w, h in source pixels (before the layout split)
#
# [[cameras]]                       # an external webcam seeing the lower face under the headset
# source = "1"
# layout = "lower_face_external"
# lower_face_region = [160, 200, 320, 240]   # x, y, w, h in pixels
# detect_face = true                # re-centre the region with a face detector
"""


def default_config_text() -> str:
    """The commented config file `facebridge config init` writes: every key at its default, with its doc."""
    out = ["# FaceBridge configuration. Every key is optional; shown values are the defaults.",
           "# Check a file with `facebridge config check FILE`; reference: docs/config.md.", ""]
    for name, cls in (("source", SourceSection), ("models", ModelsSection)):
        out += [f"[{name}]", *_field_lines(cls()), ""]
    out += ["# One source per camera (replaces [source] when present). Examples:", CAMERA_EXAMPLE]
    out += ["# Tracking stage (docs/tracking.md).", *_nested_lines(_tracking_class()(), "tracking"), ""]
    out += ["[preset]", *_field_lines(PresetSection()), ""]
    kinds = list(OUTPUT_KINDS)
    out += ["# Outputs: any number. The default sends our protocol to the Unity package.", "[[outputs]]",
            f"# what to send [{' | '.join(kinds)}]", f'kind = "{kinds[0]}"',
            *_field_lines(OUTPUT_KINDS[kinds[0]].options()), ""]
    for kind in kinds[1:]:
        entry = _field_lines(OUTPUT_KINDS[kind].options())
        out += [f"# Uncomment to add a {kind} output:", "# [[outputs]]", f'# kind = "{kind}"',
                *(line if line.startswith("#") else f"# {line}" for line in entry), ""]
    out += ["[control]", *_field_lines(ControlSection()), "", "[status]", *_field_lines(StatusSection()), ""]
    return "\n".join(out)
