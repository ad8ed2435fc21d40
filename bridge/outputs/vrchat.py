"""VRChat sink: native OSC eye tracking + VRCFaceTracking-compatible face parameters, sent the way
VRCFaceTracking sends them (benaclejames/VRCFaceTracking 4c58db6; rules and line numbers in bridge/outputs/vrcft.py).

- Which parameters, where, how: with an avatar description (OSCQuery, bridge/outputs/oscquery.py, or VRChat's OSC
  config JSON) only the parameters the avatar has, at the address it has them (``FT/v2/``, bare ``v2/`` ...), as
  float, bool and/or binary bits with the avatar's bit count. Without one: every rig name as a float at
  ``/avatar/parameters/<prefix><Name>``, binary names as configured, status bools at ``/avatar/parameters/<Status>``.
- Gaze parameters (EyeX ... EyeRightY) are tan(angle) of the tracked gaze (Types/Vector2.cs:46-50), clamped to the
  -1..1 VRChat keeps float parameters in (45 degrees).
- /tracking/eye/LeftRightPitchYaw (degrees, Unity convention: +pitch looks DOWN, +yaw to the subject's right) and
  /tracking/eye/EyesClosedAmount every frame, unless the avatar has its own face-tracking eye parameters
  (UnifiedExpressionsParameters.cs:53-69; VRChat reverts to its own eye animation ~10 s after the last one).
- Parameters go out only when changed (floats by >= ``min_delta``), everything again on a new avatar description,
  on /avatar/change (listen port, default 9001) and every ``resend_s``. Every datagram <= MAX_DATAGRAM_BYTES.
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
from bridge.osc import MAX_DATAGRAM_BYTES
from bridge.osc import codec as osc
from bridge.osc.listener import OscUdpListener
from bridge.osc.udp import UdpDestination
from bridge.outputs.base import NetworkOptions, OutputFrame, UdpSink
from bridge.outputs.vrcft import SendPlan, binary_bits, fallback_plan, plan_for_avatar
from bridge.schema import REGIONS, FaceState, TrackingFlags
from retarget.rigs import UNIFIED_BASE, UNIFIED_GAZE, UNIFIED_V2

log = logging.getLogger(__name__)

DEFAULT_PORT = 9000
DEFAULT_LISTEN_PORT = 9001
DEFAULT_PREFIX = "FT/v2/"
_EYES = "/tracking/eye/LeftRightPitchYaw"
_CLOSED = "/tracking/eye/EyesClosedAmount"
_EYE_PREFIX = osc.float_message_prefix(_EYES, n_floats=4)
_CLOSED_PREFIX = osc.float_message_prefix(_CLOSED)
_LOST = TrackingFlags.CAMERA_LOST | TrackingFlags.PAUSED
_BASE_NAMES = frozenset(UNIFIED_BASE)
_GAZE_MAX_DEG = 89.0  # keeps tan finite; the value is clamped to +-1 (45 degrees) anyway


@dataclass(frozen=True, slots=True)
class VrchatOptions(NetworkOptions):
    """``[[outputs]] kind = "vrchat"``: VRChat's native eye tracking + VRCFaceTracking-style avatar parameters."""

    kind: ClassVar[str] = "vrchat"
    default_port: ClassVar[int] = DEFAULT_PORT
    preferred_rig: ClassVar[str | None] = "unified_expressions_v2"  # VRCFaceTracking's Unified Expressions

    prefix: str = field(default=DEFAULT_PREFIX, metadata=doc(
        "parameter prefix under /avatar/parameters/ when the avatar's parameters are unknown (no OSCQuery, no "
        "avatar_config); VRCFaceTracking avatars use FT/v2/"))
    binary: dict[str, int] = field(default_factory=dict, metadata=doc(
        "without an avatar description: parameters the avatar stores as binary bits: { JawOpen = 4 } sends "
        "JawOpen1, JawOpen2, JawOpen4, JawOpen8 and JawOpenNegative (with OSCQuery the avatar's own bits are used)"))
    min_delta: float = field(default=0.001, metadata=doc(
        "only send a float parameter when it changed by at least this much", minimum=0.0, maximum=1.0))
    resend_s: float = field(default=5.0, metadata=doc(
        "re-send every parameter (and re-read the avatar) this often, and on /avatar/change", minimum=0.5,
        maximum=600.0))
    listen_port: int = field(default=DEFAULT_LISTEN_PORT, metadata=doc(
        "port where VRChat sends /avatar/change; 0 = don't listen", minimum=0, maximum=65535))
    listen_host: str = field(default="127.0.0.1", metadata=doc(
        "address to listen on for VRChat (0.0.0.0 when VRChat runs on another device, e.g. a Quest)"))
    oscquery: bool = field(default=True, metadata=doc(
        "find VRChat with OSCQuery (mDNS) and send only the current avatar's parameters, at its addresses and bit "
        "counts"))
    oscquery_url: str = field(default="", metadata=doc(
        "VRChat's OSCQuery HTTP address (http://127.0.0.1:PORT) instead of mDNS discovery; empty = discover"))
    avatar_config: str = field(default="", metadata=doc(
        "without OSCQuery: VRChat's OSC folder (...LocalLow/VRChat/VRChat/OSC), one avatar's OSC config JSON, or "
        "auto (VRChat's folder on this machine); the avatar's parameters are read from it on /avatar/change"))


