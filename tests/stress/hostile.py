"""Hostile inputs, generated deterministically from a seed: OSC datagrams, preset/config/profile/recording files,
MJPEG and serial camera streams. Shared by the fast regression tests (tests/test_hostile_*.py) and the full
stress suite (tests/stress/run.py)."""

from __future__ import annotations

import json
import math
import os
import random
import struct
from collections.abc import Callable, Iterator
from pathlib import Path

# ------------------------------------------------------------------------------------------------------ OSC

NEGATIVE_SIZE_BUNDLE = b"#bundle\x00" + b"\x00" * 7 + b"\x01" + b"\xff\xff\xff\xfc"  # issue 11 defect 1: 20 bytes
ADDRESSES = (
    "/facebridge/recenter", "/facebridge/recalibrate", "/facebridge/pause", "/facebridge/resume",
    "/facebridge/reset_calibration", "/avatar/parameters/FaceBridge/Recenter", "/avatar/parameters/FaceBridge/Pause",
    "/avatar/change", "/avatar/parameters/FT/v2/JawOpen", "/VMC/Ext/Blend/Val", "/x", "/",
)
KNOWN_TAGS = "ifsbhdtTFNIcrmS"
UNKNOWN_TAGS = "xZqQ?!\x01\x7f]["
NASTY_FLOATS = (math.nan, math.inf, -math.inf, 1e300, -0.0, 3.4e38, 1e-45)


def _pad(b: bytes) -> bytes:
    return b + b"\x00" * (4 - len(b) % 4)


def osc_string(s: str) -> bytes:
    """OSC string: UTF-8, NUL terminated, padded to 4 bytes."""
    return _pad(s.encode("utf-8", "surrogatepass"))


def osc_message(address: str, tags: str, payload: bytes) -> bytes:
    return osc_string(address) + osc_string("," + tags) + payload


def osc_bundle(elements: list[bytes], sizes: list[int] | None = None, timetag: int = 1) -> bytes:
    """A bundle; ``sizes`` overrides the declared element sizes (lies are the point)."""
    out = [b"#bundle\x00", struct.pack(">Q", timetag)]
    for k, e in enumerate(elements):
        size = len(e) if sizes is None else sizes[k]
        out.append(struct.pack(">i", size))
        out.append(e)
    return b"".join(out)


def _arg(rng: random.Random, tag: str) -> bytes:
    if tag == "f":
        nasty = [v for v in NASTY_FLOATS if not math.isfinite(v) or abs(v) < 3.4e38]  # what float32 can carry
        return struct.pack(">f", rng.choice(nasty) if rng.random() < 0.5 else rng.uniform(-2, 2))
    if tag == "d":
        return struct.pack(">d", rng.choice(NASTY_FLOATS))
    if tag in "icrm":
        return struct.pack(">i", rng.choice((0, 1, -1, 2**31 - 1, -2**31, rng.randrange(-9, 9))))
    if tag in "ht":
        return struct.pack(">q", rng.choice((0, -1, 2**63 - 1, -2**63)))
    if tag in "sS":
        if rng.random() < 0.2:
            return b"no terminator"  # runs into the next argument or the end
        return osc_string("x" * rng.randrange(0, 64))
    if tag == "b":
        size = rng.choice((-1, -4, -2**31, 2**31 - 1, 0, 3, 1 << 20, 8))
        return struct.pack(">i", size) + bytes(rng.randrange(0, 16))
    return b""


def random_message(rng: random.Random) -> bytes:
    """A structurally plausible message with a random mix of known, unknown and lying arguments."""
    address = rng.choice(ADDRESSES) if rng.random() < 0.8 else "/" + "a" * rng.randrange(0, 300)
    n = rng.randrange(0, 8)
    tags = "".join(rng.choice(KNOWN_TAGS if rng.random() < 0.85 else UNKNOWN_TAGS) for _ in range(n))
    payload = b"".join(_arg(rng, t) for t in tags)
    if rng.random() < 0.2:
        payload = payload[: rng.randrange(0, len(payload) + 1)]  # truncated arguments
    return osc_message(address, tags, payload)


