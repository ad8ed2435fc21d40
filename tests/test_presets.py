"""Presets: every shipped file validates, each kind of mistake gets its own message (file, line, key,
suggestion), nothing is half-applied, hot reload keeps the last good preset, the TOML writer round-trips,
and the `facebridge presets` CLI."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.cli import main as cli_main
from bridge.schema import FaceState
from retarget import (
    RIGS,
    PresetError,
    PresetWatcher,
    Retargeter,
    dump_preset,
    load_preset,
    parse_preset,
    preset_path,
    shipped_names,
)

GOOD = """\
[preset]
name = "good"
rig = "vrm1"

[targets]
happy = "happiness"
aa = { sum = { jawOpen = 1.0 } }
"""


def problems_of(text: str, name: str = "p.toml") -> list[str]:
    with pytest.raises(PresetError) as info:
        parse_preset(text, name)
    assert str(info.value).count("\n") == len(info.value.problems)  # str() lists every problem
    return info.value.problems


def only_problem(text: str) -> str:
    problems = problems_of(text)
    assert len(problems) == 1, problems
    return problems[0]


@pytest.mark.parametrize("name", shipped_names())
def test_shipped_preset_is_valid(name):
    p = load_preset(name)
    assert p.name == name and p.rig in RIGS and p.target_names()
    assert p.source is not None and p.source.name == f"{name}.toml"


def test_unknown_target_names_file_line_key_and_suggests():
    msg = only_problem(GOOD + 'blnkLeft = "eyeBlinkLeft"\n')
    assert msg.startswith("p.toml:8: targets.blnkLeft: unknown target 'blnkLeft' for rig vrm1")
    assert "did you mean 'blinkLeft'?" in msg


def test_unknown_source_suggests_closest():
    msg = only_problem(GOOD.replace("jawOpen = 1.0", "jawOpn = 1.0"))
    assert msg.startswith("p.toml:7: targets.aa.sum.jawOpn: unknown source 'jawOpn'")
    assert "did you mean 'jawOpen'?" in msg


def test_duplicate_target_by_alias_or_case():
    msg = only_problem(GOOD + 'Joy = "happiness"\n')  # VRM0 alias of happy
    assert msg.startswith("p.toml:8: targets.Joy: duplicate target") and "'happy'" in msg
    msg = only_problem(GOOD + 'AA = "jawOpen"\n')
    assert "duplicate target" in msg and "'aa'" in msg


def test_duplicate_key_in_toml_names_the_key_and_line():
    msg = only_problem(GOOD + 'happy = "surprise"\n')
    assert msg.startswith("p.toml:8: happy: given twice")


def test_duplicate_source_in_one_sum():
    msg = only_problem(GOOD.replace("jawOpen = 1.0", "jawOpen = 1.0, JawOpen = 0.5"))
    assert "targets.aa.sum.JawOpen: duplicate source" in msg


def test_values_out_of_range():
    assert "100 is out of range [-10, 10]" in only_problem(GOOD.replace("jawOpen = 1.0", "jawOpen = 100"))
    text = GOOD + '\n[emotions.happiness]\npose = { happy = 1.5 }\n'
    msg = only_problem(text)
    assert msg.startswith("p.toml:10: emotions.happiness.pose.happy: 1.5 is out of range [0, 1]")
    assert "out of range" in only_problem(GOOD.replace('"happiness"', '{ sum = { happiness = 1 }, curve = '
                                                                      '{ dead_zone = 0.99 } }'))
    assert "below high" in only_problem(GOOD.replace('"happiness"', '{ sum = { happiness = 1 }, curve = '
                                                                    '{ clamp = [0.9, 0.1] } }'))


def test_nan_and_inf_are_rejected():
    assert "must be a finite number, got nan" in only_problem(GOOD.replace("jawOpen = 1.0", "jawOpen = nan"))
    assert "finite" in only_problem(GOOD.replace("jawOpen = 1.0", "jawOpen = 1.0 }, curve = { gain = inf"))


def test_unknown_rig_suggests():
    msg = only_problem(GOOD.replace('rig = "vrm1"', 'rig = "vrm"'))
    assert msg.startswith("p.toml:3: preset.rig: unknown rig 'vrm'") and "did you mean 'vrm1'?" in msg


def test_wrong_types():
    assert "expected a number, got a string ('1')" in only_problem(GOOD.replace("jawOpen = 1.0", 'jawOpen = "1"'))
    assert "expected a number, got a boolean" in only_problem(GOOD.replace("jawOpen = 1.0", "jawOpen = true"))
    assert "expected a table, got an integer" in only_problem(GOOD.replace('aa = { sum = { jawOpen = 1.0 } }',
                                                                           "aa = 3"))
    assert "expected true or false" in only_problem(GOOD + '\n[options]\nmirror = "yes"\n')


def test_unknown_keys_and_choices_suggest():
    msg = only_problem(GOOD.replace("{ sum = { jawOpen = 1.0 } }", "{ sum = { jawOpen = 1.0 }, curve = { gian = 2 } }"))
    assert "targets.aa.curve.gian: unknown curve key 'gian' (did you mean 'gain'?)" in msg
    assert "did you mean 'link'?" in only_problem(GOOD + '\n[options]\neyes = "linked"\n')
    assert "did you mean 'discrete'?" in only_problem(GOOD + '\n[emotions]\nmode = "discreet"\n')
    assert "unknown section 'target'" in only_problem(GOOD + '\n[target]\nx = 1\n')


def test_emotion_mistakes():
    msg = only_problem(GOOD + "\n[emotions.hapiness]\npose = { happy = 1.0 }\n")
    assert "unknown emotion 'hapiness' (did you mean 'happiness'?)" in msg
    msg = only_problem(GOOD + "\n[emotions.anger]\nactivation = { anger = 1.0 }\n")
    assert "activation is only for custom emotions" in msg
    problems = problems_of(GOOD + "\n[emotions.anger]\nlight = { rgb = [1.0, 0.0], intensity = 2 }\n")
    assert any("light.rgb: expected rgb = [r, g, b]" in p for p in problems)
    assert any("light.intensity: 2 is out of range" in p for p in problems)


def test_custom_emotion_with_activation_is_accepted():
    text = GOOD + ("\n[emotions]\nmode = \"discrete\"\n\n[emotions.sleepy]\nblend = \"override\"\n"
                   "pose = { blink = 0.7 }\nactivation = { eyeBlinkLeft = 0.5, eyeBlinkRight = 0.5 }\n")
    p = parse_preset(text)
    assert [e.emotion for e in p.emotions.poses] == ["sleepy"]
    b = np.zeros(52, np.float32)
    b[0] = b[7] = 1.0
    e8 = np.full(8, 0.125, np.float32)
    out = Retargeter(p).apply(FaceState(timestamp=0.0, sequence=0, blendshapes=b, emotion8=e8))
    assert out.emotion == "sleepy" and out.as_dict()["blink"] == pytest.approx(0.7)


def test_missing_preset_table_and_empty_preset():
    assert "missing [preset] table" in problems_of('[targets]\njawOpen = "jawOpen"\n')[0]
    assert "drives nothing" in only_problem('[preset]\nname = "x"\nrig = "arkit52"\n')


def test_every_problem_is_reported_at_once():
    text = GOOD.replace('rig = "vrm1"', 'rig = "vrm1"\ncolour = 1').replace("jawOpen = 1.0", "jawOpn = nan")
    text += 'blnk = "eyeBlinkLeft"\n\n[options]\neyes = "both"\n'
    problems = problems_of(text)
    assert len(problems) == 4
    assert all(p.startswith("p.toml:") for p in problems)


def test_invalid_preset_is_never_half_applied(tmp_path):
    rt = Retargeter(load_preset("vrm1-basic"))
    before = rt.apply(FaceState.neutral())
    bad = tmp_path / "bad.toml"
    bad.write_text(GOOD + 'blnk = "eyeBlinkLeft"\n')
    with pytest.raises(PresetError):
        rt.set_preset(load_preset(bad))
    after = rt.apply(FaceState.neutral())
    assert rt.preset.name == "vrm1-basic" and after.names == before.names
    assert np.array_equal(after.values, before.values)


def test_load_preset_missing_file_and_unknown_name():
    with pytest.raises(PresetError, match="no such preset file"):
        load_preset("/nonexistent/x.toml")
    with pytest.raises(PresetError, match="did you mean 'vrm1-basic'"):
        load_preset("vrm1-basik")


# ---- hot reload ------------------------------------------------------------------------------------------------
def _write(path: Path, text: str, mtime: int) -> None:
    path.write_text(text)
    os.utime(path, ns=(mtime, mtime))  # explicit mtimes: coarse filesystem clocks cannot hide an edit


def test_hot_reload_keeps_last_good_preset_on_a_broken_file(tmp_path):
    path = tmp_path / "live.toml"
    _write(path, GOOD, 1_000_000_000)
    w = PresetWatcher(path)
    assert w.preset is not None and w.preset.name == "good" and w.last_error is None
    assert w.poll() is None  # unchanged

    _write(path, GOOD.replace('"happiness"', '"hapiness"'), 2_000_000_000)
    assert w.poll() is None
    assert w.preset.name == "good" and w.preset.mapping("happy").sum == (("happiness", 1.0),)
    assert w.last_error is not None and "live.toml:6: targets.happy: unknown source 'hapiness'" in str(w.last_error)
    assert w.poll() is None  # the same broken content is not re-reported as new

    _write(path, GOOD.replace('name = "good"', 'name = "better"'), 3_000_000_000)
    new = w.poll()
    assert new is not None and new.name == "better" and w.preset is new and w.last_error is None

    _write(path, GOOD.replace('name = "good"', 'name = "better"'), 4_000_000_000)  # touched, same bytes
    assert w.poll() is None

    path.unlink()
    assert w.poll() is None and w.preset.name == "better" and "cannot read" in str(w.last_error)


def test_hot_reload_half_written_file(tmp_path):
    path = tmp_path / "live.toml"
    _write(path, GOOD, 1_000_000_000)
    w = PresetWatcher(path)
    _write(path, GOOD[:40], 2_000_000_000)  # an editor caught mid-save
    assert w.poll() is None and w.preset.name == "good" and w.last_error is not None


# ---- writer ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", shipped_names())
def test_dump_round_trips(name):
    p = load_preset(name)
    again = parse_preset(dump_preset(p), "dumped.toml")
    assert replace(again, source=None) == replace(p, source=None)


# ---- CLI ---------------------------------------------------------------------------------------------------------
def test_cli_list_and_show(capsys):
    assert cli_main(["presets", "list"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in shipped_names())
    assert cli_main(["presets", "show", "vrm1-emotion-toggles"]) == 0
    out = capsys.readouterr().out
    assert "discrete" in out and "happiness" in out and "light rgb(1, 0.82, 0.25)" in out
    assert cli_main(["presets", "show", "nope"]) == 1


def test_cli_validate_exit_status_and_all_problems(tmp_path, capsys):
    good = tmp_path / "good.toml"
    good.write_text(GOOD)
    bad = tmp_path / "bad.toml"
    bad.write_text(GOOD.replace("jawOpen = 1.0", "jawOpn = 1.0") + 'blnk = "eyeBlinkLeft"\n')
    assert cli_main(["presets", "validate", str(good)]) == 0
    assert "good.toml: ok" in capsys.readouterr().out
    assert cli_main(["presets", "validate", str(good), str(bad)]) == 1
    out = capsys.readouterr().out
    assert "bad.toml:7: targets.aa.sum.jawOpn" in out and "bad.toml:8: targets.blnk" in out


@pytest.mark.parametrize("rig", list(RIGS))
def test_cli_new_writes_a_valid_commented_preset_and_never_overwrites(rig, tmp_path, capsys):
    out = tmp_path / f"mine-{rig}.toml"
    assert cli_main(["presets", "new", "--rig", rig, "--out", str(out)]) == 0
    text = out.read_text()
    assert text.startswith("# mine-") and "[targets]" in text
    p = load_preset(out)
    assert p.name == f"mine-{rig}" and p.rig == rig
    assert cli_main(["presets", "new", "--rig", rig, "--out", str(out)]) == 1
    assert "not overwriting" in capsys.readouterr().err
    assert out.read_text() == text


def test_cli_new_unknown_rig_and_rigs_listing(tmp_path, capsys):
    assert cli_main(["presets", "new", "--rig", "vrm", "--out", str(tmp_path / "x.toml")]) == 1
    assert "did you mean 'vrm1'" in capsys.readouterr().err
    assert cli_main(["presets", "rigs", "facs53"]) == 0
    out = capsys.readouterr().out
    assert "LipCornerPuller_L" in out and "AU12" in out
    assert cli_main(["presets", "rigs", "vrm1"]) == 0
    assert "VRM0: Joy" in capsys.readouterr().out


# ---- fuzz: a mangled preset is either rejected with located problems or fully usable -------------------------
_TOKENS = ['"', "=", "{", "}", "[", "]", "nan", "-inf", "1e309", "true", '"x"', "\n", ",", ".", "[emotions.x]",
           "pose = 3", "rgb = [1, 2, 3]", "0", "-1", "99", "gain = -5", "[targets]", "jawOpen"]


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_mangled_presets_are_rejected_cleanly_or_work(data):
    name = data.draw(st.sampled_from(shipped_names()))
    text = preset_path(name).read_text()
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(0, len(text)))
        if data.draw(st.booleans()):
            text = text[:pos] + text[pos + data.draw(st.integers(1, 6)):]
        else:
            text = text[:pos] + data.draw(st.sampled_from(_TOKENS)) + text[pos:]
    try:
        preset = parse_preset(text, "fuzz.toml")
    except PresetError as exc:
        assert exc.problems and all(p.startswith("fuzz.toml") for p in exc.problems)
        return
    out = Retargeter(preset).apply(FaceState.neutral())
    rig = RIGS[out.rig]
    idx = [rig.index(n) for n in out.names]
    assert np.all(np.isfinite(out.values)) and np.all(out.values >= rig.lo[idx]) and np.all(out.values <= rig.hi[idx])
