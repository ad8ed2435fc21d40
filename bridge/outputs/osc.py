"""Fast OSC 1.0 encoding for the hot path.

python-osc builds the constant part of each message once (address, type tags, leading string arguments);
per frame we only append big-endian float32 bytes, which numpy produces for a whole frame in one call.
Bundles are packed by hand (``#bundle`` + timetag + size-prefixed elements) and split so no datagram
exceeds ``MAX_DATAGRAM`` bytes (one Ethernet MTU: larger UDP datagrams fragment on real networks).
"""

from __future__ import annotations

import struct

import numpy as np
from pythonosc.osc_message_builder import OscMessageBuilder

MAX_DATAGRAM = 1500
_BUNDLE_HEADER = b"#bundle\0"
_NTP_UNIX_OFFSET = 2208988800  # seconds from 1900-01-01 (NTP epoch) to 1970-01-01
TIMETAG_IMMEDIATELY = 1


def ntp_timetag(unix_time: float) -> int:
    """64-bit NTP timetag (32.32 fixed point) for a time.time() value."""
    seconds = int(unix_time) + _NTP_UNIX_OFFSET
    fraction = int((unix_time % 1.0) * (1 << 32)) & 0xFFFFFFFF
    return (seconds << 32) | fraction


def message(address: str, *args: object) -> bytes:
    """One complete OSC message (python-osc infers the type tags: str s, int i, float f, bool T/F)."""
    builder = OscMessageBuilder(address=address)
    for arg in args:
        builder.add_arg(arg)
    return builder.build().dgram


def float_message_prefix(address: str, *leading: object, n_floats: int = 1) -> bytes:
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
    """One OSC bundle holding ``elements`` (complete messages or bundles)."""
    parts = [_BUNDLE_HEADER, struct.pack(">Q", timetag)]
    for element in elements:
        parts.append(struct.pack(">i", len(element)))
        parts.append(element)
    return b"".join(parts)


def bundles(elements: list[bytes], timetag: int = TIMETAG_IMMEDIATELY, max_size: int = MAX_DATAGRAM) -> list[bytes]:
    """Pack messages greedily, in order, into as few bundles of at most ``max_size`` bytes as possible.

    Order is kept, so a message that must come last (e.g. /VMC/Ext/Blend/Apply) stays in the last bundle.
    Raises ValueError if one message alone cannot fit.
    """
    header = len(_BUNDLE_HEADER) + 8
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
