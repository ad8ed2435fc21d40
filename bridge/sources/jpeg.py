"""JPEG helpers shared by the MJPEG-over-HTTP and serial readers."""

from __future__ import annotations

import cv2
import numpy as np

SOI = b"\xff\xd8"
EOI = b"\xff\xd9"
# A frame start as cameras emit it: SOI followed by the next marker's 0xFF.
SOI_MARKER = b"\xff\xd8\xff"


# A frame header declaring more than this is refused before OpenCV allocates for it: a 40-byte hostile JPEG
# can otherwise claim 32767 x 32767 and make the capture thread allocate and "decode" a gigabyte.
MAX_SIDE = 8192
MAX_PIXELS = 8192 * 4096
# Start-of-frame markers (SOF0..SOF15 without DHT C4, JPG C8, DAC CC): they carry height and width.
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
# Of one batch only the newest few are tried: a stream of tiny corrupt "frames" must not cost a decode each.
MAX_DECODE_TRIES = 2


def looks_complete(data: bytes | bytearray) -> bool:
    """True when the bytes start with SOI and end with EOI (libjpeg silently decodes truncated data otherwise)."""
    return len(data) >= 4 and data[:2] == SOI and data[-2:] == EOI


def frame_size(data: bytes | bytearray) -> tuple[int, int] | None:
    """(width, height) from the JPEG's start-of-frame header, or None when there is none before the scan data.

    Walks the marker segments once (each names its own length), so it is linear and never reads past the end."""
    i, n = 2, len(data)
    while i + 4 <= n:
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker == 0xD8 or 0xD0 <= marker <= 0xD7 or marker == 0x01:  # standalone markers
            i += 2
            continue
        length = (data[i + 2] << 8) | data[i + 3]
        if length < 2:
            return None
        if marker in _SOF:
            if i + 9 > n:
                return None
            height = (data[i + 5] << 8) | data[i + 6]
            width = (data[i + 7] << 8) | data[i + 8]
            return width, height
        if marker in (0xD9, 0xDA):  # end of image / start of scan before any frame header
            return None
        i += 2 + length
    return None


def decode_jpeg_gray(data: bytes | bytearray) -> np.ndarray | None:
    """Decode a JPEG to a 2-D uint8 image, or None when it is truncated, corrupt or implausibly large (callers
    count it)."""
    if not looks_complete(data):
        return None
    size = frame_size(data)
    if size is None or not (0 < size[0] <= MAX_SIDE and 0 < size[1] <= MAX_SIDE) or size[0] * size[1] > MAX_PIXELS:
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
    without being decoded; undecodable newer ones as dropped and corrupt. ``counters`` is a FrameCounters.

    At most ``MAX_DECODE_TRIES`` frames are decoded per batch, so the work per read stays bounded whatever
    the stream holds."""
    for tries, i in enumerate(range(len(frames) - 1, -1, -1)):
        if tries >= MAX_DECODE_TRIES:
            counters.drop(i + 1)  # stale anyway: a newer frame will come
            return None
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
                    # No EOI anywhere after this start, so no start in the buffer can end inside it: give up on
                    # all of them at once except the last one that may still fit (a stream of repeated
                    # SOIs used to cost a rescan of the whole buffer per 2 bytes dropped).
                    self.truncated += 1
                    last = buf.rfind(SOI_MARKER, 1)
                    if last > 0 and len(buf) - last <= self.max_frame // 2:
                        del buf[:last]
                        self._scan_from = max(2, len(buf) - 1)  # already searched: no EOI in there
                    else:
                        del buf[: len(buf) - 2]  # keep a possible partial marker
                        self._scan_from = 0
                    break
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
