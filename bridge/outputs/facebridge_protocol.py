"""The ``facebridge`` wire protocol (v1): pure encode/decode, no sockets.

One OSC 1.0 bundle per frame whose timetag is the capture time (NTP). Addresses carry the version
(``/fb/v1/...``). The rig's names table goes out in its own bundle(s) at start, on change and every
``names_interval_s``; frames carry values by index into that table. Every datagram stays within
``MAX_DATAGRAM_BYTES`` (bridge.osc: one Ethernet MTU minus IPv4+UDP headers), splitting names and values over
several bundles when a rig is large. docs/protocol.md is the normative description with byte dumps;
tests/vectors/ holds binary examples that the Unity package's C# tests decode too. The decoder/assembler (used by
tests, tools and anyone writing a receiver) is in ``facebridge_decoder``.

Messages (all big-endian, OSC 1.0 type tags):

=====================  =========================  ==================================================
address                 tags                       meaning
=====================  =========================  ==================================================
/fb/v1/names            ,isii s...                 table_id, rig, total, offset, names[offset:...]
/fb/v1/frame            ,iii                       sequence, table_id, value_count
/fb/v1/tracking         ,iffff                     flags (TrackingFlags), confidence per REGIONS
/fb/v1/emotion          ,isffffffff                label index, label, 8 probabilities (FER8 order)
/fb/v1/affect           ,ff                        valence, arousal (-1..1)
/fb/v1/light            ,fffff                     r, g, b (0..1), intensity, transition seconds
/fb/v1/values           ,iii f...                  sequence, table_id, offset, values[offset:...]
=====================  =========================  ==================================================
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

import numpy as np

from bridge.osc.codec import (
    BUNDLE_OVERHEAD,
    MAX_DATAGRAM_BYTES,
    TIMETAG_IMMEDIATELY,
    bundle,
    ntp_timetag,
    osc_string_size,
    typed_message,
)
from bridge.schema import FER8, REGIONS

PROTOCOL_VERSION = 1
DEFAULT_PORT = 39571  # the Unity package's default listen port
ADDRESS_PREFIX = f"/fb/v{PROTOCOL_VERSION}/"
SEQUENCE_MASK = 0x7FFFFFFF  # sequence numbers travel as non-negative int32 and wrap

ADDR_NAMES = ADDRESS_PREFIX + "names"
ADDR_FRAME = ADDRESS_PREFIX + "frame"
ADDR_TRACKING = ADDRESS_PREFIX + "tracking"
ADDR_EMOTION = ADDRESS_PREFIX + "emotion"
ADDR_AFFECT = ADDRESS_PREFIX + "affect"
ADDR_LIGHT = ADDRESS_PREFIX + "light"
ADDR_VALUES = ADDRESS_PREFIX + "values"

__all__ = ["ADDR_AFFECT", "ADDR_EMOTION", "ADDR_FRAME", "ADDR_LIGHT", "ADDR_NAMES", "ADDR_TRACKING", "ADDR_VALUES",
           "DEFAULT_PORT", "MAX_DATAGRAM_BYTES", "PROTOCOL_VERSION", "SEQUENCE_MASK", "FacebridgeEncoder",
           "ProtocolFrame", "names_table_id"]


# ---------------------------------------------------------------------------------------------- frame type


@dataclass(frozen=True, slots=True)
class ProtocolFrame:
    """Everything one frame puts on the wire. ``values`` line up with ``names`` (the retargeted rig)."""

    sequence: int
    capture_time: float  # time.time() seconds; becomes the bundle's NTP timetag
    rig: str
    names: tuple[str, ...]
    values: np.ndarray  # float32, len(names)
    emotion_probs: np.ndarray  # (8,) over bridge.schema.FER8
    emotion_label: str
    valence: float
    arousal: float
    light: tuple[float, float, float, float, float] | None  # r, g, b, intensity, transition_s
    flags: int  # bridge.schema.TrackingFlags bitmask
    confidence: np.ndarray  # (4,) over bridge.schema.REGIONS

    def __post_init__(self) -> None:
        names = tuple(self.names)
        object.__setattr__(self, "names", names)
        values = np.asarray(self.values, dtype=np.float32).reshape(-1)
        if values.shape[0] != len(names):
            raise ValueError(f"ProtocolFrame.values: {values.shape[0]} values for {len(names)} names "
                             f"of rig {self.rig!r}; they must line up")
        probs = np.asarray(self.emotion_probs, dtype=np.float32).reshape(-1)
        if probs.shape != (len(FER8),):
            raise ValueError(f"ProtocolFrame.emotion_probs: expected {len(FER8)} values in FER8 order, "
                             f"got {probs.shape[0]}")
        conf = np.asarray(self.confidence, dtype=np.float32).reshape(-1)
        if conf.shape != (len(REGIONS),):
            raise ValueError(f"ProtocolFrame.confidence: expected {len(REGIONS)} values in REGIONS order, "
                             f"got {conf.shape[0]}")
        if self.emotion_label not in FER8:
            raise ValueError(f"ProtocolFrame.emotion_label: {self.emotion_label!r} is not one of {FER8}")
        if self.light is not None and len(self.light) != 5:
            raise ValueError("ProtocolFrame.light: expected (r, g, b, intensity, transition_s) or None")
        for key, arr in (("values", values), ("emotion_probs", probs), ("confidence", conf)):
            if not np.all(np.isfinite(arr)):
                raise ValueError(f"ProtocolFrame.{key}: values must be finite")
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "emotion_probs", probs)
        object.__setattr__(self, "confidence", conf)
        object.__setattr__(self, "flags", int(self.flags))
        if self.light is not None:
            object.__setattr__(self, "light", tuple(float(x) for x in self.light))


def names_table_id(rig: str, names: tuple[str, ...]) -> int:
    """Content-derived id of a names table (CRC-32 of rig + names, 31 bits) so any change gives a new id."""
    return zlib.crc32("\n".join((rig, *names)).encode("utf-8")) & 0x7FFFFFFF


# ---------------------------------------------------------------------------------------------- encoding


def _values_message(sequence: int, table_id: int, offset: int, values: np.ndarray) -> bytes:
    """/fb/v1/values built with numpy (one float per arg would cost ~1 µs each through the generic builder)."""
    tags = ",iii" + "f" * values.shape[0]
    tag_bytes = tags.encode("ascii") + b"\x00" * (4 - len(tags) % 4)
    return (_ADDR_VALUES_BYTES + tag_bytes + struct.pack(">iii", sequence, table_id, offset)
            + values.astype(">f4", copy=False).tobytes())


_ADDR_VALUES_BYTES = ADDR_VALUES.encode("ascii") + b"\x00" * (4 - len(ADDR_VALUES) % 4)


def _values_message_size(count: int) -> int:
    return len(_ADDR_VALUES_BYTES) + ((4 + count) // 4 + 1) * 4 + 12 + 4 * count


def _bundle_size(message_sizes: list[int]) -> int:
    return BUNDLE_OVERHEAD + sum(4 + s for s in message_sizes)


class FacebridgeEncoder:
    """Turns ProtocolFrames into datagrams; decides when the names table (re)goes out.

    The names table is sent before the frame when it is new or changed, when ``names_interval_s`` of
    capture time passed since it was last sent (late-joining receivers), when capture time went
    backwards (a replay restarted) and after ``force_names()``.
    """

    def __init__(self, names_interval_s: float = 2.0, max_datagram_bytes: int = MAX_DATAGRAM_BYTES) -> None:
        if names_interval_s <= 0:
            raise ValueError("FacebridgeEncoder: names_interval_s must be > 0")
        if max_datagram_bytes < 512:
            raise ValueError("FacebridgeEncoder: max_datagram_bytes must be >= 512 to fit one frame's fixed part")
        self.names_interval_s = float(names_interval_s)
        self.max_datagram_bytes = int(max_datagram_bytes)
        self._table_key: tuple[str, tuple[str, ...]] | None = None
        self._table_id = 0
        self._names_sent_at: float | None = None

    def force_names(self) -> None:
        """Send the names table with the next frame (e.g. a receiver asked for it)."""
        self._names_sent_at = None

    def encode(self, frame: ProtocolFrame) -> list[bytes]:
        """Datagrams for one frame, in send order: names bundles (when due), then the frame bundle(s)."""
        key = (frame.rig, frame.names)
        if key != self._table_key:
            self._table_key = key
            self._table_id = names_table_id(frame.rig, frame.names)
            self._names_sent_at = None
        timetag = ntp_timetag(frame.capture_time)
        out: list[bytes] = []
        last = self._names_sent_at
        if last is None or frame.capture_time - last >= self.names_interval_s or frame.capture_time < last:
            out.extend(self.encode_names(frame.rig, frame.names, timetag))
            self._names_sent_at = frame.capture_time
        out.extend(self._encode_frame(frame, timetag))
        return out

    def encode_names(self, rig: str, names: tuple[str, ...], timetag: int = TIMETAG_IMMEDIATELY) -> list[bytes]:
        """The names table as one or more bundles, each holding one /fb/v1/names chunk."""
        table_id = names_table_id(rig, names)
        rig_size = osc_string_size(rig)
        budget = self.max_datagram_bytes - BUNDLE_OVERHEAD - 4  # bundle head + element size
        fixed = osc_string_size(ADDR_NAMES) + rig_size + 12  # address, rig string, three ints
        if fixed + 8 + osc_string_size("x") > budget:
            raise ValueError(f"rig name {rig!r} is too long for one datagram")
        out: list[bytes] = []
        offset = 0
        while True:
            count = 0
            names_size = 0
            while offset + count < len(names):
                name_size = osc_string_size(names[offset + count])
                tag_size = ((6 + count) // 4 + 1) * 4  # ",isii" + one "s" per name incl. this one, NUL, pad
                if fixed + tag_size + names_size + name_size > budget:
                    break
                names_size += name_size
                count += 1
            if count == 0 and offset < len(names):
                raise ValueError(f"rig {rig!r}: name {names[offset]!r} is too long for one datagram")
            chunk = names[offset:offset + count]
            args: list[tuple[str, object]] = [("i", table_id), ("s", rig), ("i", len(names)), ("i", offset)]
            args.extend(("s", n) for n in chunk)
            msg = typed_message(ADDR_NAMES, args)
            out.append(bundle([msg], timetag))
            offset += count
            if offset >= len(names):
                return out

    def _encode_frame(self, frame: ProtocolFrame, timetag: int) -> list[bytes]:
        seq = frame.sequence & SEQUENCE_MASK
        table_id = self._table_id
        label_index = FER8.index(frame.emotion_label)
        head = [
            typed_message(ADDR_FRAME, [("i", seq), ("i", table_id), ("i", len(frame.names))]),
            typed_message(ADDR_TRACKING, [("i", frame.flags & 0x7FFFFFFF)]
                           + [("f", float(c)) for c in frame.confidence]),
            typed_message(ADDR_EMOTION, [("i", label_index), ("s", frame.emotion_label)]
                           + [("f", float(p)) for p in frame.emotion_probs]),
            typed_message(ADDR_AFFECT, [("f", float(frame.valence)), ("f", float(frame.arousal))]),
        ]
        if frame.light is not None:
            head.append(typed_message(ADDR_LIGHT, [("f", x) for x in frame.light]))
        # Values fill the rest of the first bundle; any overflow goes into continuation bundles.
        out: list[bytes] = []
        used = _bundle_size([len(m) for m in head])
        messages = head
        offset = 0
        total = frame.values.shape[0]
        while True:
            room = self.max_datagram_bytes - used - 4
            count = min(total - offset, self._max_values_fitting(room))
            if count > 0 or (offset == 0 and total == 0):
                messages.append(_values_message(seq, table_id, offset, frame.values[offset:offset + count]))
            out.append(bundle(messages, timetag))
            offset += count
            if offset >= total:
                return out
            messages = []
            used = BUNDLE_OVERHEAD

    @staticmethod
    def _max_values_fitting(room: int) -> int:
        # size(n) = addr + pad4(4 + n) + 12 + 4n is monotonic in n: solve roughly, then step down.
        n = max(0, (room - len(_ADDR_VALUES_BYTES) - 16) // 5 + 1)
        while n > 0 and _values_message_size(n) > room:
            n -= 1
        return n
