"""Preset -> TOML text (the format parse_preset reads), used by `presets new` and the preview's save."""

from __future__ import annotations

import re

from retarget.spec import TERM_OPS, Curve, EmotionSettings, Preset, TargetMapping

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _key(k: str) -> str:
    return k if _BARE_KEY.match(k) else '"' + k.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _num(v: float) -> str:
    return repr(float(v))  # shortest text that reads back as the same float


def _table(pairs) -> str:
    return "{ " + ", ".join(f"{_key(k)} = {_num(v)}" for k, v in pairs) + " }" if pairs else "{}"


def _curve(c: Curve) -> str | None:
    d = Curve()
    parts = [f"{k} = {_num(getattr(c, k))}" for k in ("gain", "offset", "gamma", "dead_zone")
             if getattr(c, k) != getattr(d, k)]
    if c.ease != d.ease:
        parts.append(f"ease = {_str(c.ease)}")
    if c.clamp is not None:
        parts.append(f"clamp = [{_num(c.clamp[0])}, {_num(c.clamp[1])}]")
    return "{ " + ", ".join(parts) + " }" if parts else None


def _target(m: TargetMapping) -> str:
    curve = _curve(m.curve)
    if len(m.sum) == 1 and m.sum[0][1] == 1.0 and not m.terms and curve is None:
        return _str(m.sum[0][0])
    parts = [f"sum = {_table(m.sum)}"] if m.sum else []
    ops = [t.op for t in m.terms]
    shorthand = all(t.weight == 1.0 for t in m.terms) and ops == sorted(set(ops), key=TERM_OPS.index)
    if shorthand:
        parts += [f"{t.op} = {_table(t.sources)}" for t in m.terms]
    elif m.terms:
        items = ", ".join(f"{{ op = {_str(t.op)}, of = {_table(t.sources)}, weight = {_num(t.weight)} }}"
                          for t in m.terms)
        parts.append(f"terms = [{items}]")
    if curve is not None:
        parts.append(f"curve = {curve}")
    return "{ " + ", ".join(parts) + " }"


def _emotions(e: EmotionSettings) -> list[str]:
    d = EmotionSettings()
    lines = ["[emotions]", f"mode = {_str(e.mode)}"]
    for k in ("hysteresis", "min_probability", "min_hold_s", "crossfade_s"):
        if getattr(e, k) != getattr(d, k) or e.mode == "discrete":
            lines.append(f"{k} = {_num(getattr(e, k))}")
    for p in e.poses:
        lines += ["", f"[emotions.{_key(p.emotion)}]", f"blend = {_str(p.blend)}", f"pose = {_table(p.pose)}"]
        if p.light is not None:
            li = p.light
            lines.append(f"light = {{ rgb = [{_num(li.r)}, {_num(li.g)}, {_num(li.b)}], intensity = "
                         f"{_num(li.intensity)}, transition_s = {_num(li.transition_s)} }}")
        if p.activation:
            lines.append(f"activation = {_table(p.activation)}")
    return lines


def dump_preset(preset: Preset, header: str = "") -> str:
    """TOML text that parse_preset reads back into an equal Preset (apart from ``source``)."""
    m = preset.meta
    lines = [header.rstrip("\n")] if header else []
    lines += ["[preset]", f"name = {_str(m.name)}", f"rig = {_str(preset.rig)}", f"author = {_str(m.author)}",
              f"version = {_str(m.version)}", f"description = {_str(m.description)}", "",
              "[options]", f"eyes = {_str(preset.eyes)}", f"mirror = {'true' if preset.mirror else 'false'}", "",
              "[targets]"]
    lines += [f"{_key(t.target)} = {_target(t)}" for t in preset.targets]
    if preset.emotions != EmotionSettings():
        lines += ["", *_emotions(preset.emotions)]
    return "\n".join(lines) + "\n"