def gaze_tangents(state: FaceState, gaze_map: np.ndarray | None = None) -> dict[str, float]:
    """VRCFaceTracking's gaze parameters from the tracked angles: x = tan(yaw) (> 0 = subject's right),
    y = tan(pitch) (> 0 = up), EyeX/EyeY = the mean of the two eyes' vectors (UnifiedData.cs:59; Vector2.cs:46-50:
    yaw = atan(x), pitch = -atan(y) in VRChat's +down convention). ``gaze_map`` (RetargetFrame.gaze_map) applies
    the preset's eyes/mirror options to (left yaw, left pitch, right yaw, right pitch) first. Clamped to -1..1 like
    VRChat's float parameters."""
    le, re_ = state.left_eye, state.right_eye
    angles = [le.gaze_yaw, le.gaze_pitch, re_.gaze_yaw, re_.gaze_pitch]
    angles = [0.0 if a != a else min(max(a, -_GAZE_MAX_DEG), _GAZE_MAX_DEG) for a in angles]  # NaN -> 0
    if gaze_map is not None:
        angles = (gaze_map @ np.asarray(angles, dtype=np.float64)).tolist()
    lx, ly, rx, ry = (math.tan(math.radians(a)) for a in angles)
    raw = {"EyeLeftX": lx, "EyeLeftY": ly, "EyeRightX": rx, "EyeRightY": ry,
           "EyeX": 0.5 * (lx + rx), "EyeY": 0.5 * (ly + ry)}
    return {k: min(max(v, -1.0), 1.0) for k, v in raw.items()}


class AvatarChangeListener:
    """Listens (default 127.0.0.1:9001) for VRChat's /avatar/change; a bind failure only disables it."""

    def __init__(self, host: str, port: int, warn: bool = True) -> None:
        # Called (on the listener thread) with every other /avatar/parameters/... message, e.g. to route
        # expression-menu buttons to the control input. Must be thread-safe.
        self.forward: Callable[[str, list], object] | None = None
        self.on_change: Callable[[str], object] | None = None  # called with the avatar id (listener thread)
        self.changed = threading.Event()
        self.avatar_id = ""
        self.error: OSError | None = None
        self._listener: OscUdpListener | None = None
        try:
            self._listener = OscUdpListener(host, port, self._on_message, thread_name="vrchat-listen")
        except OSError as exc:
            self.error = exc
            if warn:
                log.warning("vrchat output: cannot listen on %s:%d for /avatar/change (%s); avatar changes will "
                            "only be caught by the periodic full resend", host, port, exc)

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
            if self.on_change is not None:
                self.on_change(self.avatar_id)
        elif self.forward is not None and address.startswith("/avatar/parameters/"):
            self.forward(address, params)

    def close(self) -> None:
        if self._listener is not None:
            self._listener.close()


