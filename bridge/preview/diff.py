"""A knob-by-knob diff of two presets (the file's vs the edited one), in the file format's key names."""

from __future__ import annotations

from dataclasses import dataclass

from retarget import Preset
from retarget.spec import Curve, EmotionSettings


@dataclass(frozen=True)
class DiffLine:
    """One difference: ``kind`` is "+" (only in the edited preset), "-" (only in the file) or "~" (changed)."""

    kind: str
    key: str
    old: str | None
    new: str | None

    def __str__(self) -> str:
        if self.kind == "~":
            return f"~ {self.key}: {self.old} -> {self.new}"
        return f"{self.kind} {self.key} = {self.new if self.kind == '+' else self.old}"


def _num(v: float) -> str:
    return f"{float(v):g}"


def _weights(w) -> str:
    return "{ " + ", ".join(f"{k} = {_num(v)}" for k, v in w) + " }" if w else "{}"


def flatten(preset: Preset) -> dict[str, str]:
    """Knob key -> value text. Groups that exist only on one side (a target, a pose) are one key each."""
    out: dict[str, str] = {}
    m = preset.meta
    out.update({"preset.name": m.name, "preset.rig": preset.rig, "preset.author": m.author,
                "preset.version": m.version, "preset.description": m.description,
                "options.eyes": preset.eyes, "options.mirror": str(preset.mirror).lower()})
    d = Curve()
    for t in preset.targets:
        k = f"targets.{t.target}"
        out[f"{k}.sum"] = _weights(t.sum)
        out[f"{k}.terms"] = "[" + ", ".join(f"{term.op} {_weights(term.sources)} x {_num(term.weight)}"
                                            for term in t.terms) + "]"
        for f in ("gain", "offset", "gamma", "dead_zone"):
            out[f"{k}.curve.{f}"] = _num(getattr(t.curve, f)) + (" (default)" if getattr(t.curve, f) ==
                                                                  getattr(d, f) else "")
        out[f"{k}.curve.ease"] = t.curve.ease
        out[f"{k}.curve.clamp"] = ("[" + ", ".join(_num(c) for c in t.curve.clamp) + "]"
                                   if t.curve.clamp is not None else "rig range")
    e = preset.emotions
    for f in ("mode", "hysteresis", "min_probability", "min_hold_s", "crossfade_s"):
        v = getattr(e, f)
        out[f"emotions.{f}"] = v if isinstance(v, str) else _num(v)
    for p in e.poses:
        k = f"emotions.{p.emotion}"
        out[f"{k}.blend"] = p.blend
        out[f"{k}.pose"] = _weights(p.pose)
        li = p.light
        out[f"{k}.light"] = (f"rgb [{_num(li.r)}, {_num(li.g)}, {_num(li.b)}] x{_num(li.intensity)} "
                             f"fade {_num(li.transition_s)} s" if li is not None else "none")
        if p.activation:
            out[f"{k}.activation"] = _weights(p.activation)
    return out


def _groups(preset: Preset) -> set[str]:
    return {f"targets.{t.target}" for t in preset.targets} | {f"emotions.{p.emotion}" for p in preset.emotions.poses}


def diff_presets(old: Preset, new: Preset) -> list[DiffLine]:
    """What changed from ``old`` to ``new``, knob by knob, in a stable order (file order of ``new``, then
    removals). A whole target or pose added/removed is one line."""
    if old == new:
        return []
    a, b = flatten(old), flatten(new)
    ga, gb = _groups(old), _groups(new)
    lines: list[DiffLine] = []
    reported: set[str] = set()
    for key, value in b.items():
        group = ".".join(key.split(".")[:2])
        if group in gb and group not in ga:
            if group not in reported:
                reported.add(group)
                lines.append(DiffLine("+", group, None, _group_text(b, group)))
            continue
        if key not in a:
            lines.append(DiffLine("+", key, None, value))
        elif a[key] != value:
            lines.append(DiffLine("~", key, a[key], value))
    for key, value in a.items():
        group = ".".join(key.split(".")[:2])
        if group in ga and group not in gb:
            if group not in reported:
                reported.add(group)
                lines.append(DiffLine("-", group, _group_text(a, group), None))
        elif key not in b:
            lines.append(DiffLine("-", key, value, None))
    if not lines and old.emotions != new.emotions and new.emotions == EmotionSettings():
        lines.append(DiffLine("~", "emotions", "set", "defaults"))
    return lines


def _group_text(flat: dict[str, str], group: str) -> str:
    parts = [f"{k[len(group) + 1:]} = {v}" for k, v in flat.items() if k.startswith(group + ".")
             and not v.endswith("(default)") and v not in ("[]", "linear", "rig range", "{}", "none")]
    return "{ " + ", ".join(parts) + " }"
