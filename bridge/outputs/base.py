"""What every output sink receives and must provide."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Protocol

from bridge.fields import doc
from bridge.frames import FrameSet
from bridge.osc.udp import UdpDestination

if TYPE_CHECKING:
    from retarget.engine import RetargetFrame
from bridge.schema import FaceState


@dataclass(frozen=True, slots=True)
class OutputFrame:
    """One tracked frame on its way out.

    ``rigs`` maps a preset key (as named in the config) to that preset's RetargetFrame
    (``rig, names, values, light, emotion``); each sink reads the key it was configured with.
    ``frames`` is the source FrameSet (for the recorder's raw frames).
    """

    state: FaceState
    rigs: Mapping[str, RetargetFrame] = field(default_factory=dict)
    frames: FrameSet | None = None

    @property
    def capture_time(self) -> float:
        return self.state.timestamp


@dataclass(frozen=True, slots=True)
class OutputOptions:
    """What every ``[[outputs]]`` entry has. Each output kind subclasses this beside its sink (e.g. VmcOptions in
    vmc.py) and registers the pair in ``bridge.outputs.registry``; ``kind`` is the TOML ``kind = "..."`` value."""

    kind: ClassVar[str] = ""
    uses_rig: ClassVar[bool] = True  # False: the sink only reads the FaceState (no preset is resolved for it)
    # Without a preset of its own, the output reads a shipped preset targeting this rig (else [preset]).
    preferred_rig: ClassVar[str | None] = None

    enabled: bool = field(default=True, metadata=doc("false keeps the entry but sends nothing"))

    @classmethod
    def from_cli(cls, rest: str) -> OutputOptions:
        """Options from what follows ``KIND:`` in ``--output``; ValueError says what is wrong."""
        raise ValueError(f"kind {cls.kind!r} cannot be given on the command line; use a config file")


@dataclass(frozen=True, slots=True)
class NetworkOptions(OutputOptions):
    """Options of an output that sends OSC over UDP to one host:port."""

    default_port: ClassVar[int] = 0

    host: str = field(default="127.0.0.1", metadata=doc("destination host"))
    port: int = field(default=0, metadata=doc(
        "destination UDP port; 0 = this kind's default ({self.default_port})", minimum=0, maximum=65535))
    preset: str = field(default="", metadata=doc(
        "retarget preset for this output only; empty = [preset] (vrchat: the Unified Expressions preset)"))

    def resolved_port(self) -> int:
        """The port to send to (``port``, or the kind's default when 0)."""
        return self.port or self.default_port

    @classmethod
    def from_cli(cls, rest: str) -> NetworkOptions:
        """Options from the ``HOST[:PORT]`` part of ``--output KIND:HOST:PORT`` (ValueError says what is wrong)."""
        parts = rest.split(":") if rest else []
        if len(parts) > 2:
            raise ValueError("expected KIND:HOST:PORT (IPv6 hosts: use a config file)")
        host = parts[0] if parts else ""
        port_text = parts[1] if len(parts) == 2 else ""
        port = 0
        if port_text:
            if not port_text.isdigit() or not 0 < int(port_text) < 65536:
                raise ValueError(f"port {port_text!r} must be a number 1..65535")
            port = int(port_text)
        return cls(host=host or "127.0.0.1", port=port)


class OutputSink(Protocol):
    """An output destination. ``send`` may raise; the fan-out isolates failures."""

    name: str  # e.g. "vmc:127.0.0.1:39539" (shown in status and warnings)
    rig_key: str | None  # which entry of OutputFrame.rigs this sink reads (None: only the FaceState)

    def send(self, frame: OutputFrame) -> None: ...

    def close(self) -> None: ...

    def stats(self) -> dict[str, int]: ...


class UdpSink:
    """What the network sinks share: ``encode(frame)`` gives the datagrams, sent to one ``UdpDestination``.
    Subclasses set ``name``, ``rig_key`` and ``_dest`` and implement ``encode``."""

    name: str
    rig_key: str | None
    _dest: UdpDestination

    def encode(self, frame: OutputFrame) -> list[bytes]:
        raise NotImplementedError

    def send(self, frame: OutputFrame) -> None:
        self._dest.send(self.encode(frame))

    def stats(self) -> dict[str, int]:
        return self._dest.stats()

    def close(self) -> None:
        self._dest.close()
