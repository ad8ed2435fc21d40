"""`facebridge data import`: every approved layout on small fixtures made here (no raw data in the repo)."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from bridge.cli import main as cli
from bridge.data.framing import eye_aperture, eye_crop_from_contour, mask_stats, square_crop
from bridge.data.importers import NO_FACE, Skips, import_nir, import_yawn, yawn_group
from bridge.data.shards import load_set, person_split, write_set
from bridge.data.sources import AFFECTNET_TO_FER8, SOURCES
from bridge.schema import FER8


def _eye(closed: bool, seed: int, size: int = 60) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = np.full((size, size), 170, np.uint8)
    if closed:
        cv2.line(img, (8, size // 2), (size - 8, size // 2), 40, 3)
    else:
        cv2.ellipse(img, (size // 2, size // 2), (size // 3, size // 5), 0, 0, 360, 230, -1)
        cv2.circle(img, (size // 2, size // 2), size // 8, 20, -1)
    return np.clip(img + rng.normal(0, 4, img.shape), 0, 255).astype(np.uint8)


def _mrl(root: Path, subjects=(1, 2, 3, 4, 5, 6, 7, 8), per=3) -> Path:
    base = root / "mrlEyes_2018_01"
    n = 0
    for s in subjects:
        for closed in (0, 1):
            for i in range(per):
                n += 1
                state = 1 - closed
                split = "train" if i % 2 == 0 else "val"
                d = base / split / str(state)
                d.mkdir(parents=True, exist_ok=True)
                cv2.imwrite(str(d / f"s{s:04d}_{n:05d}_0_0_{state}_0_1_01.png"), _eye(bool(closed), n))
    return root


def run(*argv: str) -> int:
    return cli(["data", *argv])


def test_mrl_import_splits_by_person_and_counts_unreadable_files(tmp_path: Path, capsys):
    src = _mrl(tmp_path / "src")
    (src / "mrlEyes_2018_01" / "train" / "1" / "s0001_99999_0_0_1_0_1_01.png").write_bytes(b"not a png")
    out = tmp_path / "mrl"
    assert run("import", "mrl", str(src), "--out", str(out)) == 0
    err = capsys.readouterr()
    assert "skipped 1" in err.out and "import mrl:" in err.err  # summary + progress
    rs = load_set(out)
    man = rs.manifest
    assert man["kind"] == "mrl" and man["commit"].startswith("814c51fa") and "MRL" in man["licence"]
    assert man["skipped"] == 1 and man["skipped_reasons"] == {"unreadable image": 1}
    assert man["total_images"] == 8 * 2 * 3
    train_p = set(rs.splits["train"].person.tolist())
    val_p = set(rs.splits["val"].person.tolist())
    assert train_p and val_p and not (train_p & val_p), "a person must never be in both splits"
    for sp in rs.splits.values():
        assert sp.images.shape[1:] == (48, 48) and sp.images.dtype == np.uint8
        closed = sp.labels["closed"]
        names_closed = np.array(["_0_0_0_" in f for f in sp.files])  # eye-state digit 0 = closed
        assert np.array_equal(closed > 0.5, names_closed)
    assert set(man["label_kinds"]) == {"closed"}


def test_unknown_layout_and_unknown_kind_are_refused_clearly(tmp_path: Path, capsys):
    (tmp_path / "empty").mkdir()
    assert run("import", "mrl", str(tmp_path / "empty"), "--out", str(tmp_path / "o")) == 2
    assert "not the MRL eye layout" in capsys.readouterr().err
    assert run("import", "celeba", str(tmp_path / "empty"), "--out", str(tmp_path / "o")) == 2
    err = capsys.readouterr().err
    assert "unknown KIND 'celeba'" in err and "must not be trained on" in err
    assert run("import", "ferplus", str(tmp_path / "missing"), "--out", str(tmp_path / "o")) == 2
    assert "does not exist" in capsys.readouterr().err
    assert not (tmp_path / "o" / "manifest.json").exists()


def test_ferplus_soft_votes_own_split_and_test_split_held_out(tmp_path: Path, capsys):
    root = tmp_path / "data"
    rows = {"FER2013Train": [(10, 0, 0, 0, 0, 0, 0, 0, 0, 0), (2, 6, 2, 0, 0, 0, 0, 0, 0, 0),
                             (0, 0, 0, 0, 0, 0, 0, 0, 1, 9)],  # the last is not a face: skipped
            "FER2013Valid": [(0, 0, 8, 0, 0, 0, 2, 0, 0, 0)], "FER2013Test": [(10, 0, 0, 0, 0, 0, 0, 0, 0, 0)]}
    for d, votes in rows.items():
        (root / d).mkdir(parents=True)
        lines = []
        for i, v in enumerate(votes):
            cv2.imwrite(str(root / d / f"fer{i:07d}.png"), np.full((48, 48), 30 * i + 20, np.uint8))
            lines.append(f'fer{i:07d}.png,"(0, 0, 48, 48)",' + ",".join(map(str, v)))
        (root / d / "label.csv").write_text("\n".join(lines) + "\n")
    out = tmp_path / "fer"
    assert run("import", "ferplus", str(tmp_path), "--out", str(out)) == 0
    assert "held out; not imported" in capsys.readouterr().err
    rs = load_set(out)
    assert len(rs.splits["train"]) == 2 and len(rs.splits["val"]) == 1 and "test" not in rs.splits
    q = rs.splits["train"].labels["fer8"]
    assert np.allclose(q.sum(1), 1) and np.allclose(q[1, :3], [0.2, 0.6, 0.2])
    assert rs.splits["val"].labels["fer8"].argmax(1).tolist() == [2]  # surprise
    assert rs.manifest["skipped_reasons"] == {"mostly unknown / not a face": 1}


def test_itmo_masks_give_pupil_centre_and_visible_fraction(tmp_path: Path):
    d = tmp_path / "itmo" / "IrisEye"
    d.mkdir(parents=True)
    for subj in (1, 2, 3):
        for i, cut in enumerate((0, 30)):  # full iris disc, then the upper lid covering its top 30 px
            img = np.full((200, 200), 160, np.uint8)
            cv2.circle(img, (110, 90), 40, 70, -1)
            mask = np.zeros((200, 200), np.uint8)
            cv2.circle(mask, (110, 90), 40, 255, -1)
            mask[: 50 + cut] = 0
            cv2.imwrite(str(d / f"{subj}_Left_{i}.png"), img)
            cv2.imwrite(str(d / f"{subj}_Left_{i}m.png"), mask)
    out = tmp_path / "out"
    assert run("import", "itmo", str(tmp_path / "itmo"), "--out", str(out)) == 0
    rs = load_set(out)
    sp = rs.splits["train"] if "train" in rs.splits else rs.splits["val"]
    full = sp.labels["visible"][[f.endswith("_0.png") for f in sp.files]]
    cut = sp.labels["visible"][[f.endswith("_1.png") for f in sp.files]]
    assert np.all(full > 0.95) and np.all((cut > 0.5) & (cut < 0.85))
    assert np.allclose(sp.labels["pupil"][0, 0], 110 / 200, atol=0.02)
    assert np.all(sp.labels["side"] == 0) and np.all(sp.labels["closed"] == 0)


def test_yawn_crops_from_the_mouth_box_and_skips_faceless_scenes_without_one(tmp_path: Path):
    root = tmp_path / "yawn_v5"
    for split, stems in (("train", ["101-a", "102-b", "103-c", "104-d"]), ("test", ["200-x"])):
        (root / split / "images").mkdir(parents=True)
        (root / split / "labels").mkdir(parents=True)
        for s in stems:
            img = np.full((480, 640, 3), 120, np.uint8)
            cv2.ellipse(img, (320, 300), (40, 60), 0, 0, 360, (10, 10, 10), -1)
            cv2.imwrite(str(root / split / "images" / f"{s}_jpg.rf.1.jpg"), img)
            (root / split / "labels" / f"{s}_jpg.rf.1.txt").write_text(
                "" if s == "104-d" else "0 0.5 0.625 0.125 0.25\n")
    out = tmp_path / "out"
    assert run("import", "yawn", str(root), "--out", str(out)) == 0
    rs = load_set(out)
    man = rs.manifest
    assert man["counts"]["test"]["images"] == 1 and man["total_images"] == 4
    # the scene without a mouth box goes to the real face detector, which finds no face in a grey frame
    assert man["skipped_reasons"] == {f"non-yawn scene: {NO_FACE}": 1}
    crop = np.concatenate([sp.images for sp in rs.splits.values()])[0]
    dark = np.argwhere(crop < 60)
    assert 0.6 < dark[:, 0].mean() / 48 < 0.9, "the mouth must sit in the lower part of the FER-like crop"


def test_smile_and_mmu_layouts(tmp_path: Path):
    smile = tmp_path / "smile"
    (smile / "images").mkdir(parents=True)
    pts = np.zeros((68, 2))
    pts[0:17, 0] = np.linspace(10, 90, 17)
    pts[0:17, 1] = 60 + 30 * np.sin(np.linspace(0, np.pi, 17))
    pts[17:27] = [[20 + 6 * i, 30] for i in range(10)]
    pts[27:] = [50, 60]
    rows = ["filename,smile,mouth_open,points,labeled"]
    for i in range(6):
        cv2.imwrite(str(smile / "images" / f"{1000 + i}_1_0.jpg"), np.full((100, 100, 3), 128, np.uint8))
        rows.append(f'{1000 + i}_1_0.jpg,{i % 2},{(i // 2) % 2},"{", ".join(str(int(v)) for v in pts.flatten())}",True')
    (smile / "annotations.csv").write_text("\n".join(rows) + "\n")
    assert run("import", "smile", str(smile), "--out", str(tmp_path / "s")) == 0
    rs = load_set(tmp_path / "s")
    assert set(rs.manifest["label_kinds"]) == {"smile", "mouth_open"}

    mmu, masks = tmp_path / "MMU", tmp_path / "mask"
    for subj in (1, 2):
        for side in ("left", "right"):
            (mmu / str(subj) / side).mkdir(parents=True)
            (masks / str(subj) / side).mkdir(parents=True)
            for n in (1, 2):
                cv2.imwrite(str(mmu / str(subj) / side / f"x{side[0]}{n}.bmp"), np.full((240, 320, 3), 90, np.uint8))
                m = np.zeros((240, 320, 3), np.uint8)
                cv2.circle(m, (160, 120), 30, (255, 255, 255), -1)
                cv2.imwrite(str(masks / str(subj) / side / f"{n}.bmp"), m)
    assert run("import", "mmu", str(mmu), "--out", str(tmp_path / "m")) == 2  # --masks is required
    assert run("import", "mmu", str(mmu), "--masks", str(masks), "--out", str(tmp_path / "m")) == 0
    rs = load_set(tmp_path / "m")
    assert rs.manifest["total_images"] == 8
    assert all(np.all(sp.labels["visible"] > 0.9) for sp in rs.splits.values())
    sides = np.concatenate([sp.labels["side"] for sp in rs.splits.values()])
    assert sorted(set(sides.tolist())) == [0, 1]


def _eyelid(cx: float, cy: float, half_w: float, half_h: float) -> np.ndarray:
    """A 6-point iBUG eyelid contour: outer corner, two upper-lid points, inner corner, two lower-lid points."""
    return np.array([[cx - half_w, cy], [cx - half_w / 3, cy - half_h], [cx + half_w / 3, cy - half_h],
                     [cx + half_w, cy], [cx + half_w / 3, cy + half_h], [cx - half_w / 3, cy + half_h]])


def test_eye_aperture_is_the_contour_area_over_the_squared_width():
    # The hexagon's area is 2 * half_h * (4/3 half_w) (a rectangle plus two triangles); width = 2 half_w.
    assert abs(eye_aperture(_eyelid(50, 50, 15, 6)) - (2 * 6 * 20) / 30 ** 2) < 1e-9
    assert eye_aperture(_eyelid(50, 50, 15, 0)) == 0.0
    assert eye_aperture(_eyelid(0, 0, 30, 12)) == eye_aperture(_eyelid(50, 50, 15, 6))  # scale-free
    assert np.isnan(eye_aperture(np.zeros((6, 2))))
    img = np.full((200, 200), 200, np.uint8)
    cv2.circle(img, (60, 80), 5, 0, -1)
    crop = eye_crop_from_contour(img, _eyelid(60, 80, 20, 8), 48)  # side = 2 eye widths = 80 px around the eye
    ys, xs = np.nonzero(crop < 100)
    assert abs(xs.mean() - 23.5) < 1.5 and abs(ys.mean() - 23.5) < 1.5 and 3 <= xs.max() - xs.min() <= 8


def test_smile_eyes_import_labels_both_eyes_with_the_smile_split(tmp_path: Path):
    smile = tmp_path / "smile"
    (smile / "images").mkdir(parents=True)
    rows = ["filename,smile,mouth_open,points,labeled"]
    for i in range(60):  # enough groups that some hash into validation
        pts = np.tile([100.0, 140.0], (68, 1))
        pts[36:42] = _eyelid(70, 80, 15, 2 + i % 5)  # subject's right eye (image left)
        pts[42:48] = _eyelid(130, 80, 15, 7)  # subject's left eye
        img = np.full((200, 200, 3), 150, np.uint8)
        cv2.imwrite(str(smile / "images" / f"{2000 + i}_1_0.jpg"), img)
        rows.append(f'{2000 + i}_1_0.jpg,0,0,"{", ".join(str(float(v)) for v in pts.flatten())}",True')
    rows.append('bad.jpg,0,0,"1, 2, 3",True')
    (smile / "annotations.csv").write_text("\n".join(rows) + "\n")
    assert run("import", "smile-eyes", str(smile), "--out", str(tmp_path / "e")) == 0
    assert run("import", "smile", str(smile), "--out", str(tmp_path / "f")) == 0
    eyes, faces = load_set(tmp_path / "e"), load_set(tmp_path / "f")
    assert eyes.manifest["view"] == "eye" and eyes.manifest["total_images"] == 120
    assert eyes.manifest["skipped_reasons"] == {"annotation row without 68 landmarks / labels": 1}
    for split, sp in eyes.splits.items():  # the same photos on the same side of the split as the face import
        assert sorted({f.split("#")[0] for f in sp.files}) == sorted(faces.splits[split].files.tolist())
    sp = eyes.splits["train"]
    left, right = sp.labels["side"] == 0, sp.labels["side"] == 1
    assert left.sum() == right.sum() and np.allclose(sp.labels["aperture"][left], 2 * 7 * 20 / 900)
    assert sp.labels["aperture"][right].min() < sp.labels["aperture"][left].min()
    assert all(f.endswith("#left") == bool(s == 0) for f, s in zip(sp.files, sp.labels["side"], strict=True))


def test_person_split_is_stable_for_subsets_of_the_same_people():
    people = [f"s{i:04d}" for i in range(40)]
    full = person_split(people, "mrl")
    sub = person_split(people[::3], "mrl", ensure_val=False)
    assert all(full[p] == sub[p] for p in sub)
    assert 1 <= sum(v == "val" for v in full.values()) < 20


def test_mask_stats_and_square_crop_pad_outside_the_frame():
    m = np.zeros((100, 100), np.uint8)
    cv2.circle(m, (50, 50), 20, 255, -1)
    cx, cy, frac = mask_stats(m)
    assert abs(cx - 50) < 1 and abs(cy - 50) < 1 and frac > 0.95
    assert mask_stats(np.zeros((10, 10), np.uint8)) is None
    img = np.tile(np.arange(100, dtype=np.uint8), (100, 1))
    crop = square_crop(img, 0, 50, 60, 48)  # half outside the left edge: edge-padded, no black bars
    assert crop.shape == (48, 48) and crop[:, 0].min() == 0 and crop.max() > 20


def test_manifest_is_json_with_sources_for_every_kind(tmp_path: Path, capsys):
    assert run("sources") == 0
    out = capsys.readouterr().out
    for kind in ("mrl", "mrl-pupil", "itmo", "mmu", "ferplus", "nir", "smile", "smile-eyes", "yawn"):
        assert out.count(f"{kind} ") >= 1
    src = _mrl(tmp_path / "src", subjects=(1, 2))
    assert run("import", "mrl", str(src), "--out", str(tmp_path / "o")) == 0
    man = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert {"source_dir", "repo", "commit", "licence", "persons", "counts", "label_kinds"} <= set(man)


def _nir_src(tmp_path: Path, faces) -> Path:
    """custom_nir layout: ``faces`` = [(subject, AffectNet expression, draw a face?)]; a face is a bright disc with two
    dark eyes where a detector box (40, 30, 80, 80) puts them in a 192x108 frame, and a marker the fake detector
    looks for."""
    src = tmp_path / "Custom_DB" / "custom_nir"
    src.mkdir(parents=True)
    rows = [",filename,Unnamed: 0,gender,race,adult,expression,valence,arousal"]
    for i, (subj, expr, face) in enumerate(faces):
        name = f"{subj}-{i}-x.jpg"
        img = np.full((108, 192, 3), 60, np.uint8)
        if face:
            cv2.circle(img, (80, 70), 40, (200, 200, 200), -1)
            for ex, r in ((65, 5), (95, 7)):  # the subject's right eye (image left, smaller), left eye (image right)
                cv2.circle(img, (ex, 61), r, (10, 10, 10), -1)
            img[0:4, 0:4] = 255  # "a face is here" marker for the fake detector
        cv2.imwrite(str(src / name), img)
        rows.append(f"{i},{name},{i},male,x,yes,{float(expr)},0.1,-0.2")
    (src.parent / "custom_nir-annotations.csv").write_text("\n".join(rows) + "\n")
    return src


def _fake_detector(gray: np.ndarray):
    """Stands in for the Haar detector (it cannot see a drawn face): the box of ``_nir_src``'s face when the marker
    is in the top-left corner, i.e. only on the upright image."""
    return [(40.0, 30.0, 80.0, 80.0)] if gray[:4, :4].mean() > 200 else []


def test_nir_with_the_face_detector_crops_face_and_eyes_and_counts_faceless_frames(tmp_path: Path):
    src = _nir_src(tmp_path, [(1, 0, True), (1, 3, True), (2, 6, True), (3, 1, False)])
    skips = Skips()
    recs = import_nir(src, 48, skips, detector=_fake_detector)
    assert len(recs) == 3 and skips.reasons == {NO_FACE: 1}  # the frame without a face is skipped and counted
    assert {r.split for r in recs} == {"val"}  # evaluation only: everything is validation
    for r in recs:
        assert r.image.shape == (48, 48) and set(r.views) == {"left_eye", "right_eye"}
        for v in r.views.values():  # the dark eye sits in the middle of its crop
            assert v.shape == (48, 48) and v[20:28, 20:28].mean() < 60 and v.mean() > 100
        # the left_eye view is the SUBJECT's left eye: the image's right one (drawn bigger), unmirrored
        assert (r.views["left_eye"] < 60).sum() > 1.5 * (r.views["right_eye"] < 60).sum()
    man = write_set(tmp_path / "n", SOURCES["nir"], recs, 48, src, skips.total, dict(skips.reasons))
    assert man["views"] == ["left_eye", "right_eye"] and set(man["counts"]) == {"val"}
    rs = load_set(tmp_path / "n")
    assert rs.splits["val"].views["left_eye"].shape == (3, 48, 48)
    assert rs.manifest["counts"]["val"]["person_ids"] == ["nir01", "nir02"]


def test_nir_without_boxes_uses_the_real_detector_and_says_why_nothing_was_found(tmp_path: Path, capsys):
    src = _nir_src(tmp_path, [(1, 0, False), (2, 1, False)])
    assert run("import", "nir", str(src), "--out", str(tmp_path / "n")) == 2
    err = capsys.readouterr().err
    assert "no usable samples" in err and f"2 {NO_FACE}" in err
    assert not (tmp_path / "n" / "manifest.json").exists()


def test_find_face_tries_the_image_turned_upside_down():
    from bridge.data.importers import find_face

    img = np.full((108, 192), 60, np.uint8)
    img[-4:, -4:] = 255  # the marker lands top-left only after a 180-degree turn
    found = find_face(img, _fake_detector)
    assert found is not None and found[0][:4, :4].mean() > 200 and found[1] == (40.0, 30.0, 80.0, 80.0)
    assert find_face(np.full((50, 50), 60, np.uint8), _fake_detector) is None


def test_affectnet_labels_map_onto_fer8_by_name():
    affectnet = ("neutral", "happiness", "sadness", "surprise", "fear", "disgust", "anger", "contempt")
    assert {FER8[AFFECTNET_TO_FER8[i]] for i in range(8)} == set(FER8)
    for i, name in enumerate(affectnet):
        assert FER8[AFFECTNET_TO_FER8[i]] == name


def test_yawn_scenes_without_a_yawn_are_framed_by_the_detector_and_labelled_not_yawning(tmp_path: Path):
    root = tmp_path / "yawn_v5"
    (root / "train" / "images").mkdir(parents=True)
    (root / "train" / "labels").mkdir(parents=True)
    stems = [f"Yawning_mp4-{i:04d}" for i in range(6)] + ["photo-a", "photo-b"]
    for i, s in enumerate(stems):
        img = np.full((108, 192, 3), 60, np.uint8)
        cv2.circle(img, (80, 70), 40, (200, 200, 200), -1)
        if s != "photo-b":
            img[0:4, 0:4] = 255
        cv2.imwrite(str(root / "train" / "images" / f"{s}_jpg.rf.{i}.jpg"), img)
        (root / "train" / "labels" / f"{s}_jpg.rf.{i}.txt").write_text(
            "0 0.42 0.75 0.2 0.25\n" if i % 2 == 0 else "")
    skips = Skips()
    recs = import_yawn(root, 48, skips, detector=_fake_detector)
    assert skips.reasons == {f"non-yawn scene: {NO_FACE}": 1}  # photo-b: no face found
    by = {r.file.split("/")[-1].split("_jpg")[0]: r for r in recs}
    assert set(by) == set(stems) - {"photo-b"}
    assert by["Yawning_mp4-0000"].labels == {"yawn": 1.0, "mouth_open": 1.0}
    assert by["Yawning_mp4-0001"].labels == {"yawn": 0.0}  # not yawning; mouth open unknown (may be talking)
    assert {r.person for r in recs if r.file.startswith("train/images/Yawning")} == {"yYawning_mp4"}
    man = write_set(tmp_path / "y", SOURCES["yawn"], recs, 48, root, skips.total, dict(skips.reasons),
                    val_fraction=0.5)
    rs = load_set(tmp_path / "y")
    sides = {s: {f.split("/")[-1].split("_jpg")[0] for f in sp.files} for s, sp in rs.splits.items()}
    video = {s for s in stems if s.startswith("Yawning")}
    assert any(video <= v for v in sides.values()), "a video's yawning and non-yawning frames share one side"
    assert man["counts"][next(s for s, v in sides.items() if video <= v)]["labels"]["yawn"] >= 6


def test_an_upside_down_yawn_is_turned_upright_before_the_mouth_box_framing(tmp_path: Path):
    root = tmp_path / "yawn_v5"
    (root / "train" / "images").mkdir(parents=True)
    (root / "train" / "labels").mkdir(parents=True)
    for name, turned in (("up", False), ("down", True)):
        img = np.full((108, 192), 150, np.uint8)
        img[0:4, 0:4] = 255  # face marker: the fake detector sees the face at (40, 30, 80, 80), mouth at (80, 90)
        cv2.ellipse(img, (80, 90), (18, 10), 0, 0, 360, 10, -1)
        for ex in (62, 98):  # eyes above the mouth
            cv2.circle(img, (ex, 60), 5, 10, -1)
        if turned:
            img = cv2.rotate(img, cv2.ROTATE_180)
        cx, cy = (191 - 80, 107 - 90) if turned else (80, 90)
        cv2.imwrite(str(root / "train" / "images" / f"{name}_jpg.rf.1.jpg"), img)
        (root / "train" / "labels" / f"{name}_jpg.rf.1.txt").write_text(f"0 {cx / 192} {cy / 108} 0.2 0.2\n")
    skips = Skips()
    recs = import_yawn(root, 48, skips, detector=_fake_detector)
    assert skips.turned == 1 and len(recs) == 2
    for r in recs:
        rows = np.argwhere(r.image < 60)[:, 0] / 48
        assert ((rows > 0.65) & (rows < 0.85)).sum() > 20, f"{r.file}: the mouth sits low in the upright crop"
        assert ((rows > 0.4) & (rows < 0.6)).sum() > 5, f"{r.file}: the eyes are above the mouth (face upright)"


def test_yawn_groups_follow_the_video_or_session():
    assert yawn_group("1001-117-_jpg.rf.7af15f1c.jpg") == "y1001"
    assert yawn_group("13050frame0-00-22-50_jpg.rf.93ac.jpg") == "y13050"
    assert yawn_group("Yawning_mp4-0410_jpg.rf.ab.jpg") == yawn_group("Yawning_mp4-0004_jpg.rf.cd.jpg")
    assert yawn_group("eating1_mp4_126_jpg.rf.1.jpg") == "yeating1_mp4"
    assert yawn_group("yt-jdErzTZ_IsY-0012_jpg.rf.1.jpg") == "yyt-jdErzTZ_IsY"
    assert yawn_group("Video2_4_274_jpg.rf.1.jpg") == yawn_group("Video2_184_jpg.rf.2.jpg")
    assert yawn_group("WIN_20220722_11_26_10_Pro_jpg.rf.1.jpg") == "yWIN_20220722"
    assert yawn_group("image2041_jpg.rf.1.jpg") == "image2041"


def test_nir_with_face_boxes_maps_affectnet_labels(tmp_path: Path, capsys):
    src = tmp_path / "Custom_DB" / "custom_nir"
    src.mkdir(parents=True)
    rows = [",filename,Unnamed: 0,gender,race,adult,expression,valence,arousal"]
    boxes = ["file,x,y,w,h"]
    for i, (subj, expr) in enumerate(((1, 0), (1, 3), (2, 6), (3, 1))):
        name = f"{subj}-{i}-x.jpg"
        cv2.imwrite(str(src / name), np.full((108, 192, 3), 100, np.uint8))
        rows.append(f"{i},{name},{i},male,x,yes,{float(expr)},0.1,-0.2")
        boxes.append(f"{name},60,20,50,60")
    (src.parent / "custom_nir-annotations.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "boxes.csv").write_text("\n".join(boxes) + "\n")
    assert run("import", "nir", str(src), "--boxes", str(tmp_path / "boxes.csv"), "--out", str(tmp_path / "n")) == 0
    rs = load_set(tmp_path / "n")
    assert rs.manifest["train"] is False  # evaluation only
    assert set(rs.splits) == {"val"} and rs.manifest["views"] == ["left_eye", "right_eye"]
    expr = np.concatenate([sp.labels["expression"] for sp in rs.splits.values()])
    assert sorted(expr.tolist()) == [0, 1, 2, 4]  # AffectNet neutral, surprise, anger, happy -> FER8 indices
