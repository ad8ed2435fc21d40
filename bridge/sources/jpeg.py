"""JPEG helpers shared by the MJPEG-over-HTTP and serial readers."""

from __future__ import annotations

import cv2
import numpy as np

SOI = b"\xff\xd8"
EOI = b"\xff\xd9"
# A frame start as cameras emit it: SOI followed by the next marker's 0xFF.
SOI_MARKER = b"\xff\xd8\xff"


def looks_complete(data: bytes | bytearray) -> bool:
    """True when the bytes start with SOI and end with EOI (libjpeg silently decodes truncated data otherwise)."""
    return len(data) >= 4 and data[:2] == SOI and data[-2:] == EOI


def decode_jpeg_gray(data: bytes | bytearray) -> np.ndarray | None:
    """Decode a JPEG to a 2-D uint8 image, or None when it is truncated or corrupt (callers count it)."""
    if not looks_complete(data):
        return None
    try:
        image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_GRAYSCALE)
    except cv2.error:
        return None
    if image is None or image.ndim != 2 or image.size == 0:
        return None
    return image


def decode_newest(frames: list[bytes], counters) -> np.ndarray | None:
    """Decode the newest decodable JPEG of a batch (newest frame wins). Older frames are counted as dropped
    without being decoded; undecodable newer ones as dropped and corrupt. ``counters`` is a FrameCounters."""
    for i in range(len(frames) - 1, -1, -1):
        image = decode_jpeg_gray(frames[i])
        if image is not None:
            if i > 0:
                counters.drop(i)
            return image
        counters.drop(corrupt=True)
    return None


def encode_jpeg(image: np.ndarray, quality: int = 90) -> bytes:
    """Encode an image as JPEG bytes (used by tests and the camera simulator tools)."""
    ok, buf = cv2.imencode(".jpg", image, [int(cv2.IMWRITE_JPEG_QUALITY), int(quality)])
    if not ok:
        raise ValueError(f"encode_jpeg: OpenCV could not encode a {image.dtype} {image.shape} image")
    return buf.tobytes()


class JpegStreamSplitter:
    """Splits a byte stream (e.g. a multipart/x-mixed-replace body) into complete JPEGs by SOI/EOI.

    Part headers and boundaries between frames are skipped. A frame cut short by a new SOI (the sender
    restarted mid-frame) is counted in ``truncated``. ``max_frame`` bounds the buffer so garbage can never
    make it grow without limit.
    """

    def __init__(self, max_frame: int = 4 * 1024 * 1024) -> None:
        self.max_frame = max_frame
        self.truncated = 0
        self._buf = bytearray()
        self._scan_from = 0  # EOI search resumes here so long frames are not rescanned per chunk

    def reset(self) -> int:
        """Forget buffered bytes (after a reconnect). Returns 1 if a partial frame was discarded."""
        partial = int(self._buf.find(SOI_MARKER) >= 0)
        self._buf.clear()
        self._scan_from = 0
        return partial

    def feed(self, data: bytes) -> list[bytes]:
        """Add bytes; return the complete JPEGs now available, oldest first."""
        buf = self._buf
        buf += data
        frames: list[bytes] = []
        while True:
            start = buf.find(SOI_MARKER)
            if start < 0:
                del buf[: max(0, len(buf) - 2)]  # keep a possible partial marker
                self._scan_from = 0
                break
            if start > 0:
                del buf[:start]
                self._scan_from = max(0, self._scan_from - start)
            end = buf.find(EOI, max(2, self._scan_from))
            if end < 0:
                if len(buf) > self.max_frame:
                    self.truncated += 1
                    del buf[:2]  # give up on this start; look for the next one
                    self._scan_from = 0
                    continue
                self._scan_from = max(2, len(buf) - 1)
                break
            # A second SOI before this EOI means the first frame was cut off: resync at the last one.
            restart = buf.rfind(SOI_MARKER, 2, end)
            if restart > 0:
                self.truncated += 1
                del buf[:restart]
                self._scan_from = 0
                continue
            frames.append(bytes(buf[: end + 2]))
            del buf[: end + 2]
            self._scan_from = 0
        return frames
