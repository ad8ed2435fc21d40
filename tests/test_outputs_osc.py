"""The hand-rolled fast OSC paths produce exactly what python-osc builds and parses."""

from __future__ import annotations

import numpy as np
import pytest
from pythonosc.osc_bundle import OscBundle
from pythonosc.osc_message import OscMessage

from bridge.osc import codec as osc


def test_prefix_plus_float_payload_equals_python_osc_message():
    values = np.array([0.0, 0.125, 1.0, -2.5], np.float32)
    prefixes = [osc.float_message_prefix("/VMC/Ext/Blend/Val", name) for name in ("a", "bb", "ccc", "dddd")]
    fast = osc.float_messages(prefixes, values)
    for msg, name, v in zip(fast, ("a", "bb", "ccc", "dddd"), values.tolist(), strict=True):
        assert msg == osc.message("/VMC/Ext/Blend/Val", name, v)
        parsed = OscMessage(msg)
        assert parsed.params == [name, v]
    four = osc.float_message_prefix("/tracking/eye/LeftRightPitchYaw", n_floats=4) + osc.pack_floats([1, 2, 3, 4])
    assert OscMessage(four).params == [1.0, 2.0, 3.0, 4.0]


def test_bundle_timetag_round_trips_through_python_osc():
    t = 1_763_700_000.25
    parsed = OscBundle(osc.bundle([osc.message("/x", 1)], osc.ntp_timetag(t)))
    assert parsed.timestamp == pytest.approx(t, abs=1e-6)
    assert parsed.num_contents == 1


def test_bundles_split_in_order_under_the_limit():
    messages = [osc.message(f"/m/{i:03d}", float(i)) for i in range(200)]
    out = osc.bundles(messages, max_size=512)
    assert len(out) > 1 and all(len(b) <= 512 for b in out)
    addresses = [m.address for b in out for m in OscBundle(b)]
    assert addresses == [f"/m/{i:03d}" for i in range(200)]
    with pytest.raises(ValueError, match="cannot fit"):
        osc.bundles([osc.message("/" + "x" * 600)], max_size=512)
    assert osc.bundles([]) == []
