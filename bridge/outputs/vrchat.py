"""VRChat sink: native OSC eye tracking + VRCFaceTracking-compatible face parameters.

- /tracking/eye/LeftRightPitchYaw (left pitch, left yaw, right pitch, right yaw; degrees, Unity convention:
  +pitch looks DOWN, +yaw looks to the subject's right) and /tracking/eye/EyesClosedAmount, every frame
  (VRChat reverts to its own eye animation after ~10 s without them).
- /avatar/parameters/<prefix><Name> for each rig shape, float or binary-bit encoding per name, only when the
  value changed (VRCFaceTracking semantics), plus the status bools EyeTrackingActive, ExpressionTrackingActive
  and LipTrackingActive. Everything is re-sent when VRChat reports /avatar/change on the listen port (9001) and
  every ``resend_s`` seconds, so a newly loaded avatar or a restarted VRChat catches up.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from bridge.fields import doc
from bridge.osc import codec as osc
from bridge.osc.listener import OscUdpListener
from bridge.osc.udp import UdpDestination
from bridge.outputs.base import NetworkOptions, OutputFrame, UdpSink
from bridge.schema import REGIONS, FaceState, TrackingFlags

log = logging.getLogger(__name__)

DEFAULT_PORT = 9000
DEFAULT_LISTEN_PORT = 9001
DEFAULT_PREFIX = "FT/v2/"
_EYES = "/tracking/eye/LeftRightPitchYaw"
_CLOSED = "/tracking/eye/EyesClosedAmount"
_EYE_PREFIX = osc.float_message_prefix(_EYES, n_floats=4)
_CLOSED_PREFIX = osc.float_message_prefix(_CLOSED)
_LOST = TrackingFlags.CAMERA_LOST | TrackingFlags.PAUSED


@dataclass(frozen=True, slots=True)
class VrchatOptions(NetworkOptions):
    """``[[outputs]] kind = "vrchat"``: VRChat's native eye tracking + VRCFaceTracking-style avatar parameters."""

    kind: ClassVar[str] = "vrchat"
    default_port: ClassVar[int] = DEFAULT_PORT

    prefix: str = field(default=DEFAULT_PREFIX, metadata=doc(
        "parameter prefix under /avatar/parameters/ (VRCFaceTracking avatars use FT/v2/)"))
    binary: dict[str, int] = field(default_factory=dict, metadata=doc(
        "parameters the avatar stores as binary bits: { JawOpen = 4 } sends JawOpen1, JawOpen2, JawOpen4, "
        "JawOpen8 and JawOpenNegative; all others are floats"))
    min_delta: float = field(default=0.001, metadata=doc(
        "only send a float parameter when it changed by at least this much", minimum=0.0, maximum=1.0))
    resend_s: float = field(default=5.0, metadata=doc(
        "re-send every parameter this often (and on /avatar/change)", minimum=0.5, maximum=600.0))
    listen_port: int = field(default=DEFAULT_LISTEN_PORT, metadata=doc(
        "port where VRChat sends /avatar/change; 0 = don't listen", minimum=0, maximum=65535))
    listen_host: str = field(default="127.0.0.1", metadata=doc(
        "address to listen on for VRChat (0.0.0.0 when VRChat runs on another device, e.g. a Quest)"))


def binary_bits(value: float, bits: int) -> tuple[list[bool], bool]:
    """VRCFaceTracking binary encoding: (bit k for k < bits, negative flag).

    int = (int)(|value| * 2^bits), bit k = (int >> k) & 1; |value| >= 0.99999 sets every bit.
    """
    magnitude = abs(float(value))
    top = (1 << bits) - 1
    as_int = top if magnitude >= 0.99999 else min(int(magnitude * (1 << bits)), top)
    return [bool((as_int >> k) & 1) for k in range(bits)], value < 0


class AvatarChangeListener:
    """Listens (default 127.0.0.1:9001) for VRChat's /avatar/change; a bind failure only disables it."""

    def __init__(self, host: str, port: int) -> None:
        # Called (on the listener thread) with every other /avatar/parameters/... message, e.g. to route
        # expression-menu buttons to the control input. Must be thread-safe.
        self.forward: Callable[[str, list], object] | None = None
        self.changed = threading.Event()
        self.avatar_id = ""
        self._listener: OscUdpListener | None = None
        try:
            self._listener = OscUdpListener(host, port, self._on_message, thread_name="vrchat-listen")
        except OSError as exc:
            log.warning("vrchat output: cannot listen on %s:%d for /avatar/change (%s); avatar changes will only "
                        "be caught by the periodic full resend", host, port, exc)

    @property
    def listening(self) -> bool:
        return self._listener is not None

    @property
    def port(self) -> int | None:
        """The bound port (useful with port 0), None when not listening."""
        return None if self._listener is None else self._listener.port

    @property
    def malformed(self) -> int:
        """Datagrams on the listen port that were not OSC."""
        return 0 if self._listener is None else self._listener.malformed

    def _on_message(self, address: str, params: list) -> None:
        if address == "/avatar/change":
            self.avatar_id = str(params[0]) if params else ""
            self.changed.set()
        elif self.forward is not None and address.startswith("/avatar/parameters/"):
            self.forward(address, params)

    def close(self) -> None:
        if self._listener is not None:
            self._listener.close()


