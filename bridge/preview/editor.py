"""The preview's editing model (no Qt): the file's preset, the edited preset, every knob of the preset format as
an edit, validation exactly as `presets validate`, undo/redo, a diff against the file, saving, hot reload.

Every edit builds a candidate Preset, writes it with ``dump_preset`` and parses the text back with
``parse_preset`` (the validator `presets validate` runs). A candidate with problems raises EditRejected listing
them and changes nothing, so the running preset is always one that `presets validate` accepts.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from bridge.preview.diff import DiffLine, diff_presets
from retarget import (
    Curve,
    EmotionPose,
    LightCue,
    Preset,
    PresetError,
    PresetWatcher,
    Retargeter,
    TargetMapping,
    Term,
    dump_preset,
    parse_preset,
)

GAIN_RANGE = (0.0, 3.0)  # the gain slider's range (the format allows -10..10; typed values may use it all)
MAX_HISTORY = 500
EDIT_LABEL = "edit"
CURVE_FIELDS = ("gain", "offset", "gamma", "ease", "dead_zone", "clamp")
EMOTION_SETTINGS = ("mode", "hysteresis", "min_probability", "min_hold_s", "crossfade_s")
META_FIELDS = ("name", "author", "version", "description")


class EditRejected(ValueError):
    """An edit the validator refused; ``problems`` are `presets validate`'s messages. Nothing was applied."""

    def __init__(self, what: str, problems: list[str]) -> None:
        self.what = what
        self.problems = list(problems)
        super().__init__(f"{what}: not applied: " + "; ".join(self.problems))


@dataclass(frozen=True)
class HistoryEntry:
    """One applied edit: what it did and the preset before it."""

    label: str
    before: Preset


def validate(candidate: Preset, label: str = EDIT_LABEL) -> Preset:
    """The preset `presets validate` would load from ``dump_preset(candidate)``; raises PresetError otherwise.
    Line numbers are dropped from the problems: they would point into generated text, not the user's file."""
    text = dump_preset(candidate)
    try:
        parsed = parse_preset(text, label)
    except PresetError as exc:
        prefix = re.compile(rf"^{re.escape(label)}(:\d+)?: ")
        raise PresetError([prefix.sub("", p) for p in exc.problems]) from None
    return replace(parsed, source=candidate.source)


def _weights(value: Mapping[str, float] | tuple) -> tuple[tuple[str, float], ...]:
    items = value.items() if isinstance(value, Mapping) else value
    return tuple((str(k), float(v)) for k, v in items)


