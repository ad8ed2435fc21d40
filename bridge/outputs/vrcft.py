"""Which avatar parameters to send, where and how: VRCFaceTracking's rules, applied to an avatar's parameter list.

Pure logic (no sockets). Every rule cites benaclejames/VRCFaceTracking 4c58db6 (VRCFaceTracking.Core/...):

- A face parameter ``v2/<Name>`` goes to the first avatar parameter of the same type whose address matches
  ``(?<!(v\\d+))(/v2/<Name>)$|^(v2/<Name>)$`` (OSC/DataTypes/BaseParameter.cs:81, :97-105): ``FT/v2/JawOpen``
  and bare ``v2/JawOpen`` both match; the status bools (``EyeTrackingActive`` ...) are matched the same way by
  their bare name, so ``.../v2/EyeTrackingActive`` is rejected.
- Each name is sent in every encoding the avatar has (Params/DataTypes/ParamContainers.cs:90-95): float = the
  value; bool = value < threshold (0.5 for combined parameters, 0.0 for base and simple shapes, :77 and
  Params/Expressions/UnifiedExpressionsParameters.cs:315,318); binary = the avatar's bools ``<Name><2^k>`` plus
  ``<Name>Negative`` (OSC/DataTypes/BinaryBaseParameter.cs:54-118).
- Native eye tracking (/tracking/eye/...) only when the avatar has no face-tracking eye parameters
  (UnifiedExpressionsParameters.cs:48-71).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

V2 = "v2/"
PARAMETERS_PREFIX = "/avatar/parameters/"
STATUS_NAMES = ("EyeTrackingActive", "ExpressionTrackingActive", "LipTrackingActive")
# OSC type tag -> the parameter type VRCFaceTracking compares (OSC/OSCUtils.cs:8-15).
_TYPE_OF_TAG = {"T": "bool", "F": "bool", "f": "float", "i": "int", "s": "string"}
_TYPE_OF_CONFIG = {"Bool": "bool", "Float": "float", "Int": "int", "String": "string"}
# Legacy (v1) eye parameter names VRCFaceTracking also counts as "the avatar has eye tracking"
# (Params/Expressions/Legacy/Eye/EyeTrackingParams.cs:12-97, used by UnifiedExpressionsParameters.cs:15).
_LEGACY_EYE_NAMES = (
    "EyesX", "EyesY", "LeftEyeX", "LeftEyeY", "RightEyeX", "RightEyeY",
    "LeftEyeLid", "RightEyeLid", "CombinedEyeLid", "LeftEyeLidExpanded", "RightEyeLidExpanded", "EyeLidExpanded",
    "LeftEyeLidExpandedSqueeze", "RightEyeLidExpandedSqueeze", "EyeLidExpandedSqueeze",
    "CombinedEyeLidExpanded", "CombinedEyeLidExpandedSqueeze",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class AvatarParameter:
    """One parameter the avatar has: full OSC address, its name (last address part for OSCQuery, the config
    file's ``name`` otherwise) and type ("float", "bool", "int", "string")."""

    address: str
    name: str
    type: str


@dataclass(frozen=True)
class AvatarInfo:
    """The current avatar as VRChat describes it (OSCQuery tree or OSC config file)."""

    id: str
    parameters: tuple[AvatarParameter, ...]
    name: str = ""
    source: str = ""  # "oscquery http://..." or the config file path, for messages


def avatar_from_oscquery(tree: dict, source: str = "") -> AvatarInfo:
    """Parse VRChat's OSCQuery ``/avatar`` node (as VRCFaceTracking does, OSC/Query/OscQueryAvatarInfo.cs:13-36).

    Nodes with CONTENTS are walked; leaves with a TYPE are parameters (address = FULL_PATH). Raises ValueError
    on a tree that is not an OSCQuery avatar node.
    """
    if not isinstance(tree, dict) or not isinstance(tree.get("CONTENTS"), dict):
        raise ValueError(f"OSCQuery avatar node {source or ''} has no CONTENTS".replace("  ", " "))
    contents = tree["CONTENTS"]
    change = contents.get("change")
    avatar_id = ""
    if isinstance(change, dict) and isinstance(change.get("VALUE"), list) and change["VALUE"]:
        avatar_id = str(change["VALUE"][0])
    params_node = contents.get("parameters")
    out: list[AvatarParameter] = []

    def walk(node_contents: dict) -> None:
        for node in node_contents.values():
            if not isinstance(node, dict):
                continue
            if isinstance(node.get("CONTENTS"), dict):
                walk(node["CONTENTS"])
            elif isinstance(node.get("TYPE"), str) and node["TYPE"] and isinstance(node.get("FULL_PATH"), str):
                kind = _TYPE_OF_TAG.get(node["TYPE"][0])
                if kind is not None:
                    path = node["FULL_PATH"]
                    out.append(AvatarParameter(path, path[path.rfind("/") + 1:], kind))

    if isinstance(params_node, dict) and isinstance(params_node.get("CONTENTS"), dict):
        walk(params_node["CONTENTS"])
    return AvatarInfo(avatar_id or "unknown", tuple(out), source=source)


def avatar_from_config(data: dict, source: str = "") -> AvatarInfo:
    """Parse one VRChat OSC avatar config file (``.../OSC/usr_*/Avatars/avtr_*.json``): parameters with an
    ``input`` (AvatarConfigFileParser.cs:88; Models/ParameterDefinition/FileBased/*.cs)."""
    if not isinstance(data, dict) or not isinstance(data.get("parameters"), list):
        raise ValueError(f"{source or 'avatar config'}: not a VRChat OSC avatar config (no 'parameters' list)")
    out = []
    for p in data["parameters"]:
        inp = p.get("input") if isinstance(p, dict) else None
        if not isinstance(inp, dict) or not isinstance(inp.get("address"), str):
            continue
        kind = _TYPE_OF_CONFIG.get(str(inp.get("type")))
        if kind is not None:
            out.append(AvatarParameter(inp["address"], str(p.get("name", "")), kind))
    return AvatarInfo(str(data.get("id", "")), tuple(out), name=str(data.get("name", "")), source=source)


def load_avatar_config(path: str | Path, avatar_id: str | None = None) -> AvatarInfo | None:
    """An avatar config from a file, or from VRChat's OSC folder (``OSC/usr_*/Avatars/*.json``) by avatar id.

    Returns None when a folder holds no config for ``avatar_id``. Raises ValueError (one line, naming the file)
    for an unreadable or malformed file.
    """
    p = Path(path).expanduser()
    if p.is_dir():
        if not avatar_id:
            return None
        candidates = sorted(p.glob(f"*/Avatars/{avatar_id}.json")) + sorted(p.glob(f"Avatars/{avatar_id}.json")) \
            + sorted(p.glob(f"{avatar_id}.json"))
        if not candidates:
            return None
        p = candidates[0]
    try:
        data = json.loads(p.read_text(encoding="utf-8-sig"))  # VRChat writes a BOM
    except OSError as exc:
        raise ValueError(f"avatar config {p}: cannot read ({exc.strerror or exc})") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"avatar config {p}: not JSON ({exc.msg} at line {exc.lineno})") from None
    return avatar_from_config(data, source=str(p))


