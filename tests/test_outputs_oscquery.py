"""OSCQuery end to end on loopback: a stand-in VRChat (HTTP OSCQuery server with two avatar trees in VRChat's
format, advertised over mDNS as ``VRChat-Client-*``), the vrchat output discovering it, and what arrives on UDP.

Rules (benaclejames/VRCFaceTracking 4c58db6, VRCFaceTracking.Core/...): discovery mDNS/MulticastDnsService.cs
:189-237, avatar read OscQueryConfigParser.cs:26-45, avatar tree OSC/Query/OscQueryAvatarInfo.cs:13-36, our
host info OSC/Query/HttpHandler.cs:40-63, re-read on /avatar/change Services/OscQueryService.cs:111-117.
"""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
from pythonosc.udp_client import SimpleUDPClient
from test_outputs_helpers import PythonOscReceiver, oscdump_until

from bridge.outputs.base import OutputFrame
from bridge.outputs.oscquery import fetch_avatar
from bridge.outputs.vrcft import avatar_from_oscquery, load_avatar_config
from bridge.outputs.vrchat import VrchatSink
from bridge.schema import BLENDSHAPE_NAMES, FER8, EyeState, FaceState
from retarget.engine import Retargeter
from retarget.library import load_preset

DATA = Path(__file__).parent / "fixtures" / "vrchat"
TREE_A = json.loads((DATA / "oscquery_avatar_ft_v2.json").read_text())  # FT/v2/, own eye params, binary SmileSad
TREE_B = json.loads((DATA / "oscquery_avatar_bare_v2.json").read_text())  # bare v2/, no eye params
RT = Retargeter(load_preset("vrchat-unified-v2"))


class FakeVrchat:
    """VRChat's OSCQuery side: GET /avatar answers the current tree; optional mDNS advertisement."""

    def __init__(self, tree: dict) -> None:
        self.tree = tree
        self.requests = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                if self.path.split("?")[0] != "/avatar":
                    self.send_error(404)
                    return
                outer.requests += 1
                body = json.dumps(outer.tree).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.zc = None

    def advertise(self, also_dead: bool = False) -> None:
        """Announce ``VRChat-Client-4A1B2C`` at 127.0.0.1 (VRChat always announces 127.0.0.1). ``also_dead``: a
        second VRChat-Client whose port answers nothing here (what another PC's VRChat looks like)."""
        from zeroconf import IPVersion, ServiceInfo, Zeroconf

        self.zc = Zeroconf(interfaces=["127.0.0.1"], ip_version=IPVersion.V4Only)
        services = [("VRChat-Client-4A1B2C", self.server.server_address[1])]
        if also_dead:
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                services.insert(0, ("VRChat-Client-DEAD00", s.getsockname()[1]))
        for name, port in services:
            self.zc.register_service(ServiceInfo(
                "_oscjson._tcp.local.", f"{name}._oscjson._tcp.local.", addresses=[socket.inet_aton("127.0.0.1")],
                port=port, server=f"{name}.local."))

    def close(self) -> None:
        if self.zc is not None:
            self.zc.close()
        self.server.shutdown()
        self.server.server_close()


def frame(t: float) -> OutputFrame:
    b = np.zeros(52, np.float32)
    b[BLENDSHAPE_NAMES.index("jawOpen")] = 0.25 + 0.2 * np.sin(t * 7.0)  # changes every frame
    b[BLENDSHAPE_NAMES.index("mouthSmileLeft")] = 0.9
    b[BLENDSHAPE_NAMES.index("mouthFrownLeft")] = 0.1
    b[BLENDSHAPE_NAMES.index("cheekPuff")] = 0.5
    e = np.zeros(8, np.float32)
    e[0] = 1.0
    fs = FaceState(timestamp=t, sequence=0, blendshapes=b, emotion8=e, emotion_label=FER8[0],
                   left_eye=EyeState(5.0, 0.0, 0.9), right_eye=EyeState(5.0, 0.0, 0.9))
    return OutputFrame(state=fs, rigs={"vrc": RT.apply(fs)})


def run_until(sink: VrchatSink, rx: PythonOscReceiver, predicate, timeout: float = 30.0) -> list:
    """Send frames (~50 Hz) until ``predicate(messages received since the call)`` holds; returns those messages."""
    start = len(rx.messages)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sink.send(frame(time.monotonic()))
        got = rx.messages[start:]
        if predicate(got):
            return got
        time.sleep(0.02)
    return rx.messages[start:]


def wait_for_avatar(sink: VrchatSink, rx: PythonOscReceiver, avatar_id: str) -> None:
    """Frames until the sink's plan is built from ``avatar_id`` (the first read is asynchronous; until then the
    output sends the fallback plan), then a moment for the last fallback datagrams to land."""
    run_until(sink, rx, lambda m: sink.plan is not None and sink.plan.avatar is not None
              and sink.plan.avatar.id == avatar_id)
    time.sleep(0.2)