class PresetEditor:
    """The file's preset (``base``) and the edited one (``preset``), with undo/redo.

    ``retargeter`` always runs the edited preset and ``original`` the file's, so callers can show A/B on the same
    frame. ``revision`` increases with every change of the edited preset (consumers compare it)."""

    def __init__(self, name_or_path: str | Path) -> None:
        self.watcher = PresetWatcher(name_or_path)
        if self.watcher.preset is None:
            raise self.watcher.last_error or PresetError([f"{name_or_path}: cannot load preset"])
        self.base: Preset = self.watcher.preset
        self._preset: Preset = self.base
        self.undo_stack: list[HistoryEntry] = []
        self.redo_stack: list[HistoryEntry] = []
        self.last_problems: list[str] = []
        self.revision = 0
        self.retargeter = Retargeter(self.base)
        self.original = Retargeter(self.base)
        self.listeners: list[Callable[[], None]] = []
        self._gesture: object | None = None

    # -- state -------------------------------------------------------------------------------------------------
    @property
    def path(self) -> Path:
        return self.watcher.path

    @property
    def preset(self) -> Preset:
        """The edited preset (always valid)."""
        return self._preset

    @property
    def is_shipped(self) -> bool:
        import presets

        return Path(presets.__file__).parent.resolve() == self.path.parent.resolve()

    @property
    def dirty(self) -> bool:
        """True when the edited preset differs from the file's."""
        return bool(self.diff())

    def diff(self) -> list[DiffLine]:
        """Every knob whose edited value differs from the file's."""
        return diff_presets(self.base, self._preset)

    def curve_of(self, target: str) -> Curve:
        m = self._preset.mapping(target)
        return m.curve if m is not None else Curve()

    def editable_targets(self) -> tuple[str, ...]:
        """Targets with a mapping (and so a curve); pose-only targets have nothing to scale."""
        return tuple(m.target for m in self._preset.targets)

    # -- the one way an edit is applied ----------------------------------------------------------------------
    def apply(self, label: str, candidate: Preset, gesture: object | None = None) -> Preset:
        """Validate ``candidate`` and make it the edited preset (one undo step). Raises EditRejected (nothing
        changes) when `presets validate` would reject it. Edits with the same label and the same ``gesture``
        object as the previous one (one slider drag) merge into a single undo step."""
        try:
            valid = validate(candidate)
        except PresetError as exc:
            self.last_problems = exc.problems
            raise EditRejected(label, exc.problems) from None
        self.last_problems = []
        if valid == self._preset:
            return valid
        merge = (gesture is not None and gesture is self._gesture and self.undo_stack
                 and self.undo_stack[-1].label == label and not self.redo_stack)
        self._gesture = gesture
        if merge:
            self._install(valid)
            return valid
        self.undo_stack.append(HistoryEntry(label, self._preset))
        del self.undo_stack[:-MAX_HISTORY]
        self.redo_stack.clear()
        self._install(valid)
        return valid

    def _install(self, preset: Preset) -> None:
        self.retargeter.set_preset(preset)  # compiles first: a failure leaves everything as it was
        self._preset = preset
        self.revision += 1
        for listener in list(self.listeners):
            listener()

    def undo(self) -> str | None:
        """Undo the last edit; returns its label (None when there is nothing to undo)."""
        if not self.undo_stack:
            return None
        entry = self.undo_stack.pop()
        self.redo_stack.append(HistoryEntry(entry.label, self._preset))
        self._install(entry.before)
        return entry.label

    def redo(self) -> str | None:
        """Redo the last undone edit; returns its label (None when there is nothing to redo)."""
        if not self.redo_stack:
            return None
        entry = self.redo_stack.pop()
        self.undo_stack.append(HistoryEntry(entry.label, self._preset))
        self._install(entry.before)
        return entry.label

    def revert_to_file(self) -> None:
        """Make the edited preset the file's again (itself one undoable step)."""
        if self._preset != self.base:
            self.apply("revert to file", self.base)

    # -- knobs: metadata and options -----------------------------------------------------------------------------
    def set_meta(self, field: str, value: str) -> Preset:
        if field not in META_FIELDS:
            raise KeyError(f"unknown [preset] field {field!r} (fields: {', '.join(META_FIELDS)})")
        p = self._preset
        return self.apply(f"preset.{field}", replace(p, meta=replace(p.meta, **{field: str(value)})))

    def set_options(self, eyes: str | None = None, mirror: bool | None = None) -> Preset:
        """Eye link/drive mode and/or mirror."""
        p = self._preset
        changes: dict[str, object] = {}
        if eyes is not None:
            changes["eyes"] = eyes
        if mirror is not None:
            changes["mirror"] = bool(mirror)
        label = "options." + "/".join(changes)
        return self.apply(label, replace(p, **changes))  # type: ignore[arg-type]

    # -- knobs: targets --------------------------------------------------------------------------------------
    def _mapping(self, target: str) -> TargetMapping:
        m = self._preset.mapping(target)
        if m is None:
            raise KeyError(f"target {target!r} has no mapping in preset {self._preset.name!r} (pose-only or unknown)")
        return m

    def _with_mapping(self, label: str, mapping: TargetMapping, gesture: object | None = None) -> Preset:
        targets = tuple(mapping if m.target == mapping.target else m for m in self._preset.targets)
        return self.apply(label, replace(self._preset, targets=targets), gesture)

    def set_curve(self, target: str, gesture: object | None = None, **fields) -> Preset:
        """Change curve knobs of one target: gain, offset, gamma, ease, dead_zone, clamp ((lo, hi) or None)."""
        unknown = set(fields) - set(CURVE_FIELDS)
        if unknown:
            raise KeyError(f"unknown curve field(s) {sorted(unknown)} (fields: {', '.join(CURVE_FIELDS)})")
        m = self._mapping(target)
        if "clamp" in fields and fields["clamp"] is not None:
            lo, hi = fields["clamp"]
            fields["clamp"] = (float(lo), float(hi))
        for k in ("gain", "offset", "gamma", "dead_zone"):
            if k in fields:
                fields[k] = float(fields[k])
        label = f"targets.{target}.curve." + "/".join(sorted(fields))
        return self._with_mapping(label, replace(m, curve=replace(m.curve, **fields)), gesture)

    def set_gain_offset(self, target: str, gain: float, offset: float, gesture: object | None = None) -> Preset:
        """The sliders' edit: gain clamped to GAIN_RANGE, offset to +-(the target's span)."""
        lo, hi = self._preset.rig_profile.range_of(self._mapping(target).target)
        gain = min(max(float(gain), GAIN_RANGE[0]), GAIN_RANGE[1])
        offset = min(max(float(offset), -(hi - lo)), hi - lo)
        return self.set_curve(target, gesture=gesture, gain=gain, offset=offset)

    def set_sum(self, target: str, weights: Mapping[str, float] | tuple) -> Preset:
        """Replace one target's weighted sum of sources ({source: weight})."""
        m = self._mapping(target)
        return self._with_mapping(f"targets.{target}.sum", replace(m, sum=_weights(weights)))

    def set_terms(self, target: str, terms: tuple[Term, ...] | list) -> Preset:
        """Replace one target's min/max/product terms (each Term(op, sources, weight))."""
        m = self._mapping(target)
        fixed = tuple(Term(t.op, _weights(t.sources), float(t.weight)) for t in terms)
        return self._with_mapping(f"targets.{target}.terms", replace(m, terms=fixed))

    def add_target(self, target: str, source: str) -> Preset:
        """Map a rig target (not mapped yet) to one source with weight 1."""
        p = self._preset
        resolved = p.rig_profile.resolve(target) or target  # unknown names are reported by the validator
        if p.mapping(resolved) is not None:
            raise EditRejected(f"add {target}", [f"targets.{target}: already mapped; edit it instead"])
        mapping = TargetMapping(resolved, sum=((source, 1.0),))
        return self.apply(f"add target {resolved}", replace(p, targets=(*p.targets, mapping)))

    def remove_target(self, target: str) -> Preset:
        m = self._mapping(target)
        p = self._preset
        return self.apply(f"remove target {target}", replace(p, targets=tuple(t for t in p.targets if t is not m)))

    # -- knobs: emotions -------------------------------------------------------------------------------------
    def set_emotion_settings(self, gesture: object | None = None, **fields) -> Preset:
        """mode, hysteresis, min_probability, min_hold_s, crossfade_s."""
        unknown = set(fields) - set(EMOTION_SETTINGS)
        if unknown:
            raise KeyError(f"unknown [emotions] setting(s) {sorted(unknown)} (settings: {', '.join(EMOTION_SETTINGS)})")
        p = self._preset
        label = "emotions." + "/".join(sorted(fields))
        return self.apply(label, replace(p, emotions=replace(p.emotions, **fields)), gesture)

    def pose_of(self, emotion: str) -> EmotionPose | None:
        return next((e for e in self._preset.emotions.poses if e.emotion == emotion), None)

    def set_pose(self, emotion: str, *, blend: str | None = None, pose: Mapping[str, float] | tuple | None = None,
                 light: LightCue | None | bool = False, activation: Mapping[str, float] | tuple | None = None
                 ) -> Preset:
        """Change (or create) one emotion's pose table: blend mode, target values, light cue (None removes it;
        the default False leaves it), activation (custom emotions)."""
        p = self._preset
        current = self.pose_of(emotion) or EmotionPose(emotion)
        changes: dict[str, object] = {}
        if blend is not None:
            changes["blend"] = blend
        if pose is not None:
            changes["pose"] = _weights(pose)
        if light is not False:
            changes["light"] = light
        if activation is not None:
            changes["activation"] = _weights(activation)
        new = replace(current, **changes)  # type: ignore[arg-type]
        poses = tuple(new if e.emotion == emotion else e for e in p.emotions.poses)
        if self.pose_of(emotion) is None:
            poses = (*poses, new)
        label = f"emotions.{emotion}." + ("/".join(sorted(changes)) or "add")
        return self.apply(label, replace(p, emotions=replace(p.emotions, poses=poses)))

    def remove_pose(self, emotion: str) -> Preset:
        p = self._preset
        if self.pose_of(emotion) is None:
            raise KeyError(f"preset {p.name!r} has no [emotions.{emotion}]")
        poses = tuple(e for e in p.emotions.poses if e.emotion != emotion)
        return self.apply(f"remove emotions.{emotion}", replace(p, emotions=replace(p.emotions, poses=poses)))

    # -- files -------------------------------------------------------------------------------------------------
    def poll_file(self) -> str | None:
        """Check the file; returns a status message when something happened. A valid change becomes the new
        ``base``; edits are kept (never lost) and the diff is then against the new file."""
        before = self.watcher.last_error
        new = self.watcher.poll()
        if new is not None:
            old_base, self.base = self.base, new
            self.original.set_preset(new)
            if self._preset == old_base:  # nothing edited: follow the file
                self.undo_stack.append(HistoryEntry(f"reload {self.path.name}", self._preset))
                self.redo_stack.clear()
                self._install(new)
                return f"reloaded {self.path.name}"
            self.revision += 1
            for listener in list(self.listeners):
                listener()
            return (f"{self.path.name} changed on disk: the original (A) is the new file; your edits are kept "
                    f"({len(self.diff())} differences; 'Revert to file' takes the file's values)")
        err = self.watcher.last_error
        if err is not None and err is not before:
            return f"{self.path.name} has problems, keeping the last good preset: " + "; ".join(err.problems)
        return None

    def default_save_path(self, directory: Path | None = None) -> Path:
        """A new file next to the preset (or in ``directory``; shipped presets are never written in place)."""
        folder = directory or (Path.cwd() if self.is_shipped else self.path.parent)
        stem = re.sub(r"-edited(-\d+)?$", "", self.path.stem)
        candidate = folder / f"{stem}-edited.toml"
        n = 2
        while candidate.exists():
            candidate = folder / f"{stem}-edited-{n}.toml"
            n += 1
        return candidate

    def _text(self, path: Path) -> str:
        return dump_preset(self._preset, header=f"# {path.stem}: saved from the FaceBridge preview "
                                                 f"(based on {self.path.name}).\n")

    def save_as(self, path: Path, adopt: bool = True) -> Path:
        """Write the edited preset to a NEW file (refuses an existing path: never overwrites). With ``adopt`` the
        new file becomes the edited document (watched; the diff is then against it)."""
        path = Path(path)
        text = self._text(path)
        with path.open("x", encoding="utf-8") as fh:  # "x" fails if the file exists
            fh.write(text)
        if adopt:
            self._adopt(path)
        return path

    def save_over(self) -> Path:
        """Overwrite the preset's own file, first keeping the old content as <file>.bak (numbered if taken).
        Refused for shipped presets. The caller must have asked the user. Returns the backup path."""
        if self.is_shipped:
            raise PermissionError(f"{self.path.name} is a shipped preset; save it as a new file")
        backup = self.path.with_name(self.path.name + ".bak")
        n = 2
        while backup.exists():
            backup = self.path.with_name(f"{self.path.name}.bak{n}")
            n += 1
        shutil.copy2(self.path, backup)
        tmp = self.path.with_name(f".{self.path.name}.saving")
        tmp.write_text(self._text(self.path), encoding="utf-8")
        tmp.replace(self.path)  # atomic: a running bridge never reads a half-written file
        self._adopt(self.path)
        return backup

    def _adopt(self, path: Path) -> None:
        """Make ``path`` (just written from the edited preset) the file being edited."""
        self.watcher = PresetWatcher(path)
        if self.watcher.preset is not None:
            self.base = self.watcher.preset
            self.original.set_preset(self.base)
            self._preset = replace(self._preset, source=self.base.source)
            self.revision += 1
            for listener in list(self.listeners):
                listener()
