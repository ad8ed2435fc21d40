"""The preview's editing model (no Qt): a preset from a file, per-target gain/offset edits, saving, hot reload."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

from retarget import Curve, Preset, PresetError, PresetWatcher, Retargeter, dump_preset

GAIN_RANGE = (0.0, 3.0)


class PresetEditor:
    """Holds the file's preset plus slider edits; ``retargeter`` always runs the edited preset.

    Edits are per-target (gain, offset) overrides of the curve. A valid change to the file on disk replaces the
    base preset and discards the edits (the file is the truth); an invalid one keeps everything as it was."""

    def __init__(self, name_or_path: str | Path) -> None:
        self.watcher = PresetWatcher(name_or_path)
        if self.watcher.preset is None:
            raise self.watcher.last_error or PresetError([f"{name_or_path}: cannot load preset"])
        self.base: Preset = self.watcher.preset
        self.edits: dict[str, tuple[float, float]] = {}
        self.retargeter = Retargeter(self.base)

    @property
    def path(self) -> Path:
        return self.watcher.path

    @property
    def preset(self) -> Preset:
        """The edited preset the retargeter runs."""
        return self.retargeter.preset

    @property
    def is_shipped(self) -> bool:
        import presets

        return Path(presets.__file__).parent.resolve() == self.path.parent.resolve()

    def curve_of(self, target: str) -> Curve:
        m = self.preset.mapping(target)
        return m.curve if m is not None else Curve()

    def editable_targets(self) -> tuple[str, ...]:
        """Targets with a mapping (and so a curve); pose-only targets have nothing to scale."""
        return tuple(m.target for m in self.base.targets)

    def set_gain_offset(self, target: str, gain: float, offset: float) -> None:
        """Override one mapped target's curve gain/offset (clamped to what validation accepts)."""
        if self.base.mapping(target) is None:
            raise KeyError(f"target {target!r} has no mapping in preset {self.base.name!r} (pose-only or unknown)")
        lo, hi = self.base.rig_profile.range_of(target)
        gain = min(max(float(gain), GAIN_RANGE[0]), GAIN_RANGE[1])
        offset = min(max(float(offset), -(hi - lo)), hi - lo)
        self.edits[target] = (gain, offset)
        self.retargeter.set_preset(self._edited())

    def reset_edits(self) -> None:
        self.edits.clear()
        self.retargeter.set_preset(self.base)

    def _edited(self) -> Preset:
        targets = tuple(
            replace(m, curve=replace(m.curve, gain=self.edits[m.target][0], offset=self.edits[m.target][1]))
            if m.target in self.edits else m
            for m in self.base.targets
        )
        return replace(self.base, targets=targets)

    def poll_file(self) -> str | None:
        """Check the file; returns a status message when something happened (reloaded / kept last good)."""
        before = self.watcher.last_error
        new = self.watcher.poll()
        if new is not None:
            had_edits = bool(self.edits)
            self.base, self.edits = new, {}
            self.retargeter.set_preset(new)
            return f"reloaded {self.path.name}" + ("; slider edits discarded" if had_edits else "")
        err = self.watcher.last_error
        if err is not None and err is not before:
            return f"{self.path.name} has problems, keeping the last good preset: " + "; ".join(err.problems)
        return None

    # -- saving: never silently overwrite --------------------------------------------------------------------
    def default_save_path(self, directory: Path | None = None) -> Path:
        """A new file next to the preset (or in ``directory``; shipped presets are never written in place)."""
        folder = directory or (Path.cwd() if self.is_shipped else self.path.parent)
        candidate = folder / f"{self.path.stem}-edited.toml"
        n = 2
        while candidate.exists():
            candidate = folder / f"{self.path.stem}-edited-{n}.toml"
            n += 1
        return candidate

    def save_as(self, path: Path) -> Path:
        """Write the edited preset to a NEW file; refuses an existing path."""
        path = Path(path)
        text = dump_preset(self.preset, header=f"# {path.stem}: saved from the FaceBridge preview "
                                               f"(based on {self.path.name}).\n")
        with path.open("x", encoding="utf-8") as fh:  # "x" fails if the file exists
            fh.write(text)
        return path

    def save_over(self) -> Path:
        """Overwrite the preset's own file, first keeping the old content as <file>.bak (numbered if taken).
        Refused for shipped presets. Returns the backup path."""
        if self.is_shipped:
            raise PermissionError(f"{self.path.name} is a shipped preset; use save_as to write a new file")
        backup = self.path.with_name(self.path.name + ".bak")
        n = 2
        while backup.exists():
            backup = self.path.with_name(f"{self.path.name}.bak{n}")
            n += 1
        shutil.copy2(self.path, backup)
        self.path.write_text(dump_preset(self.preset), encoding="utf-8")
        self.watcher.poll()  # our own write: adopt it as the base without discarding anything
        if self.watcher.preset is not None:
            self.base, self.edits = self.watcher.preset, {}
        return backup