def deep_bundle(depth: int, inner: bytes, lie: int | None = None) -> bytes:
    """``inner`` wrapped in ``depth`` bundles (the innermost size may be a lie)."""
    out = inner
    for level in range(depth):
        out = osc_bundle([out], sizes=[lie] if (lie is not None and level == 0) else None)
    return out


def mutate(rng: random.Random, data: bytes) -> bytes:
    """Bit flips, truncation, duplication or junk appended."""
    b = bytearray(data)
    choice = rng.randrange(5)
    if choice == 0 and b:
        for _ in range(rng.randrange(1, 8)):
            b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
    elif choice == 1 and b:
        del b[rng.randrange(len(b)):]
    elif choice == 2 and b:
        i = rng.randrange(len(b))
        b[i:i] = b[i: i + rng.randrange(1, 64)]
    elif choice == 3:
        b += rng.randbytes(rng.randrange(1, 64))
    else:
        i = rng.randrange(len(b) + 1)
        b[i:i] = struct.pack(">i", rng.choice((-4, -1, -2**31, 2**31 - 1, 0)))
    return bytes(b)


def osc_attack(rng: random.Random) -> tuple[str, bytes]:
    """One hostile datagram and the name of its family."""
    r = rng.random()
    if r < 0.05:
        return "negative-size bundle (20 bytes)", NEGATIVE_SIZE_BUNDLE
    if r < 0.15:
        size = rng.choice((-4, -1, -8, -2**31, 0, 2**31 - 1, 65536, 3))
        return "bundle element with bad size", osc_bundle([random_message(rng)], sizes=[size])
    if r < 0.22:
        depth = rng.choice((9, 32, 200, 1000, 3000))
        return "deeply nested bundle", deep_bundle(depth, osc_message("/facebridge/recenter", "", b""),
                                                   lie=rng.choice((None, -4)))
    if r < 0.27:
        n = rng.randrange(1000, 60000)
        return "huge type tag string", osc_message("/x", "i" * n, b"")
    if r < 0.32:
        count = rng.randrange(100, 5000)
        element = osc_message(rng.choice(ADDRESSES[:7]), "", b"")
        return "command flood bundle", osc_bundle([element] * count)[:65000]
    if r < 0.42:
        tags = rng.choice(("f", "ff", "d", "fff"))
        payload = b"".join(_arg(rng, t) for t in tags)
        return "NaN/inf arguments", osc_message(rng.choice(ADDRESSES), tags, payload)
    if r < 0.52:
        tags = "".join(rng.choice(UNKNOWN_TAGS) for _ in range(rng.randrange(1, 6)))
        return "unknown type tags", osc_message(rng.choice(ADDRESSES), tags, rng.randbytes(8))
    if r < 0.62:
        return "random bytes", rng.randbytes(rng.choice((1, 3, 4, 8, 16, 20, 64, 512, 1500)))
    if r < 0.70:
        tags = "[" * rng.randrange(1, 200) + "i" + "]" * rng.randrange(0, 200)
        return "nested arrays", osc_message("/x", tags, struct.pack(">i", 1))
    if r < 0.85:
        return "mutated message", mutate(rng, random_message(rng))
    inner = [random_message(rng) for _ in range(rng.randrange(1, 6))]
    return "mutated bundle", mutate(rng, osc_bundle(inner))


def osc_attacks(n: int, seed: int = 11) -> Iterator[tuple[str, bytes]]:
    """``n`` hostile datagrams (family, bytes); the same seed gives the same datagrams."""
    rng = random.Random(seed)
    for _ in range(n):
        family, data = osc_attack(rng)
        yield family, data[:65507]  # the largest UDP payload over IPv4


# --------------------------------------------------------------------------------------------------- files

