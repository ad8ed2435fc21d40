"""VMC protocol sink (VSeeFace, VNyan, Warudo, EVMC4U, VMagicMirror): blendshapes as /VMC/Ext/Blend/Val + Apply.

Per frame, in order: /VMC/Ext/OK (liveness + tracking status), /VMC/Ext/T (sender time), the eye bones when
``look_at`` includes "bone" (/VMC/Ext/Bone/Pos LeftEye, RightEye), one /VMC/Ext/Blend/Val per shape (plus the VRM0
name when the preset targets VRM 1.0 names), then /VMC/Ext/Blend/Apply. Packed into bundles of at most
MAX_DATAGRAM_BYTES (1,472: one 1,500-byte MTU minus IPv4 and UDP headers); Apply is always in the last one.

Receiver rules (sh-akira/VirtualMotionCaptureProtocol f41f427, docs/marionette-spec.markdown): Blend/Val names are
case-sensitive (:116-117; EVMC4U lowercases, EasyVirtualMotionCaptureForUnity 02c81e8 EVMC4U/ExternalReceiver.cs
:980, but VMagicMirror matches its perfect-sync clips ``EyeBlinkLeft`` ... exactly), so ARKit names go out in
PascalCase by default (``arkit_names``). Bone/Pos carries a bone's LOCAL position and rotation (:84-93); EVMC4U
applies both (ExternalReceiver.cs:1361-1383, position when BonePositionSynchronize is on, its default).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from bridge.fields import doc
from bridge.osc import MAX_DATAGRAM_BYTES
from bridge.osc import codec as osc
from bridge.osc.udp import UdpDestination
from bridge.outputs.base import NetworkOptions, OutputFrame, UdpSink
from bridge.schema import BLENDSHAPE_NAMES, FaceState, TrackingFlags

DEFAULT_PORT = 39539
ARKIT_NAME_STYLES = ("pascal", "camel", "both")
LOOK_AT_MODES = ("expression", "bone", "both")
# Local position of the LeftEye bone relative to its parent (the head) on a typical VRoid model, metres, Unity
# axes (x = the avatar's right, y up, z forward); RightEye mirrors x. Receivers that apply bone positions (EVMC4U)
# need the model's own value: set eye_bone_position.
DEFAULT_EYE_POSITION = (-0.03, 0.06, 0.03)
_PASCAL = {n: n[0].upper() + n[1:] for n in BLENDSHAPE_NAMES}  # eyeBlinkLeft -> EyeBlinkLeft (hinzka/VMagicMirror)
_LOOK_TARGETS = frozenset(("lookUp", "lookDown", "lookLeft", "lookRight", "LookUp", "LookDown", "LookLeft",
                           "LookRight"))
_BONE = "/VMC/Ext/Bone/Pos"
_VAL = "/VMC/Ext/Blend/Val"
_APPLY = osc.message("/VMC/Ext/Blend/Apply")
# Flags that mean "we are not really tracking right now" -> trackingStatus 0 in /VMC/Ext/OK.
_NOT_TRACKING = TrackingFlags.CAMERA_LOST | TrackingFlags.EASING_TO_NEUTRAL | TrackingFlags.PAUSED


@dataclass(frozen=True, slots=True)
class VmcOptions(NetworkOptions):
    """``[[outputs]] kind = "vmc"``: VSeeFace, VNyan, Warudo, VMagicMirror and other VMC receivers."""

    kind: ClassVar[str] = "vmc"
    default_port: ClassVar[int] = DEFAULT_PORT

    vrm0_aliases: bool = field(default=True, metadata=doc(
        "when the preset targets VRM 1.0, also send the VRM 0.x names (Joy, A, Blink_L, ...)"))
    arkit_names: str = field(default="pascal", metadata=doc(
        "spelling of the 52 ARKit names of a perfect-sync (arkit52) preset: pascal = EyeBlinkLeft (perfect-sync "
        "clip names, VMagicMirror), camel = eyeBlinkLeft, both", choices=ARKIT_NAME_STYLES))
    look_at: str = field(default="expression", metadata=doc(
        "how gaze reaches the avatar: expression = the preset's look shapes; bone = LeftEye/RightEye bone "
        "rotations (VRM models whose lookAt type is bone, most VRoid exports); both", choices=LOOK_AT_MODES))
    eye_bone_position: tuple[float, float, float] = field(default=DEFAULT_EYE_POSITION, metadata=doc(
        "LeftEye bone local position [x, y, z] in metres sent with the eye bones (RightEye mirrors x); receivers "
        "that apply bone positions (EVMC4U) need your model's value"))


def eye_rotation(yaw_deg: float, pitch_deg: float) -> tuple[float, float, float, float]:
    """Local rotation (x, y, z, w) of an eye bone looking ``yaw`` to the subject's right and ``pitch`` up.

    Unity is left-handed (x right, y up, z forward): a positive turn about +y swings forward toward the right, a
    positive turn about +x swings it down; Euler order Z, X, Y (q = qy * qx). Assumes the bone's rest rotation is
    identity, as on normalized VRM rigs.
    """
    hy, hx = math.radians(yaw_deg) / 2.0, math.radians(-pitch_deg) / 2.0
    cy, sy, cx, sx = math.cos(hy), math.sin(hy), math.cos(hx), math.sin(hx)
    # (0, sy, 0, cy) * (sx, 0, 0, cx)
    return (cy * sx, sy * cx, -sy * sx, cy * cx)


class VmcSink(UdpSink):
    """Sends one rig's values to a VMC receiver (Marionette, default 127.0.0.1:39539).

    When the rig frame carries ``vrm0_aliases`` (VRM 1.0 -> 0.x names; retarget sets them for vrm1 presets) and
    ``send_aliases`` is true, each aliased shape is sent under both names: many VMC receivers only know VRM 0.x.
    ``arkit_names``: how the 52 ARKit names of an arkit52 (perfect-sync) preset are spelled: "pascal"
    (``EyeBlinkLeft``, perfect-sync clip names), "camel" (``eyeBlinkLeft``) or "both".
    ``look_at``: "expression" (the preset's look targets), "bone" (LeftEye/RightEye bone rotations from the tracked
    gaze, for VRM models whose lookAt type is bone; the preset's look targets are then not sent) or "both".
    """

    rig_key: str

    def __init__(self, host: str, port: int, rig_key: str, send_aliases: bool = True, arkit_names: str = "pascal",
                 look_at: str = "expression", eye_bone_position: Sequence[float] = DEFAULT_EYE_POSITION) -> None:
        if arkit_names not in ARKIT_NAME_STYLES:
            raise ValueError(f"vmc output: arkit_names must be one of {', '.join(ARKIT_NAME_STYLES)}, "
                             f"got {arkit_names!r}")
        if look_at not in LOOK_AT_MODES:
            raise ValueError(f"vmc output: look_at must be one of {', '.join(LOOK_AT_MODES)}, got {look_at!r}")
        position = tuple(float(v) for v in eye_bone_position)
        if len(position) != 3 or not all(math.isfinite(v) for v in position):
            raise ValueError(f"vmc output: eye_bone_position must be 3 finite numbers [x, y, z], got "
                             f"{list(eye_bone_position)!r}")
        self.name = f"vmc:{host}:{port}"
        self.rig_key = rig_key
        self._dest = UdpDestination(host, port, self.name)
        self._send_aliases = bool(send_aliases)
        self._arkit_names = arkit_names
        self._look_at = look_at
        x, y, z = position
        self._eye_prefixes = (osc.float_message_prefix(_BONE, "LeftEye", n_floats=7),
                              osc.float_message_prefix(_BONE, "RightEye", n_floats=7))
        self._eye_positions = ((x, y, z), (-x, y, z))
        self._start = time.monotonic()
        self._layout_key: tuple | None = None
        self._prefixes: list[bytes] = []
        self._value_index = np.zeros(0, dtype=np.int64)

    @classmethod
    def from_options(cls, options: VmcOptions, rig_key: str | None) -> VmcSink:
        """The sink for one validated ``[[outputs]]`` entry."""
        if rig_key is None:
            raise ValueError("vmc output: needs a preset")
        return cls(options.host, options.resolved_port(), rig_key=rig_key, send_aliases=options.vrm0_aliases,
                   arkit_names=options.arkit_names, look_at=options.look_at,
                   eye_bone_position=options.eye_bone_position)

    def _spellings(self, rig_id: str, name: str) -> list[str]:
        if rig_id != "arkit52" or name not in _PASCAL:
            return [name]
        return {"pascal": [_PASCAL[name]], "camel": [name], "both": [name, _PASCAL[name]]}[self._arkit_names]

    def _layout(self, rig_id: str, names: tuple[str, ...], aliases: dict[str, str] | None) -> None:
        """Precompute the message prefixes for this rig's names (+ aliases); redone only when the rig changes."""
        key = (rig_id, names, None if aliases is None else id(aliases))  # the rig profile's dict lives on
        aliases = aliases if (aliases and self._send_aliases) else {}
        prefixes, index = [], []
        for i, name in enumerate(names):
            if self._look_at == "bone" and name in _LOOK_TARGETS:
                continue  # the eyes move by bone; a model with look expressions too would turn them twice
            spellings = self._spellings(rig_id, name)
            alias = aliases.get(name)
            if alias and alias != name:
                spellings.append(alias)
            for spelled in spellings:
                prefixes.append(osc.float_message_prefix(_VAL, spelled))
                index.append(i)
        self._prefixes = prefixes
        self._value_index = np.asarray(index, dtype=np.int64)
        self._layout_key = key

    def _eye_bones(self, state: FaceState) -> list[bytes]:
        out = []
        for prefix, position, eye in zip(self._eye_prefixes, self._eye_positions, (state.left_eye, state.right_eye),
                                         strict=True):
            out.append(prefix + osc.pack_floats([*position, *eye_rotation(eye.gaze_yaw, eye.gaze_pitch)]))
        return out

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
        if self._look_at != "expression":
            header += self._eye_bones(frame.state)
        elements = header + osc.float_messages(self._prefixes, values) + [_APPLY]
        return osc.bundles(elements, osc.ntp_timetag(frame.capture_time), max_size=MAX_DATAGRAM_BYTES)
