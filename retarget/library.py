"""Finding and loading presets: shipped names (the ``presets`` package) or file paths."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from bridge.validate import did_you_mean as suggest
from retarget.parse import parse_preset
from retarget.spec import Preset, PresetError

DEFAULT_PRESET = "arkit52-perfect-sync"


def shipped_dir() -> Path:
    """Directory holding the shipped *.toml presets."""
    return Path(str(resources.files("presets")))


def shipped_names() -> tuple[str, ...]:
    """Names of the shipped presets, sorted."""
    return tuple(sorted(p.stem for p in shipped_dir().glob("*.toml")))


def is_preset_file(name_or_path: str | Path) -> bool:
    """THE preset-resolution rule: a ``.toml`` name, anything with a directory part, or an existing file is a
    preset FILE (loaded from disk, hot-reloadable); anything else is a shipped preset name."""
    p = Path(name_or_path)
    return p.suffix == ".toml" or len(p.parts) > 1 or p.exists()


def preset_path(name_or_path: str | Path) -> Path:
    """Path of a shipped preset name, or the given path. Raises PresetError (with a suggestion) if neither exists."""
    p = Path(name_or_path)
    if is_preset_file(p):
        if not p.is_file():
            raise PresetError([f"{p}: no such preset file (check the path, or use a shipped name: "
                               f"{', '.join(shipped_names())})"])
        return p
    shipped = shipped_dir() / f"{name_or_path}.toml"
    if not shipped.is_file():
        names = shipped_names()
        raise PresetError([f"{name_or_path}: no shipped preset of that name{suggest(str(name_or_path), names)} "
                           f"(shipped: {', '.join(names)}; or give a path to a .toml file)"])
    return shipped


def load_preset(name_or_path: str | Path) -> Preset:
    """Load and validate a preset by shipped name or path. Raises PresetError listing every problem."""
    path = preset_path(name_or_path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PresetError([f"{path}: cannot read preset: {exc}"]) from None
    return parse_preset(text, path)
