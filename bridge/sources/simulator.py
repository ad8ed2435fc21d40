"""Camera simulators: serve frame sets as a real transport would, so the whole bridge can be tried end to end
without hardware (`facebridge cameras --simulate mjpeg|serial`).

- ``compose_frame`` draws a FrameSet into one camera frame of a layout (the inverse of ``LayoutSplitter``).
- ``MjpegHttpServer`` streams JPEGs as ``multipart/x-mixed-replace`` like ESP32 tracker firmware (part headers
  Content-Type, Content-Length, X-Timestamp; response header X-Framerate).
- ``SerialPtyCamera`` writes framed JPEGs (FF A0 FF A1, 2-byte LE length, JPEG) into a pseudo-terminal whose
  slave side ``serial:PATH`` opens like a USB serial camera.
"""

from __future__ import annotations

import contextlib
import http.server
import os
import select
import threading
import time
import tty
from collections.abc import Callable

import cv2
import numpy as np

from bridge.frames import FrameSet
from bridge.sources.jpeg import encode_jpeg
from bridge.sources.layouts import LAYOUT_VIEWS, default_regions, region_pixels
from bridge.sources.serial_camera import FRAME_MAGIC

BOUNDARY = "facebridgeframe"
FrameProvider = Callable[[], bytes | None]  # the next JPEG to send, or None to stop


def compose_frame(frames: FrameSet, layout: str = "combined_eyes_mouth", size: tuple[int, int] = (400, 400),
                  subject_left_on: str = "image_right") -> np.ndarray:
    """One (h, w) uint8 camera frame holding the set's views where ``layout`` expects them; missing views stay
    black. ``single`` uses the first view present."""
    width, height = size
    canvas = np.zeros((height, width), np.uint8)
    if layout == "single":
        views = tuple(frames.images)[:1]
    else:
        views = tuple(v for v in LAYOUT_VIEWS[layout] if v in frames.images)
    if not views:
        return canvas
    for view, region in default_regions(layout, views, subject_left_on).items():
        x, y, w, h = region_pixels(region, width, height)
        canvas[y : y + h, x : x + w] = cv2.resize(frames.images[view], (w, h), interpolation=cv2.INTER_AREA)
    return canvas


def jpeg_provider(read: Callable[[], FrameSet | None], layout: str, size: tuple[int, int],
                  quality: int = 85) -> FrameProvider:
    """Wrap a FrameSet reader (e.g. SyntheticSource.read) into a JPEG provider for the simulators."""

    def next_jpeg() -> bytes | None:
        frames = read()
        return None if frames is None else encode_jpeg(compose_frame(frames, layout, size), quality)

    return next_jpeg


class MjpegHttpServer:
    """Streams the provider's JPEGs to every client at ``fps`` (each client gets the newest frame)."""

    def __init__(self, provider: FrameProvider, host: str = "127.0.0.1", port: int = 8080, fps: float = 60.0) -> None:
        self.fps = fps
        self._stop = threading.Event()
        self._latest: bytes | None = None
        self._produced = 0  # counts frames, so a provider repeating the same bytes object still streams at fps
        self._cond = threading.Condition()
        self._provider = provider
        self.frames_sent = 0
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY}")
                self.send_header("X-Framerate", f"{server.fps:g}")
                self.end_headers()
                sent = 0  # the producer's frame count at the last frame this client got

                def news_since(seen: int) -> Callable[[], bool]:
                    return lambda: server._produced != seen or server._stop.is_set()

                try:
                    while not server._stop.is_set():
                        with server._cond:
                            server._cond.wait_for(news_since(sent), 1.0)
                            jpeg, sent = server._latest, server._produced
                        if jpeg is None:
                            continue
                        head = (f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}\r\n"
                                f"X-Timestamp: {int(time.time() * 1e6)}\r\n\r\n").encode("ascii")
                        self.wfile.write(head + jpeg + b"\r\n")
                        self.wfile.flush()
                        server.frames_sent += 1
                except OSError:  # client went away
                    pass

        self._http = http.server.ThreadingHTTPServer((host, port), Handler)
        self._http.daemon_threads = True
        host_, port_ = self._http.server_address[:2]
        self.address = (str(host_), int(port_))
        self._threads = [threading.Thread(target=self._http.serve_forever, name="mjpeg-http", daemon=True),
                         threading.Thread(target=self._produce, name="mjpeg-producer", daemon=True)]

    @property
    def url(self) -> str:
        return f"http://{self.address[0]}:{self.address[1]}/"

    def _produce(self) -> None:
        period = 1.0 / self.fps
        due = time.monotonic()
        while not self._stop.is_set():
            jpeg = self._provider()
            if jpeg is None:
                break
            with self._cond:
                self._latest = jpeg
                self._produced += 1
                self._cond.notify_all()
            due += period
            self._stop.wait(max(0.0, due - time.monotonic()))
        self._stop.set()
        with self._cond:
            self._cond.notify_all()

    def start(self) -> MjpegHttpServer:
        for t in self._threads:
            t.start()
        return self

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the provider ran out or close() was called; True if it stopped."""
        return self._stop.wait(timeout)

    def close(self) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        self._http.shutdown()
        self._http.server_close()


class SerialPtyCamera:
    """A USB-serial camera on a pseudo-terminal: open ``serial:{self.port}`` to read it."""

    def __init__(self, provider: FrameProvider, fps: float = 60.0) -> None:
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)  # no line-discipline translation of the binary stream
        os.set_blocking(self._master, False)
        self.port = os.ttyname(self._slave)
        self.fps = fps
        self.frames_sent = 0
        self._provider = provider
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="serial-sim", daemon=True)

    def _run(self) -> None:
        period = 1.0 / self.fps
        due = time.monotonic()
        try:
            while not self._stop.is_set():
                jpeg = self._provider()
                if jpeg is None:
                    break
                if len(jpeg) > 0xFFFF:  # the 2-byte length cannot say it; real firmware lowers quality instead
                    continue
                self._write_all(FRAME_MAGIC + len(jpeg).to_bytes(2, "little") + jpeg)
                self.frames_sent += 1
                due += period
                self._stop.wait(max(0.0, due - time.monotonic()))
        except OSError:
            pass
        self._stop.set()

    def _write_all(self, data: bytes) -> None:
        view = memoryview(data)
        while view and not self._stop.is_set():
            _, writable, _ = select.select([], [self._master], [], 0.1)  # nobody reading: wait, stay closable
            if writable:
                view = view[os.write(self._master, view[:4096]):]

    def start(self) -> SerialPtyCamera:
        self._thread.start()
        return self

    def wait(self, timeout: float | None = None) -> bool:
        return self._stop.wait(timeout)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2.0)
        for fd in (self._master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)
