"""facebridge wire protocol: encoder/decoder round trips, datagram sizes, names-table policy, vectors, peers."""

from __future__ import annotations

import importlib.util
import json
import shutil
import socket
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pythonosc.osc_bundle import OscBundle
from test_outputs_helpers import free_udp_port, oscdump_until

from bridge.outputs.facebridge_decoder import (
    FrameAssembler,
    FrameHeader,
    NamesChunk,
    ProtocolError,
    ValuesChunk,
    decode_datagram,
)
from bridge.outputs.facebridge_protocol import (
    DEFAULT_PORT,
    MAX_DATAGRAM_BYTES,
    PROTOCOL_VERSION,
    FacebridgeEncoder,
    ProtocolFrame,
    names_table_id,
)
from bridge.schema import BLENDSHAPE_NAMES, FER8, TrackingFlags

VECTORS = Path(__file__).resolve().parent / "vectors"


def generator():
    """tests/vectors/generate.py as a module (tests/ is not a package)."""
    spec = importlib.util.spec_from_file_location("facebridge_vectors_generate", VECTORS / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_frame(seq=1, names=BLENDSHAPE_NAMES, t=1_790_000_000.0, rig="arkit52", light=(1.0, 0.5, 0.25, 0.75, 0.4),
               label="surprise", seed=0) -> ProtocolFrame:
    rng = np.random.default_rng(seed)
    return ProtocolFrame(
        sequence=seq, capture_time=t, rig=rig, names=tuple(names), values=rng.random(len(names)).astype(np.float32),
        emotion_probs=rng.dirichlet(np.ones(8)).astype(np.float32), emotion_label=label, valence=-0.5, arousal=0.25,
        light=light, flags=int(TrackingFlags.TOO_DARK | TrackingFlags.PAUSED),
        confidence=np.array([0.9, 0.8, 0.7, 0.6], np.float32),
    )


def assemble(datagrams: list[bytes], assembler: FrameAssembler | None = None) -> list[ProtocolFrame]:
    assembler = assembler or FrameAssembler()
    frames: list[ProtocolFrame] = []
    for d in datagrams:
        frames += assembler.feed(d)
    return frames


def test_constants():
    assert PROTOCOL_VERSION == 1
    assert DEFAULT_PORT == 39571
    assert MAX_DATAGRAM_BYTES < 1500


def test_round_trip_keeps_every_field():
    frame = make_frame()
    [out] = assemble(FacebridgeEncoder().encode(frame))
    assert out.sequence == frame.sequence and out.rig == frame.rig and out.names == frame.names
    np.testing.assert_array_equal(out.values, frame.values)  # float32 travels exactly
    np.testing.assert_array_equal(out.emotion_probs, frame.emotion_probs)
    np.testing.assert_array_equal(out.confidence, frame.confidence)
    assert out.emotion_label == "surprise"
    assert (out.valence, out.arousal) == (-0.5, 0.25)
    assert out.light == pytest.approx(frame.light)
    assert out.flags == frame.flags
    assert abs(out.capture_time - frame.capture_time) < 1e-6  # NTP timetag keeps sub-microsecond time


def test_light_is_optional():
    [out] = assemble(FacebridgeEncoder().encode(make_frame(light=None)))
    assert out.light is None


def test_unified_expressions_rig_fits_every_datagram_and_round_trips():
    UNIFIED_NAMES = generator().UNIFIED_NAMES
    assert len(UNIFIED_NAMES) >= 165
    frame = make_frame(names=UNIFIED_NAMES, rig="unified_expressions")
    datagrams = FacebridgeEncoder().encode(frame)
    assert max(len(d) for d in datagrams) <= MAX_DATAGRAM_BYTES
    # values of the whole rig still travel in ONE frame bundle (names go separately)
    assert sum(1 for d in datagrams if any(isinstance(m, FrameHeader) for m in decode_datagram(d).messages)) == 1
    assert len(datagrams) >= 2
    [out] = assemble(datagrams)
    assert out.names == UNIFIED_NAMES
    np.testing.assert_array_equal(out.values, frame.values)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=0x30FF, exclude_categories=("Cs",)),
                        min_size=1, max_size=60), min_size=0, max_size=700, unique=True),
       st.text(min_size=1, max_size=40, alphabet="abcdefghijklmnopqrstuvwxyz_"))
def test_any_rig_size_splits_under_the_mtu_and_reassembles(names, rig):
    names = tuple(n.replace("\x00", "_") for n in names)
    frame = make_frame(names=names, rig=rig)
    datagrams = FacebridgeEncoder().encode(frame)
    assert all(0 < len(d) <= MAX_DATAGRAM_BYTES and len(d) % 4 == 0 for d in datagrams)
    [out] = assemble(datagrams)
    assert out.names == names
    np.testing.assert_array_equal(out.values, frame.values)