class VrchatSink(UdpSink):
    """Sends eye tracking and face parameters to VRChat (default 127.0.0.1:9000)."""

    def __init__(self, host: str, port: int, rig_key: str, prefix: str = DEFAULT_PREFIX,
                 binary: Mapping[str, int] | None = None, min_delta: float = 0.001, resend_s: float = 5.0,
                 listen_host: str = "127.0.0.1", listen_port: int | None = DEFAULT_LISTEN_PORT) -> None:
        for name, bits in (binary or {}).items():
            if not isinstance(bits, int) or not 1 <= bits <= 8:
                raise ValueError(f"vrchat output: binary.{name} must be an integer number of bits 1..8, got {bits!r}")
        self.name = f"vrchat:{host}:{port}"
        self.rig_key = rig_key
        self._dest = UdpDestination(host, port, self.name)
        self._prefix = "/avatar/parameters/" + prefix.strip("/") + "/" if prefix.strip("/") else "/avatar/parameters/"
        self._binary = dict(binary or {})
        self._min_delta = float(min_delta)
        self._resend_s = float(resend_s)
        self._last_bool: dict[str, bool] = {}  # address -> last bool sent (binary bits, status)
        self._last_full = -math.inf
        self._layout_names: tuple[str, ...] | None = None
        self.listener = AvatarChangeListener(listen_host, listen_port) if listen_port is not None else None

    @classmethod
    def from_options(cls, options: VrchatOptions, rig_key: str | None) -> VrchatSink:
        """The sink for one validated ``[[outputs]]`` entry."""
        if rig_key is None:
            raise ValueError("vrchat output: needs a preset")
        return cls(options.host, options.resolved_port(), rig_key=rig_key, prefix=options.prefix,
                   binary=options.binary, min_delta=options.min_delta, resend_s=options.resend_s,
                   listen_host=options.listen_host, listen_port=options.listen_port or None)

    def _layout(self, names: tuple[str, ...]) -> None:
        """Split the rig's names into float parameters (vectorized change test) and binary ones; per preset."""
        floats = [i for i, n in enumerate(names) if n not in self._binary]
        self._float_index = np.asarray(floats, dtype=np.int64)
        self._float_prefixes = [osc.float_message_prefix(self._prefix + names[i]) for i in floats]
        self._last_float = np.full(len(floats), np.nan, dtype=np.float32)  # NaN = never sent
        self._binary_items = [(i, names[i], self._binary[names[i]]) for i in range(len(names))
                              if names[i] in self._binary]
        self._layout_names = names

    def _float_messages(self, values: np.ndarray, full: bool) -> list[bytes]:
        """Messages for float parameters that changed by >= min_delta since last sent (all when ``full``)."""
        v = values[self._float_index]
        # NaN (never sent) compares False, so it counts as changed.
        stale = np.ones(v.shape[0], bool) if full else ~(np.abs(v - self._last_float) < self._min_delta)
        changed = np.flatnonzero(stale)
        self._last_float[changed] = v[changed]
        payload = v.astype(">f4").tobytes()
        return [self._float_prefixes[k] + payload[4 * k: 4 * k + 4] for k in changed.tolist()]

    def _bool_messages(self, values: np.ndarray, state: FaceState, full: bool) -> list[bytes]:
        """Binary-encoded parameters and the status bools, each sent when it flips (all when ``full``)."""
        bools: dict[str, bool] = {}
        for i, name, bits in self._binary_items:
            bit_values, negative = binary_bits(float(values[i]), bits)
            for k, bit in enumerate(bit_values):
                bools[f"{self._prefix}{name}{1 << k}"] = bit
            bools[f"{self._prefix}{name}Negative"] = negative
        conf = dict(zip(REGIONS, state.confidence.tolist(), strict=True))
        live = not (state.flags & _LOST)
        bools[self._prefix + "EyeTrackingActive"] = live and max(conf["left_eye"], conf["right_eye"]) > 0.0
        bools[self._prefix + "ExpressionTrackingActive"] = live
        bools[self._prefix + "LipTrackingActive"] = live and max(conf["mouth"], conf["lower_face"]) > 0.0
        out = []
        for address, value in bools.items():
            if full or self._last_bool.get(address) is not value:
                self._last_bool[address] = value
                out.append(osc.message(address, value))
        return out

    def encode(self, frame: OutputFrame, now: float | None = None) -> list[bytes]:
        """The datagrams for one frame (eye messages always; parameters only when changed or due)."""
        now = time.monotonic() if now is None else now
        full = now - self._last_full >= self._resend_s
        if self.listener is not None and self.listener.changed.is_set():
            self.listener.changed.clear()
            full = True
        if full:
            self._last_full = now
        s = frame.state
        left, right = s.left_eye, s.right_eye
        eyes = osc.pack_floats([-left.gaze_pitch, left.gaze_yaw, -right.gaze_pitch, right.gaze_yaw])
        closed = 1.0 - 0.5 * (left.openness + right.openness)
        elements = [_EYE_PREFIX + eyes, _CLOSED_PREFIX + osc.pack_floats([min(max(closed, 0.0), 1.0)])]
        rig = frame.rigs[self.rig_key]
        names = tuple(rig.names)
        if names != self._layout_names:
            self._layout(names)
            full = True
        values = np.asarray(rig.values, dtype=np.float32)
        elements += self._float_messages(values, full) + self._bool_messages(values, s, full)
        # Timetag "immediately": VRChat applies bundles on arrival; a past capture time gains nothing.
        return osc.bundles(elements)

    def stats(self) -> dict[str, int]:
        out = super().stats()
        if self.listener is not None:
            out["listen_malformed"] = self.listener.malformed
        return out

    def close(self) -> None:
        super().close()
        if self.listener is not None:
            self.listener.close()
