"""Write the facebridge protocol test vectors: ``<name>.bin`` (one UDP payload) + ``<name>.json`` (its decoded content).

Run from the repo root: ``.venv/bin/python tests/vectors/generate.py`` (``--check`` only verifies that the checked-in
files equal what the current encoder produces). The Python tests and the Unity package's C# tests both decode these
files, so the two implementations cannot drift apart silently.

Vector names are ``<stream>_<NN>_<kind>``: the datagrams of one stream, fed in NN order, build complete frames.
``invalid_*`` vectors are malformed on purpose; their JSON says ``"valid": false`` and why.
"""

from __future__ import annotations

import argparse
import json
import struct
import sys
from pathlib import Path

import numpy as np

from bridge.outputs.facebridge_decoder import (
    AffectInfo,
    EmotionInfo,
    FrameHeader,
    LightCue,
    NamesChunk,
    TrackingInfo,
    ValuesChunk,
    decode_datagram,
)
from bridge.outputs.facebridge_protocol import FacebridgeEncoder, ProtocolFrame
from bridge.schema import BLENDSHAPE_NAMES, FER8, TrackingFlags

HERE = Path(__file__).resolve().parent
CAPTURE_TIME = 1_790_000_000.25  # a fixed capture time so the timetags are reproducible



def _words(text: str) -> list[str]:
    return text.split()


# VRCFaceTracking Unified Expressions: the 88 base shapes + the combined/simple parameters (shared reference).
UNIFIED_BASE = _words(
    "EyeSquintRight EyeSquintLeft EyeWideRight EyeWideLeft BrowPinchRight BrowPinchLeft BrowLowererRight "
    "BrowLowererLeft BrowInnerUpRight BrowInnerUpLeft BrowOuterUpRight BrowOuterUpLeft NasalDilationRight "
    "NasalDilationLeft NasalConstrictRight NasalConstrictLeft CheekSquintRight CheekSquintLeft CheekPuffRight "
    "CheekPuffLeft CheekSuckRight CheekSuckLeft JawOpen JawRight JawLeft JawForward JawBackward JawClench "
    "JawMandibleRaise MouthClosed LipSuckUpperRight LipSuckUpperLeft LipSuckLowerRight LipSuckLowerLeft "
    "LipSuckCornerRight LipSuckCornerLeft LipFunnelUpperRight LipFunnelUpperLeft LipFunnelLowerRight "
    "LipFunnelLowerLeft LipPuckerUpperRight LipPuckerUpperLeft LipPuckerLowerRight LipPuckerLowerLeft "
    "MouthUpperUpRight MouthUpperUpLeft MouthUpperDeepenRight MouthUpperDeepenLeft NoseSneerRight NoseSneerLeft "
    "MouthLowerDownRight MouthLowerDownLeft MouthUpperRight MouthUpperLeft MouthLowerRight MouthLowerLeft "
    "MouthCornerPullRight MouthCornerPullLeft MouthCornerSlantRight MouthCornerSlantLeft MouthFrownRight "
    "MouthFrownLeft MouthStretchRight MouthStretchLeft MouthDimpleRight MouthDimpleLeft MouthRaiserUpper "
    "MouthRaiserLower MouthPressRight MouthPressLeft MouthTightenerRight MouthTightenerLeft TongueOut TongueUp "
    "TongueDown TongueRight TongueLeft TongueRoll TongueBendDown TongueCurlUp TongueSquish TongueFlat "
    "TongueTwistRight TongueTwistLeft SoftPalateClose ThroatSwallow NeckFlexRight NeckFlexLeft"
)
UNIFIED_COMBINED = _words(
    "EyeX EyeY EyeLeftX EyeLeftY EyeRightX EyeRightY EyeOpenLeft EyeOpenRight EyeOpen EyeClosedLeft EyeClosedRight "
    "EyeClosed EyeWide EyeSquint EyeLidLeft EyeLidRight EyeLid PupilDilation BrowUp BrowDown BrowInnerUp BrowOuterUp "
    "BrowExpressionLeft BrowExpressionRight BrowExpression JawX JawZ CheekSquint CheekPuffSuckLeft CheekPuffSuckRight "
    "CheekPuffSuck CheekSuck MouthUpperX MouthLowerX MouthX LipSuckUpper LipSuckLower LipFunnelUpper LipFunnelLower "
    "LipPuckerUpper LipPuckerLower MouthUpperUp MouthLowerDown MouthOpen MouthStretch "
    "MouthTightener MouthPress MouthDimple NoseSneer SmileFrownLeft SmileFrownRight SmileFrown SmileSadLeft "
    "SmileSadRight SmileSad TongueX TongueY BrowUpRight BrowUpLeft BrowDownRight BrowDownLeft MouthSmileRight "
    "MouthSmileLeft MouthSadRight MouthSadLeft EyeTrackingActive ExpressionTrackingActive LipTrackingActive "
    "EyeLeftPitch EyeLeftYaw EyeRightPitch EyeRightYaw EyeDilationLeft EyeDilationRight MouthCornerPull "
    "MouthCornerSlant MouthFrown MouthUpperDeepen MouthRaiser LipSuckCorner NasalDilation NasalConstrict"
)
UNIFIED_NAMES = tuple(UNIFIED_BASE + UNIFIED_COMBINED)