def _nested_toml(depth: int) -> str:
    return '[preset]\nname = "deep"\nrig = "arkit52"\n[targets]\njawOpen = ' + "[" * depth + "]" * depth + "\n"


def _many_errors(n: int) -> str:
    lines = ["[preset]", 'name = "errors"', 'rig = "arkit52"', "[targets]"]
    lines += [f'jawOpen{i} = "nope{i}"' for i in range(n)]
    return "\n".join(lines) + "\n"


GOOD_PRESET = """[preset]
name = "good"
rig = "arkit52"
[targets]
jawOpen = "jawOpen"
mouthSmileLeft = "mouthSmileLeft"
"""

# name -> (content or a special marker, what it tests)
SPECIAL_FIFO = "<fifo>"
SPECIAL_DEV_ZERO = "<symlink to /dev/zero>"
SPECIAL_DIRECTORY = "<directory>"
SPECIAL_HUGE = "<50 MB file>"


def hostile_presets(scale: int = 1) -> dict[str, str | bytes]:
    """Preset file contents (or SPECIAL_* markers) that must each leave the last good preset in use."""
    return {
        "nested 1,000 levels (RecursionError)": _nested_toml(1000),
        f"{4000 * scale} errors": _many_errors(4000 * scale),
        "binary junk": bytes(range(256)) * 8,
        "not UTF-8": b"[preset]\nname = \"\xff\xfe\"\n",
        "NaN and inf values": GOOD_PRESET.replace('"jawOpen"\n',
                                                  '{ sum = { jawOpen = nan }, curve = { gain = inf } }\n'),
        "empty": "",
        "half written": GOOD_PRESET[:30],
        "duplicate keys": GOOD_PRESET + 'jawOpen = "jawOpen"\n',
        "BOM only": "\ufeff",
        "FIFO": SPECIAL_FIFO,
        "/dev/zero": SPECIAL_DEV_ZERO,
        "a directory": SPECIAL_DIRECTORY,
        "50 MB": SPECIAL_HUGE,
    }


def hostile_configs() -> dict[str, str | bytes]:
    """Config file contents (or SPECIAL_* markers) that must each end `facebridge run` with exit 2 and one line."""
    nan_keys = {
        "source.read_timeout_s": "[source]\nread_timeout_s = nan\n",
        "source.fps": "[source]\nfps = nan\n",
        "status.interval_s": "[status]\ninterval_s = nan\n",
        "status.json_interval_s": "[status]\njson_interval_s = inf\n",
        "outputs.min_delta": '[[outputs]]\nkind = "vrchat"\nmin_delta = nan\n',
        "outputs.resend_s": '[[outputs]]\nkind = "vrchat"\nresend_s = nan\n',
        "outputs.names_interval_s": '[[outputs]]\nkind = "facebridge"\nnames_interval_s = nan\n',
    }
    out: dict[str, str | bytes] = {f"NaN {k}": v for k, v in nan_keys.items()}
    out.update({
        "garbage": bytes(range(256)),
        "nested 1,000 levels": "x = " + "[" * 1000 + "]" * 1000 + "\n",
        "nested tables 1,000 levels": "x = " + "{a = " * 1000 + "1" + "}" * 1000 + "\n",
        "FIFO": SPECIAL_FIFO,
        "/dev/zero": SPECIAL_DEV_ZERO,
        "a directory": SPECIAL_DIRECTORY,
        "50 MB": SPECIAL_HUGE,
    })
    return out


def hostile_profiles() -> dict[str, str | bytes]:
    """Range-of-motion profile contents that must each give a clear error, never a traceback."""
    return {
        "nested 100,000 levels": "[" * 100_000 + "]" * 100_000,
        "garbage": bytes(range(256)),
        "[]": "[]",
        "NaN": json.dumps({"version": 1, "shapes": {"jawOpen": {"min": float("nan"), "max": 1.0}}}),
        "wrong version": json.dumps({"version": 99, "shapes": {}}),
        "FIFO": SPECIAL_FIFO,
        "/dev/zero": SPECIAL_DEV_ZERO,
    }


