"""The ``facebridge`` wire protocol (v1): pure encode/decode, no sockets.

One OSC 1.0 bundle per frame whose timetag is the capture time (NTP). Addresses carry the version
(``/fb/v1/...``). The rig's names table goes out in its own bundle(s) at start, on change and every
``names_interval_s``; frames carry values by index into that table. Every datagram stays within
``MAX_DATAGRAM_BYTES`` (one Ethernet MTU minus IPv4+UDP headers), splitting names and values over
several bundles when a rig is large. docs/protocol.md is the normative description with byte dumps;
tests/vectors/ holds binary examples that the Unity package's C# tests decode too.

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
from dataclasses import dataclass, field

import numpy as np
from pythonosc.osc_message_builder import OscMessageBuilder
from pythonosc.parsing import ntp

from bridge.schema import FER8, REGIONS

PROTOCOL_VERSION = 1
DEFAULT_PORT = 39571  # the Unity package's default listen port
ADDRESS_PREFIX = f"/fb/v{PROTOCOL_VERSION}/"
# 1500-byte Ethernet MTU minus 20 (IPv4 header) and 8 (UDP header): no IP fragmentation on real networks.
MAX_DATAGRAM_BYTES = 1472
SEQUENCE_MASK = 0x7FFFFFFF  # sequence numbers travel as non-negative int32 and wrap

ADDR_NAMES = ADDRESS_PREFIX + "names"
ADDR_FRAME = ADDRESS_PREFIX + "frame"
ADDR_TRACKING = ADDRESS_PREFIX + "tracking"
ADDR_EMOTION = ADDRESS_PREFIX + "emotion"
ADDR_AFFECT = ADDRESS_PREFIX + "affect"
ADDR_LIGHT = ADDRESS_PREFIX + "light"
ADDR_VALUES = ADDRESS_PREFIX + "values"

_BUNDLE_HEAD = b"#bundle\x00"
_NTP_IMMEDIATELY = 1
_NTP_UNIX_DELTA = 2208988800  # seconds from 1900-01-01 to 1970-01-01


class ProtocolError(ValueError):
    """A datagram that is not valid facebridge v1 (message names what is wrong)."""


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


def _osc_string_size(text: str) -> int:
    """Bytes an OSC-string occupies: UTF-8 + NUL, padded to a multiple of 4."""
    return (len(text.encode("utf-8")) // 4 + 1) * 4


def _build_message(address: str, args: list[tuple[str, object]]) -> bytes:
    builder = OscMessageBuilder(address=address)
    for tag, value in args:
        builder.add_arg(value, tag)
    return builder.build().dgram


def _values_message(sequence: int, table_id: int, offset: int, values: np.ndarray) -> bytes:
    """/fb/v1/values built with numpy (one float per arg would cost ~1 µs each through the generic builder)."""
    tags = ",iii" + "f" * values.shape[0]
    tag_bytes = tags.encode("ascii") + b"\x00" * (4 - len(tags) % 4)
    return (_ADDR_VALUES_BYTES + tag_bytes + struct.pack(">iii", sequence, table_id, offset)
            + values.astype(">f4", copy=False).tobytes())


_ADDR_VALUES_BYTES = ADDR_VALUES.encode("ascii") + b"\x00" * (4 - len(ADDR_VALUES) % 4)


def _values_message_size(count: int) -> int:
    return len(_ADDR_VALUES_BYTES) + ((4 + count) // 4 + 1) * 4 + 12 + 4 * count


def _ntp_bytes(capture_time: float | None) -> bytes:
    if capture_time is None:
        return struct.pack(">Q", _NTP_IMMEDIATELY)
    return ntp.system_time_to_ntp(capture_time)


def _bundle(timetag: bytes, messages: list[bytes]) -> bytes:
    parts = [_BUNDLE_HEAD, timetag]
    for msg in messages:
        parts.append(struct.pack(">i", len(msg)))
        parts.append(msg)
    return b"".join(parts)


def _bundle_size(message_sizes: list[int]) -> int:
    return 16 + sum(4 + s for s in message_sizes)


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
        timetag = _ntp_bytes(frame.capture_time)
        out: list[bytes] = []
        last = self._names_sent_at
        if last is None or frame.capture_time - last >= self.names_interval_s or frame.capture_time < last:
            out.extend(self.encode_names(frame.rig, frame.names, timetag))
            self._names_sent_at = frame.capture_time
        out.extend(self._encode_frame(frame, timetag))
        return out

    def encode_names(self, rig: str, names: tuple[str, ...], timetag: bytes | None = None) -> list[bytes]:
        """The names table as one or more bundles, each holding one /fb/v1/names chunk."""
        table_id = names_table_id(rig, names)
        timetag = timetag if timetag is not None else _ntp_bytes(None)
        rig_size = _osc_string_size(rig)
        budget = self.max_datagram_bytes - 16 - 4  # bundle head + element size
        fixed = _osc_string_size(ADDR_NAMES) + rig_size + 12  # address, rig string, three ints
        if fixed + 8 + _osc_string_size("x") > budget:
            raise ValueError(f"rig name {rig!r} is too long for one datagram")
        out: list[bytes] = []
        offset = 0
        while True:
            count = 0
            names_size = 0
            while offset + count < len(names):
                name_size = _osc_string_size(names[offset + count])
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
            msg = _build_message(ADDR_NAMES, args)
            out.append(_bundle(timetag, [msg]))
            offset += count
            if offset >= len(names):
                return out

    def _encode_frame(self, frame: ProtocolFrame, timetag: bytes) -> list[bytes]:
        seq = frame.sequence & SEQUENCE_MASK
        table_id = self._table_id
        label_index = FER8.index(frame.emotion_label)
        head = [
            _build_message(ADDR_FRAME, [("i", seq), ("i", table_id), ("i", len(frame.names))]),
            _build_message(ADDR_TRACKING, [("i", frame.flags & 0x7FFFFFFF)]
                           + [("f", float(c)) for c in frame.confidence]),
            _build_message(ADDR_EMOTION, [("i", label_index), ("s", frame.emotion_label)]
                           + [("f", float(p)) for p in frame.emotion_probs]),
            _build_message(ADDR_AFFECT, [("f", float(frame.valence)), ("f", float(frame.arousal))]),
        ]
        if frame.light is not None:
            head.append(_build_message(ADDR_LIGHT, [("f", x) for x in frame.light]))
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
            out.append(_bundle(timetag, messages))
            offset += count
            if offset >= total:
                return out
            messages = []
            used = 16

    @staticmethod
    def _max_values_fitting(room: int) -> int:
        # size(n) = addr + pad4(4 + n) + 12 + 4n is monotonic in n: solve roughly, then step down.
        n = max(0, (room - len(_ADDR_VALUES_BYTES) - 16) // 5 + 1)
        while n > 0 and _values_message_size(n) > room:
            n -= 1
        return n


# ---------------------------------------------------------------------------------------------- decoding


@dataclass(frozen=True, slots=True)
class NamesChunk:
    table_id: int
    rig: str
    total: int
    offset: int
    names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FrameHeader:
    sequence: int
    table_id: int
    value_count: int


@dataclass(frozen=True, slots=True)
class TrackingInfo:
    flags: int
    confidence: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class EmotionInfo:
    label_index: int
    label: str
    probs: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class AffectInfo:
    valence: float
    arousal: float


@dataclass(frozen=True, slots=True)
class LightCue:
    r: float
    g: float
    b: float
    intensity: float
    transition_s: float


@dataclass(frozen=True, slots=True)
class ValuesChunk:
    sequence: int
    table_id: int
    offset: int
    values: tuple[float, ...]


ProtocolMessage = NamesChunk | FrameHeader | TrackingInfo | EmotionInfo | AffectInfo | LightCue | ValuesChunk


@dataclass(frozen=True, slots=True)
class DecodedDatagram:
    """One datagram's facebridge messages in wire order. ``timetag`` is unix seconds (None = immediately)."""

    timetag: float | None
    messages: tuple[ProtocolMessage, ...]
    ignored: tuple[str, ...] = field(default=())  # addresses of valid OSC messages that are not facebridge v1


