"""TrackingConfig: the settings of the whole tracking stage, one typed section per module.

``TrackingConfig.from_dict`` reads the ``[tracking]`` table of the TOML config (sections ``neutral``, ``rom``,
``filters`` (with sub-tables ``shapes``, ``gaze``, ``openness``), ``failure``, ``emotion``) and names the file, key
and allowed keys/values on any error.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from bridge.tracking.emotion import EmotionConfig
from bridge.tracking.failure import FailureConfig
from bridge.tracking.filters import FilterConfig
from bridge.tracking.neutral import NeutralConfig
from bridge.tracking.rom import RomConfig


@dataclass(frozen=True, slots=True)
class TrackingConfig:
    """Settings of the tracking stage (defaults are usable as is)."""

    neutral: NeutralConfig = field(default_factory=NeutralConfig)
    rom: RomConfig = field(default_factory=RomConfig)
    filters: FilterConfig = field(default_factory=FilterConfig)
    failure: FailureConfig = field(default_factory=FailureConfig)
    emotion: EmotionConfig = field(default_factory=EmotionConfig)

    def validate(self) -> None:
        """Validate every section; raises ValueError naming the bad key."""
        self.neutral.validate()
        self.rom.validate()
        self.filters.validate()
        self.failure.validate()
        self.emotion.validate()

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "<config>", prefix: str = "tracking") -> TrackingConfig:
        """Build from a parsed TOML table; missing keys keep their defaults. Errors name ``source`` and the key."""
        cfg = _build(cls, data, source, prefix)
        try:
            cfg.validate()
        except ValueError as exc:
            raise ValueError(f"{source}: {prefix}.{exc}") from None
        return cfg


def _build(cls: type, data: Any, source: str, path: str) -> Any:
    if not isinstance(data, dict):
        raise ValueError(f"{source}: {path} must be a table, got {type(data).__name__}")
    defaults = cls()
    known = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise ValueError(f"{source}: unknown key {path}.{unknown[0]}; allowed keys: {', '.join(known)}")
    values = {}
    for name, value in data.items():
        default = getattr(defaults, name)
        key = f"{path}.{name}"
        if dataclasses.is_dataclass(default):
            values[name] = _build(type(default), value, source, key)
        else:
            values[name] = _coerce(default, value, source, key)
    return cls(**values)


def _coerce(default: Any, value: Any, source: str, key: str) -> Any:
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ValueError(f"{source}: {key} must be true or false, got {value!r}")
        return value
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{source}: {key} must be an integer, got {value!r}")
        return value
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{source}: {key} must be a number, got {value!r}")
        return float(value)
    if isinstance(default, str):
        if not isinstance(value, str):
            raise ValueError(f"{source}: {key} must be a string, got {value!r}")
        return value
    if isinstance(default, tuple):
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise ValueError(f"{source}: {key} must be a list of strings, got {value!r}")
        return tuple(value)
    raise ValueError(f"{source}: {key} cannot be set from the config")  # pragma: no cover - all fields typed above