class VrchatSink(UdpSink):
    """Sends eye tracking and face parameters to VRChat (default 127.0.0.1:9000).

    ``oscquery``: find VRChat over mDNS and read the avatar's parameters (``oscquery_url`` skips discovery);
    ``avatar_config``: a VRChat OSC avatar config JSON file, or VRChat's OSC folder, used when OSCQuery is off or
    finds nothing. With neither, the fallback plan (see the module docstring).
    """

    rig_key: str

    def __init__(self, host: str, port: int, rig_key: str, prefix: str = DEFAULT_PREFIX,
                 binary: Mapping[str, int] | None = None, min_delta: float = 0.001, resend_s: float = 5.0,
                 listen_host: str = "127.0.0.1", listen_port: int | None = DEFAULT_LISTEN_PORT,
                 oscquery: bool = False, oscquery_url: str = "", avatar_config: str = "",
                 mdns_interfaces: list[str] | None = None) -> None:
        for name, bits in (binary or {}).items():
            if not isinstance(bits, int) or not 1 <= bits <= 8:
                raise ValueError(f"vrchat output: binary.{name} must be an integer number of bits 1..8, got {bits!r}")
        self.name = f"vrchat:{host}:{port}"
        self.rig_key = rig_key
        self._dest = UdpDestination(host, port, self.name)
        self._prefix = prefix
        self._binary = dict(binary or {})
        self._min_delta = float(min_delta)
        self._resend_s = float(resend_s)
        self._last_bool: dict[str, bool] = {}  # address -> last bool sent
        self._bool_bytes: dict[tuple[str, bool], bytes] = {}  # (address, value) -> message
        self._last_full = -math.inf
        self._layout_key: tuple | None = None
        self.plan: SendPlan | None = None
        self.listener = None
        if listen_port is not None:
            self.listener = AvatarChangeListener(listen_host, listen_port, warn=not oscquery)
            if not self.listener.listening and oscquery and listen_port:
                # Another app holds 9001: with OSCQuery VRChat sends /avatar/change to the port we advertise.
                reason = self.listener.error
                self.listener = AvatarChangeListener(listen_host, 0)
                log.info("vrchat output: %s:%d is taken (%s); listening on port %s instead, announced over OSCQuery",
                         listen_host, listen_port, reason, self.listener.port)
        self.avatars = None
        if oscquery or oscquery_url or avatar_config:
            from bridge.outputs.oscquery import AvatarTracker

            osc_port = self.listener.port if self.listener is not None else None
            self.avatars = AvatarTracker(url=oscquery_url, discover=oscquery, config_path=avatar_config,
                                         refresh_s=resend_s, osc_port=osc_port, mdns_interfaces=mdns_interfaces)
            if self.listener is not None:
                self.listener.on_change = self.avatars.avatar_changed

    @classmethod
    def from_options(cls, options: VrchatOptions, rig_key: str | None) -> VrchatSink:
        """The sink for one validated ``[[outputs]]`` entry."""
        if rig_key is None:
            raise ValueError("vrchat output: needs a preset")
        return cls(options.host, options.resolved_port(), rig_key=rig_key, prefix=options.prefix,
                   binary=options.binary, min_delta=options.min_delta, resend_s=options.resend_s,
                   listen_host=options.listen_host, listen_port=options.listen_port or None,
                   oscquery=options.oscquery, oscquery_url=options.oscquery_url,
                   avatar_config=options.avatar_config)

    def _layout(self, names: tuple[str, ...], plan: SendPlan) -> None:
        """Precompute message prefixes and index arrays for one rig layout and one plan."""
        self.plan = plan
        self._float_index = np.asarray([i for i, _ in plan.float_targets], dtype=np.int64)
        self._float_prefixes = [osc.float_message_prefix(a) for _, a in plan.float_targets]
        self._last_float = np.full(len(plan.float_targets), np.nan, dtype=np.float32)  # NaN = never sent
        self._gaze = [(names.index(n), n) for n in UNIFIED_GAZE if n in names]

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
        """Bool, binary-bit and status parameters, each sent when it flips (all when ``full``)."""
        plan = self.plan
        assert plan is not None
        bools: dict[str, bool] = {}
        for i, address, threshold in plan.bool_targets:
            bools[address] = bool(values[i] < threshold)
        for i, bits, scale, negative in plan.binary_targets:
            v = float(values[i])
            for (address, _), bit in zip(bits, binary_bits(v, tuple(s for _, s in bits), scale,
                                                            negative is not None), strict=True):
                bools[address] = bit
            if negative is not None:
                bools[negative] = v < 0
        if plan.status:
            conf = dict(zip(REGIONS, state.confidence.tolist(), strict=True))
            live = not (state.flags & _LOST)
            status = {"EyeTrackingActive": live and max(conf["left_eye"], conf["right_eye"]) > 0.0,
                      "ExpressionTrackingActive": live,
                      "LipTrackingActive": live and max(conf["mouth"], conf["lower_face"]) > 0.0}
            for name, address in plan.status.items():
                bools[address] = status[name]
        out = []
        cache = self._bool_bytes
        for address, value in bools.items():
            if full or self._last_bool.get(address) is not value:
                self._last_bool[address] = value
                msg = cache.get((address, value))
                if msg is None:  # built once per address and value: python-osc's builder is slow per frame
                    msg = cache[(address, value)] = osc.message(address, value)
                out.append(msg)
        return out

    def _current_plan(self, names: tuple[str, ...]) -> tuple[tuple, SendPlan | None]:
        version, avatar = self.avatars.current if self.avatars is not None else (0, None)
        key = (names, version)
        if key == self._layout_key:
            return key, None
        if avatar is None:
            return key, fallback_plan(names, self._prefix, self._binary)
        plan = plan_for_avatar(names, avatar, _BASE_NAMES, UNIFIED_V2.names)
        log.info("vrchat output: avatar %s: driving %d of its parameters; VRChat native eye gaze %s, eyelids %s",
                 avatar.name or avatar.id, plan.count, "on" if plan.native_gaze else "off (avatar has its own)",
                 "on" if plan.native_closed else "off (avatar has its own)")
        if plan.count == 0:
            log.warning("vrchat output: avatar %s has no face-tracking parameters this preset can drive",
                        avatar.name or avatar.id)
        return key, plan

    def encode(self, frame: OutputFrame, now: float | None = None) -> list[bytes]:
        """The datagrams for one frame (eye messages every frame; parameters when changed or due)."""
        now = time.monotonic() if now is None else now
        full = now - self._last_full >= self._resend_s
        if self.listener is not None and self.listener.changed.is_set():
            self.listener.changed.clear()
            full = True
        rig = frame.rigs[self.rig_key]
        names = tuple(rig.names)
        key, plan = self._current_plan(names)
        if plan is not None:
            self._layout(names, plan)
            self._layout_key = key
            self._last_bool.clear()
            full = True
        if full:
            self._last_full = now
        s = frame.state
        plan = self.plan
        assert plan is not None
        elements = []
        if plan.native_gaze:
            left, right = s.left_eye, s.right_eye
            eyes = osc.pack_floats([-left.gaze_pitch, left.gaze_yaw, -right.gaze_pitch, right.gaze_yaw])
            elements.append(_EYE_PREFIX + eyes)
        if plan.native_closed:
            closed = 1.0 - 0.5 * (s.left_eye.openness + s.right_eye.openness)
            elements.append(_CLOSED_PREFIX + osc.pack_floats([min(max(closed, 0.0), 1.0)]))
        values = np.array(rig.values, dtype=np.float32)
        if self._gaze:
            tangents = gaze_tangents(s, getattr(rig, "gaze_map", None))
            for i, n in self._gaze:
                values[i] = tangents[n]
        elements += self._float_messages(values, full) + self._bool_messages(values, s, full)
        # Timetag "immediately": VRChat applies bundles on arrival; a past capture time gains nothing.
        return osc.bundles(elements, max_size=MAX_DATAGRAM_BYTES)

    def stats(self) -> dict[str, int]:
        out = super().stats()
        if self.listener is not None:
            out["listen_malformed"] = self.listener.malformed
        if self.plan is not None:
            out["avatar_parameters"] = self.plan.count
        return out

    def close(self) -> None:
        super().close()
        if self.listener is not None:
            self.listener.close()
        if self.avatars is not None:
            self.avatars.close()
