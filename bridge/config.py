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

import collections.abc
import dataclasses
import difflib
import json
import re
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from bridge.fields import doc as _doc
from bridge.outputs.base import OutputOptions
from bridge.outputs.facebridge_sink import FacebridgeOptions
from bridge.outputs.registry import OUTPUT_KINDS, output_kind, output_options

DEFAULT_CONTROL_PORT = 39572
# Kept so code written against the single OutputSection class still builds entries: OutputSection(kind=..., ...).
OutputSection = output_options


class ConfigError(ValueError):
    """A config problem; the message names the file, the key and the allowed values."""


# ------------------------------------------------------------------------------------------------ sections


@dataclass(frozen=True, slots=True)
class SourceSection:
    spec: str = field(default="synthetic", metadata=_doc(
        "synthetic | a device index (0) | a video file or image folder | http(s)://... or rtsp://... | "
        "serial:PORT | a recording directory. Used when no [[cameras]] are given."))
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


def _tracking_class() -> type:
    from bridge.tracking import TrackingConfig

    return TrackingConfig


def _camera_class() -> type:
    from bridge.sources import CameraSpec

    return CameraSpec


@dataclass(frozen=True, slots=True)
class Config:
    """The whole configuration. ``path`` is the file it came from (None = defaults only)."""

    source: SourceSection = field(default_factory=SourceSection)
    cameras: tuple[Any, ...] = ()  # bridge.sources.CameraSpec
    models: ModelsSection = field(default_factory=ModelsSection)
    tracking: Any = None  # bridge.tracking.TrackingConfig (None = its defaults)
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