def test_names_table_policy_start_interval_change_rewind_and_force():
    enc = FacebridgeEncoder(names_interval_s=2.0)

    def has_names(datagrams):
        return any(isinstance(m, NamesChunk) for d in datagrams for m in decode_datagram(d).messages)

    t = 1000.0
    assert has_names(enc.encode(make_frame(1, t=t)))  # start
    assert not has_names(enc.encode(make_frame(2, t=t + 1.0)))
    assert has_names(enc.encode(make_frame(3, t=t + 2.0)))  # interval elapsed
    assert not has_names(enc.encode(make_frame(4, t=t + 2.5)))
    assert has_names(enc.encode(make_frame(5, t=t + 2.6, names=BLENDSHAPE_NAMES[:10])))  # rig changed
    assert has_names(enc.encode(make_frame(6, t=t, names=BLENDSHAPE_NAMES[:10])))  # clock went backwards (replay)
    enc.force_names()
    assert has_names(enc.encode(make_frame(7, t=t + 0.1, names=BLENDSHAPE_NAMES[:10])))


def test_table_id_changes_with_content_and_values_refer_to_it():
    a = names_table_id("arkit52", BLENDSHAPE_NAMES)
    assert a != names_table_id("arkit52", BLENDSHAPE_NAMES[::-1])
    assert a != names_table_id("other", BLENDSHAPE_NAMES)
    datagrams = FacebridgeEncoder().encode(make_frame())
    values = [m for d in datagrams for m in decode_datagram(d).messages if isinstance(m, ValuesChunk)]
    assert values and all(v.table_id == a for v in values)


def test_frames_wait_for_their_names_table_and_losses_are_counted():
    enc = FacebridgeEncoder(names_interval_s=2.0)
    first = enc.encode(make_frame(10, t=0.0))
    second = enc.encode(make_frame(11, t=0.1))
    later = enc.encode(make_frame(14, t=0.2))
    assembler = FrameAssembler()
    assert assemble(second, assembler) == []  # joined late: no names yet, nothing applied
    # 11 completes as soon as its table arrives (inside `first`), then 10 and 14 follow
    assert [f.sequence for f in assemble(first + later, assembler)] == [11, 10, 14]
    assert assembler.lost == 3  # 11..13 between 10 and 14; 11 -> 10 is a backwards jump (restart), not loss
    assert assembler.malformed == 0


def test_sequence_wraps_at_int32():
    enc = FacebridgeEncoder()
    assembler = FrameAssembler()
    frames = assemble(enc.encode(make_frame(2**31 - 1)) + enc.encode(make_frame(2**31, t=1_790_000_000.1)), assembler)
    assert [f.sequence for f in frames] == [2**31 - 1, 0]
    assert assembler.lost == 0


def test_python_osc_parses_every_datagram_independently():
    frame = make_frame(names=BLENDSHAPE_NAMES)
    for d in FacebridgeEncoder().encode(frame):
        bundle = OscBundle(d)
        assert abs(bundle.timestamp - frame.capture_time) < 1e-6
        for msg in bundle:
            assert msg.address.startswith("/fb/v1/")
            if msg.address == "/fb/v1/emotion":
                assert msg.params[0] == FER8.index("surprise") and msg.params[1] == "surprise"
            if msg.address == "/fb/v1/values":
                np.testing.assert_array_equal(np.array(msg.params[3:], np.float32), frame.values)


@pytest.mark.parametrize("data, fragment", [
    (b"", "multiple of 4"),
    (b"/fb/v1/frame\x00\x00\x00\x00,iii\x00\x00\x00\x00\x00\x00\x00\x01", "truncated"),
    (b"#bundle\x00" + b"\x00" * 7 + b"\x01" + b"\x7f\xff\xff\xf0", "bad size"),
    (b"/fb/v1/affect\x00\x00\x00,fi\x00" + b"\x00" * 8, "do not match"),
    (b"noslash\x00", "must start with '/'"),
    (b"/x\x00\x00,Q\x00\x00", "unsupported OSC type tag"),
    (b"/x\x00\x00,i\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00", "trailing bytes"),
])
def test_malformed_datagrams_raise_clear_protocol_errors(data, fragment):
    with pytest.raises(ProtocolError, match=fragment):
        decode_datagram(data)
    assembler = FrameAssembler()
    assert assembler.feed(data) == []
    assert assembler.malformed == 1