class _Reader:
    """Bounds-checked cursor over an OSC packet; every failure is a ProtocolError naming the offset."""

    def __init__(self, data: bytes, start: int = 0, end: int | None = None) -> None:
        self.data = data
        self.pos = start
        self.end = len(data) if end is None else end

    def _need(self, n: int, what: str) -> None:
        if self.pos + n > self.end:
            raise ProtocolError(f"truncated {what} at byte {self.pos} (need {n}, have {self.end - self.pos})")

    def string(self, what: str) -> str:
        nul = self.data.find(b"\x00", self.pos, self.end)
        if nul < 0:
            raise ProtocolError(f"unterminated {what} string at byte {self.pos}")
        raw = self.data[self.pos:nul]
        padded_end = self.pos + (nul - self.pos) // 4 * 4 + 4
        if padded_end > self.end or any(self.data[nul:padded_end]):
            raise ProtocolError(f"bad padding after {what} string at byte {nul}")
        self.pos = padded_end
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ProtocolError(f"{what} string at byte {self.pos} is not UTF-8") from None

    def unpack(self, fmt: str, size: int, what: str) -> tuple:
        self._need(size, what)
        out = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += size
        return out

    def blob(self, what: str) -> bytes:
        (n,) = self.unpack(">i", 4, what + " size")
        if n < 0:
            raise ProtocolError(f"negative blob size in {what}")
        padded = (n + 3) // 4 * 4
        self._need(padded, what)
        raw = self.data[self.pos:self.pos + n]
        self.pos += padded
        return raw