def avatar_addresses(msgs) -> set[str]:
    return {a for a, _ in msgs if a.startswith("/avatar/")}


A_SENT = {"/avatar/parameters/FT/v2/" + n for n in (
    "JawOpen", "MouthClosed", "MouthUpperUpLeft", "MouthUpperUpRight", "MouthLowerDownLeft", "MouthLowerDownRight",
    "MouthOpen", "EyeLeftX", "EyeLeftY", "EyeRightX", "EyeRightY", "EyeLidLeft", "EyeLidRight",
    "BrowExpressionLeft", "BrowExpressionRight", "SmileSad1", "SmileSad2", "SmileSad4", "SmileSadNegative")} | {
    "/avatar/parameters/LipTrackingActive", "/avatar/parameters/EyeTrackingActive"}
B_SENT = {"/avatar/parameters/v2/" + n for n in ("JawOpen", "CheekPuffSuck", "MouthX", "TongueOut",
                                                   "SmileFrownLeft1", "SmileFrownLeft2", "SmileFrownLeftNegative")} | {
    "/avatar/parameters/ExpressionTrackingActive"}


def test_recorded_trees_parse_like_vrcfacetracking():
    a = avatar_from_oscquery(TREE_A)
    assert a.id == "avtr_11111111-ft-v2-eyes"
    kinds = {p.address: p.type for p in a.parameters}
    assert kinds["/avatar/parameters/VelocityZ"] == "float" and kinds["/avatar/parameters/Viseme"] == "int"
    assert kinds["/avatar/parameters/FT/v2/SmileSad4"] == "bool"  # TYPE "F" and "T" are bools (OSCUtils.cs:11)
    config = load_avatar_config(DATA, "avtr_22222222-bare-v2")  # a folder: looked up by id
    assert config is not None and config.name == "Bare v2 test avatar"
    from_tree = {(p.address, p.type) for p in avatar_from_oscquery(TREE_B).parameters}
    # The config file lists only parameters with an input (AvatarConfigFileParser.cs:88): the writable ones.
    assert {(p.address, p.type) for p in config.parameters} == {x for x in from_tree if "Velocity" not in x[0]
                                                                and "Grounded" not in x[0] and "Viseme" not in x[0]
                                                                and "Gesture" not in x[0] and "Mute" not in x[0]}


def test_explicit_url_sends_only_the_avatars_parameters_and_follows_avatar_changes():
    vrc = FakeVrchat(TREE_A)
    rx = PythonOscReceiver()
    sink = VrchatSink("127.0.0.1", rx.port, rig_key="vrc", listen_port=0, resend_s=0.5, oscquery_url=vrc.url)
    try:
        wait_for_avatar(sink, rx, "avtr_11111111-ft-v2-eyes")
        got = run_until(sink, rx, lambda m: avatar_addresses(m) >= A_SENT)
        assert avatar_addresses(got) <= A_SENT, avatar_addresses(got) - A_SENT
        assert avatar_addresses(got) >= A_SENT
        # Avatar A has its own eye parameters: no native eye tracking (UnifiedExpressionsParameters.cs:53-69).
        later = run_until(sink, rx, lambda m: len(m) > 20)
        assert not [a for a, _ in later if a.startswith("/tracking/eye/")]
        assert "/avatar/parameters/FT/v2/EyeTrackingActive" not in avatar_addresses(got)

        vrc.tree = TREE_B
        t0 = time.monotonic()
        SimpleUDPClient("127.0.0.1", sink.listener.port).send_message("/avatar/change", "avtr_22222222-bare-v2")
        got = run_until(sink, rx, lambda m: avatar_addresses(m) >= B_SENT)
        switched_s = time.monotonic() - t0
        assert avatar_addresses(got) >= B_SENT
        time.sleep(0.2)
        after = run_until(sink, rx, lambda m: any(a.startswith("/tracking/eye/") for a, _ in m))
        assert avatar_addresses(after) <= B_SENT  # nothing of avatar A any more
        assert {"/tracking/eye/LeftRightPitchYaw", "/tracking/eye/EyesClosedAmount"} <= {a for a, _ in after}
        print(f"avatar switch observed after {switched_s:.3f} s (resend period 0.5 s)")
        assert sink.stats()["avatar_parameters"] == len(B_SENT)
    finally:
        sink.close()
        rx.close()
        vrc.close()


