"""Sink for our Unity package: the facebridge wire protocol (encoder in facebridge_protocol.py) over UDP."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from bridge.fields import doc
from bridge.osc.udp import UdpDestination
from bridge.outputs.base import NetworkOptions, OutputFrame, UdpSink
from bridge.outputs.facebridge_protocol import DEFAULT_PORT, FacebridgeEncoder, ProtocolFrame

__all__ = ["DEFAULT_PORT", "FacebridgeOptions", "FacebridgeSink", "protocol_frame"]


@dataclass(frozen=True, slots=True)
class FacebridgeOptions(NetworkOptions):
    """``[[outputs]] kind = "facebridge"``: our Unity package."""

    kind: ClassVar[str] = "facebridge"
    default_port: ClassVar[int] = DEFAULT_PORT

    names_interval_s: float = field(default=2.0, metadata=doc(
        "re-send the names table this often (late-joining receivers)", minimum=0.1, maximum=60.0))


def protocol_frame(frame: OutputFrame, rig_key: str) -> ProtocolFrame:
    """Assemble the wire-level frame from the FaceState and this sink's retargeted rig."""
    state = frame.state
    rig = frame.rigs[rig_key]
    light = rig.light
    light_tuple = None if light is None else (light.r, light.g, light.b, light.intensity, light.transition_s)
    return ProtocolFrame(
        sequence=state.sequence,
        capture_time=state.timestamp,
        rig=rig.rig,
        names=tuple(rig.names),
        values=rig.values,
        emotion_probs=state.emotion8,
        emotion_label=state.emotion_label,
        valence=state.valence,
        arousal=state.arousal,
        light=light_tuple,
        flags=int(state.flags),
        confidence=state.confidence,
    )


class FacebridgeSink(UdpSink):
    """Sends every frame to the Unity package (default 127.0.0.1:DEFAULT_PORT)."""

    rig_key: str

    def __init__(self, host: str, port: int, rig_key: str, names_interval_s: float = 2.0) -> None:
        self.name = f"facebridge:{host}:{port}"
        self.rig_key = rig_key
        self.encoder = FacebridgeEncoder(names_interval_s=names_interval_s)
        self._dest = UdpDestination(host, port, self.name)

    @classmethod
    def from_options(cls, options: FacebridgeOptions, rig_key: str | None) -> FacebridgeSink:
        """The sink for one validated ``[[outputs]]`` entry."""
        if rig_key is None:
            raise ValueError("facebridge output: needs a preset")
        return cls(options.host, options.resolved_port(), rig_key=rig_key, names_interval_s=options.names_interval_s)

    def encode(self, frame: OutputFrame) -> list[bytes]:
        return self.encoder.encode(protocol_frame(frame, self.rig_key))

