"""VMC protocol sink (VSeeFace, VNyan, Warudo, EVMC4U): blendshape values as /VMC/Ext/Blend/Val + Apply.

Per frame, in order: /VMC/Ext/OK (liveness + tracking status), /VMC/Ext/T (sender time), one
/VMC/Ext/Blend/Val per shape (plus the VRM0 name when the preset targets VRM 1.0 names), then
/VMC/Ext/Blend/Apply. Packed into bundles of at most bridge.osc.MAX_DATAGRAM_BYTES; Apply is in the last one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from bridge.fields import doc
from bridge.osc import codec as osc
from bridge.osc.udp import UdpDestination
from bridge.outputs.base import NetworkOptions, OutputFrame, UdpSink
from bridge.schema import TrackingFlags

DEFAULT_PORT = 39539
_VAL = "/VMC/Ext/Blend/Val"
_APPLY = osc.message("/VMC/Ext/Blend/Apply")
# Flags that mean "we are not really tracking right now" -> trackingStatus 0 in /VMC/Ext/OK.
_NOT_TRACKING = TrackingFlags.CAMERA_LOST | TrackingFlags.EASING_TO_NEUTRAL | TrackingFlags.PAUSED


@dataclass(frozen=True, slots=True)
class VmcOptions(NetworkOptions):
    """``[[outputs]] kind = "vmc"``: VSeeFace, VNyan, Warudo and other VMC receivers."""

    kind: ClassVar[str] = "vmc"
    default_port: ClassVar[int] = DEFAULT_PORT

    vrm0_aliases: bool = field(default=True, metadata=doc(
        "when the preset targets VRM 1.0, also send the VRM 0.x names (Joy, A, Blink_L, ...)"))


class VmcSink(UdpSink):
    """Sends one rig's values to a VMC receiver (Marionette, default 127.0.0.1:39539).

    When the rig frame carries ``vrm0_aliases`` (VRM 1.0 -> 0.x names; retarget sets them for vrm1 presets) and
    ``send_aliases`` is true, each aliased shape is sent under both names: many VMC receivers only know VRM 0.x.
    """

    def __init__(self, host: str, port: int, rig_key: str, send_aliases: bool = True) -> None:
        self.name = f"vmc:{host}:{port}"
        self.rig_key = rig_key
        self._dest = UdpDestination(host, port, self.name)
        self._send_aliases = bool(send_aliases)
        self._start = time.monotonic()
        self._layout_key: tuple | None = None
        self._prefixes: list[bytes] = []
        self._value_index = np.zeros(0, dtype=np.int64)

    @classmethod
    def from_options(cls, options: VmcOptions, rig_key: str | None) -> VmcSink:
        """The sink for one validated ``[[outputs]]`` entry."""
        if rig_key is None:
            raise ValueError("vmc output: needs a preset")
        return cls(options.host, options.resolved_port(), rig_key=rig_key, send_aliases=options.vrm0_aliases)

    def _layout(self, rig_id: str, names: tuple[str, ...], aliases: dict[str, str] | None) -> None:
        """Precompute the message prefixes for this rig's names (+ aliases); redone only when the rig changes."""
        key = (rig_id, names, None if aliases is None else id(aliases))  # the rig profile's dict lives on
        aliases = aliases if (aliases and self._send_aliases) else {}
        prefixes, index = [], []
        for i, name in enumerate(names):
            prefixes.append(osc.float_message_prefix(_VAL, name))
            index.append(i)
            alias = aliases.get(name)
            if alias and alias != name:
                prefixes.append(osc.float_message_prefix(_VAL, alias))
                index.append(i)
        self._prefixes = prefixes
        self._value_index = np.asarray(index, dtype=np.int64)
        self._layout_key = key

    def encode(self, frame: OutputFrame) -> list[bytes]:
        """The datagrams for one frame (exposed for tests and the bench)."""
        rig = frame.rigs[self.rig_key]
        names = tuple(rig.names)
        aliases = getattr(rig, "vrm0_aliases", None)
        if self._layout_key != (rig.rig, names, None if aliases is None else id(aliases)):
            self._layout(rig.rig, names, aliases)
        values = np.clip(np.asarray(rig.values, dtype=np.float32), 0.0, 1.0)[self._value_index]
        tracking = 0 if frame.state.flags & _NOT_TRACKING else 1
        header = [
            # loaded=1, calibrationState=3 (calibrated), calibrationMode=0 (normal), trackingStatus
            osc.message("/VMC/Ext/OK", 1, 3, 0, tracking),
            osc.message("/VMC/Ext/T", float(time.monotonic() - self._start)),
        ]
        elements = header + osc.float_messages(self._prefixes, values) + [_APPLY]
        return osc.bundles(elements, osc.ntp_timetag(frame.capture_time))