def hostile_recording_metas() -> dict[str, str | bytes]:
    """meta.json contents for a recording directory; each must be refused with a one-line error."""
    good = {"format": "facebridge-recording", "version": 1, "raw_frames": True}
    return {
        "garbage": bytes(range(256)),
        "[]": "[]",
        "nested 100,000 levels": "[" * 100_000 + "]" * 100_000,
        "a string": '"facebridge-recording"',
        "raw_frames not a bool": json.dumps({**good, "raw_frames": {"x": 1}}),
        "FIFO": SPECIAL_FIFO,
        "/dev/zero": SPECIAL_DEV_ZERO,
    }


def materialize(path: Path, content: str | bytes) -> Path:
    """Create ``path`` holding ``content`` (or the special file a SPECIAL_* marker names)."""
    if path.is_dir() and not path.is_symlink():
        path.rmdir()
    elif os.path.lexists(path):
        path.unlink()  # files, symlinks and FIFOs alike (writing into a FIFO would block)
    if content == SPECIAL_FIFO:
        os.mkfifo(path)
    elif content == SPECIAL_DEV_ZERO:
        path.symlink_to("/dev/zero")
    elif content == SPECIAL_DIRECTORY:
        path.mkdir()
    elif content == SPECIAL_HUGE:
        with open(path, "wb") as fh:
            fh.truncate(50 * 1024 * 1024)  # sparse: costs no disk
    else:
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


# ------------------------------------------------------------------------------------------------ streams

def jpeg_bytes(width: int = 64, height: int = 48, seed: int = 0) -> bytes:
    import cv2
    import numpy as np

    img = np.random.default_rng(seed).integers(0, 255, (height, width), dtype=np.uint8)
    ok, buf = cv2.imencode(".jpg", img)
    assert ok
    return buf.tobytes()


def lying_jpeg(width: int, height: int) -> bytes:
    """A small real JPEG whose frame header claims ``width`` x ``height`` (a decode-bomb)."""
    data = bytearray(jpeg_bytes())
    i = data.find(b"\xff\xc0")
    data[i + 5:i + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def mjpeg_streams(size: int = 1 << 20) -> dict[str, Callable[[], bytes]]:
    """Multipart bodies (without part headers: the splitter ignores them) of about ``size`` bytes each."""
    def repeat(unit: bytes) -> Callable[[], bytes]:
        return lambda: unit * (size // len(unit))
    return {
        "repeated FF D8 FF": repeat(b"\xff\xd8\xff"),
        "SOI and no EOI": lambda: b"\xff\xd8\xff" + b"\x00" * size,
        "tiny corrupt frames": repeat(b"\xff\xd8\xff\xd9"),
        "32767x32767 header": repeat(lying_jpeg(32767, 32767)),
        "random bytes": lambda: random.Random(4).randbytes(size),
        "0xFF run": repeat(b"\xff"),
    }


SERIAL_MAGIC = b"\xff\xa0\xff\xa1"


def serial_streams(size: int = 1 << 20) -> dict[str, Callable[[], bytes]]:
    """Serial camera byte streams of about ``size`` bytes each."""
    def repeat(unit: bytes) -> Callable[[], bytes]:
        return lambda: unit * (size // len(unit))
    bomb = lying_jpeg(32767, 32767)
    return {
        "repeated magic": repeat(SERIAL_MAGIC),
        "zero-length frames": repeat(SERIAL_MAGIC + b"\x00\x00"),
        "max length, never complete": repeat(SERIAL_MAGIC + b"\xff\xff"),
        "32767x32767 header frames": repeat(SERIAL_MAGIC + struct.pack("<H", len(bomb)) + bomb),
        "random bytes": lambda: random.Random(5).randbytes(size),
    }