def _suggest(key: str, allowed: typing.Iterable[str]) -> str:
    allowed = list(allowed)
    close = difflib.get_close_matches(key, allowed, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"{hint}; allowed keys: {', '.join(allowed) or '(none)'}"


def _type_name(hint: Any) -> str:
    return getattr(hint, "__name__", None) or str(hint).replace("typing.", "")


def _coerce(value: Any, hint: Any, where: str, meta: dict[str, Any]) -> Any:
    """Check ``value`` (from TOML) against a field type hint; return it in the field's Python type."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        errors = []
        for option in options:
            try:
                return _coerce(value, option, where, meta)
            except ConfigError as exc:
                errors.append(str(exc))
        raise ConfigError(errors[0] if len(errors) == 1 else f"{where}: expected one of "
                          f"{' | '.join(_type_name(o) for o in options)}, got {value!r}")
    if origin is Literal:
        if value not in args:
            raise ConfigError(f"{where}: {value!r} is not allowed; allowed values: {', '.join(map(repr, args))}")
        return value
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true or false, got {value!r}")
        return value
    if hint in (int, float):
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not number or (hint is int and not isinstance(value, int)):
            raise ConfigError(f"{where}: expected {'a whole number' if hint is int else 'a number'}, got {value!r}")
        value = hint(value)
        lo, hi = meta.get("minimum"), meta.get("maximum")
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise ConfigError(f"{where}: {value!r} is out of range; allowed: {lo} .. {hi}")
    elif hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where}: expected a string, got {value!r}")
    elif origin in (tuple, list):
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{where}: expected an array, got {value!r}")
        if origin is tuple and args and args[-1] is not Ellipsis:
            if len(value) != len(args):
                raise ConfigError(f"{where}: expected an array of {len(args)} values, got {len(value)}")
            items = [_coerce(v, a, f"{where}[{i}]", {}) for i, (v, a) in enumerate(zip(value, args, strict=True))]
        else:
            item = args[0] if args else Any
            items = [_coerce(v, item, f"{where}[{i}]", {}) for i, v in enumerate(value)]
        value = tuple(items) if origin is tuple else items
    elif origin in (dict, collections.abc.Mapping) or hint is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a table {{ key = value }}, got {value!r}")
        item = args[1] if len(args) == 2 else Any
        value = {str(k): _coerce(v, item, f"{where}.{k}", {}) for k, v in value.items()}
    elif dataclasses.is_dataclass(hint):
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a table, got {value!r}")
        value = _from_table(hint, value, where)
    choices = meta.get("choices")
    if choices is not None and value not in choices:
        raise ConfigError(f"{where}: {value!r} is not allowed; allowed values: {', '.join(map(str, choices))}")
    return value


def _from_table(cls: type, table: dict[str, Any], where: str) -> Any:
    """Build dataclass ``cls`` from a TOML table; unknown keys and bad values raise ConfigError."""
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    allowed = list(fields)
    kwargs = {}
    for key, value in table.items():
        if key not in fields:
            raise ConfigError(f"{where}: unknown key {key!r}{_suggest(key, allowed)}")
        kwargs[key] = _coerce(value, hints[key], f"{where}.{key}", dict(fields[key].metadata))
    try:
        return cls(**kwargs)
    except (TypeError, ValueError, RuntimeError) as exc:  # the dataclass's own checks (SourceError is a RuntimeError)
        raise ConfigError(f"{where}: {exc}") from None


def config_from_dict(data: dict[str, Any], source: str = "<config>") -> Config:
    """Validate a parsed TOML document (``source`` names the file in errors)."""
    for key in data:
        if key not in _TOP_KEYS:
            raise ConfigError(f"{source}: unknown section [{key}]{_suggest(key, _TOP_KEYS)}")
    kwargs: dict[str, Any] = {"path": None if source == "<config>" else source}
    for name, cls in _SECTIONS.items():
        if name in data:
            if not isinstance(data[name], dict):
                raise ConfigError(f"{source}: [{name}] must be a table")
            kwargs[name] = _from_table(cls, data[name], f"{source}: [{name}]")
    if "tracking" in data:
        try:  # the tracking stage owns its section's fields and cross-checks; errors name file and key
            kwargs["tracking"] = _tracking_class().from_dict(data["tracking"], source, "tracking")
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
    for name in _ARRAYS:
        if name not in data:
            continue
        entries = data[name]
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise ConfigError(f"{source}: {name} must be an array of tables ([[{name}]])")
        if name == "cameras":
            cls = _camera_class()
            kwargs[name] = tuple(_from_table(cls, e, f"{source}: [[cameras]] #{i + 1}") for i, e in enumerate(entries))
        else:
            kwargs[name] = tuple(_output_from_table(e, f"{source}: [[outputs]] #{i + 1}")
                                 for i, e in enumerate(entries))
    return Config(**kwargs)


def _output_from_table(table: dict[str, Any], where: str) -> OutputOptions:
    """One ``[[outputs]]`` table -> the Options of its kind (looked up in bridge.outputs.registry)."""
    kind = table.get("kind")
    if kind not in OUTPUT_KINDS:
        raise ConfigError(f"{where}.kind: {kind!r} is not allowed; allowed values: {', '.join(OUTPUT_KINDS)}")
    cls = OUTPUT_KINDS[kind].options
    own = ["kind", *(f.name for f in dataclasses.fields(cls) if f.init)]
    for key in table:
        if key in own:
            continue
        if any(key in {f.name for f in dataclasses.fields(k.options)} for k in OUTPUT_KINDS.values()):
            raise ConfigError(f"{where}: key {key!r} does not apply to kind {kind!r}; "
                              f"keys for {kind}: {', '.join(own)}")
        raise ConfigError(f"{where}: unknown key {key!r}{_suggest(key, own)}")
    return _from_table(cls, {k: v for k, v in table.items() if k != "kind"}, where)


def load_config(path: str | Path | None) -> Config:
    """Read and validate a TOML config; None returns the defaults."""
    if path is None:
        return Config()
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{p}: config file not found; create one with `facebridge config init --out {p}`") from None
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read ({exc})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}: not valid TOML: {exc}") from None
    return config_from_dict(data, str(p))


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
# layout = "combined_eyes_mouth"    # single | eyes_side_by_side | combined_eyes_mouth | lower_face_external
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
