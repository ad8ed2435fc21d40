"""Decoder and frame assembler for the ``facebridge`` wire protocol (v1): the receiving side, no sockets.

FaceBridge itself only sends; this module is what the tests, tests/vectors/generate.py and stress tools use to
check every datagram the encoder (``facebridge_protocol``) produces, and the reference for anyone writing a
receiver in another language. ``decode_datagram`` is strict (every error names the byte offset);
``FrameAssembler`` turns a datagram stream back into ProtocolFrames and counts loss and garbage.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bridge.osc.codec import BUNDLE_HEADER
from bridge.outputs.facebridge_protocol import (
    ADDR_AFFECT,
    ADDR_EMOTION,
    ADDR_FRAME,
    ADDR_LIGHT,
    ADDR_NAMES,
    ADDR_TRACKING,
    ADDR_VALUES,
    SEQUENCE_MASK,
    ProtocolFrame,
)
from bridge.schema import FER8

_NTP_IMMEDIATELY = 1
_NTP_UNIX_DELTA = 2208988800  # seconds from 1900-01-01 to 1970-01-01


class ProtocolError(ValueError):
    """A datagram that is not valid facebridge v1 (message names what is wrong)."""


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


def _parse_args(reader: _Reader, tags: str, address: str) -> list[Any]:
    args: list[Any] = []
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


def _to_message(address: str, tags: str, args: list[Any]) -> ProtocolMessage:
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
    if data.startswith(BUNDLE_HEADER, start, end):
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
                self._add_part(self._pending, msg)
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

    @staticmethod
    def _add_part(p: _PendingFrame, msg: ProtocolMessage) -> None:
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
