"""Dataset shards: write/read round trip, determinism across worker counts, resume, refusal, splits."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bridge.schema import AU10, BLENDSHAPE_NAMES, CAMERAS, EMOTIVE5, FER8
from bridge.synth.dataset import DatasetManifest, assign_splits, load_dataset, plan_sessions, write_dataset
from bridge.synth.performance import FIELD_NAMES

SIZES = {v: (32, 32) for v in CAMERAS}


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("ds") / "synth"
    manifest = write_dataset(out, identities=4, seconds=6, seed=3, workers=1, sizes=SIZES, progress=False)
    return out, manifest


def test_manifest_contents(dataset):
    out, manifest = dataset
    data = json.loads((out / "manifest.json").read_text())
    assert data["generator_version"] and data["seed"] == 3 and data["complete"] is True
    assert data["blendshapes"] == list(BLENDSHAPE_NAMES) and data["emotive5"] == list(EMOTIVE5)
    assert data["au10"] == list(AU10) and data["fer8"] == list(FER8)
    assert data["sizes"] == {v: [32, 32] for v in CAMERAS}
    assert [d["id"] for d in data["identities"]] == [0, 1, 2, 3]
    assert all(isinstance(d["glasses"], bool) and 0 <= d["facial_hair"] <= 1 for d in data["identities"])
    kinds = {s["kind"] for s in data["shards"]}
    assert kinds == {"collection", "free"}
    for s in data["shards"]:
        assert (out / s["file"]).exists() and s["frames"] > 0
    assert sum(s["frames"] for s in data["shards"]) == pytest.approx(4 * 6 * 30, rel=0.1)


def test_round_trip(dataset):
    out, manifest = dataset
    ds = load_dataset(out)
    assert isinstance(ds.manifest, DatasetManifest)
    n = sum(s["frames"] for s in manifest.shards)
    for v in CAMERAS:
        assert ds[v].shape == (n, 32, 32) and ds[v].dtype == np.uint8
    for k in FIELD_NAMES:
        assert ds[k].shape[0] == n, k
    assert ds["identity"].dtype == np.int32 and ds["session"].dtype == np.int32
    assert set(ds["identity"].tolist()) == {0, 1, 2, 3}
    # one shard equals the matching slice of the concatenation
    first = manifest.shards[0]
    with np.load(out / first["file"]) as z:
        np.testing.assert_array_equal(z["left_eye"], ds["left_eye"][: first["frames"]])
        np.testing.assert_array_equal(z["blendshapes"], ds["blendshapes"][: first["frames"]])
    only_eyes = load_dataset(out, split=None, views=["left_eye"])
    assert "mouth" not in only_eyes and "left_eye" in only_eyes and "fer8" in only_eyes


def test_splits_are_by_identity_and_disjoint(dataset):
    out, _ = dataset
    seen = {}
    for split in ("train", "val", "test"):
        ids = set(load_dataset(out, split=split, views=["mouth"])["identity"].tolist())
        seen[split] = ids
    assert not (seen["train"] & seen["val"]) and not (seen["train"] & seen["test"]) and not (seen["val"] & seen["test"])
    assert seen["train"] | seen["val"] | seen["test"] == {0, 1, 2, 3}
    s = assign_splits(100, seed=1)
    assert s.count("train") == 80 and s.count("val") == 10 and s.count("test") == 10


def test_deterministic_across_workers_and_resumable(dataset, tmp_path):
    out, manifest = dataset
    other = tmp_path / "again"
    write_dataset(other, identities=4, seconds=6, seed=3, workers=2, sizes=SIZES, progress=False)
    for s in manifest.shards:
        with np.load(out / s["file"]) as a, np.load(other / s["file"]) as b:
            for k in a.files:
                np.testing.assert_array_equal(a[k], b[k], err_msg=f"{s['file']}:{k}")
    # Simulate an interrupted run: one shard missing, manifest not complete -> the same command resumes.
    victim = manifest.shards[1]["file"]
    reference = np.load(other / victim)["right_eye"]
    (other / victim).unlink()
    data = json.loads((other / "manifest.json").read_text())
    data["complete"] = False
    data["shards"] = [s for s in data["shards"] if s["file"] != victim]
    (other / "manifest.json").write_text(json.dumps(data))
    resumed = write_dataset(other, identities=4, seconds=6, seed=3, workers=1, sizes=SIZES, progress=False)
    assert resumed.complete and len(resumed.shards) == len(manifest.shards)
    np.testing.assert_array_equal(np.load(other / victim)["right_eye"], reference)


def test_refuses_non_empty_directory_unless_overwrite(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="not empty"):
        write_dataset(tmp_path, identities=1, seconds=1, seed=0, sizes=SIZES, progress=False)
    out = tmp_path / "ds"
    write_dataset(out, identities=1, seconds=1, seed=0, sizes=SIZES, progress=False)
    with pytest.raises(ValueError, match="--overwrite"):
        write_dataset(out, identities=2, seconds=1, seed=0, sizes=SIZES, progress=False)
    m = write_dataset(out, identities=2, seconds=1, seed=0, sizes=SIZES, progress=False, overwrite=True)
    assert m.identities_count == 2 and len(list(out.glob("*.npz"))) == len(m.shards)


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="identities"):
        write_dataset(tmp_path / "a", identities=0, seconds=1)
    with pytest.raises(ValueError, match="seconds"):
        write_dataset(tmp_path / "a", identities=1, seconds=0)
    with pytest.raises(ValueError, match="unknown camera view"):
        write_dataset(tmp_path / "a", identities=1, seconds=1, sizes={"forehead": (32, 32)})
    with pytest.raises(FileNotFoundError, match="synth dataset"):
        load_dataset(tmp_path / "missing")


def test_session_plan_covers_the_requested_time():
    for seconds in (1, 6, 60, 300):
        plan = plan_sessions(seconds)
        total = sum(p["seconds"] for p in plan)
        assert abs(total - seconds) <= max(0.15 * seconds, 1.0), (seconds, total)
        assert plan[0]["kind"] == "collection"
    long_plan = plan_sessions(300)
    assert sum(p["kind"] == "collection" for p in long_plan) >= 2  # re-donning: several collection sessions


def test_a_deleted_shard_of_a_finished_dataset_is_rendered_again(tmp_path):
    out = tmp_path / "ds"
    m = write_dataset(out, identities=1, seconds=2, seed=5, sizes=SIZES, progress=False)
    victim = out / m.shards[0]["file"]
    before = np.load(victim)["mouth"]
    victim.unlink()
    again = write_dataset(out, identities=1, seconds=2, seed=5, sizes=SIZES, progress=False)
    assert again.complete and victim.exists()
    np.testing.assert_array_equal(np.load(victim)["mouth"], before)