# ---- matching ------------------------------------------------------------------------------------------------
_V_DIGITS = re.compile(r"v\d+$")


def _matches(address: str, param_name: str) -> bool:
    """BaseParameter.cs:81: ``(?<!(v\\d+))(/NAME)$|^(NAME)$``."""
    if address == param_name:
        return True
    suffix = "/" + param_name
    return address.endswith(suffix) and not _V_DIGITS.search(address[: -len(suffix)])


def find_parameter(params: tuple[AvatarParameter, ...], param_name: str, kind: str) -> AvatarParameter | None:
    """First avatar parameter of type ``kind`` matching ``param_name`` (BaseParameter.cs:97-99)."""
    for p in params:
        if p.type == kind and _matches(p.address, param_name):
            return p
    return None


def find_binary(params: tuple[AvatarParameter, ...], param_name: str) -> tuple[tuple[tuple[str, int], ...], int]:
    """The avatar's binary bits of ``param_name``: ((address, shift), ...) and the scale 2^(number of bits).

    BinaryBaseParameter.cs:59-79,98-109: bool parameters whose address matches ``NAME\\d+`` (same look-behind
    rule) and whose trailing number is a power of two; shift = log2(number); scale = 2^count.
    """
    bits: list[tuple[str, int]] = []
    seen: set[int] = set()
    for p in params:
        m = re.search(r"\d+$", p.address) if p.type == "bool" else None
        if m is None or not _matches(p.address[: m.start()], param_name):
            continue
        index = int(m.group(0))
        # Not a power of two: not a bit. A repeated bit: VRCFaceTracking's dictionary would throw and drop the
        # whole avatar; keeping the first is kinder.
        if index <= 0 or index & (index - 1) or index in seen:
            continue
        seen.add(index)
        bits.append((p.address, index.bit_length() - 1))
    return tuple(bits), 1 << len(bits)


def native_eye_rule(params: tuple[AvatarParameter, ...], all_v2_names: tuple[str, ...]) -> tuple[bool, bool]:
    """(send /tracking/eye/LeftRightPitchYaw, send /tracking/eye/EyesClosedAmount) for this avatar.

    UnifiedExpressionsParameters.cs:53-58: gaze is sent only if no avatar parameter whose name contains "Eye" and
    an 'X' or 'Y' has an address ending in a known eye parameter name (binary bits count: NAME + digits);
    :65-69: the closed amount only if none whose name contains "Eye" and "Open" or "Lid" does.
    """
    known = tuple(V2 + n for n in all_v2_names) + _LEGACY_EYE_NAMES

    def is_eye_param(p: AvatarParameter) -> bool:
        # A binary bit (NAME1, NAME2 ...) and NAMENegative count as the parameter (they are in its GetParamNames).
        address = re.sub(r"(\d+|Negative)$", "", p.address)
        return any(address.endswith(k) for k in known)

    gaze = [p for p in params if "Eye" in p.name and ("X" in p.name or "Y" in p.name)]
    lids = [p for p in params if "Eye" in p.name and ("Open" in p.name or "Lid" in p.name)]
    return (not any(map(is_eye_param, gaze)), not any(map(is_eye_param, lids)))


