"""TOML text -> validated Preset. Collects every problem (file, line, key, what to do) before giving up, so a
preset is either complete and valid or rejected as a whole, never half-applied."""

from __future__ import annotations

import math
import re
import tomllib
from pathlib import Path

from bridge.schema import FER8
from bridge.validate import KeyLocator, KeyPath, Problems
from bridge.validate import describe as _describe
from bridge.validate import did_you_mean as suggest
from retarget.inputs import EYE_MODES, INPUT_NAMES, resolve_input
from retarget.rigs import RIGS, RigProfile
from retarget.spec import (
    BLEND_MODES,
    EASES,
    EMOTION_MODES,
    TERM_OPS,
    Curve,
    EmotionPose,
    EmotionSettings,
    LightCue,
    Preset,
    PresetError,
    PresetMeta,
    TargetMapping,
    Term,
    Weights,
)

MAX_ABS_WEIGHT = 10.0  # larger weights are almost always a typo (100 instead of 1.00)
MAX_SECONDS = 60.0
_TOP_KEYS = ("preset", "options", "targets", "emotions")
_PRESET_KEYS = ("name", "rig", "author", "version", "description")
_OPTION_KEYS = ("eyes", "mirror")
_TARGET_KEYS = ("sum", "terms", "curve", *TERM_OPS)
_TERM_KEYS = ("op", "of", "weight")
_CURVE_KEYS = ("gain", "offset", "gamma", "ease", "dead_zone", "clamp")
_EMOTION_SETTINGS = ("mode", "hysteresis", "min_probability", "min_hold_s", "crossfade_s")
_POSE_KEYS = ("blend", "pose", "light", "activation")
_LIGHT_KEYS = ("rgb", "intensity", "transition_s")

Path_ = KeyPath


class _Checker(Problems):
    """Walks the parsed TOML, collecting problems as ``file:line: key: message`` (bridge.validate.Problems with
    the typed getters the preset sections need)."""

    def __init__(self, label: str, text: str) -> None:
        super().__init__(label, KeyLocator(text).line_of)

    @property
    def problems(self) -> list[str]:
        return self.items

    def err(self, path: Path_, message: str) -> None:
        self.add(path, message)

    # -- typed getters: return None (after recording a problem) when the value is unusable --------------------
    def table(self, value, path: Path_) -> dict | None:
        if not isinstance(value, dict):
            self.err(path, f"expected a table, got {_describe(value)}")
            return None
        return value

    def unknown_keys(self, table: dict, allowed, path: Path_, what: str = "key") -> None:
        for key in table:
            if key not in allowed:
                self.unknown_key((*path, key), allowed, what)

    def string(self, value, path: Path_, choices=None) -> str | None:
        if not isinstance(value, str):
            self.err(path, f"expected a string, got {_describe(value)}")
            return None
        if choices is not None and value not in choices:
            self.err(path, f"{value!r} is not one of {', '.join(choices)}{suggest(value, choices)}")
            return None
        return value

    def number(self, value, path: Path_, lo: float, hi: float, lo_open: bool = False) -> float | None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.err(path, f"expected a number, got {_describe(value)}")
            return None
        v = float(value)
        if not math.isfinite(v):
            self.err(path, f"must be a finite number, got {value!r}")
            return None
        if v < lo or v > hi or (lo_open and v == lo):
            bracket = "(" if lo_open else "["
            self.err(path, f"{v:g} is out of range {bracket}{lo:g}, {hi:g}]")
            return None
        return v

    def boolean(self, value, path: Path_) -> bool | None:
        if not isinstance(value, bool):
            self.err(path, f"expected true or false, got {_describe(value)}")
            return None
        return value


def parse_preset(text: str, source: str | Path | None = None) -> Preset:
    """Validate TOML ``text`` and build a Preset; raises PresetError listing every problem."""
    label = str(source) if source is not None else "<preset>"
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib reports "... (at line N, column M)"; duplicate keys (e.g. a target given twice) land here.
        raise PresetError([_syntax_problem(label, text, exc)]) from None
    ck = _Checker(label, text)
    preset = _build(raw, ck, Path(source) if source is not None else None)
    if ck.problems or preset is None:
        raise PresetError(ck.problems or [f"{label}: invalid preset"])
    return preset


