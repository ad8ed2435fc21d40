"""What every output sink receives and must provide."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from bridge.frames import FrameSet
from bridge.schema import FaceState


@dataclass(frozen=True, slots=True)
class OutputFrame:
    """One tracked frame on its way out.

    ``rigs`` maps a preset key (as named in the config) to that preset's RetargetFrame
    (``rig, names, values, light, emotion``); each sink reads the key it was configured with.
    ``frames`` is the source FrameSet (for the recorder's raw frames).
    """

    state: FaceState
    rigs: Mapping[str, Any] = field(default_factory=dict)
    frames: FrameSet | None = None

    @property
    def capture_time(self) -> float:
        return self.state.timestamp


class OutputSink(Protocol):
    """An output destination. ``send`` may raise; the fan-out isolates failures."""

    name: str  # e.g. "vmc:127.0.0.1:39539" (shown in status and warnings)
    rig_key: str | None  # which entry of OutputFrame.rigs this sink reads (None: only the FaceState)

    def send(self, frame: OutputFrame) -> None: ...

    def close(self) -> None: ...

    def stats(self) -> dict[str, int]: ...