def _frame(seq: int, rig: str, names: tuple[str, ...], rng: np.random.Generator, light, label: str,
           flags: int, t: float = CAPTURE_TIME) -> ProtocolFrame:
    probs = rng.dirichlet(np.ones(len(FER8))).astype(np.float32)
    values = rng.random(len(names)).astype(np.float32)
    values[0] = 0.0
    if len(values) > 1:
        values[1] = 1.0
    return ProtocolFrame(
        sequence=seq, capture_time=t, rig=rig, names=names, values=values, emotion_probs=probs,
        emotion_label=label, valence=float(np.float32(0.375)), arousal=float(np.float32(-0.25)), light=light,
        flags=flags, confidence=np.array([1.0, 0.875, 0.5, 0.0], np.float32),
    )


def build_vectors() -> dict[str, tuple[bytes, str]]:
    """name -> (datagram, description). Deterministic: same encoder, same bytes."""
    rng = np.random.default_rng(20261121)
    out: dict[str, tuple[bytes, str]] = {}

    def add_stream(stream: str, datagrams: list[bytes], what: str) -> None:
        start = sum(1 for k in out if k.startswith(stream + "_"))
        for i, d in enumerate(datagrams):
            kind = decode_datagram(d).messages[0].__class__.__name__
            kind = {"NamesChunk": "names", "FrameHeader": "frame", "ValuesChunk": "values"}[kind]
            out[f"{stream}_{start + i:02d}_{kind}"] = (d, what)

    # 1. ARKit 52 rig, two frames: the first carries the names table, the second only values.
    enc = FacebridgeEncoder(names_interval_s=2.0)
    names = BLENDSHAPE_NAMES
    f0 = _frame(41, "arkit52", names, rng, (1.0, 0.75, 0.25, 0.8, 0.5), "happiness", 0)
    f1 = _frame(42, "arkit52", names, rng, None, "neutral",
                int(TrackingFlags.NO_PERSONALIZATION | TrackingFlags.LOW_CONFIDENCE), CAPTURE_TIME + 1 / 60)
    add_stream("arkit52", enc.encode(f0) + enc.encode(f1), "ARKit 52-shape rig")

    # 2. Unified Expressions (the biggest built-in rig): names split over several datagrams.
    enc = FacebridgeEncoder(names_interval_s=2.0)
    fu = _frame(7, "unified_expressions", UNIFIED_NAMES, rng, (0.2, 0.4, 1.0, 0.6, 1.5), "sadness",
                int(TrackingFlags.CAMERA_LOST | TrackingFlags.EASING_TO_NEUTRAL))
    add_stream("unified", enc.encode(fu), f"Unified Expressions rig, {len(UNIFIED_NAMES)} names")

    # 3. A rig too big for one frame datagram: values continue in a second bundle; non-ASCII names.
    big_names = tuple(f"Custom\u00e9Shape_{i:03d}_Long" for i in range(300))
    enc = FacebridgeEncoder(names_interval_s=2.0)
    fb = _frame(2_147_483_647, "big_custom", big_names, rng, None, "contempt", 0)
    add_stream("bigrig", enc.encode(fb), "300-shape custom rig with UTF-8 names: values split over two bundles")

    # 4. A tiny 3-shape rig: the complete byte-level example in docs/protocol.md.
    enc = FacebridgeEncoder(names_interval_s=2.0)
    tiny = ProtocolFrame(
        sequence=1, capture_time=CAPTURE_TIME, rig="demo", names=("jawOpen", "eyeBlinkLeft", "eyeBlinkRight"),
        values=np.array([0.5, 1.0, 0.0], np.float32), emotion_probs=np.array([0.125, 0.75, 0.125, 0, 0, 0, 0, 0]),
        emotion_label="happiness", valence=0.5, arousal=0.25, light=(1.0, 0.75, 0.5, 0.8, 0.5),
        flags=int(TrackingFlags.NO_PERSONALIZATION), confidence=np.array([1.0, 1.0, 0.5, 0.0], np.float32),
    )
    add_stream("tiny", enc.encode(tiny), "3-shape demo rig (the worked example in docs/protocol.md)")

    # 5. Malformed datagrams a receiver must reject without crashing.
    good = out["arkit52_01_frame"][0]
    out["invalid_truncated"] = (good[:-8], "frame bundle cut 8 bytes short")
    bad_size = bytearray(good)
    struct.pack_into(">i", bad_size, 16, 100000)
    out["invalid_element_size"] = (bytes(bad_size), "first bundle element claims 100000 bytes")
    wrong_tags = bytearray(good)
    tag_at = bytes(wrong_tags).index(b",iii\x00")  # the /fb/v1/frame type tags -> ",iif"
    wrong_tags[tag_at + 3] = ord("f")
    out["invalid_frame_tags"] = (bytes(wrong_tags), "/fb/v1/frame with type tags ,iif instead of ,iii")
    out["invalid_not_osc"] = (b"GET / HTTP/1.1\r\n\r\n\x00\x00", "not an OSC packet at all")
    return out