def _syntax_problem(label: str, text: str, exc: tomllib.TOMLDecodeError) -> str:
    msg = str(exc)
    m = re.search(r"\(at line (\d+), column \d+\)", msg)
    detail = re.sub(r" ?[(]at line.*$", "", msg)
    if not m:
        return f"{label}: TOML syntax: {detail}"
    line_no = int(m.group(1))
    if "overwrite" in detail or "declare" in detail:
        # tomllib's wording for a key given twice; name the key and say what to do.
        lines = text.splitlines()
        line = lines[line_no - 1] if 0 < line_no <= len(lines) else ""
        key = line.split("=", 1)[0].strip().strip("[]\"' ") if line else "?"
        return f"{label}:{line_no}: {key}: given twice (TOML: {detail}); keep one"
    return f"{label}:{line_no}: TOML syntax: {detail}"


def _build(raw: dict, ck: _Checker, source: Path | None) -> Preset | None:
    ck.unknown_keys(raw, _TOP_KEYS, (), "section")
    meta, rig = _parse_meta(raw.get("preset"), ck)
    eyes, mirror = _parse_options(raw.get("options", {}), ck)
    targets = _parse_targets(raw.get("targets", {}), rig, ck)
    emotions = _parse_emotions(raw.get("emotions", {}), rig, ck)
    if emotions is not None and targets is not None and not targets and not emotions.poses:
        ck.err(("targets",), "the preset drives nothing: add [targets] mappings or [emotions.*] poses")
    if ck.problems or meta is None or rig is None or targets is None or emotions is None:
        return None
    return Preset(meta=meta, rig=rig.name, targets=targets, eyes=eyes, mirror=mirror, emotions=emotions,
                  source=source)


def _parse_meta(value, ck: _Checker) -> tuple[PresetMeta | None, RigProfile | None]:
    if value is None:
        ck.err(("preset",), "missing [preset] table with at least name = \"...\" and rig = \"...\"")
        return None, None
    table = ck.table(value, ("preset",))
    if table is None:
        return None, None
    ck.unknown_keys(table, _PRESET_KEYS, ("preset",))
    fields: dict[str, str] = {}
    for key in _PRESET_KEYS:
        if key in table:
            s = ck.string(table[key], ("preset", key))
            if s is not None:
                fields[key] = s
        elif key in ("name", "rig"):
            ck.err(("preset", key), f"missing; add {key} = \"...\" to [preset]")
    rig = None
    if "rig" in fields:
        rig = RIGS.get(fields["rig"]) or RIGS.get(fields["rig"].lower())
        if rig is None:
            ck.err(("preset", "rig"), f"unknown rig {fields['rig']!r}{suggest(fields['rig'], RIGS)} "
                                      f"(known: {', '.join(RIGS)})")
    fields.pop("rig", None)
    if "name" in fields and not fields["name"].strip():
        ck.err(("preset", "name"), "must not be empty")
        return None, rig
    return (PresetMeta(**fields) if "name" in fields else None), rig


def _parse_options(value, ck: _Checker) -> tuple[str, bool]:
    table = ck.table(value, ("options",))
    if table is None:
        return "independent", False
    ck.unknown_keys(table, _OPTION_KEYS, ("options",))
    eyes = ck.string(table.get("eyes", "independent"), ("options", "eyes"), EYE_MODES) or "independent"
    mirror = ck.boolean(table.get("mirror", False), ("options", "mirror"))
    return eyes, bool(mirror)


def _resolve_target(name: str, rig: RigProfile | None, path: Path_, ck: _Checker) -> str | None:
    if rig is None:
        return None  # the unknown rig was already reported once
    target = rig.resolve(name)
    if target is None:
        ck.err(path, f"unknown target {name!r} for rig {rig.name}{suggest(name, rig.names)} "
                     f"(`facebridge presets rigs {rig.name}` lists them)")
    return target


