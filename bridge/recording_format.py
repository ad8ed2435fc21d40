"""The on-disk recording format shared by the recorder (writer) and the replay source (reader).

A recording is a directory:
- ``meta.json``: {"format": "facebridge-recording", "version": 1, "created": ISO time, "raw_frames": bool, ...}
- ``faces.jsonl``: one JSON object per FaceState (see ``state_to_record``); float32 arrays are written as the
  exact decimal of each float32, so reading them back as float32 is bit-exact.
- ``frames.bin`` (only with raw frames): the uint8 pixels of every view, concatenated; each line's "frames"
  entry maps a view to [byte offset, height, width] and carries the FrameSet's capture time and sequence.
"""

from __future__ import annotations

import json
import mmap
from pathlib import Path

import numpy as np

from bridge.frames import FrameSet
from bridge.schema import EyeState, FaceState, TrackingFlags

FORMAT_NAME = "facebridge-recording"
FORMAT_VERSION = 1
META_FILE = "meta.json"
FACES_FILE = "faces.jsonl"
FRAMES_FILE = "frames.bin"


class RecordingError(ValueError):
    """A recording that cannot be read; the message names the file and line."""


def _eye(e: EyeState) -> list[float]:
    return [float(e.gaze_yaw), float(e.gaze_pitch), float(e.openness)]


def state_to_record(state: FaceState) -> dict:
    """JSON-ready dict of one FaceState (exact for float32 arrays and Python floats)."""
    return {
        "t": float(state.timestamp),
        "seq": int(state.sequence),
        "shapes": state.blendshapes.tolist(),
        "left_eye": _eye(state.left_eye),
        "right_eye": _eye(state.right_eye),
        "emotive5": state.emotive5.tolist(),
        "au10": state.au10.tolist(),
        "emotion8": state.emotion8.tolist(),
        "label": state.emotion_label,
        "valence": float(state.valence),
        "arousal": float(state.arousal),
        "confidence": state.confidence.tolist(),
        "flags": int(state.flags),
    }


def state_from_record(rec: dict, where: str) -> FaceState:
    """Inverse of ``state_to_record``; ``where`` (file:line) is named in errors."""
    try:
        return FaceState(
            timestamp=float(rec["t"]),
            sequence=int(rec["seq"]),
            blendshapes=np.asarray(rec["shapes"], dtype=np.float32),
            left_eye=EyeState(*(float(x) for x in rec["left_eye"])),
            right_eye=EyeState(*(float(x) for x in rec["right_eye"])),
            emotive5=np.asarray(rec["emotive5"], dtype=np.float32),
            au10=np.asarray(rec["au10"], dtype=np.float32),
            emotion8=np.asarray(rec["emotion8"], dtype=np.float32),
            emotion_label=str(rec["label"]),
            valence=float(rec["valence"]),
            arousal=float(rec["arousal"]),
            confidence=np.asarray(rec["confidence"], dtype=np.float32),
            flags=TrackingFlags(int(rec["flags"])),
        )
    except KeyError as exc:
        raise RecordingError(f"{where}: face record lacks key {exc.args[0]!r}") from None
    except (TypeError, ValueError) as exc:
        raise RecordingError(f"{where}: bad face record ({exc})") from None


def frames_from_record(rec: dict, pixels: mmap.mmap | memoryview | bytes, where: str) -> FrameSet | None:
    """The FrameSet stored beside a face record, or None when the line has no raw frames."""
    entry = rec.get("frames")
    if entry is None:
        return None
    images = {}
    try:
        for view, (offset, height, width) in entry["views"].items():
            size = int(height) * int(width)
            if offset < 0 or offset + size > len(pixels):
                raise RecordingError(f"{where}: view {view!r} points past the end of {FRAMES_FILE} (truncated file?)")
            images[view] = np.frombuffer(pixels, dtype=np.uint8, count=size, offset=int(offset)).reshape(
                int(height), int(width)).copy()
        return FrameSet(images=images, capture_time=float(entry["capture_time"]), sequence=int(entry["sequence"]))
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, RecordingError):
            raise
        raise RecordingError(f"{where}: bad frames entry ({exc})") from None


def read_meta(path: Path) -> dict:
    """Validate and return a recording's meta.json."""
    meta_path = Path(path) / META_FILE
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RecordingError(f"{path}: not a facebridge recording (no {META_FILE}); record one with "
                             f"--output recorder:DIR") from None
    except json.JSONDecodeError as exc:
        raise RecordingError(f"{meta_path}: invalid JSON ({exc})") from None
    if meta.get("format") != FORMAT_NAME or meta.get("version") != FORMAT_VERSION:
        raise RecordingError(f"{meta_path}: format {meta.get('format')!r} v{meta.get('version')!r} is not "
                             f"{FORMAT_NAME!r} v{FORMAT_VERSION}")
    return meta


def is_recording(path: str | Path) -> bool:
    """True when ``path`` is a directory holding a recording."""
    p = Path(path)
    return p.is_dir() and (p / META_FILE).is_file() and (p / FACES_FILE).is_file()