def _parse_args(reader: _Reader, tags: str, address: str) -> list[object]:
    args: list[object] = []
    for tag in tags:
        if tag == "i":
            args.append(reader.unpack(">i", 4, address)[0])
        elif tag == "f":
            args.append(reader.unpack(">f", 4, address)[0])
        elif tag == "s":
            args.append(reader.string(address))
        elif tag == "b":
            args.append(reader.blob(address))
        elif tag == "d":
            args.append(reader.unpack(">d", 8, address)[0])
        elif tag == "h":
            args.append(reader.unpack(">q", 8, address)[0])
        elif tag == "T":
            args.append(True)
        elif tag == "F":
            args.append(False)
        elif tag == "N":
            args.append(None)
        else:
            raise ProtocolError(f"{address}: unsupported OSC type tag {tag!r}")
    return args


def _expect(address: str, tags: str, pattern: str, var_tag: str | None = None) -> None:
    ok = tags.startswith(pattern) and (var_tag is None and len(tags) == len(pattern)
                                       or var_tag is not None and set(tags[len(pattern):]) <= {var_tag})
    if not ok:
        tail = f" followed by any number of {var_tag!r}" if var_tag else ""
        raise ProtocolError(f"{address}: type tags ,{tags} do not match ,{pattern}{tail}")


def _to_message(address: str, tags: str, args: list[object]) -> ProtocolMessage:
    if address == ADDR_NAMES:
        _expect(address, tags, "isii", "s")
        table_id, rig, total, offset = args[:4]
        if total < 0 or offset < 0 or offset + len(args) - 4 > total:
            raise ProtocolError(f"{address}: chunk offset {offset} + {len(args) - 4} names exceeds total {total}")
        return NamesChunk(table_id, rig, total, offset, tuple(args[4:]))
    if address == ADDR_FRAME:
        _expect(address, tags, "iii")
        if args[0] < 0 or args[2] < 0:
            raise ProtocolError(f"{address}: negative sequence or value count")
        return FrameHeader(*args)
    if address == ADDR_TRACKING:
        _expect(address, tags, "iffff")
        return TrackingInfo(args[0], tuple(args[1:]))
    if address == ADDR_EMOTION:
        _expect(address, tags, "is" + "f" * len(FER8))
        if not 0 <= args[0] < len(FER8) or FER8[args[0]] != args[1]:
            raise ProtocolError(f"{address}: label index {args[0]} and label {args[1]!r} disagree with FER8 {FER8}")
        return EmotionInfo(args[0], args[1], tuple(args[2:]))
    if address == ADDR_AFFECT:
        _expect(address, tags, "ff")
        return AffectInfo(*args)
    if address == ADDR_LIGHT:
        _expect(address, tags, "fffff")
        return LightCue(*args)
    if address == ADDR_VALUES:
        _expect(address, tags, "iii", "f")
        if args[2] < 0:
            raise ProtocolError(f"{address}: negative offset {args[2]}")
        return ValuesChunk(args[0], args[1], args[2], tuple(args[3:]))
    raise AssertionError(address)


