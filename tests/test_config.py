"""Config schema: defaults, the commented init file, and errors that name file, key and allowed values."""

from __future__ import annotations

import re
import tomllib

import pytest

from bridge.cli import main
from bridge.config import (
    CAMERA_EXAMPLE,
    Config,
    ConfigError,
    config_from_dict,
    default_config_text,
    load_config,
    parse_output_spec,
)
from bridge.outputs.registry import output_options
from bridge.tracking import TrackingConfig


def test_init_text_is_valid_and_equals_the_defaults():
    config = config_from_dict(tomllib.loads(default_config_text()), "init.toml")
    defaults = Config()
    for section in ("source", "models", "preset", "outputs", "control", "status"):
        assert getattr(config, section) == getattr(defaults, section), section
    assert config.tracking == TrackingConfig()
    assert config.outputs == (output_options("facebridge"),)


def test_every_commented_output_example_is_valid_when_uncommented():
    text = default_config_text()
    blocks = re.findall(r"# \[\[outputs\]\]\n((?:# .*\n)+)", text)
    assert len(blocks) == 3
    for block in blocks:
        toml = "[[outputs]]\n" + "\n".join(line[2:] for line in block.splitlines() if re.match(r"# \w+ = ", line))
        (entry,) = config_from_dict(tomllib.loads(toml), "x.toml").outputs
        assert entry.kind in ("vmc", "vrchat", "recorder")


def test_camera_example_parses_into_camera_specs():
    toml = "\n".join(line[2:].split("  #")[0] for line in CAMERA_EXAMPLE.splitlines() if line.startswith("# "))
    config = config_from_dict(tomllib.loads(toml), "cams.toml")
    assert [c.layout for c in config.cameras] == ["combined_eyes_mouth", "lower_face_external"]
    assert config.cameras[0].crop == (0, 0, 400, 400) and config.cameras[1].detect_face is True


@pytest.mark.parametrize(("toml", "message"), [
    ("[sources]\n", r"bad\.toml:1: sources: unknown section 'sources' \(did you mean 'source'\?\); allowed: source"),
    ("[source]\nspce = 'x'\n", r"bad\.toml:2: source\.spce: unknown key 'spce' \(did you mean 'spec'\?\)"),
    ("[source]\nfps = 'fast'\n", r"bad\.toml:2: source\.fps: expected a number, got a string \('fast'\)"),
    ("[source]\nfps = 0\n", r"bad\.toml:2: source\.fps: 0\.0 is out of range; allowed: 1\.0 \.\. 1000\.0"),
    ("[source]\nfps = nan\n", r"bad\.toml:2: source\.fps: must be a finite number"),
    ("[models]\nthreads = 1.5\n", r"models\.threads: expected a whole number"),
    ("[preset]\nhot_reload = 'yes'\n", r"preset\.hot_reload: expected true or false"),
    ("[[outputs]]\nkind = 'osc'\n", r"bad\.toml:2: outputs\[0\]\.kind: 'osc' is not allowed; allowed: facebridge, "
                                    r"vmc, vrchat, recorder"),
    ("[[outputs]]\nkind = 'vmc'\nport = 70000\n",
     r":3: outputs\[0\]\.port: 70000 is out of range; allowed: 0 \.\. 65535"),
    ("[[outputs]]\nkind = 'vmc'\nraw_frames = true\n", r"outputs\[0\]\.raw_frames: does not apply to kind 'vmc'; keys "
                                                        r"for vmc: kind, enabled, host, port, preset, vrm0_aliases"),
    ("[[outputs]]\nkind = 'vrchat'\nbinary = { JawOpen = 'four' }\n", r"binary\.JawOpen: expected a whole number"),
    ("[[outputs]]\nkind = 'vmc'\n\n[[outputs]]\nkind = 'vrchat'\nprot = 1\n",
     r"bad\.toml:6: outputs\[1\]\.prot: unknown key 'prot' \(did you mean 'port'\?\)"),
    ("[tracking.filters.shapes]\nbeta = 'x'\n", r"bad\.toml:2: tracking\.filters\.shapes\.beta: expected a number"),
    ("[tracking]\nfliters = {}\n", r"tracking\.fliters: unknown key 'fliters' \(did you mean 'filters'\?\); "
                                    r"allowed: neutral, rom, filters"),
    ("[tracking.failure]\nfrozen_frames = 1\n", r"bad\.toml:2: tracking\.failure\.frozen_frames: must be an integer"),
    ("[[cameras]]\nsource = '0'\nlayout = 'weird'\n", r"cameras\[0\]: .*layout 'weird' is not one of"),
    ("[[cameras]]\nsource = '0'\nlayout = 'single'\nviews = ['nose']\n", r"cameras\[0\]: "),
    ("outputs = 3\n", r"outputs: expected an array of tables"),
])
def test_bad_values_name_file_key_and_allowed(tmp_path, toml, message):
    path = tmp_path / "bad.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError, match=message):
        load_config(path)


def test_missing_and_unparsable_files(tmp_path):
    with pytest.raises(ConfigError, match=r"nope\.toml: config file not found; create one with `facebridge config "
                                          r"init"):
        load_config(tmp_path / "nope.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[source\n")
    with pytest.raises(ConfigError, match=r"broken\.toml: not valid TOML"):
        load_config(broken)


@pytest.mark.parametrize(("spec", "kind", "host", "port", "path"), [
    ("vmc", "vmc", "127.0.0.1", 39539, None),
    ("vmc:192.168.1.5", "vmc", "192.168.1.5", 39539, None),
    ("vrchat:127.0.0.1:9100", "vrchat", "127.0.0.1", 9100, None),
    ("facebridge::40000", "facebridge", "127.0.0.1", 40000, None),
    ("recorder:/tmp/recs", "recorder", None, None, "/tmp/recs"),
])
def test_output_spec_parsing(spec, kind, host, port, path):
    entry = parse_output_spec(spec)
    assert entry.kind == kind
    if host is not None:
        assert (entry.host, entry.resolved_port()) == (host, port)
    if path is not None:
        assert entry.path == path


@pytest.mark.parametrize("spec", ["osc:1.2.3.4:5", "vmc:host:port", "vmc:h:0", "vmc:a:b:c"])
def test_bad_output_specs(spec):
    with pytest.raises(ConfigError, match="--output"):
        parse_output_spec(spec)


def test_config_commands(tmp_path, capsys):
    out = tmp_path / "fb.toml"
    assert main(["config", "init", "--out", str(out)]) == 0
    assert main(["config", "init", "--out", str(out)]) == 2  # never overwrites without --force
    assert "exists; pass --force" in capsys.readouterr().err
    assert main(["config", "check", str(out)]) == 0
    assert "OK" in capsys.readouterr().out
    out.write_text(out.read_text().replace("fps = 60.0", "fps = -1"))
    assert main(["config", "check", str(out)]) == 2
    err = capsys.readouterr().err
    assert str(out) in err and "source.fps" in err and "allowed" in err
    assert main(["config", "init"]) == 0
    assert "[[outputs]]" in capsys.readouterr().out


def test_every_problem_is_reported_at_once(tmp_path):
    path = tmp_path / "many.toml"
    path.write_text("[source]\nfps = 0\nseed = 'x'\n\n[[outputs]]\nkind = 'vmc'\nhots = 'a'\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert [p.split(": ", 2)[1] for p in info.value.problems] == ["source.fps", "source.seed", "outputs[0].hots"]
    assert info.value.problems[2].startswith(f"{path}:7: ")
