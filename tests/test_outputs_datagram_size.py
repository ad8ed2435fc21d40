"""Every datagram FaceBridge sends fits one Ethernet frame (<= bridge.osc.MAX_DATAGRAM_BYTES = 1,472 bytes).

The largest shipped preset (most target names, longest names) goes through every network output kind in the
registry, on a full resend (every parameter) and with the widest per-kind options: VMC with VRM 0.x aliases,
VRChat with every shape binary-encoded. A new output kind registered later is covered automatically.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
from test_outputs_helpers import free_udp_port

from bridge.osc import MAX_DATAGRAM_BYTES
from bridge.outputs.base import NetworkOptions, OutputFrame
from bridge.outputs.registry import OUTPUT_KINDS, build_sink
from bridge.schema import FaceState
from retarget import Retargeter, load_preset, shipped_names

NETWORK_KINDS = [k for k, entry in OUTPUT_KINDS.items() if issubclass(entry.options, NetworkOptions)]


def _largest_preset():
    presets = [load_preset(name) for name in shipped_names()]
    return max(presets, key=lambda p: sum(len(n.encode()) + 8 for n in Retargeter(p).apply(
        FaceState.neutral(timestamp=0.0, sequence=0)).names))


def _widest_options(kind: str, names: tuple[str, ...]):
    cls = OUTPUT_KINDS[kind].options
    fields = {"port": free_udp_port()}
    if kind == "vrchat":
        # oscquery off: the fallback plan sends every name (an avatar description can only send fewer)
        fields.update(listen_port=0, binary={n: 8 for n in names}, min_delta=0.0, oscquery=False)
    if kind == "vmc":
        fields.update(arkit_names="both", look_at="both")  # both ARKit spellings + the two eye bones
    return cls(**fields)


def test_the_registry_has_network_kinds():
    assert {"facebridge", "vmc", "vrchat"} <= set(NETWORK_KINDS)


@pytest.mark.parametrize("binary", [False, True])
@pytest.mark.parametrize("kind", NETWORK_KINDS)
def test_largest_preset_fits_one_datagram_per_packet(kind, binary):
    preset = _largest_preset()
    retargeter = Retargeter(preset)
    rng = np.random.default_rng(0)
    states = [FaceState.neutral(timestamp=time.time() + i, sequence=i) for i in range(3)]
    states = [s.with_changes(blendshapes=rng.random(s.blendshapes.shape).astype(np.float32)) for s in states]
    rig = retargeter.apply(states[0])
    assert len(rig.names) >= 52
    options = _widest_options(kind, tuple(rig.names)) if binary else OUTPUT_KINDS[kind].options(
        port=free_udp_port(), **({"listen_port": 0, "oscquery": False} if kind == "vrchat" else {}))
    sink = build_sink(options, rig_key="main")
    try:
        sizes = []
        for state in states:
            frame = OutputFrame(state=state, rigs={"main": retargeter.apply(state)})
            datagrams = sink.encode(frame)  # type: ignore[attr-defined]
            assert datagrams, f"{kind}: no datagrams for a frame"
            sizes += [len(d) for d in datagrams]
    finally:
        sink.close()
    assert max(sizes) <= MAX_DATAGRAM_BYTES, f"{kind} ({preset.meta.name}): datagram of {max(sizes)} bytes"
    assert all(s % 4 == 0 for s in sizes)
