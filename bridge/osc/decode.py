"""A bounds-checked OSC 1.0 packet decoder for the listeners (control input, VRChat's /avatar/change port).

The listeners take datagrams from the network, so nothing in a datagram is trusted: every size is checked against
the bytes that are really there before it is used, bundles nest at most ``MAX_DEPTH`` deep, each datagram yields at
most ``MAX_MESSAGES`` messages of at most ``MAX_ARGUMENTS`` arguments, and decoding is linear in the datagram's
size. (python-osc 1.10.2 loops forever on a bundle element with a negative size, and logs every byte of some
malformed datagrams on the root logger.)

A broken bundle element costs only itself: the elements before it are still delivered; ``malformed`` counts what
was dropped.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

MAX_DEPTH = 8
MAX_MESSAGES = 128
MAX_ARGUMENTS = 256  # per message; VRChat and VMC send 1-8 (this bounds the decoder's work per datagram)
_BUNDLE = b"#bundle\x00"
_I32 = struct.Struct(">i")
_F32 = struct.Struct(">f")
_I64 = struct.Struct(">q")
_U64 = struct.Struct(">Q")
_F64 = struct.Struct(">d")


class OscDecodeError(ValueError):
    """One OSC element is malformed; the message says what and where (byte offset)."""


@dataclass(slots=True)
class DecodedPacket:
    """What one datagram held: ``messages`` as (address, args) in wire order, and how many elements were dropped."""

    messages: list[tuple[str, list]] = field(default_factory=list)
    malformed: int = 0  # messages/bundles that could not be decoded (dropped)
    truncated: bool = False  # the datagram held more than MAX_MESSAGES messages; the rest were not decoded
    errors: list[str] = field(default_factory=list)  # the first few reasons, for a debug log line


def _string(data: bytes, pos: int, end: int, what: str) -> tuple[str, int]:
    nul = data.find(b"\x00", pos, end)
    if nul < 0:
        raise OscDecodeError(f"unterminated {what} at byte {pos}")
    padded = pos + (nul - pos) // 4 * 4 + 4
    if padded > end:
        raise OscDecodeError(f"{what} at byte {pos} runs past the end")
    return data[pos:nul].decode("utf-8", "replace"), padded


def _need(pos: int, n: int, end: int, what: str) -> None:
    if n < 0 or pos + n > end:
        raise OscDecodeError(f"{what} at byte {pos} needs {n} bytes, {end - pos} left")


def decode_message(data: bytes, pos: int, end: int) -> tuple[str, list]:
    """One OSC message in ``data[pos:end]`` -> (address, args). Raises OscDecodeError."""
    address, pos = _string(data, pos, end, "address")
    if not address.startswith("/"):
        raise OscDecodeError(f"address {address[:40]!r} does not start with '/'")
    if pos >= end:
        return address, []  # OSC 1.0 allows a message without a type tag string
    tags, pos = _string(data, pos, end, "type tag string")
    if not tags.startswith(","):
        raise OscDecodeError(f"{address[:60]}: type tag string does not start with ','")
    if len(tags) > MAX_ARGUMENTS + 1:
        raise OscDecodeError(f"{address[:60]}: {len(tags) - 1} arguments (at most {MAX_ARGUMENTS})")
    args: list = []
    stack: list[list] = []  # open [ ] arrays
    for tag in tags[1:]:
        if tag in "ifrmc":
            _need(pos, 4, end, tag)
            args.append(_F32.unpack_from(data, pos)[0] if tag == "f" else _I32.unpack_from(data, pos)[0])
            pos += 4
        elif tag in "hdt":
            _need(pos, 8, end, tag)
            args.append(_F64.unpack_from(data, pos)[0] if tag == "d" else
                        _U64.unpack_from(data, pos)[0] if tag == "t" else _I64.unpack_from(data, pos)[0])
            pos += 8
        elif tag in "sS":
            value, pos = _string(data, pos, end, "string argument")
            args.append(value)
        elif tag == "b":
            _need(pos, 4, end, "blob size")
            size = _I32.unpack_from(data, pos)[0]
            pos += 4
            if size < 0:
                raise OscDecodeError(f"{address[:60]}: negative blob size {size}")
            padded = (size + 3) // 4 * 4
            _need(pos, padded, end, "blob")
            args.append(data[pos:pos + size])
            pos += padded
        elif tag == "T":
            args.append(True)
        elif tag == "F":
            args.append(False)
        elif tag in "NI":
            args.append(None if tag == "N" else float("inf"))
        elif tag == "[":
            if len(stack) >= MAX_DEPTH:
                raise OscDecodeError(f"{address[:60]}: arrays nested deeper than {MAX_DEPTH}")
            stack.append(args)
            args = []
        elif tag == "]":
            if not stack:
                raise OscDecodeError(f"{address[:60]}: ']' without '['")
            inner, args = args, stack.pop()
            args.append(inner)
        else:
            raise OscDecodeError(f"{address[:60]}: unknown type tag {tag!r}")
    if stack:
        raise OscDecodeError(f"{address[:60]}: '[' without ']'")
    return address, args


def decode_packet(data: bytes, max_messages: int = MAX_MESSAGES) -> DecodedPacket:
    """Every message of one datagram (bundles flattened, in order). Never raises; never loops: each step
    consumes bytes or stops."""
    out = DecodedPacket()
    data = bytes(data)
    _walk(data, 0, len(data), 0, out, max_messages)
    return out


def _fail(out: DecodedPacket, reason: str) -> None:
    out.malformed += 1
    if len(out.errors) < 4:
        out.errors.append(reason)


def _walk(data: bytes, pos: int, end: int, depth: int, out: DecodedPacket, max_messages: int) -> None:
    if len(out.messages) >= max_messages:
        out.truncated = True  # stop here: the rest of the datagram is not worth decoding
        return
    if not data.startswith(_BUNDLE, pos, end):
        try:
            out.messages.append(decode_message(data, pos, end))
        except OscDecodeError as exc:
            _fail(out, str(exc))
        return
    if depth >= MAX_DEPTH:
        _fail(out, f"bundle at byte {pos} nested deeper than {MAX_DEPTH}")
        return
    pos += len(_BUNDLE)
    if pos + 8 > end:
        _fail(out, f"bundle at byte {pos - 8} has no timetag")
        return
    pos += 8  # the timetag: listeners act on arrival
    while pos < end:
        if pos + 4 > end:
            _fail(out, f"bundle element size at byte {pos} is cut off")
            return
        size = _I32.unpack_from(data, pos)[0]
        if size <= 0 or pos + 4 + size > end:
            # The rest of this bundle cannot be framed: drop it (a negative size must never move us backwards).
            _fail(out, f"bundle element at byte {pos} has bad size {size}")
            return
        _walk(data, pos + 4, pos + 4 + size, depth + 1, out, max_messages)
        if out.truncated:
            return
        pos += 4 + size