# ---- the send plan ----------------------------------------------------------------------------------------------
@dataclass
class SendPlan:
    """For one rig layout and one avatar: where each value goes and in which encodings."""

    float_targets: list[tuple[int, str]] = field(default_factory=list)  # (rig index, address)
    bool_targets: list[tuple[int, str, float]] = field(default_factory=list)  # (rig index, address, threshold)
    binary_targets: list[tuple[int, tuple[tuple[str, int], ...], int, str | None]] = field(default_factory=list)
    status: dict[str, str] = field(default_factory=dict)  # status name -> address
    native_gaze: bool = True
    native_closed: bool = True
    avatar: AvatarInfo | None = None

    @property
    def count(self) -> int:
        """How many avatar parameters this plan drives (floats, bools, binary bits + sign, status)."""
        return (len(self.float_targets) + len(self.bool_targets) + len(self.status)
                + sum(len(b) + (n is not None) for _, b, _, n in self.binary_targets))


def bool_threshold(name: str, base_names: frozenset[str]) -> float:
    """EParam bool threshold: 0.0 for base and simple shapes (UnifiedExpressionsParameters.cs:315,318), 0.5 for
    combined parameters (ParamContainers.cs:77 default)."""
    return 0.0 if name in base_names else 0.5


SIMPLE_NAMES = frozenset(("BrowUpRight", "BrowUpLeft", "BrowDownRight", "BrowDownLeft", "MouthSmileRight",
                          "MouthSmileLeft", "MouthSadRight", "MouthSadLeft"))


def plan_for_avatar(names: tuple[str, ...], avatar: AvatarInfo, base_names: frozenset[str],
                    all_v2_names: tuple[str, ...]) -> SendPlan:
    """Bind the rig's names to the avatar's parameters with VRCFaceTracking's rules (see the module docstring)."""
    params = avatar.parameters
    plan = SendPlan(avatar=avatar)
    flat = base_names | SIMPLE_NAMES
    for i, n in enumerate(names):
        v2 = V2 + n
        p = find_parameter(params, v2, "float")
        if p is not None:
            plan.float_targets.append((i, p.address))
        p = find_parameter(params, v2, "bool")
        if p is not None:
            plan.bool_targets.append((i, p.address, bool_threshold(n, flat)))
        bits, scale = find_binary(params, v2)
        negative = find_parameter(params, v2 + "Negative", "bool")
        if bits or negative is not None:
            plan.binary_targets.append((i, bits, scale, None if negative is None else negative.address))
    for s in STATUS_NAMES:
        p = find_parameter(params, s, "bool")
        if p is not None:
            plan.status[s] = p.address
    plan.native_gaze, plan.native_closed = native_eye_rule(params, all_v2_names)
    return plan


def fallback_plan(names: tuple[str, ...], prefix: str, binary: dict[str, int]) -> SendPlan:
    """No avatar description (no OSCQuery, no config file): every name as a float at ``prefix``, binary names as
    configured, status bools at their bare address (what VRCFaceTracking sends when it cannot see the avatar,
    BaseParameter.cs:89-94: DefaultPrefix + name), native eye tracking always."""
    base = PARAMETERS_PREFIX + prefix.strip("/") + "/" if prefix.strip("/") else PARAMETERS_PREFIX
    plan = SendPlan()
    for i, n in enumerate(names):
        if n in binary:
            bits = binary[n]
            plan.binary_targets.append(
                (i, tuple((f"{base}{n}{1 << k}", k) for k in range(bits)), 1 << bits, f"{base}{n}Negative"))
        else:
            plan.float_targets.append((i, base + n))
    plan.status = {s: PARAMETERS_PREFIX + s for s in STATUS_NAMES}
    return plan


def binary_bits(value: float, shifts: tuple[int, ...], scale: int, has_negative: bool) -> list[bool]:
    """BinaryBaseParameter.cs:19-36: without a Negative parameter negative values clear every bit; |value| >
    0.99999 sets every bit; otherwise bit = ((int)(|value| * scale) >> shift) & 1."""
    if value < 0 and not has_negative:
        return [False] * len(shifts)
    magnitude = abs(float(value))
    if magnitude > 0.99999:
        return [True] * len(shifts)
    as_int = int(magnitude * scale)
    return [bool((as_int >> s) & 1) for s in shifts]