def _unknown_source(name: str, what: str = "source") -> str:
    return (f"unknown {what} {name!r}{suggest(name, INPUT_NAMES)} (sources are the 52 ARKit shapes, the 8 FER+ "
            "emotions, gazeLeftYaw/gazeLeftPitch/gazeRightYaw/gazeRightPitch, eyeOpenLeft/eyeOpenRight, valence, "
            "arousal)")


def _parse_weights(value, path: Path_, ck: _Checker, what: str = "source") -> Weights | None:
    """A table of input channel -> weight."""
    table = ck.table(value, path)
    if table is None:
        return None
    out: list[tuple[str, float]] = []
    seen: dict[str, str] = {}
    ok = True
    for name, weight in table.items():
        channel = resolve_input(name)
        if channel is None:
            ck.err((*path, name), _unknown_source(name, what))
            ok = False
            continue
        if channel in seen:
            ck.err((*path, name), f"duplicate source: {name!r} and {seen[channel]!r} both mean {channel!r}")
            ok = False
            continue
        seen[channel] = name
        w = ck.number(weight, (*path, name), -MAX_ABS_WEIGHT, MAX_ABS_WEIGHT)
        if w is None:
            ok = False
            continue
        out.append((channel, w))
    return tuple(out) if ok else None


def _parse_curve(value, path: Path_, target: str | None, rig: RigProfile | None, ck: _Checker) -> Curve | None:
    table = ck.table(value, path)
    if table is None:
        return None
    ck.unknown_keys(table, _CURVE_KEYS, path, "curve key")
    lo, hi = rig.range_of(target) if (rig is not None and target is not None) else (-1.0, 1.0)
    span = hi - lo
    got = {
        "gain": ck.number(table.get("gain", 1.0), (*path, "gain"), -MAX_ABS_WEIGHT, MAX_ABS_WEIGHT),
        "offset": ck.number(table.get("offset", 0.0), (*path, "offset"), -span, span),
        "gamma": ck.number(table.get("gamma", 1.0), (*path, "gamma"), 0.0, 10.0, lo_open=True),
        "ease": ck.string(table.get("ease", "linear"), (*path, "ease"), EASES),
        "dead_zone": ck.number(table.get("dead_zone", 0.0), (*path, "dead_zone"), 0.0, 0.95),
    }
    clamp = None
    if "clamp" in table:
        c = table["clamp"]
        if not (isinstance(c, list) and len(c) == 2):
            ck.err((*path, "clamp"), f"expected [low, high], got {_describe(c)}")
            return None
        a = ck.number(c[0], (*path, "clamp"), lo, hi)
        b = ck.number(c[1], (*path, "clamp"), lo, hi)
        if a is None or b is None:
            return None
        if a >= b:
            ck.err((*path, "clamp"), f"low {a:g} must be below high {b:g}")
            return None
        clamp = (a, b)
    if any(v is None for v in got.values()):
        return None
    return Curve(clamp=clamp, **got)  # type: ignore[arg-type]


