"""The retarget stage: one Retargeter per distinct preset the outputs need, with hot reload of preset files."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bridge.schema import FaceState

if TYPE_CHECKING:
    from retarget import PresetWatcher, Retargeter, RetargetFrame

log = logging.getLogger(__name__)
UNIFIED_RIG = "unified_expressions_v2"


def default_preset_for_rig(rig: str, fallback: str, output: str = "an") -> str:
    """The first shipped preset targeting ``rig`` (e.g. UNIFIED_RIG for VRChat), else ``fallback`` (logged)."""
    from retarget import load_preset, shipped_names

    for name in shipped_names():
        try:
            if load_preset(name).rig == rig:
                return name
        except Exception:  # a broken shipped preset is the presets' tests' business, not a reason to fail here
            continue
    log.warning("no shipped %s preset; the %s output sends the %r preset's names", rig, output, fallback)
    return fallback


class PresetRetargeters:
    """Preset key (name or path, as configured) -> Retargeter. ``poll()`` reloads edited preset files.

    Not thread-safe: apply() and poll() both run on the pipeline thread.
    """

    def __init__(self, presets: list[str], hot_reload: bool = True) -> None:
        from retarget import PresetWatcher, Retargeter, is_preset_file, load_preset

        self._retargeters: dict[str, Retargeter] = {}
        self._watchers: dict[str, PresetWatcher] = {}
        for key in dict.fromkeys(presets):  # unique, in order
            self._retargeters[key] = Retargeter(load_preset(key))  # PresetError names the file and problems
            if hot_reload and is_preset_file(key):  # the same rule load_preset used to find it
                self._watchers[key] = PresetWatcher(key)
        self._reported: dict[str, str] = {}

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(self._retargeters)

    def apply(self, state: FaceState) -> dict[str, RetargetFrame]:
        return {key: rt.apply(state) for key, rt in self._retargeters.items()}

    def poll(self) -> list[str]:
        """Check watched files; switch to valid edits. Returns human-readable events (reloads, kept-last-good)."""
        events = []
        for key, watcher in self._watchers.items():
            preset = watcher.poll()
            if preset is not None:
                try:
                    self._retargeters[key].set_preset(preset)
                except Exception as exc:  # compile failure: keep the current preset
                    events.append(f"preset {key}: reload failed ({exc}); keeping the last good preset")
                    continue
                self._reported.pop(key, None)
                events.append(f"preset {key}: reloaded")
            elif watcher.last_error is not None:
                text = str(watcher.last_error)
                if self._reported.get(key) != text:  # report each distinct error once
                    self._reported[key] = text
                    events.append(f"preset {key}: {text}; keeping the last good preset")
        return events
