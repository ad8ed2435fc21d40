"""Command-line flags are Config overrides applied in one place; one preset-resolution rule (files hot-reload)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import pytest

from bridge.app.assemble import resolve_presets, source_spec_for
from bridge.app.overrides import apply_overrides, config_from_args
from bridge.app.retarget_stage import PresetRetargeters
from bridge.app.run_cmd import configure
from bridge.config import Config, ConfigError, config_from_dict
from bridge.outputs.registry import output_options
from bridge.schema import FaceState
from retarget import is_preset_file, shipped_names


def _run_args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    configure(parser)
    return parser.parse_args(list(argv))


def test_every_run_flag_lands_in_the_config(tmp_path):
    cfg_path = tmp_path / "fb.toml"
    cfg_path.write_text("[source]\nfps = 30\n[[cameras]]\nsource = '0'\nlayout = 'single'\nviews = ['mouth']\n"
                        "[preset]\nname = 'x'\n[[outputs]]\nkind = 'vmc'\n")
    args = _run_args("--config", str(cfg_path), "--source", "synthetic", "--preset", "vrm1-basic",
                     "--output", "vrchat:10.0.0.2:9100", "--output", "recorder:/tmp/recs", "--no-control",
                     "--status-json", str(tmp_path / "s.json"))
    config = config_from_args(args)
    assert config.source.spec == "synthetic" and config.cameras == ()  # --source replaces [[cameras]] too
    assert source_spec_for(config) == "synthetic:fps=30.0,seed=0"  # and keeps the [source] settings
    assert config.preset.name == "vrm1-basic"
    assert [o.kind for o in config.outputs] == ["vrchat", "recorder"]
    assert config.outputs[0].host == "10.0.0.2" and config.outputs[0].resolved_port() == 9100
    assert config.control.enabled is False
    assert config.status.json_path == str(tmp_path / "s.json")


def test_no_flags_keep_the_file(tmp_path):
    cfg_path = tmp_path / "fb.toml"
    cfg_path.write_text("[preset]\nname = 'vrm1-basic'\n[control]\nenabled = false\n")
    config = config_from_args(_run_args("--config", str(cfg_path)))
    assert config == config_from_dict({"preset": {"name": "vrm1-basic"}, "control": {"enabled": False}},
                                      str(cfg_path))


def test_bad_output_flag_is_a_config_error():
    with pytest.raises(ConfigError, match="--output 'pigeon'"):
        config_from_args(_run_args("--output", "pigeon"))


def test_preset_override_and_per_output_presets():
    config = apply_overrides(Config(), preset="vrm1-basic", outputs=[
        output_options("vmc"), output_options("facebridge", preset="livelink"), output_options("recorder")])
    assert resolve_presets(config, list(config.outputs)) == ["vrm1-basic", "livelink", None]


def test_an_output_with_a_preferred_rig_reads_a_shipped_preset_for_it():
    from retarget import load_preset

    config = apply_overrides(Config(), outputs=[output_options("vrchat"), output_options("vmc")])
    vrchat_key, vmc_key = resolve_presets(config, list(config.outputs))
    assert load_preset(vrchat_key).rig == "unified_expressions_v2"
    assert vmc_key == "arkit52-perfect-sync"  # the default preset


def _write(path: Path, text: str, mtime: int) -> None:
    path.write_text(text)
    os.utime(path, ns=(mtime, mtime))


def test_one_preset_rule_a_file_without_toml_suffix_hot_reloads(tmp_path, monkeypatch):
    shipped = (Path(__file__).resolve().parents[1] / "presets" / "vrm1-basic.toml").read_text()
    monkeypatch.chdir(tmp_path)
    _write(tmp_path / "mine", shipped, 1_000_000_000)
    assert is_preset_file("mine") and is_preset_file("sub/x") and is_preset_file("x.toml")
    assert not any(is_preset_file(name) for name in shipped_names())
    # reload_wait_s=None: poll waits for the reload thread (this test is about which files are watched, not timing)
    stage = PresetRetargeters(["mine", "vrm1-basic"], hot_reload=True, reload_wait_s=None)
    before = stage.apply(FaceState.neutral())["mine"].names
    _write(tmp_path / "mine", shipped.replace('name = "', 'name = "edited ', 1), 2_000_000_000)
    assert any("mine: reloaded" in event for event in stage.poll())
    assert stage.apply(FaceState.neutral())["mine"].names == before