def test_nested_bundles_and_foreign_messages_are_walked():
    inner = FacebridgeEncoder().encode(make_frame())[-1]
    foreign = b"/VMC/Ext/OK\x00,i\x00\x00\x00\x00\x00\x01"
    outer = b"#bundle\x00" + (1).to_bytes(8, "big") + len(inner).to_bytes(4, "big") + inner \
        + len(foreign).to_bytes(4, "big") + foreign
    decoded = decode_datagram(outer)
    assert decoded.timetag is None  # the outer "immediately" timetag
    assert decoded.ignored == ("/VMC/Ext/OK",)
    assert isinstance(decoded.messages[0], FrameHeader)


def test_protocol_frame_rejects_bad_input_with_named_field():
    with pytest.raises(ValueError, match="values: 3 values for 52 names"):
        make_frame().__class__(**{**_fields(make_frame()), "values": np.zeros(3)})
    with pytest.raises(ValueError, match="emotion_label"):
        make_frame(label="joy")
    with pytest.raises(ValueError, match="finite"):
        make_frame().__class__(**{**_fields(make_frame()), "values": np.full(52, np.nan)})


def _fields(frame: ProtocolFrame) -> dict:
    return {k: getattr(frame, k) for k in frame.__slots__}


def test_checked_in_vectors_are_current_and_decode_to_their_json():
    assert generator().main(["--check"]) == 0, "run .venv/bin/python tests/vectors/generate.py"
    bins = sorted(VECTORS.glob("*.bin"))
    assert len(bins) >= 15
    for path in bins:
        expected = json.loads(path.with_suffix(".json").read_text())
        data = path.read_bytes()
        assert len(data) <= MAX_DATAGRAM_BYTES and expected["size"] == len(data)
        if not expected["valid"]:
            with pytest.raises(ProtocolError):
                decode_datagram(data)
            continue
        decoded = decode_datagram(data)
        assert [m["type"] for m in expected["messages"]] == [_kind(m) for m in decoded.messages], path.name


def _kind(msg) -> str:
    return {"NamesChunk": "names", "FrameHeader": "frame", "TrackingInfo": "tracking", "EmotionInfo": "emotion",
            "AffectInfo": "affect", "LightCue": "light", "ValuesChunk": "values"}[type(msg).__name__]


def test_vector_streams_assemble_into_frames():
    for stream, count in (("arkit52", 2), ("unified", 1), ("bigrig", 1), ("tiny", 1)):
        frames = assemble([p.read_bytes() for p in sorted(VECTORS.glob(f"{stream}_*.bin"))])
        assert len(frames) == count, stream


@pytest.mark.skipif(shutil.which("oscdump") is None, reason="liblo-tools not installed (make sysdeps)")
def test_liblo_oscdump_decodes_our_datagrams(tmp_path):
    port = free_udp_port()
    datagrams = FacebridgeEncoder().encode(make_frame(seq=77))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as tx:
        text = oscdump_until(port, lambda: [tx.sendto(d, ("127.0.0.1", port)) for d in datagrams],
                             lambda out: {"/fb/v1/values", "/fb/v1/names"} <= set(out.split()),
                             tmp_path / "dump.txt", interval=0.2)
    assert "/fb/v1/frame iii 77" in text
    assert '/fb/v1/emotion isffffffff 2 "surprise"' in text
    assert "/fb/v1/values iii" + "f" * 52 in text
    assert '/fb/v1/names isii' in text and '"eyeBlinkLeft"' in text


def test_docs_byte_examples_match_the_encoder():
    gen = generator()
    docs = gen.DOCS_PATH.read_text()
    assert gen.docs_examples(gen.build_vectors()) in docs, "run tests/vectors/generate.py --write-docs"


def test_documented_sizes_match_the_encoder():
    gen = generator()
    enc = FacebridgeEncoder()
    sizes = [len(d) for d in enc.encode(make_frame(names=gen.UNIFIED_NAMES, rig="unified_expressions"))]
    assert sizes == [1464, 1456, 160, 1152]  # the frame is 1,148 with the shorter label "sadness"
    assert [len(d) for d in FacebridgeEncoder().encode(make_frame())] == [928, 564]


def test_assembler_keeps_a_bounded_number_of_tables():
    assembler = FrameAssembler()
    for i in range(6):
        names = tuple(f"s{i}_{k}" for k in range(3))
        assemble(FacebridgeEncoder().encode(make_frame(seq=i, names=names, rig=f"rig{i}")), assembler)
    assert assembler.frames == 6
    assert assembler.table(names_table_id("rig0", ("s0_0", "s0_1", "s0_2"))) is None  # oldest forgotten
    assert assembler.table(names_table_id("rig5", ("s5_0", "s5_1", "s5_2"))) == ("rig5", ("s5_0", "s5_1", "s5_2"))
