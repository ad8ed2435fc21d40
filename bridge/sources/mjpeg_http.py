"""MJPEG over HTTP (multipart/x-mixed-replace, as ESP32 eye-tracker firmware serves at "/").

Our own reader instead of VideoCapture: it splits the body on JPEG SOI/EOI, decodes only the newest complete
frame of every chunk it reads (older ones are stale: dropped and counted), and reconnects with backoff on
timeouts and closed connections. A URL that does not answer with a multipart stream (e.g. an RTSP-over-HTTP or a
plain video URL) is handed to OpenCV's VideoCapture instead.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import socket
import urllib.parse
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from bridge.sources.base import Backoff, CameraSource, ConnectionLost, SourceError
from bridge.sources.jpeg import JpegStreamSplitter, decode_newest
from bridge.sources.spec import redact_url

if TYPE_CHECKING:
    from bridge.sources.opencv_capture import VideoCaptureSource

READ_CHUNK = 64 * 1024


class MjpegHttpSource(CameraSource):
    """Reads a multipart MJPEG stream over HTTP(S); falls back to VideoCapture for non-multipart answers."""

    kind = "mjpeg"

    def __init__(self, name: str, url: str, processor: Callable[[np.ndarray], dict[str, np.ndarray]], *,
                 timeout: float = 2.0, backoff: Backoff | None = None) -> None:
        super().__init__(name, processor, backoff)
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise SourceError(f"camera {name!r}: {url!r} is not an http(s) URL with a host")
        self.url = url
        self._parsed = parsed
        self._safe_url = redact_url(url)  # no password in messages
        self.timeout = timeout
        self._conn: http.client.HTTPConnection | None = None
        self._response: http.client.HTTPResponse | None = None
        self._splitter = JpegStreamSplitter()
        # a VideoCaptureSource once the server turned out not to speak multipart
        self._fallback: VideoCaptureSource | None = None
        self.content_type = ""

    def describe(self) -> str:
        return f"MJPEG camera {self.name!r} ({self._safe_url})"

    def _connect(self) -> None:
        if self._fallback is not None:
            self._fallback._connect()
            return
        p = self._parsed
        conn_cls = http.client.HTTPSConnection if p.scheme == "https" else http.client.HTTPConnection
        conn = conn_cls(p.hostname or "", p.port, timeout=self.timeout)  # __init__ rejected URLs without a host
        path = (p.path or "/") + (f"?{p.query}" if p.query else "")
        headers = {"Accept": "multipart/x-mixed-replace, */*"}
        if p.username is not None:  # http://user:pass@host/ (IP cameras, phone webcam apps)
            credentials = f"{urllib.parse.unquote(p.username)}:{urllib.parse.unquote(p.password or '')}"
            headers["Authorization"] = "Basic " + base64.b64encode(credentials.encode("utf-8")).decode("ascii")
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            raise SourceError(f"no answer from {self._safe_url}: {exc}") from exc
        if response.status != 200:
            conn.close()
            hint = " (give credentials as http://USER:PASSWORD@HOST/...)" if response.status == 401 else ""
            raise SourceError(f"{self._safe_url} answered HTTP {response.status} {response.reason}{hint}")
        self.content_type = response.getheader("Content-Type", "")
        if not self.content_type.lower().startswith("multipart/"):
            conn.close()
            self._use_videocapture()
            return
        self._conn, self._response = conn, response
        self._splitter.reset()

    def _use_videocapture(self) -> None:
        from bridge.sources.opencv_capture import VideoCaptureSource

        fallback = VideoCaptureSource(self.name, self.url, self.processor, backoff=self._backoff)
        fallback._connect()  # raises SourceError when OpenCV cannot read it either
        self._fallback = fallback
        self.kind = "http stream"

    def _grab(self) -> bytes | np.ndarray | None:
        if self._fallback is not None:
            return self._fallback._grab()
        response = self._response
        if response is None:
            raise ConnectionLost("not connected")
        try:
            data = response.read1(READ_CHUNK)
        except TimeoutError as exc:
            raise ConnectionLost(f"no data from {self._safe_url} for {self.timeout:.1f} s") from exc
        except (http.client.HTTPException, ValueError, AttributeError) as exc:
            # ValueError/AttributeError: the response was closed under us by close() or a reset
            raise ConnectionLost(f"stream from {self._safe_url} broke: {exc}") from exc
        if not data:
            raise ConnectionLost(f"{self._safe_url} closed the stream")
        truncated_before = self._splitter.truncated
        frames = self._splitter.feed(data)
        if self._splitter.truncated > truncated_before:
            self.counters.drop(self._splitter.truncated - truncated_before, corrupt=True)
        # Newest wins: try the latest complete frame first; everything older is stale.
        return decode_newest(frames, self.counters)

    def _disconnect(self) -> None:
        if self._fallback is not None:
            self._fallback._disconnect()
            return
        if self._splitter.reset():
            self.counters.drop(corrupt=True)  # a frame cut off by the disconnect
        if self._conn is not None:
            self._conn.close()
        self._conn = self._response = None

    def _interrupt(self) -> None:
        conn = self._conn
        if conn is not None and conn.sock is not None:
            with contextlib.suppress(OSError):
                conn.sock.shutdown(socket.SHUT_RDWR)
