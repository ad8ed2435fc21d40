"""Hostile OSC (issue 11, defects 1, 3, 11, 12 and the stress suite's fast subset): the bounds-checked decoder
never loops, the listener threads survive every hostile datagram and still answer, command floods are coalesced,
and the VRChat listener never acts on control commands from senders the control input would refuse.
No timing assertions: tests wait for content with generous deadlines."""

from __future__ import annotations

import logging
import socket
import struct
import time

import pytest
from stress import hostile

from bridge.app.control import MIN_INTERVAL_S, Command, ControlServer
from bridge.osc.decode import MAX_DEPTH, MAX_MESSAGES, decode_message, decode_packet
from bridge.osc.listener import OscUdpListener


def _send(port: int, datagrams) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for data in datagrams:
            s.sendto(data, ("127.0.0.1", port))


def _wait(predicate, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


# --- the decoder --------------------------------------------------------------------------------------------

def test_negative_size_bundle_is_malformed_not_a_loop():
    # Defect 1: python-osc 1.10.2 loops forever on this 20-byte datagram.
    packet = decode_packet(hostile.NEGATIVE_SIZE_BUNDLE)
    assert packet.messages == [] and packet.malformed == 1 and "bad size -4" in packet.errors[0]


def test_decoder_reads_what_python_osc_builds():
    from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder
    from pythonosc.osc_message_builder import OscMessageBuilder

    msg = OscMessageBuilder("/avatar/parameters/FaceBridge/Pause")
    for arg in (True, 3, 2.5, "x", b"\x01\x02"):
        msg.add_arg(arg)
    bundle = OscBundleBuilder(IMMEDIATELY)
    bundle.add_content(msg.build())
    bundle.add_content(OscMessageBuilder("/avatar/change").build())
    packet = decode_packet(bundle.build().dgram)
    assert packet.malformed == 0
    assert packet.messages == [("/avatar/parameters/FaceBridge/Pause", [True, 3, 2.5, "x", b"\x01\x02"]),
                               ("/avatar/change", [])]


def test_decoder_bounds():
    deep = hostile.deep_bundle(MAX_DEPTH + 5, hostile.osc_message("/x", "", b""))
    assert decode_packet(deep).messages == [] and decode_packet(deep).malformed == 1
    flood = hostile.osc_bundle([hostile.osc_message("/facebridge/recenter", "", b"")] * 3000)
    packet = decode_packet(flood)
    assert len(packet.messages) == MAX_MESSAGES and packet.truncated
    with pytest.raises(ValueError, match="negative blob size"):
        data = hostile.osc_message("/b", "b", struct.pack(">i", -4))
        decode_message(data, 0, len(data))
    with pytest.raises(ValueError, match="unknown type tag"):
        data = hostile.osc_message("/u", "Z", b"")
        decode_message(data, 0, len(data))
    nan = decode_packet(hostile.osc_message("/n", "fd", struct.pack(">fd", float("nan"), float("inf"))))
    assert nan.messages[0][0] == "/n" and nan.messages[0][1][1] == float("inf")


def test_decoder_never_raises_on_the_fuzz_corpus():
    families = set()
    for family, data in hostile.osc_attacks(2000, seed=3):
        packet = decode_packet(data)  # raising here would be the bug
        assert len(packet.messages) <= MAX_MESSAGES
        families.add(family)
    assert len(families) == 11


# --- the listener -------------------------------------------------------------------------------------------

def test_listener_survives_the_fuzz_corpus_and_still_answers():
    got: list[str] = []
    listener = OscUdpListener("127.0.0.1", 0, lambda a, p: got.append(a), thread_name="test-fuzz",
                              datagrams_per_s=1e9, bytes_per_s=1e12)
    try:
        corpus = [data for _family, data in hostile.osc_attacks(1500, seed=5)]
        corpus.insert(0, hostile.NEGATIVE_SIZE_BUNDLE)
        _send(listener.port, corpus)  # the kernel drops what the socket buffer cannot hold: resend the probe

        def answered() -> bool:
            _send(listener.port, [hostile.osc_message("/alive", "", b"")])
            time.sleep(0.05)
            return "/alive" in got

        assert _wait(answered), f"listener stopped answering after {listener.received} datagrams"
        assert listener.alive and listener.malformed > 0
    finally:
        listener.close()


def test_listener_rate_limit_pauses_instead_of_spinning():
    got: list[str] = []
    listener = OscUdpListener("127.0.0.1", 0, lambda a, p: got.append(a), thread_name="test-limit",
                              datagrams_per_s=50.0)
    try:
        _send(listener.port, [hostile.osc_message("/m", "", b"")] * 500)
        assert _wait(lambda: listener.throttled > 0)
        assert listener.alive and len(got) < 500  # the excess was left to the kernel to drop
    finally:
        listener.close()


def test_huge_datagram_does_not_flood_the_log(caplog):
    # Defect 11: one 60 KB datagram made python-osc log 60,000 lines on the root logger.
    got = []
    listener = OscUdpListener("127.0.0.1", 0, lambda a, p: got.append(a), thread_name="test-log")
    try:
        with caplog.at_level(logging.DEBUG):
            _send(listener.port, [hostile.osc_message("/x", "Z" * 60000, b""),
                                  hostile.osc_message("/x", "i" * 60000, b""),
                                  hostile.osc_message("/done", "", b"")])
            assert _wait(lambda: "/done" in got)
        assert len(caplog.records) <= 2 and sum(len(r.getMessage()) for r in caplog.records) < 2000
    finally:
        listener.close()


def test_handler_failure_is_counted_and_the_thread_lives():
    def handler(address, params):
        raise RecursionError("handler bug")

    listener = OscUdpListener("127.0.0.1", 0, handler, thread_name="test-handler")
    try:
        _send(listener.port, [hostile.osc_message("/a", "", b"")] * 20)
        assert _wait(lambda: listener.malformed == 20) and listener.alive
    finally:
        listener.close()


# --- the control input ------------------------------------------------------------------------------------

def test_command_flood_is_coalesced():
    # Defect 3: 1,000 bundles of /facebridge/recenter queued 663,810 commands and stopped the output for 24 s.
    server = ControlServer("127.0.0.1", 0)
    try:
        flood = hostile.osc_bundle([hostile.osc_message("/facebridge/recenter", "", b"")] * 100)
        _send(server.address[1], [flood] * 20)  # 64 KB: within the listener's burst and the socket buffer
        assert _wait(lambda: server.counters.commands >= 2000)
        got = server.drain()
    finally:
        server.close()
    assert got == [Command.RECENTER]  # one pending recenter, however many arrived
    assert server.counters.coalesced == server.counters.commands - 1


def test_commands_keep_their_order_and_repeats_wait_their_interval():
    server = ControlServer("127.0.0.1", 0)
    try:
        for address in ("/facebridge/pause", "/facebridge/resume", "/facebridge/pause"):
            server.submit(address, [])
        assert server.drain(now=100.0) == [Command.RESUME, Command.PAUSE]  # the last asked-for state wins
        server.submit("/facebridge/recenter", [])
        server.submit("/facebridge/pause", [])
        assert server.drain(now=100.0 + MIN_INTERVAL_S / 2) == [Command.RECENTER]  # pause waits (and keeps order)
        assert server.drain(now=100.0 + MIN_INTERVAL_S) == [Command.PAUSE]
    finally:
        server.close()


def test_vrchat_listener_forwards_only_menu_buttons_from_senders_control_accepts():
    # Defect 12: a LAN sender paused the bridge through the VRChat listener although [control] was loopback-only.
    server = ControlServer("127.0.0.1", 0)
    try:
        assert server.local_only
        assert server.submit_from("/avatar/parameters/FaceBridge/Pause", [True], "192.168.1.20") is False
        assert server.submit_from("/avatar/parameters/FaceBridge/Pause", [True], "127.0.0.1") is True
        assert server.drain(now=1e6) == [Command.PAUSE]
    finally:
        server.close()
    lan = ControlServer("0.0.0.0", 0)
    try:
        assert not lan.local_only and lan.submit_from("/facebridge/recenter", [], "192.168.1.20")
    finally:
        lan.close()

    from bridge.outputs.vrchat import AvatarChangeListener

    listener = AvatarChangeListener("127.0.0.1", 0)
    seen = []
    listener.forward = lambda address, params, sender: seen.append(address)
    try:
        _send(listener.port, [hostile.osc_message("/facebridge/pause", "", b""),  # control's address: not ours
                              hostile.osc_message("/avatar/parameters/FT/v2/JawOpen", "f", struct.pack(">f", 0.5)),
                              hostile.osc_message("/avatar/parameters/FaceBridge/Recenter", "T", b""),
                              hostile.osc_message("/avatar/change", "s", hostile.osc_string("avtr_1"))])
        assert _wait(lambda: listener.changed.is_set())
    finally:
        listener.close()
    assert seen == ["/avatar/parameters/FaceBridge/Recenter"] and listener.avatar_id == "avtr_1"