def _message_json(msg) -> dict:
    if isinstance(msg, NamesChunk):
        return {"type": "names", "table_id": msg.table_id, "rig": msg.rig, "total": msg.total,
                "offset": msg.offset, "names": list(msg.names)}
    if isinstance(msg, FrameHeader):
        return {"type": "frame", "sequence": msg.sequence, "table_id": msg.table_id,
                "value_count": msg.value_count}
    if isinstance(msg, TrackingInfo):
        return {"type": "tracking", "flags": msg.flags, "confidence": list(msg.confidence)}
    if isinstance(msg, EmotionInfo):
        return {"type": "emotion", "label_index": msg.label_index, "label": msg.label, "probs": list(msg.probs)}
    if isinstance(msg, AffectInfo):
        return {"type": "affect", "valence": msg.valence, "arousal": msg.arousal}
    if isinstance(msg, LightCue):
        return {"type": "light", "r": msg.r, "g": msg.g, "b": msg.b, "intensity": msg.intensity,
                "transition_s": msg.transition_s}
    if isinstance(msg, ValuesChunk):
        return {"type": "values", "sequence": msg.sequence, "table_id": msg.table_id, "offset": msg.offset,
                "values": list(msg.values)}
    raise TypeError(type(msg))


def expected_json(data: bytes, description: str) -> dict:
    """The decoded content of one vector as JSON (floats are the exact float32 values as decimal)."""
    try:
        decoded = decode_datagram(data)
    except ValueError as exc:
        return {"description": description, "valid": False, "size": len(data), "error": str(exc)}
    ntp = struct.unpack_from(">Q", data, 8)[0]
    return {"description": description, "valid": True, "size": len(data), "timetag_ntp": ntp,
            "timetag_unix": decoded.timetag, "messages": [_message_json(m) for m in decoded.messages]}


