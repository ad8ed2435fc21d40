"""The one OSC 1.0 encoder every FaceBridge sender uses (facebridge, VMC, VRChat): messages, bundles, NTP timetags.

python-osc builds the constant part of each message once (address, type tags, leading string arguments);
per frame we only append big-endian float32 bytes, which numpy produces for a whole frame in one call.
Bundles are packed by hand (``#bundle`` + timetag + size-prefixed elements) and split so no datagram
exceeds ``MAX_DATAGRAM_BYTES``: a 1,500-byte Ethernet MTU minus the IPv4 (20) and UDP (8) headers, so nothing
FaceBridge sends is fragmented on a real LAN.
"""

from __future__ import annotations

import struct
from typing import Any

import numpy as np
from pythonosc.osc_message_builder import OscMessageBuilder

# 1500-byte Ethernet MTU minus 20 (IPv4 header) and 8 (UDP header): no IP fragmentation on real networks.
MAX_DATAGRAM_BYTES = 1472
BUNDLE_HEADER = b"#bundle\0"
BUNDLE_OVERHEAD = len(BUNDLE_HEADER) + 8  # "#bundle\0" + the 8-byte timetag
_NTP_UNIX_OFFSET = 2208988800  # seconds from 1900-01-01 (NTP epoch) to 1970-01-01
TIMETAG_IMMEDIATELY = 1


def ntp_timetag(unix_time: float) -> int:
    """64-bit NTP timetag (32.32 fixed point) for a time.time() value.

    Same arithmetic as python-osc's ``system_time_to_ntp`` (one float multiply, ~0.1 µs resolution), which the
    facebridge test vectors and docs/protocol.md byte dumps were made with; receivers decode it identically.
    """
    return int((unix_time + _NTP_UNIX_OFFSET) * 4294967296.0) & 0xFFFFFFFFFFFFFFFF


def osc_string_size(text: str) -> int:
    """Bytes an OSC-string occupies: UTF-8 + NUL, padded to a multiple of 4."""
    return (len(text.encode("utf-8")) // 4 + 1) * 4


def message(address: str, *args: Any) -> bytes:
    """One complete OSC message (python-osc infers the type tags: str s, int i, float f, bool T/F)."""
    builder = OscMessageBuilder(address=address)
    for arg in args:
        builder.add_arg(arg)
    return builder.build().dgram


def typed_message(address: str, args: list[tuple[str, Any]]) -> bytes:
    """One OSC message with explicit type tags, e.g. ``[("i", 3), ("s", "arkit"), ("f", 0.5)]``."""
    builder = OscMessageBuilder(address=address)
    for tag, value in args:
        builder.add_arg(value, tag)
    return builder.build().dgram


def float_message_prefix(address: str, *leading: Any, n_floats: int = 1) -> bytes:
    """Bytes of a message ``address leading... f*n_floats`` without the trailing float payload.

    Appending ``n_floats`` big-endian float32 values gives a complete message.
    """
    full = message(address, *leading, *([0.0] * n_floats))
    return full[: len(full) - 4 * n_floats]


def float_messages(prefixes: list[bytes], values: np.ndarray) -> list[bytes]:
    """One message per (prefix, value): each prefix from ``float_message_prefix(..., n_floats=1)``."""
    payload = np.asarray(values, dtype=">f4").tobytes()
    return [p + payload[4 * i : 4 * i + 4] for i, p in enumerate(prefixes)]


def pack_floats(values) -> bytes:
    """Big-endian float32 payload for ``float_message_prefix`` with several floats."""
    return np.asarray(values, dtype=">f4").tobytes()


def bundle(elements: list[bytes], timetag: int = TIMETAG_IMMEDIATELY) -> bytes:
    """One OSC bundle holding ``elements`` (complete messages or bundles); ``timetag`` from ``ntp_timetag``."""
    parts = [BUNDLE_HEADER, struct.pack(">Q", timetag)]
    for element in elements:
        parts.append(struct.pack(">i", len(element)))
        parts.append(element)
    return b"".join(parts)


def bundles(elements: list[bytes], timetag: int = TIMETAG_IMMEDIATELY,
            max_size: int = MAX_DATAGRAM_BYTES) -> list[bytes]:
    """Pack messages greedily, in order, into as few bundles of at most ``max_size`` bytes as possible.

    Order is kept, so a message that must come last (e.g. /VMC/Ext/Blend/Apply) stays in the last bundle.
    Raises ValueError if one message alone cannot fit.
    """
    header = BUNDLE_OVERHEAD
    out: list[bytes] = []
    current: list[bytes] = []
    size = header
    for element in elements:
        need = 4 + len(element)
        if header + need > max_size:
            raise ValueError(f"OSC message of {len(element)} bytes cannot fit a {max_size}-byte datagram")
        if size + need > max_size:
            out.append(bundle(current, timetag))
            current, size = [], header
        current.append(element)
        size += need
    if current:
        out.append(bundle(current, timetag))
    return out