def test_periodic_reread_catches_a_change_without_avatar_change_message():
    vrc = FakeVrchat(TREE_A)
    rx = PythonOscReceiver()
    sink = VrchatSink("127.0.0.1", rx.port, rig_key="vrc", listen_port=None, resend_s=0.5, oscquery_url=vrc.url)
    try:
        run_until(sink, rx, lambda m: avatar_addresses(m) >= A_SENT)
        requests = vrc.requests
        vrc.tree = TREE_B
        got = run_until(sink, rx, lambda m: avatar_addresses(m) >= B_SENT)
        assert avatar_addresses(got) >= B_SENT and vrc.requests > requests
    finally:
        sink.close()
        rx.close()
        vrc.close()


def test_mdns_discovery_on_loopback_and_our_host_info():
    pytest.importorskip("zeroconf")
    vrc = FakeVrchat(TREE_B)
    rx = PythonOscReceiver()
    sink = None
    try:
        vrc.advertise(also_dead=True)
        sink = VrchatSink("127.0.0.1", rx.port, rig_key="vrc", listen_port=0, resend_s=0.5, oscquery=True,
                          mdns_interfaces=["127.0.0.1"])
        wait_for_avatar(sink, rx, "avtr_22222222-bare-v2")
        got = run_until(sink, rx, lambda m: avatar_addresses(m) >= B_SENT)
        assert avatar_addresses(got) >= B_SENT and avatar_addresses(got) <= B_SENT
        assert sink.avatars.url == vrc.url  # the VRChat-Client that does not answer here was not adopted
        # What VRChat sees of us: HOST_INFO names our OSC listen port; the root lists /avatar/change.
        host = sink.avatars.host
        info = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{host.http_port}/?HOST_INFO", timeout=5).read())
        assert info["OSC_PORT"] == sink.listener.port and info["OSC_TRANSPORT"] == "UDP"
        assert info["NAME"].startswith("FaceBridge-")
        root = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{host.http_port}/", timeout=5).read())
        assert root["CONTENTS"]["avatar"]["CONTENTS"]["change"]["TYPE"] == "s"
        # ... and is findable over mDNS as _oscjson._tcp and _osc._udp.
        from zeroconf import ServiceBrowser

        seen: set[str] = set()

        class Listener:
            def add_service(self, zc, kind, name):
                seen.add(kind)

            def update_service(self, *a):
                pass

            def remove_service(self, *a):
                pass

        browsers = [ServiceBrowser(vrc.zc, kind, Listener()) for kind in ("_oscjson._tcp.local.", "_osc._udp.local.")]
        deadline = time.monotonic() + 20
        while len(seen) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        for b in browsers:
            b.cancel()
        assert seen == {"_oscjson._tcp.local.", "_osc._udp.local."}
    finally:
        if sink is not None:
            sink.close()
        rx.close()
        vrc.close()


def test_avatar_config_json_fallback_without_oscquery(tmp_path):
    # No OSCQuery: the avatar config VRChat writes (OSC/usr_*/Avatars/<id>.json), found by the id in /avatar/change.
    folder = tmp_path / "OSC" / "usr_test" / "Avatars"
    folder.mkdir(parents=True)
    shutil.copy(DATA / "avtr_22222222-bare-v2.json", folder)
    rx = PythonOscReceiver()
    sink = VrchatSink("127.0.0.1", rx.port, rig_key="vrc", listen_port=0, resend_s=0.5,
                      avatar_config=str(tmp_path / "OSC"))
    try:
        before = run_until(sink, rx, lambda m: "/avatar/parameters/FT/v2/JawOpen" in avatar_addresses(m))
        assert "/avatar/parameters/FT/v2/JawOpen" in avatar_addresses(before)  # today's behaviour until then
        SimpleUDPClient("127.0.0.1", sink.listener.port).send_message("/avatar/change", "avtr_22222222-bare-v2")
        got = run_until(sink, rx, lambda m: avatar_addresses(m) >= B_SENT)
        assert avatar_addresses(got) >= B_SENT
    finally:
        sink.close()
        rx.close()


def test_unreachable_oscquery_falls_back_and_never_raises():
    rx = PythonOscReceiver()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"  # nothing listens once closed
    sink = VrchatSink("127.0.0.1", rx.port, rig_key="vrc", listen_port=None, resend_s=0.5, oscquery_url=dead)
    try:
        got = run_until(sink, rx, lambda m: "/avatar/parameters/FT/v2/JawOpen" in avatar_addresses(m))
        assert "/avatar/parameters/FT/v2/JawOpen" in avatar_addresses(got)
        assert "/tracking/eye/LeftRightPitchYaw" in {a for a, _ in got}
    finally:
        sink.close()
        rx.close()
    with pytest.raises(ValueError, match="OSCQuery"):
        fetch_avatar(dead, timeout=1.0)