def hexdump(data: bytes) -> str:
    """Classic 16-bytes-per-line dump: offset, hex bytes, printable ASCII."""
    lines = []
    for i in range(0, len(data), 16):
        chunk = data[i:i + 16]
        ascii_ = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append(f"{i:04x}  {' '.join(f'{b:02x}' for b in chunk):<47}  {ascii_}")
    return "\n".join(lines)


def _elements(data: bytes) -> list[tuple[int, int, str]]:
    """(offset, size, address) of each element of a (non-nested) bundle."""
    out, pos = [], 16
    while pos < len(data):
        (size,) = struct.unpack_from(">i", data, pos)
        address = data[pos + 4:data.index(b"\x00", pos + 4)].decode()
        out.append((pos + 4, size, address))
        pos += 4 + size
    return out


DOCS_BEGIN = "<!-- BEGIN GENERATED EXAMPLES (tests/vectors/generate.py --write-docs) -->"
DOCS_END = "<!-- END GENERATED EXAMPLES -->"
DOCS_PATH = HERE.parent.parent / "docs" / "protocol.md"


def docs_examples(vectors: dict[str, tuple[bytes, str]]) -> str:
    """The byte-level examples section of docs/protocol.md, produced by the real encoder."""
    parts = [DOCS_BEGIN, ""]
    for name in ("tiny_00_names", "tiny_01_frame"):
        data = vectors[name][0]
        ntp = struct.unpack_from(">Q", data, 8)[0]
        parts.append(f"### `tests/vectors/{name}.bin` ({len(data)} bytes)\n")
        parts.append(f"Timetag `0x{ntp:016x}` = {ntp >> 32} s + {ntp & 0xFFFFFFFF}/2^32 s since 1900 "
                     f"= Unix {CAPTURE_TIME}.\n")
        parts.append("| element at | size | message | decoded |")
        parts.append("|---|---|---|---|")
        decoded = decode_datagram(data).messages
        for (offset, size, address), msg in zip(_elements(data), decoded, strict=True):
            fields = ", ".join(f"{k}={v!r}" for k, v in _message_json(msg).items() if k != "type")
            parts.append(f"| 0x{offset:04x} | {size} | `{address}` | {fields} |")
        parts.append("\n```text\n" + hexdump(data) + "\n```\n")
    parts.append(DOCS_END)
    return "\n".join(parts)


def write_docs(vectors: dict[str, tuple[bytes, str]]) -> None:
    text = DOCS_PATH.read_text()
    start, end = text.index(DOCS_BEGIN), text.index(DOCS_END) + len(DOCS_END)
    DOCS_PATH.write_text(text[:start] + docs_examples(vectors) + text[end:])


def render(vectors: dict[str, tuple[bytes, str]]) -> dict[str, bytes]:
    """File name -> bytes for every vector (.bin and .json)."""
    files: dict[str, bytes] = {}
    for name, (data, what) in vectors.items():
        files[name + ".bin"] = data
        files[name + ".json"] = (json.dumps(expected_json(data, what), indent=1, ensure_ascii=False) + "\n").encode()
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="verify the checked-in vectors instead of writing")
    parser.add_argument("--write-docs", action="store_true", help="also refresh the examples in docs/protocol.md")
    args = parser.parse_args(argv)
    vectors = build_vectors()
    files = render(vectors)
    if args.check:
        stale = [n for n, b in files.items() if not (HERE / n).exists() or (HERE / n).read_bytes() != b]
        for n in stale:
            print(f"stale or missing: tests/vectors/{n}", file=sys.stderr)
        return 1 if stale else 0
    for old in list(HERE.glob("*.bin")) + list(HERE.glob("*.json")):
        if old.name not in files:
            old.unlink()
    for n, b in files.items():
        (HERE / n).write_bytes(b)
    print(f"wrote {len(files) // 2} vectors to {HERE}")
    if args.write_docs:
        write_docs(vectors)
        print(f"refreshed the examples in {DOCS_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