def _parse_target(name: str, value, rig: RigProfile | None, ck: _Checker) -> TargetMapping | None:
    path: Path_ = ("targets", name)
    target = _resolve_target(name, rig, path, ck)
    if isinstance(value, str):  # shorthand: target = "source"
        channel = resolve_input(value)
        if channel is None:
            ck.err(path, _unknown_source(value))
            return None
        return TargetMapping(target, sum=((channel, 1.0),)) if target else None
    table = ck.table(value, path)
    if table is None:
        return None
    ck.unknown_keys(table, _TARGET_KEYS, path)
    ok = True
    sum_w: Weights = ()
    if "sum" in table:
        parsed = _parse_weights(table["sum"], (*path, "sum"), ck)
        ok &= parsed is not None
        sum_w = parsed or ()
    terms: list[Term] = []
    for op in TERM_OPS:  # shorthand single terms: max = { a = 1, b = 1 }
        if op in table:
            parsed = _parse_weights(table[op], (*path, op), ck)
            ok &= parsed is not None
            if parsed:
                terms.append(Term(op, parsed))
    raw_terms = table.get("terms", [])
    if not isinstance(raw_terms, list):
        ck.err((*path, "terms"), f"expected an array of {{ op = ..., of = {{...}}, weight = ... }}, got "
                                 f"{_describe(raw_terms)}")
        raw_terms, ok = [], False
    for i, raw in enumerate(raw_terms):
        term = _parse_term(raw, (*path, "terms", i), ck)
        ok &= term is not None
        if term is not None:
            terms.append(term)
    curve = Curve()
    if "curve" in table:
        parsed_curve = _parse_curve(table["curve"], (*path, "curve"), target, rig, ck)
        ok &= parsed_curve is not None
        curve = parsed_curve or curve
    if ok and not sum_w and not terms:
        ck.err(path, "maps nothing: give it a source (target = \"jawOpen\") or sum/max/min/product/terms")
        ok = False
    for term in terms:
        if ok and not term.sources:
            ck.err(path, f"a {term.op} term has no sources")
            ok = False
    return TargetMapping(target, sum_w, tuple(terms), curve) if (ok and target) else None


def _parse_term(raw, path: Path_, ck: _Checker) -> Term | None:
    table = ck.table(raw, path)
    if table is None:
        return None
    ck.unknown_keys(table, _TERM_KEYS, path)
    op = ck.string(table.get("op"), (*path, "op"), TERM_OPS) if "op" in table else None
    if "op" not in table:
        ck.err(path, f"missing op (one of {', '.join(TERM_OPS)})")
    if "of" not in table:
        ck.err(path, "missing of = { source = weight, ... }")
        return None
    sources = _parse_weights(table["of"], (*path, "of"), ck)
    weight = ck.number(table.get("weight", 1.0), (*path, "weight"), -MAX_ABS_WEIGHT, MAX_ABS_WEIGHT)
    if op is None or sources is None or weight is None:
        return None
    return Term(op, sources, weight)


def _parse_targets(value, rig: RigProfile | None, ck: _Checker) -> tuple[TargetMapping, ...] | None:
    table = ck.table(value, ("targets",))
    if table is None:
        return None
    out: list[TargetMapping] = []
    seen: dict[str, str] = {}
    ok = True
    for name, raw in table.items():
        # Duplicates first, by resolved name, so they are reported even when one of the entries is broken too.
        resolved = rig.resolve(name) if rig is not None else None
        if resolved is not None and resolved in seen:
            ck.err(("targets", name), f"duplicate target: {name!r} and {seen[resolved]!r} both drive "
                                      f"{resolved!r}; keep one")
            ok = False
        elif resolved is not None:
            seen[resolved] = name
        mapping = _parse_target(name, raw, rig, ck)  # its own problems are reported too
        if mapping is None:
            ok = False
            continue
        out.append(mapping)
    if rig is not None:
        out.sort(key=lambda m: rig.index(m.target))
    return tuple(out) if ok else None


def _parse_light(value, path: Path_, ck: _Checker) -> LightCue | None:
    table = ck.table(value, path)
    if table is None:
        return None
    ck.unknown_keys(table, _LIGHT_KEYS, path, "light key")
    rgb = table.get("rgb")
    channels: list[float | None] = [None]
    if not (isinstance(rgb, list) and len(rgb) == 3):
        ck.err((*path, "rgb"), f"expected rgb = [r, g, b] with each 0..1, got {_describe(rgb)}"
               if rgb is not None else "missing rgb = [r, g, b] (each 0..1)")
    else:
        channels = [ck.number(c, (*path, "rgb"), 0.0, 1.0) for c in rgb]
    intensity = ck.number(table.get("intensity", 1.0), (*path, "intensity"), 0.0, 1.0)
    transition = ck.number(table.get("transition_s", 0.5), (*path, "transition_s"), 0.0, MAX_SECONDS)
    rgb_ok = [c for c in channels if c is not None]
    if len(rgb_ok) != 3 or intensity is None or transition is None:
        return None
    return LightCue(rgb_ok[0], rgb_ok[1], rgb_ok[2], intensity=intensity, transition_s=transition)


