"""Hostile files (issue 11, defects 2, 5, 9 (profiles), 13 and the stress suite's fast subset): a preset saved
over the live one never raises out of the watcher and never blocks the caller; KeyLocator is linear; BOM TOML
is read; range-of-motion profiles give one clear error and leave no orphan temp files."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from stress import hostile

from bridge.app.retarget_stage import PresetRetargeters
from bridge.textfile import TextFileError, read_text_limited
from bridge.tracking.rom import RangeOfMotion, RomConfig, remove_stale_temp_files
from bridge.validate import KeyLocator
from retarget import PresetWatcher, load_preset, parse_preset
from retarget.spec import PresetError


def _write(path: Path, content, mtime: int) -> None:
    hostile.materialize(path, content)
    if not path.is_symlink() and path.exists():
        os.utime(path, ns=(mtime, mtime))


@pytest.mark.parametrize("name", list(hostile.hostile_presets()))
def test_hostile_preset_saved_over_the_live_one_keeps_the_last_good(tmp_path, name):
    path = tmp_path / "live.toml"
    _write(path, hostile.GOOD_PRESET, 1_000_000_000)
    w = PresetWatcher(path)
    assert w.preset is not None and w.preset.name == "good"
    _write(path, hostile.hostile_presets()[name], 2_000_000_000)
    assert w.poll() is None  # never raises (defect 2: RecursionError used to end the bridge)
    assert w.preset.name == "good"
    if name != "BOM only":  # an empty document after the BOM: an error like "empty"
        assert w.last_error is not None and len(w.last_error.problems) <= 51
    _write(path, hostile.GOOD_PRESET.replace('"good"', '"better"'), 3_000_000_000)
    new = w.poll()
    assert new is not None and new.name == "better" and w.last_error is None


def test_deeply_nested_preset_names_the_problem(tmp_path):
    path = tmp_path / "live.toml"
    _write(path, hostile.GOOD_PRESET, 1_000_000_000)
    w = PresetWatcher(path)
    _write(path, hostile.hostile_presets()["nested 1,000 levels (RecursionError)"], 2_000_000_000)
    assert w.poll() is None and "nested too deeply" in str(w.last_error)


def test_parsing_happens_off_the_callers_thread(tmp_path, monkeypatch):
    import retarget.watch as watch

    path = tmp_path / "live.toml"
    _write(path, hostile.GOOD_PRESET, 1_000_000_000)
    w = PresetWatcher(path, wait_s=0.0)
    release = __import__("threading").Event()
    real = watch.parse_preset

    def slow_parse(text, source):  # a pathological file that takes long to parse
        release.wait(10)
        return real(text, source)

    monkeypatch.setattr(watch, "parse_preset", slow_parse)
    _write(path, hostile.GOOD_PRESET.replace('"good"', '"slow"'), 2_000_000_000)
    assert w.poll() is None and w.busy  # the caller (the pipeline) got control back at once
    assert w.poll() is None and w.busy  # polls while busy do not start a second parse
    release.set()
    deadline = time.monotonic() + 10
    new = None
    while new is None and time.monotonic() < deadline:
        new = w.poll()
        time.sleep(0.01)
    assert new is not None and new.name == "slow" and not w.busy


def test_retarget_stage_poll_never_raises_on_hostile_presets(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(hostile.GOOD_PRESET)
    stage = PresetRetargeters([str(path)], hot_reload=True, reload_wait_s=None)
    for mtime, content in enumerate(hostile.hostile_presets().values(), start=2):
        _write(path, content, mtime * 1_000_000_000)
        events = stage.poll()
        assert all("keeping the last good preset" in e for e in events)
    assert stage.keys == (str(path),)


class _NoScan(list):
    def __getitem__(self, i):
        raise AssertionError("line_of scanned the text")

    def __iter__(self):
        raise AssertionError("line_of scanned the text")


def test_key_locator_indexes_once_and_finds_lines():
    # Defect 5: line_of used to scan the whole file per problem (16,000 errors: 138 s on the pipeline thread).
    text = hostile._many_errors(4000)
    locator = KeyLocator(text)
    locator.lines = _NoScan(locator.lines)  # line_of must not read the text any more: no per-call scan
    assert locator.line_of(("targets", "jawOpen0")) == 5
    assert locator.line_of(("targets", "jawOpen3999")) == 4004
    assert locator.line_of(("preset", "rig")) == 3
    assert locator.line_of(("emotions", "nope")) is None
    with pytest.raises(PresetError) as info:
        parse_preset(text, "many.toml")
    problems = info.value.problems
    assert problems[0].startswith("many.toml:5: targets.jawOpen0:")
    assert any(p.startswith("many.toml:54: targets.jawOpen49:") for p in problems)
    # The first MAX_PROBLEMS are listed (with suggestions), the rest counted: the work stays proportional.
    assert len(problems) == 201 and problems[-1] == "many.toml: ... and 7800 more problems"


def test_key_locator_keeps_the_table_and_dotted_key_heuristics():
    text = ('[preset]\nname = "x"\nrig = "arkit52"\n[targets]\njawOpen = { sum = { jawOpen = 1 } }\n'
            '[targets.mouthClose]\nsum.jawOpen = 2\n[emotions.happiness]\npose = { mouthSmileLeft = 1.0 }\n')
    loc = KeyLocator(text)
    assert loc.line_of(("targets", "jawOpen", "sum", "jawOpen")) == 5
    assert loc.line_of(("targets", "mouthClose", "sum", "jawOpen")) == 7
    assert loc.line_of(("emotions", "happiness", "pose", "mouthSmileLeft")) == 9
    assert loc.line_of(("emotions", "happiness", "pose", "unknown")) == 9  # the deepest key found


def test_bom_prefixed_preset_is_read(tmp_path):
    path = tmp_path / "notepad.toml"
    path.write_bytes(b"\xef\xbb\xbf" + hostile.GOOD_PRESET.encode())
    assert load_preset(path).name == "good"
    assert PresetWatcher(path).preset.name == "good"


@pytest.mark.parametrize("kind", [hostile.SPECIAL_FIFO, hostile.SPECIAL_DEV_ZERO, hostile.SPECIAL_DIRECTORY,
                                  hostile.SPECIAL_HUGE])
def test_text_reader_refuses_special_and_huge_files_without_blocking(tmp_path, kind):
    path = hostile.materialize(tmp_path / "f.toml", kind)
    with pytest.raises(TextFileError) as info:
        read_text_limited(path, 1024 * 1024)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("name", list(hostile.hostile_profiles()))
def test_hostile_profile_is_one_clear_error(tmp_path, name):
    rom = RangeOfMotion(RomConfig(enabled=True, profile_dir=str(tmp_path)))
    hostile.materialize(tmp_path / "default.json", hostile.hostile_profiles()[name])
    with pytest.raises(ValueError) as info:
        rom.load()
    message = str(info.value)
    assert "default.json" in message and "\n" not in message and "Traceback" not in message
    assert not rom.running_max.any() or not (rom.running_max > -1).any()  # state left empty


def test_saving_over_a_nested_profile_keeps_it_aside_and_writes_a_new_one(tmp_path):
    rom = RangeOfMotion(RomConfig(enabled=True, profile_dir=str(tmp_path)))
    (tmp_path / "default.json").write_text("[" * 100_000 + "]" * 100_000)
    saved = rom.save()
    assert json.loads(saved.read_text())["version"] == 1
    assert len(list(tmp_path.glob("default.json.corrupt-*"))) == 1  # the user's file is never lost


def test_orphan_temp_files_of_killed_saves_are_removed(tmp_path):
    rom = RangeOfMotion(RomConfig(enabled=True, profile_dir=str(tmp_path)))
    orphan = tmp_path / ".default.json.abc123.tmp"
    fresh = tmp_path / ".default.json.def456.tmp"  # a save in progress right now: left alone
    other = tmp_path / ".other.json.abc123.tmp"
    for p in (orphan, fresh, other):
        p.write_text("{")
    os.utime(orphan, (time.time() - 3600, time.time() - 3600))
    os.utime(other, (time.time() - 3600, time.time() - 3600))
    assert rom.load() is False  # no profile yet; startup cleans up after a killed save
    assert not orphan.exists() and fresh.exists() and other.exists()
    assert remove_stale_temp_files(tmp_path / "default.json", older_than_s=-1) == 1
    rom.save()
    assert not list(tmp_path.glob(".default.json.*.tmp"))


@pytest.mark.parametrize("name", ["nested 1,000 levels (RecursionError)", "FIFO", "/dev/zero", "50 MB"])
def test_hostile_preset_at_startup_is_a_preset_error(tmp_path, name):
    path = hostile.materialize(tmp_path / "start.toml", hostile.hostile_presets()[name])
    with pytest.raises(PresetError) as info:
        load_preset(path)
    assert "start.toml" in str(info.value) and "Traceback" not in str(info.value)