_KNOWN = {ADDR_NAMES, ADDR_FRAME, ADDR_TRACKING, ADDR_EMOTION, ADDR_AFFECT, ADDR_LIGHT, ADDR_VALUES}
_MAX_BUNDLE_DEPTH = 8


def _walk(data: bytes, start: int, end: int, depth: int, out: list, ignored: list, timetags: list) -> None:
    if data.startswith(_BUNDLE_HEAD, start, end):
        if depth >= _MAX_BUNDLE_DEPTH:
            raise ProtocolError(f"bundles nested deeper than {_MAX_BUNDLE_DEPTH}")
        reader = _Reader(data, start + 8, end)
        (tt,) = reader.unpack(">Q", 8, "bundle timetag")
        timetags.append(tt)
        while reader.pos < end:
            (size,) = reader.unpack(">i", 4, "bundle element size")
            if size <= 0 or size % 4 or reader.pos + size > end:
                raise ProtocolError(f"bundle element at byte {reader.pos - 4} has bad size {size}")
            _walk(data, reader.pos, reader.pos + size, depth + 1, out, ignored, timetags)
            reader.pos += size
        return
    reader = _Reader(data, start, end)
    address = reader.string("address")
    if not address.startswith("/"):
        raise ProtocolError(f"OSC address must start with '/', got {address!r}")
    tags = ""
    if reader.pos < end:
        tags = reader.string("type tag")
        if not tags.startswith(","):
            raise ProtocolError(f"{address}: type tag string must start with ',' (got {tags!r})")
        tags = tags[1:]
    args = _parse_args(reader, tags, address)
    if reader.pos != end:
        raise ProtocolError(f"{address}: {end - reader.pos} trailing bytes after the arguments")
    if address in _KNOWN:
        out.append(_to_message(address, tags, args))
    else:
        ignored.append(address)


def decode_datagram(data: bytes) -> DecodedDatagram:
    """Decode one UDP payload. Raises ProtocolError (a ValueError) saying what is wrong and where."""
    data = bytes(data)
    if len(data) == 0 or len(data) % 4:
        raise ProtocolError(f"datagram of {len(data)} bytes: OSC packets are a non-zero multiple of 4 bytes")
    messages: list[ProtocolMessage] = []
    ignored: list[str] = []
    timetags: list[int] = []
    _walk(data, 0, len(data), 0, messages, ignored, timetags)
    timetag = None
    if timetags and timetags[0] != _NTP_IMMEDIATELY:
        timetag = timetags[0] / 2.0**32 - _NTP_UNIX_DELTA
    return DecodedDatagram(timetag, tuple(messages), tuple(ignored))


@dataclass(slots=True)
class _PendingFrame:
    header: FrameHeader
    timetag: float | None
    tracking: TrackingInfo | None = None
    emotion: EmotionInfo | None = None
    affect: AffectInfo | None = None
    light: LightCue | None = None
    values: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    received: int = 0


