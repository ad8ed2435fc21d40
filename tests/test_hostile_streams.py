"""Hostile camera streams (issue 11, defect 4 and the stress suite's fast subset): MJPEG splitting stays linear,
decode work per read is bounded, decode bombs are refused before OpenCV allocates, and a camera that sent garbage
comes back as soon as good frames arrive. No timing assertions: linearity is checked by counting work."""

from __future__ import annotations

import http.server
import os
import threading
import time

import numpy as np
import pytest
from stress import hostile

import bridge.sources.jpeg as jpeg
from bridge.sources import CameraSpec, open_frameset_source
from bridge.sources.base import Backoff, FrameCounters
from bridge.sources.jpeg import JpegStreamSplitter, decode_jpeg_gray, decode_newest, encode_jpeg, frame_size
from bridge.sources.serial_camera import FRAME_MAGIC, SerialFrameParser

GOOD = encode_jpeg(np.full((48, 64), 200, np.uint8))


def test_repeated_soi_is_dropped_in_bulk_not_two_bytes_at_a_time():
    # Defect 4: each give-up used to drop 2 bytes and rescan the whole buffer (80 s of CPU per 64 KiB).
    splitter = JpegStreamSplitter(max_frame=64 * 1024)
    data = b"\xff\xd8\xff" * (1 << 20)  # 3 MiB
    for i in range(0, len(data), 65536):
        assert splitter.feed(data[i:i + 65536]) == []
        assert len(splitter._buf) <= splitter.max_frame + 65536  # bounded
    # One give-up per filled buffer, not one per dropped byte pair.
    assert 1 <= splitter.truncated <= len(data) // (splitter.max_frame // 2) + 2
    assert splitter.feed(GOOD) == [GOOD]  # and the next real frame comes through


@pytest.mark.parametrize("name", list(hostile.mjpeg_streams(1 << 16)))
def test_splitter_survives_every_hostile_stream_and_recovers(name):
    splitter = JpegStreamSplitter(max_frame=256 * 1024)
    body = hostile.mjpeg_streams(1 << 18)[name]()
    counters = FrameCounters()
    for i in range(0, len(body), 65536):
        decode_newest(splitter.feed(body[i:i + 65536]), counters)
    assert len(splitter._buf) <= splitter.max_frame + 65536
    frames = splitter.feed(b"\r\n--f\r\n\r\n" + GOOD + b"\r\n--f\r\n\r\n" + GOOD)
    assert frames[-1] == GOOD


def test_decode_bomb_header_is_refused_before_decoding(monkeypatch):
    bomb = hostile.lying_jpeg(32767, 32767)
    assert frame_size(bomb) == (32767, 32767)
    assert frame_size(GOOD) == (64, 48)
    monkeypatch.setattr(jpeg.cv2, "imdecode", lambda *a: pytest.fail("a decode bomb reached OpenCV"))
    assert decode_jpeg_gray(bomb) is None
    assert decode_jpeg_gray(b"\xff\xd8\xff\xd9") is None  # no frame header at all


def test_decode_work_per_batch_is_bounded(monkeypatch):
    calls = []
    real = jpeg.decode_jpeg_gray
    monkeypatch.setattr(jpeg, "decode_jpeg_gray", lambda data: calls.append(1) or real(data))
    counters = FrameCounters()
    frames = [b"\xff\xd8\xff\xd9"] * 10_000  # 10,000 tiny corrupt "frames" in one read
    assert decode_newest(frames, counters) is None
    assert len(calls) == jpeg.MAX_DECODE_TRIES
    assert counters.snapshot().dropped == 10_000
    calls.clear()
    assert decode_newest([GOOD, b"\xff\xd8\xff\xd9", GOOD], counters) is not None and len(calls) == 1


@pytest.mark.parametrize("name", list(hostile.serial_streams(1 << 12)))
def test_serial_parser_survives_every_hostile_stream_and_recovers(name):
    parser = SerialFrameParser()
    body = hostile.serial_streams(1 << 18)[name]()
    payloads = []
    for i in range(0, len(body), 65536):
        payloads += parser.feed(body[i:i + 65536])
        assert parser.pending <= 65536 + 6 + 65535  # at most one declared frame is buffered
    assert all(len(p) >= 4 for p in payloads)  # empty/short "frames" are garbage, never decoded
    framed = FRAME_MAGIC + len(GOOD).to_bytes(2, "little") + GOOD
    out = parser.feed(framed + framed)
    assert out and out[-1] == GOOD


def _multipart_server(body: bytes, stop: threading.Event):
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=f")
            self.end_headers()
            try:
                self.wfile.write(body)
                while not stop.is_set():
                    self.wfile.write(b"\r\n--f\r\nContent-Type: image/jpeg\r\n\r\n" + GOOD)
                    self.wfile.flush()
                    time.sleep(0.02)
            except OSError:
                pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _read_good(source, timeout: float = 20.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        fs = source.read(timeout=0.2)
        if fs is not None and abs(float(next(iter(fs.images.values())).mean()) - 200) < 5:
            return fs
    raise AssertionError(f"no good frame after the hostile stream; stats {source.stats()}")


def test_mjpeg_camera_comes_back_after_a_stream_of_repeated_soi():
    stop = threading.Event()
    server = _multipart_server(b"\xff\xd8\xff" * (1 << 18), stop)
    source = open_frameset_source([CameraSpec(f"http://127.0.0.1:{server.server_address[1]}/", views=("mouth",),
                                              name="cam")], backoff=Backoff(0.05, 2.0, 0.2))
    try:
        source.start()
        _read_good(source)
        assert source.stats()["cam"].connected
    finally:
        source.close()
        stop.set()
        server.shutdown()
        server.server_close()


def test_serial_camera_comes_back_after_decode_bombs_and_repeated_magic():
    master, slave = os.openpty()
    stop = threading.Event()
    framed = FRAME_MAGIC + len(GOOD).to_bytes(2, "little") + GOOD
    bomb = hostile.lying_jpeg(32767, 32767)
    body = (FRAME_MAGIC + len(bomb).to_bytes(2, "little") + bomb) * 50 + FRAME_MAGIC * 20000

    def feed():
        try:
            view = memoryview(body)
            while view and not stop.is_set():
                view = view[os.write(master, view[:4096]):]
            while not stop.is_set():
                os.write(master, framed)
                time.sleep(0.02)
        except OSError:
            pass

    source = open_frameset_source([CameraSpec(f"serial:{os.ttyname(slave)}", views=("mouth",), name="eye")],
                                  backoff=Backoff(0.05, 2.0, 0.2))
    try:
        source.start()
        threading.Thread(target=feed, daemon=True).start()
        _read_good(source)
        assert source.stats()["eye"].connected
    finally:
        stop.set()
        source.close()
        os.close(master)
        os.close(slave)
