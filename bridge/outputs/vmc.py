"""VMC protocol sink (VSeeFace, VNyan, Warudo, EVMC4U): blendshape values as /VMC/Ext/Blend/Val + Apply.

Per frame, in order: /VMC/Ext/OK (liveness + tracking status), /VMC/Ext/T (sender time), one
/VMC/Ext/Blend/Val per shape (plus the VRM0 name when the preset targets VRM 1.0 names), then
/VMC/Ext/Blend/Apply. Packed into bundles of at most 1,500 bytes; Apply is always in the last one.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

import numpy as np

from bridge.outputs import osc
from bridge.outputs.base import OutputFrame
from bridge.outputs.udp import UdpDestination
from bridge.schema import TrackingFlags

DEFAULT_PORT = 39539
_VAL = "/VMC/Ext/Blend/Val"
_APPLY = osc.message("/VMC/Ext/Blend/Apply")
# Flags that mean "we are not really tracking right now" -> trackingStatus 0 in /VMC/Ext/OK.
_NOT_TRACKING = TrackingFlags.CAMERA_LOST | TrackingFlags.EASING_TO_NEUTRAL | TrackingFlags.PAUSED


class VmcSink:
    """Sends one rig's values to a VMC receiver (Marionette, default 127.0.0.1:39539).

    ``vrm0_aliases`` maps VRM 1.0 expression names to their VRM 0.x names; when ``send_aliases`` is
    "auto" they are sent only if the rig id mentions VRM, "on" always, "off" never.
    """

    def __init__(self, host: str, port: int, rig_key: str, vrm0_aliases: Mapping[str, str] | None = None,
                 send_aliases: str = "auto") -> None:
        if send_aliases not in ("auto", "on", "off"):
            raise ValueError(f"vmc output: vrm0_aliases must be 'auto', 'on' or 'off', got {send_aliases!r}")
        self.name = f"vmc:{host}:{port}"
        self.rig_key = rig_key
        self._dest = UdpDestination(host, port, self.name)
        self._aliases = dict(vrm0_aliases or {})
        self._alias_mode = send_aliases
        self._start = time.monotonic()
        self._layout_key: tuple | None = None
        self._prefixes: list[bytes] = []
        self._value_index = np.zeros(0, dtype=np.int64)

    def _layout(self, rig_id: str, names: tuple[str, ...]) -> None:
        """Precompute the message prefixes for this rig's names (+ aliases); redone only when names change."""
        use_aliases = self._alias_mode == "on" or (self._alias_mode == "auto" and "vrm" in rig_id.lower())
        prefixes, index = [], []
        for i, name in enumerate(names):
            prefixes.append(osc.float_message_prefix(_VAL, name))
            index.append(i)
            alias = self._aliases.get(name) if use_aliases else None
            if alias and alias != name:
                prefixes.append(osc.float_message_prefix(_VAL, alias))
                index.append(i)
        self._prefixes = prefixes
        self._value_index = np.asarray(index, dtype=np.int64)
        self._layout_key = (rig_id, names)

    def encode(self, frame: OutputFrame) -> list[bytes]:
        """The datagrams for one frame (exposed for tests and the bench)."""
        rig = frame.rigs[self.rig_key]
        names = tuple(rig.names)
        if self._layout_key != (rig.rig, names):
            self._layout(rig.rig, names)
        values = np.clip(np.asarray(rig.values, dtype=np.float32), 0.0, 1.0)[self._value_index]
        tracking = 0 if frame.state.flags & _NOT_TRACKING else 1
        header = [
            # loaded=1, calibrationState=3 (calibrated), calibrationMode=0 (normal), trackingStatus
            osc.message("/VMC/Ext/OK", 1, 3, 0, tracking),
            osc.message("/VMC/Ext/T", float(time.monotonic() - self._start)),
        ]
        elements = header + osc.float_messages(self._prefixes, values) + [_APPLY]
        return osc.bundles(elements, osc.ntp_timetag(frame.capture_time))

    def send(self, frame: OutputFrame) -> None:
        self._dest.send(self.encode(frame))

    def stats(self) -> dict[str, int]:
        c = self._dest.counters
        return {"sent": c.sent, "bytes": c.bytes_sent, "refused": c.refused, "failed": c.failed}

    def close(self) -> None:
        self._dest.close()