class FrameAssembler:
    """Stateful receiver side: collects names tables and frame parts, yields complete ProtocolFrames.

    Counts what a receiver should report: frames completed, frames lost (gaps in sequence numbers),
    frames that never completed before the next one started (``waiting_for_names``: almost always because
    their names table had not arrived yet) and malformed datagrams.
    """

    def __init__(self) -> None:
        self._tables: dict[int, tuple[str, int, dict[int, str]]] = {}  # id -> (rig, total, offset->name)
        self._pending: _PendingFrame | None = None
        self._last_sequence: int | None = None
        self.frames = 0
        self.lost = 0
        self.malformed = 0
        self.waiting_for_names = 0

    def feed(self, data: bytes) -> list[ProtocolFrame]:
        """Decode one datagram; returns the frames it completed (usually 0 or 1). Never raises on bad data."""
        try:
            decoded = decode_datagram(data)
        except ProtocolError:
            self.malformed += 1
            return []
        done: list[ProtocolFrame] = []
        for msg in decoded.messages:
            if isinstance(msg, NamesChunk):
                self._add_names(msg)
            elif isinstance(msg, FrameHeader):
                self._start(msg, decoded.timetag)
            elif self._pending is not None:
                self._add_part(msg)
            frame = self._maybe_complete()
            if frame is not None:
                done.append(frame)
        return done

    def table(self, table_id: int) -> tuple[str, tuple[str, ...]] | None:
        """(rig, names) of a complete table, or None."""
        entry = self._tables.get(table_id)
        if entry is None or len(entry[2]) != entry[1]:
            return None
        rig, total, names = entry
        return rig, tuple(names[i] for i in range(total))

    MAX_TABLES = 4  # a sender changes rigs rarely; bound memory against hostile or buggy senders

    def _add_names(self, chunk: NamesChunk) -> None:
        if chunk.table_id not in self._tables and len(self._tables) >= self.MAX_TABLES:
            del self._tables[next(iter(self._tables))]  # forget the oldest table
        rig, total, names = self._tables.setdefault(chunk.table_id, (chunk.rig, chunk.total, {}))
        if total != chunk.total:
            self.malformed += 1  # same id, different size: never mix two tables
            return
        for i, name in enumerate(chunk.names):
            names[chunk.offset + i] = name

    def _start(self, header: FrameHeader, timetag: float | None) -> None:
        if self._pending is not None:
            self.waiting_for_names += 1  # the previous frame never completed
        if self._last_sequence is not None:
            gap = (header.sequence - self._last_sequence - 1) & SEQUENCE_MASK
            if gap < 1 << 20:  # a huge "gap" is a restart, not loss
                self.lost += gap
        self._last_sequence = header.sequence
        values = np.zeros(header.value_count, np.float32)
        self._pending = _PendingFrame(header, timetag, values=values)

    def _add_part(self, msg: ProtocolMessage) -> None:
        p = self._pending
        if isinstance(msg, TrackingInfo):
            p.tracking = msg
        elif isinstance(msg, EmotionInfo):
            p.emotion = msg
        elif isinstance(msg, AffectInfo):
            p.affect = msg
        elif isinstance(msg, LightCue):
            p.light = msg
        elif isinstance(msg, ValuesChunk) and msg.sequence == p.header.sequence:
            end = msg.offset + len(msg.values)
            if end <= p.values.shape[0]:
                p.values[msg.offset:end] = msg.values
                p.received += len(msg.values)

    def _maybe_complete(self) -> ProtocolFrame | None:
        p = self._pending
        if p is None or p.received < p.header.value_count or p.tracking is None or p.emotion is None:
            return None
        table = self.table(p.header.table_id)
        if table is None:
            return None
        self._pending = None
        if len(table[1]) != p.header.value_count:
            self.malformed += 1  # header and names table disagree: never apply values to the wrong names
            return None
        self.frames += 1
        rig, names = table
        light = None if p.light is None else (p.light.r, p.light.g, p.light.b, p.light.intensity, p.light.transition_s)
        affect = p.affect or AffectInfo(0.0, 0.0)
        return ProtocolFrame(
            sequence=p.header.sequence, capture_time=p.timetag if p.timetag is not None else 0.0, rig=rig,
            names=names, values=p.values, emotion_probs=np.array(p.emotion.probs, np.float32),
            emotion_label=p.emotion.label, valence=affect.valence, arousal=affect.arousal, light=light,
            flags=p.tracking.flags, confidence=np.array(p.tracking.confidence, np.float32),
        )
