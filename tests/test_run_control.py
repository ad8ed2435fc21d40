"""OSC control input: commands from python-osc and liblo's oscsend; garbage is ignored and counted."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time

import pytest
from pythonosc.udp_client import SimpleUDPClient

from bridge.app.control import Command, ControlServer, parse_command


@pytest.mark.parametrize(("address", "params", "expected"), [
    ("/facebridge/recalibrate", [], Command.RECALIBRATE),
    ("/facebridge/recenter", [1], Command.RECENTER),
    ("/facebridge/pause", [], Command.PAUSE),
    ("/facebridge/pause", [0], Command.RESUME),
    ("/facebridge/resume", [], Command.RESUME),
    ("/facebridge/reset_calibration", [], Command.RESET_CALIBRATION),
    ("/avatar/parameters/FaceBridge/Recalibrate", [True], Command.RECALIBRATE),
    ("/avatar/parameters/FaceBridge/Recalibrate", [False], None),  # button release
    ("/facebridge/explode", [], None),
    ("/other/recalibrate", [], None),
])
def test_parse_command(address, params, expected):
    assert parse_command(address, params) is expected


def wait_commands(server: ControlServer, n: int, timeout: float = 30.0, ignored: int = 0) -> list[Command]:
    """Drain until ``n`` commands arrived and ``ignored`` messages were counted as ignored (or ``timeout``)."""
    got: list[Command] = []
    deadline = time.monotonic() + timeout
    while (len(got) < n or server.counters.ignored < ignored) and time.monotonic() < deadline:
        got += server.drain()
        time.sleep(0.01)
    return got + server.drain()


def test_commands_arrive_and_garbage_is_counted():
    server = ControlServer("127.0.0.1", 0)
    host, port = server.address
    try:
        assert host == "127.0.0.1"
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.sendto(b"\xff\xfe not osc at all", (host, port))
            s.sendto(b"#bundle\x00\x00\x00", (host, port))  # truncated bundle
        client = SimpleUDPClient(host, port)
        client.send_message("/facebridge/unknown", 1)
        client.send_message("/facebridge/recalibrate", [])
        client.send_message("/facebridge/pause", 1)
        client.send_message("/facebridge/resume", [])
        got = wait_commands(server, 3, ignored=1)
    finally:
        server.close()
    assert got == [Command.RECALIBRATE, Command.PAUSE, Command.RESUME]
    assert server.counters.malformed == 2
    assert server.counters.ignored == 1
    assert server.counters.commands == 3


@pytest.mark.skipif(shutil.which("oscsend") is None, reason="liblo-tools (oscsend) not installed")
def test_command_from_liblo_oscsend():
    server = ControlServer("127.0.0.1", 0)
    try:
        subprocess.run(["oscsend", "127.0.0.1", str(server.address[1]), "/facebridge/recenter", "i", "1"],
                       check=True, timeout=10)
        got = wait_commands(server, 1)
    finally:
        server.close()
    assert got == [Command.RECENTER]


def test_port_in_use_gives_actionable_error():
    first = ControlServer("127.0.0.1", 0)
    try:
        with pytest.raises(OSError, match=r"\[control\] port"):
            ControlServer("127.0.0.1", first.address[1])
    finally:
        first.close()


def test_vrchat_menu_buttons_reach_the_control_input_via_port_9001_listener():
    from test_outputs_helpers import free_udp_port

    from bridge.outputs.vrchat import VrchatSink

    server = ControlServer("127.0.0.1", 0)
    sink = VrchatSink("127.0.0.1", free_udp_port(), rig_key="main", listen_port=0)
    sink.listener.forward = server.submit_from
    try:
        client = SimpleUDPClient("127.0.0.1", sink.listener.port)
        client.send_message("/avatar/parameters/FT/v2/JawOpen", 0.5)  # another app's parameter: not forwarded
        client.send_message("/avatar/parameters/FaceBridge/Recenter", True)
        client.send_message("/avatar/parameters/FaceBridge/Recenter", False)  # release: ignored
        got = wait_commands(server, 1, ignored=1)  # the ignored one must have been seen, not just sent
    finally:
        sink.close()
        server.close()
    assert got == [Command.RECENTER]
    assert server.counters.ignored == 1  # the JawOpen report never reached the control input
    assert sink.listener.received == 3
