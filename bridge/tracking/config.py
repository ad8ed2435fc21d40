"""TrackingConfig: the settings of the whole tracking stage, one typed section per module.

``TrackingConfig.from_table`` reads the ``[tracking]`` table of the TOML config (sections ``neutral``, ``rom``,
``filters`` (with sub-tables ``shapes``, ``gaze``, ``openness``), ``failure``, ``emotion``) with the shared
validator (bridge.validate), so errors name the file, line, key and what is allowed like every other section.
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
from bridge.validate import KeyPath, Problems, from_table, report_check_failure


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
    def from_table(cls, data: Any, problems: Problems, path: KeyPath = ("tracking",)) -> TrackingConfig | None:
        """Build from a parsed ``[tracking]`` table with the shared validator (bridge.validate); missing keys keep
        their defaults. Field and cross-field problems go to ``problems``; None when there was any."""
        cfg = from_table(cls, data, problems, path)
        if cfg is None:
            return None
        try:
            cfg.validate()
        except ValueError as exc:  # "failure.frozen_frames must be ..." -> on the key tracking.failure.frozen_frames
            report_check_failure(problems, path, str(exc), known=[f.name for f in dataclasses.fields(cls)])
            return None
        return cfg

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "<config>", prefix: str = "tracking") -> TrackingConfig:
        """Build from a parsed TOML table; raises ValidationError (a ValueError) listing every problem as
        ``source: prefix.key: what is wrong``."""
        problems = Problems(source)
        cfg = cls.from_table(data, problems, tuple(prefix.split(".")))
        problems.raise_if_any()
        assert cfg is not None
        return cfg
