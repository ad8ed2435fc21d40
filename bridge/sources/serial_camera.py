"""USB-serial cameras (ESP32 firmware, wired): frames are FF A0 FF A1, a 2-byte little-endian length, then a JPEG.

Read with termios/os.read on the tty directly (pyserial is not a dependency) in raw mode at 3,000,000 baud where
the platform supports it. The parser resynchronises on garbage (after (re)connects the line carries partial
frames), detects frames cut short by a new header, and the reader drops stale backlog: when 32 KiB or more are
waiting the input is flushed, and of everything read in one go only the newest frame is decoded.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
import struct
import termios
import tty
from collections.abc import Callable

import numpy as np

from bridge.sources.base import Backoff, CameraSource, ConnectionLost, SourceError
from bridge.sources.jpeg import decode_newest

FRAME_MAGIC = b"\xff\xa0\xff\xa1"
HEADER_SIZE = len(FRAME_MAGIC) + 2
STALE_BACKLOG = 32 * 1024  # bytes waiting that mean we are behind: flush (latency beats completeness)
MAX_READ_PER_GRAB = 256 * 1024
DEFAULT_BAUD = 3_000_000 if hasattr(termios, "B3000000") else 115_200


def baud_constant(baud: int) -> int:
    """termios speed constant for a baud rate; SourceError listing the supported rates otherwise."""
    const = getattr(termios, f"B{baud}", None)
    if const is None:
        rates = sorted(int(n[1:]) for n in dir(termios) if n[:1] == "B" and n[1:].isdigit())
        raise SourceError(f"baud rate {baud} is not supported by this platform's termios; supported: {rates}")
    return const


class SerialFrameParser:
    """Byte stream -> JPEG payloads. Counts skipped garbage bytes and truncated frames."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._checked = HEADER_SIZE  # payload bytes already searched for a new header
        self.garbage_bytes = 0
        self.truncated = 0

    @property
    def pending(self) -> int:
        return len(self._buf)

    def reset(self) -> None:
        self._buf.clear()
        self._checked = HEADER_SIZE

    def feed(self, data: bytes) -> list[bytes]:
        """Add bytes; return the complete frame payloads now available, oldest first."""
        buf = self._buf
        buf += data
        out: list[bytes] = []
        while True:
            start = buf.find(FRAME_MAGIC)
            if start < 0:
                keep = len(FRAME_MAGIC) - 1  # a header may be split across reads
                if len(buf) > keep:
                    self.garbage_bytes += len(buf) - keep
                    del buf[: len(buf) - keep]
                break
            if start > 0:
                self.garbage_bytes += start
                del buf[:start]
                self._checked = HEADER_SIZE
            if len(buf) < HEADER_SIZE:
                break
            end = HEADER_SIZE + int.from_bytes(buf[4:6], "little")
            # A header inside the declared payload means this frame was cut off (e.g. the camera restarted).
            restart = buf.find(FRAME_MAGIC, max(HEADER_SIZE, self._checked - len(FRAME_MAGIC) + 1), min(end, len(buf)))
            if restart >= 0:
                self.truncated += 1
                del buf[:restart]
                self._checked = HEADER_SIZE
                continue
            if len(buf) < end:
                self._checked = len(buf)
                break
            if end - HEADER_SIZE >= 4:  # shorter cannot be a JPEG (SOI + EOI): garbage, not a frame to decode
                out.append(bytes(buf[HEADER_SIZE:end]))
            else:
                self.garbage_bytes += end
            del buf[:end]
            self._checked = HEADER_SIZE
        return out


def bytes_waiting(fd: int) -> int:
    """Bytes in the tty's input queue (TIOCINQ/FIONREAD)."""
    return struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0]


class SerialCameraSource(CameraSource):
    """A camera streaming framed JPEGs over a serial port (/dev/ttyUSB0, /dev/ttyACM0, COM ports not supported)."""

    kind = "serial"

    def __init__(self, name: str, port: str, processor: Callable[[np.ndarray], dict[str, np.ndarray]], *,
                 baud: int | None = None, poll_timeout: float = 0.2, backoff: Backoff | None = None) -> None:
        super().__init__(name, processor, backoff)
        self.port = port
        self.baud = baud or DEFAULT_BAUD
        self._speed = baud_constant(self.baud)  # fail at configuration time, not in the thread
        self.poll_timeout = poll_timeout
        self.parser = SerialFrameParser()
        self._fd: int | None = None
        self.stale_flushes = 0

    def describe(self) -> str:
        return f"serial camera {self.name!r} ({self.port} @ {self.baud} baud)"

    def _connect(self) -> None:
        fd = os.open(self.port, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        try:
            if not os.isatty(fd):
                raise SourceError(f"{self.port} is not a serial port (tty)")
            tty.setraw(fd)
            attrs = termios.tcgetattr(fd)
            attrs[4] = attrs[5] = self._speed  # ispeed, ospeed
            attrs[2] |= termios.CLOCAL | termios.CREAD  # ignore modem lines: USB CDC adapters vary
            termios.tcsetattr(fd, termios.TCSANOW, attrs)
        except (OSError, termios.error, SourceError) as exc:
            os.close(fd)
            raise SourceError(f"cannot configure {self.port} at {self.baud} baud: {exc} (if the adapter cannot do this "
                              f"rate, give one: serial:{self.port}@115200)") from exc
        self.parser.reset()
        self._fd = fd

    def _grab(self) -> np.ndarray | None:
        fd = self._fd
        if fd is None:
            raise ConnectionLost("not connected")
        ready, _, _ = select.select([fd], [], [], self.poll_timeout)
        if not ready:
            return None
        if bytes_waiting(fd) >= STALE_BACKLOG:  # far behind (platforms with big tty buffers): skip it all
            self._drop_backlog(fd)
            return None
        chunks: list[bytes] = []
        total = 0
        while total < MAX_READ_PER_GRAB:
            try:
                data = os.read(fd, 65536)
            except BlockingIOError:
                break
            if not data:
                if not chunks:  # readable but empty: the device hung up
                    raise ConnectionLost(f"{self.port} hung up")
                break
            chunks.append(data)
            total += len(data)
        before = self.parser.truncated
        frames = self.parser.feed(b"".join(chunks))
        if self.parser.truncated > before:
            self.counters.drop(self.parser.truncated - before, corrupt=True)
        image = decode_newest(frames, self.counters)
        if total >= STALE_BACKLOG:
            # Linux ttys hold at most 4 KiB in the line discipline, so FIONREAD never shows the backlog there:
            # having just pulled >= 32 KiB in one go is the sign we are behind. Flush what the kernel still holds
            # so the next frame is a live one.
            self._drop_backlog(fd)
        return image

    def _drop_backlog(self, fd: int) -> None:
        """Discard queued input (tcflush; read-and-discard when the fd is not a tty) and resync the parser."""
        try:
            termios.tcflush(fd, termios.TCIFLUSH)
        except termios.error:
            with contextlib.suppress(BlockingIOError):
                while os.read(fd, 65536):
                    pass
        self.counters.drop()  # at least one frame went with the backlog
        self.parser.reset()
        self.stale_flushes += 1
        self.counters.note(f"stale serial backlog dropped ({self.stale_flushes} times)")

    def _disconnect(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
