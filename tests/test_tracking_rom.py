"""Range-of-motion calibration: mapping, profile save/load/reset, atomic writes, errors."""

import json

import numpy as np
import pytest

from bridge.schema import NUM_BLENDSHAPES, shape_index
from bridge.tracking.rom import RangeOfMotion, RomConfig

BLINK = shape_index("eyeBlinkLeft")
JAW = shape_index("jawOpen")
SMILE = shape_index("mouthSmileLeft")


def learned(tmp_path) -> RangeOfMotion:
    rom = RangeOfMotion(RomConfig(enabled=True, profile_dir=str(tmp_path), user="alice"))
    base = np.zeros(NUM_BLENDSHAPES)
    base[BLINK] = 0.1  # this user's resting lid reads 0.1
    for _ in range(20):
        rom.observe(base, at_neutral=True)
    peak = base.copy()
    peak[BLINK] = 0.7  # ... and "fully closed" only reaches 0.7
    peak[JAW] = 0.9
    rom.observe(peak)
    return rom


def test_floor_to_max_maps_onto_0_1(tmp_path):
    rom = learned(tmp_path)
    v = np.zeros(NUM_BLENDSHAPES)
    v[BLINK], v[JAW], v[SMILE] = 0.7, 0.45, 0.2
    out = rom.apply(v)
    assert out[BLINK] == pytest.approx(1.0)  # this user's full closure closes the avatar's eye
    assert rom.apply(np.full(NUM_BLENDSHAPES, 0.1))[BLINK] == pytest.approx(0.0)  # resting lid -> 0
    assert out[JAW] == pytest.approx(0.5)
    # never-moved shape: gain capped by min_range (0.5) -> 0.2 becomes 0.4, not 1.0
    assert out[SMILE] == pytest.approx(0.4)
    assert np.all((out >= 0) & (out <= 1))


def test_non_neutral_floor_is_ignored(tmp_path):
    rom = RangeOfMotion(RomConfig(max_floor=0.5))
    v = np.zeros(NUM_BLENDSHAPES)
    v[JAW] = 0.8  # mouth open during "neutral" capture
    rom.observe(v, at_neutral=True)
    lo, hi = rom.bounds()
    assert lo[JAW] == 0.0 and hi[JAW] == pytest.approx(0.8)


def test_mask_limits_learning(tmp_path):
    rom = RangeOfMotion()
    v = np.full(NUM_BLENDSHAPES, 0.9)
    mask = np.zeros(NUM_BLENDSHAPES, bool)
    mask[JAW] = True
    rom.observe(v, mask)
    assert rom.running_max[JAW] == pytest.approx(0.9)
    assert not np.isfinite(rom.running_max[BLINK])


def test_save_load_reset_round_trip(tmp_path):
    rom = learned(tmp_path)
    path = rom.save()
    assert path == tmp_path / "alice.json"
    assert [p.name for p in tmp_path.iterdir()] == ["alice.json"]  # temp file renamed away, nothing left over
    data = json.loads(path.read_text())
    assert data["version"] == 1 and data["user"] == "alice"
    assert data["shapes"]["eyeBlinkLeft"]["neutral"] == pytest.approx(0.1)
    again = RangeOfMotion(RomConfig(profile_dir=str(tmp_path), user="alice"))
    assert again.load() is True
    v = np.random.default_rng(0).random(NUM_BLENDSHAPES)
    np.testing.assert_allclose(again.apply(v), rom.apply(v), atol=1e-5)
    np.testing.assert_allclose(again.bounds()[0], rom.bounds()[0], atol=1e-6)
    again.reset()
    np.testing.assert_allclose(again.apply(v), np.clip(v / 0.5, 0, 1))  # identity floor, min_range ceiling
    again.save()
    third = RangeOfMotion(RomConfig(profile_dir=str(tmp_path), user="alice"))
    third.load()
    assert json.loads(path.read_text())["shapes"] == {}
    np.testing.assert_allclose(third.apply(v), again.apply(v))


def test_missing_profile_loads_nothing(tmp_path):
    rom = RangeOfMotion(RomConfig(profile_dir=str(tmp_path / "nowhere"), user="bob"))
    assert rom.load() is False


def test_corrupt_profile_is_reported_and_never_overwritten(tmp_path):
    path = tmp_path / "alice.json"
    path.write_text("{not json")
    rom = RangeOfMotion(RomConfig(profile_dir=str(tmp_path), user="alice"))
    with pytest.raises(ValueError, match="alice.json"):
        rom.load()
    learned(tmp_path).save()
    kept = [p for p in tmp_path.iterdir() if p.name.startswith("alice.json.corrupt-")]
    assert len(kept) == 1 and kept[0].read_text() == "{not json"
    assert RangeOfMotion(RomConfig(profile_dir=str(tmp_path), user="alice")).load()


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ({"version": 99, "shapes": {}}, "'version'"),
        ({"version": 1, "shapes": {"eyeBlinkLft": {"min": 0, "max": 1}}}, "shapes.eyeBlinkLft"),
        ({"version": 1, "shapes": {"jawOpen": {"min": 0.5, "max": 0.2}}}, "shapes.jawOpen"),
        ({"version": 1, "shapes": {"jawOpen": {"min": 0, "max": 3}}}, r"shapes.jawOpen.max"),
        ({"version": 1, "shapes": {"jawOpen": {"low": 0}}}, r"shapes.jawOpen.low"),
        ({"version": 1, "shapes": []}, "'shapes'"),
    ],
)
def test_invalid_profile_errors_name_file_and_key(tmp_path, content, needle):
    path = tmp_path / "u.json"
    path.write_text(json.dumps(content))
    rom = RangeOfMotion(RomConfig(profile_dir=str(tmp_path), user="u"))
    with pytest.raises(ValueError, match="u.json") as err:
        rom.load()
    assert needle.replace("\\", "") in str(err.value)
    assert not np.isfinite(rom.running_max).any()  # state left empty, not half-loaded


@pytest.mark.parametrize("user", ["../evil", "", "a/b", ".hidden"])
def test_user_name_cannot_escape_the_profile_dir(user):
    with pytest.raises(ValueError, match="rom.user"):
        RomConfig(user=user).validate()