@pytest.mark.skipif(shutil.which("oscdump") is None, reason="liblo-tools (oscdump) not installed")
def test_oscquery_avatar_traffic_decoded_by_oscdump(tmp_path):
    vrc = FakeVrchat(TREE_B)
    port = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    port.bind(("127.0.0.1", 0))
    udp_port = port.getsockname()[1]
    port.close()
    sink = VrchatSink("127.0.0.1", udp_port, rig_key="vrc", listen_port=None, resend_s=0.5, oscquery_url=vrc.url)
    try:
        deadline = time.monotonic() + 30
        while sink.avatars.current[1] is None and time.monotonic() < deadline:  # first read is asynchronous
            time.sleep(0.01)
        text = oscdump_until(udp_port, lambda: sink.send(frame(time.monotonic())),
                             lambda out: "/avatar/parameters/v2/SmileFrownLeftNegative" in out
                             and "/avatar/parameters/v2/CheekPuffSuck" in out, tmp_path / "dump.txt")
    finally:
        sink.close()
        vrc.close()
    assert "/avatar/parameters/v2/CheekPuffSuck f 0.500000" in text
    # A base shape as a bool: value < 0.0 (UnifiedExpressionsParameters.cs:315), so false.
    assert "/avatar/parameters/v2/TongueOut F" in text
    # SmileFrownLeft = 0.8 * 0.9 - 0.1 = 0.62 on 2 bits: int(0.62 * 4) = 2 -> bit "2" set (BinaryBaseParameter.cs:33)
    assert "/avatar/parameters/v2/SmileFrownLeft1 F" in text and "/avatar/parameters/v2/SmileFrownLeft2 T" in text
    assert "/avatar/parameters/v2/SmileFrownLeftNegative F" in text
    assert "/avatar/parameters/FT/v2/" not in text


def test_vrchat_options_from_config_reach_the_sink(tmp_path):
    from bridge.config import config_from_dict
    from bridge.outputs.registry import build_sink

    vrc = FakeVrchat(TREE_B)
    rx = PythonOscReceiver()
    cfg = config_from_dict({"outputs": [{"kind": "vrchat", "port": rx.port, "listen_port": 0, "resend_s": 0.5,
                                         "oscquery_url": vrc.url}]})
    assert cfg.outputs[0].oscquery is True  # the default: discover VRChat
    sink = build_sink(cfg.outputs[0], "vrc")
    try:
        wait_for_avatar(sink, rx, "avtr_22222222-bare-v2")
        got = run_until(sink, rx, lambda m: avatar_addresses(m) >= B_SENT)
        assert avatar_addresses(got) >= B_SENT
    finally:
        sink.close()
        rx.close()
        vrc.close()


def test_avatar_config_auto_finds_vrchats_folder(tmp_path, monkeypatch):
    local = tmp_path / "AppData" / "Local"
    folder = tmp_path / "AppData" / "LocalLow" / "VRChat" / "VRChat" / "OSC" / "usr_1" / "Avatars"
    folder.mkdir(parents=True)
    shutil.copy(DATA / "avtr_22222222-bare-v2.json", folder)
    monkeypatch.setenv("LOCALAPPDATA", str(local))  # VRChat.cs:13-15: %LOCALAPPDATA%Low/VRChat/VRChat/OSC
    from bridge.outputs.oscquery import AvatarTracker

    tracker = AvatarTracker(discover=False, config_path="auto", refresh_s=0.05)
    try:
        tracker.avatar_changed("avtr_22222222-bare-v2")
        deadline = time.monotonic() + 30
        while tracker.current[1] is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert tracker.current[1] is not None and tracker.current[1].id == "avtr_22222222-bare-v2"
    finally:
        tracker.close()


def test_taken_listen_port_falls_back_to_a_free_one_with_oscquery():
    vrc = FakeVrchat(TREE_B)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as holder:  # another app on the listen port
        holder.bind(("127.0.0.1", 0))
        taken = holder.getsockname()[1]
        sink = VrchatSink("127.0.0.1", 9, rig_key="vrc", listen_port=taken, oscquery=True, oscquery_url=vrc.url)
        try:
            assert sink.listener.listening and sink.listener.port not in (None, taken)
            SimpleUDPClient("127.0.0.1", sink.listener.port).send_message("/avatar/change", "avtr_x")
            deadline = time.monotonic() + 30
            while sink.listener.avatar_id != "avtr_x" and time.monotonic() < deadline:
                time.sleep(0.01)
            assert sink.listener.avatar_id == "avtr_x"
        finally:
            sink.close()
            vrc.close()


def test_fetch_avatar_from_a_server_that_only_answers_the_root():
    class RootOnly(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            if self.path != "/":
                self.send_error(404)
                return
            body = json.dumps({"FULL_PATH": "/", "ACCESS": 0, "CONTENTS": {"avatar": TREE_A}}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), RootOnly)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        avatar = fetch_avatar(f"http://127.0.0.1:{server.server_address[1]}")
        assert avatar.id == "avtr_11111111-ft-v2-eyes" and len(avatar.parameters) > 20
    finally:
        server.shutdown()
        server.server_close()
