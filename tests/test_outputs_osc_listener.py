"""The shared OSC UDP listener: messages reach the handler, garbage and handler failures are counted, not fatal."""

from __future__ import annotations

import socket
import threading

import pytest
from pythonosc.udp_client import SimpleUDPClient

from bridge.osc.listener import OscUdpListener


def test_listener_survives_garbage_and_a_failing_handler():
    got: list[tuple[str, list]] = []
    done = threading.Event()

    def handle(address: str, params: list) -> None:
        if address == "/boom":
            raise ValueError("handler bug")
        got.append((address, params))
        if address == "/last":
            done.set()

    listener = OscUdpListener("127.0.0.1", 0, handle, thread_name="test-listen")
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.sendto(b"\x00garbage", ("127.0.0.1", listener.port))
        client = SimpleUDPClient("127.0.0.1", listener.port)
        client.send_message("/boom", 1)
        client.send_message("/first", [1, "a"])
        client.send_message("/last", 2.5)
        assert done.wait(30), f"handler never saw /last; got {got}"
    finally:
        listener.close()
    assert got == [("/first", [1, "a"]), ("/last", [2.5])]
    assert listener.received == 4 and listener.malformed == 2  # the garbage datagram and the failed /boom
    listener.close()  # idempotent


def test_bind_failure_raises_before_any_thread_starts():
    first = OscUdpListener("127.0.0.1", 0, lambda a, p: None, thread_name="test-first")
    try:
        before = threading.active_count()
        with pytest.raises(OSError):
            OscUdpListener("127.0.0.1", first.port, lambda a, p: None, thread_name="test-second")
        assert threading.active_count() == before
    finally:
        first.close()