def _parse_pose_entry(name: str, value, rig: RigProfile | None, ck: _Checker) -> EmotionPose | None:
    path: Path_ = ("emotions", name)
    table = ck.table(value, path)
    if table is None:
        return None
    ck.unknown_keys(table, _POSE_KEYS, path)
    ok = True
    blend = ck.string(table.get("blend", "max"), (*path, "blend"), BLEND_MODES)
    ok &= blend is not None
    pose: list[tuple[str, float]] = []
    raw_pose = ck.table(table.get("pose", {}), (*path, "pose"))
    seen: dict[str, str] = {}
    for tname, tval in (raw_pose or {}).items():
        target = _resolve_target(tname, rig, (*path, "pose", tname), ck)
        if target is None:
            ok = False
            continue
        if target in seen:
            ck.err((*path, "pose", tname), f"duplicate target: {tname!r} and {seen[target]!r} both mean {target!r}")
            ok = False
            continue
        seen[target] = tname
        lo, hi = rig.range_of(target)  # type: ignore[union-attr]
        v = ck.number(tval, (*path, "pose", tname), lo, hi)
        ok &= v is not None
        if v is not None:
            pose.append((target, v))
    light = None
    if "light" in table:
        light = _parse_light(table["light"], (*path, "light"), ck)
        ok &= light is not None
    activation: Weights = ()
    if name in FER8:
        if "activation" in table:
            ck.err((*path, "activation"), f"{name!r} is a FER+ emotion: its probability comes from the tracker; "
                                          "activation is only for custom emotions")
            ok = False
    elif "activation" not in table:
        ck.err(path, f"unknown emotion {name!r}{suggest(name, FER8 + _EMOTION_SETTINGS)} (FER+ emotions: "
                     f"{', '.join(FER8)}; a custom emotion needs activation = {{ source = weight, ... }})")
        return None
    else:
        parsed = _parse_weights(table["activation"], (*path, "activation"), ck)
        ok &= bool(parsed)
        if parsed == ():
            ck.err((*path, "activation"), "is empty; give at least one source")
        activation = parsed or ()
    if not ok or raw_pose is None or blend is None:
        return None
    if rig is not None:
        pose.sort(key=lambda kv: rig.index(kv[0]))
    return EmotionPose(name, blend, tuple(pose), light, activation)


def _parse_emotions(value, rig: RigProfile | None, ck: _Checker) -> EmotionSettings | None:
    table = ck.table(value, ("emotions",))
    if table is None:
        return None
    ok = True
    settings: dict[str, object] = {}
    limits = {"hysteresis": (0.0, 0.99), "min_probability": (0.0, 1.0), "min_hold_s": (0.0, MAX_SECONDS),
              "crossfade_s": (0.0, MAX_SECONDS)}
    poses: list[EmotionPose] = []
    for key, raw in table.items():
        path: Path_ = ("emotions", key)
        if key == "mode":
            mode = ck.string(raw, path, EMOTION_MODES)
            ok &= mode is not None
            settings["mode"] = mode
        elif key in limits:
            v = ck.number(raw, path, *limits[key])
            ok &= v is not None
            settings[key] = v
        elif isinstance(raw, dict):
            pose = _parse_pose_entry(key, raw, rig, ck)
            ok &= pose is not None
            if pose is not None:
                poses.append(pose)
        else:
            ck.err(path, f"unknown setting {key!r}{suggest(key, _EMOTION_SETTINGS + FER8)} (settings: "
                         f"{', '.join(_EMOTION_SETTINGS)}; emotions are tables like [emotions.happiness])")
            ok = False
    if not ok:
        return None
    order = {e: i for i, e in enumerate(FER8)}
    poses.sort(key=lambda p: order.get(p.emotion, len(FER8)))  # FER+ order, then custom ones as written
    return EmotionSettings(poses=tuple(poses), **settings)  # type: ignore[arg-type]
