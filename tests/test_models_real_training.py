"""Real-data training pieces: masked per-kind losses, camera-like augmentation, pools, `eval --real` (needs torch)."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from bridge.cli import main as cli  # noqa: E402
from bridge.data.shards import Record, write_set  # noqa: E402
from bridge.data.sources import SOURCES  # noqa: E402
from bridge.training import nets  # noqa: E402
from bridge.training import real_tasks as rt  # noqa: E402
from bridge.training.augment import add_glints, add_vignette, jpeg_roundtrip, map_points, random_scale_affine  # noqa: E402
from bridge.training.real import load_real  # noqa: E402


def _eye(closed: bool, rng: np.random.Generator, size: int = 32) -> np.ndarray:
    img = np.full((size, size), 150 + rng.integers(-20, 20), np.uint8)
    c = size // 2 + int(rng.integers(-2, 3))
    if closed:
        cv2.line(img, (4, c), (size - 4, c), 30, 2)
    else:
        cv2.ellipse(img, (size // 2, c), (size // 3, size // 5), 0, 0, 360, 225, -1)
        cv2.circle(img, (size // 2 + int(rng.integers(-3, 4)), c), size // 8, 15, -1)
    return img


def _real_root(tmp_path: Path, size: int = 32) -> Path:
    rng = np.random.default_rng(0)
    recs = [Record(_eye(bool(i % 2), rng, size), f"s{i % 6:04d}", f"{i}.png", {"closed": float(i % 2)})
            for i in range(120)]
    write_set(tmp_path / "real" / "mrl", SOURCES["mrl"], recs, size, tmp_path, 0, {})
    faces = []
    for i in range(40):
        img = np.full((size, size), 120, np.uint8)
        h = 2 + (i % 2) * 8  # open mouths are tall
        cv2.ellipse(img, (size // 2, int(size * 0.76)), (6, h // 2 + 1), 0, 0, 360, 20, -1)
        faces.append(Record(img, f"g{i}", f"f{i}.jpg", {"mouth_open": float(i % 2), "smile": float(i % 3 == 0)}))
    write_set(tmp_path / "real" / "smile", SOURCES["smile"], faces, size, tmp_path, 0, {})
    return tmp_path / "real"


def test_losses_are_masked_per_label_kind():
    n = 6
    blink = torch.zeros(n, requires_grad=True)
    wide = torch.zeros(n, requires_grad=True)
    openness = torch.full((n,), 0.5, requires_grad=True)
    pupil = torch.zeros(n, 2, requires_grad=True)
    nothing = {"closed": torch.full((n,), float("nan")), "visible": torch.full((n,), float("nan")),
               "pupil": torch.full((n, 2), float("nan"))}
    loss = rt.eye_state_loss(blink, wide, openness, pupil, nothing, mirror_pupil=False)
    assert float(loss) == 0.0
    closed = dict(nothing, closed=torch.tensor([1.0, float("nan"), 0, float("nan"), 1, 0]))
    loss = rt.eye_state_loss(blink, wide, openness, pupil, closed, mirror_pupil=False)
    loss.backward()
    g = blink.grad.numpy()
    assert g[0] < 0 and g[4] < 0 and g[2] > 0 and g[5] > 0  # closed pushes eyeBlink up, open pushes it down
    assert g[1] == 0 and g[3] == 0  # unlabelled samples get no gradient
    assert pupil.grad is None or float(pupil.grad.abs().sum()) == 0.0
    q = torch.tensor([[0.2, 0.6, 0.2, 0, 0, 0, 0, 0], [float("nan")] * 8])
    t = {"fer8": q, "mouth_open": torch.tensor([float("nan"), 1.0]), "smile": torch.tensor([float("nan")] * 2),
         "yawn": torch.tensor([float("nan")] * 2)}
    logits = torch.zeros(2, 8, requires_grad=True)
    shape_logits = torch.full((2, 33), -3.0, requires_grad=True)
    rt.lower_face_real_loss(logits, shape_logits, t).backward()
    assert float(logits.grad[1].abs().sum()) == 0.0 and float(logits.grad[0, 1]) < 0
    assert float(shape_logits.grad[1, rt.LF_POS[rt.JAW]]) < 0  # open mouth: raise jawOpen
    assert float(shape_logits.grad[0].abs().sum()) == 0.0


def test_point_labels_follow_the_zoom_and_rotation():
    g = torch.Generator().manual_seed(3)
    x = torch.zeros(8, 1, 48, 48)
    pts = torch.rand(8, 2) * 0.5 + 0.25
    for i, (px, py) in enumerate(pts.tolist()):
        x[i, 0, int(py * 48), int(px * 48)] = 1.0
        x[i, 0] = torch.from_numpy(cv2.GaussianBlur(x[i, 0].numpy(), (7, 7), 1.5))
    y, theta = random_scale_affine(x, (0.6, 1.2), 15, 0.05, g, padding="zeros")
    moved = map_points(pts + 0.5 / 48, theta)
    for i in range(8):
        r, c = np.unravel_index(int(y[i, 0].argmax()), (48, 48))
        assert abs(c / 48 - float(moved[i, 0])) < 0.06 and abs(r / 48 - float(moved[i, 1])) < 0.06


def test_camera_effects_change_the_image_but_keep_its_range():
    g = torch.Generator().manual_seed(0)
    x = torch.full((4, 1, 48, 48), 0.4)
    effects = (lambda a: add_glints(a, 1.0, g), lambda a: add_vignette(a, 1.0, g),
               lambda a: jpeg_roundtrip(a + 0.1 * torch.rand(a.shape, generator=g), 1.0, g))
    for f in effects:
        y = f(x)
        assert y.shape == x.shape and float(y.min()) >= 0 and float(y.max()) <= 1 and not torch.equal(x, y)
    assert float(add_glints(x, 1.0, g).max()) > 0.8  # bright specular dots
    v = add_vignette(x, 1.0, g)
    assert float(v[:, 0, 0, 0].mean()) < float(v[:, 0, 24, 24].mean())  # dark corners


def test_real_eyes_teach_the_blendshape_model_to_blink(tmp_path: Path):
    root = _real_root(tmp_path)
    real = load_real(root, "train", 32, log=lambda m: None)
    assert real.eyes is not None and real.faces is not None and real.ferplus is None
    torch.manual_seed(0)
    torch.set_num_threads(1)  # tiny net: one thread is fastest on a shared machine
    model = nets.BlendshapeNet(32, 4, 32)
    opt = torch.optim.AdamW(model.parameters(), 3e-3)
    g = torch.Generator().manual_seed(0)
    for _ in range(40):
        xs, t = rt.blendshape_real_batch(real.eyes, real.faces, 16, 4, g)
        loss = rt.blendshape_real_loss(model(*xs), t)
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    auc, gap = rt.blink_auc(model, real.eyes)
    assert auc > 0.9 and gap > 0.3


def test_train_refuses_a_missing_real_folder_and_load_real_without_data_is_empty(tmp_path: Path, capsys):
    assert cli(["train", "--out", str(tmp_path / "run"), "--real", str(tmp_path / "nope")]) == 2
    assert "import the approved sets first" in capsys.readouterr().err
    assert load_real(None, "train", 48).empty


def test_eval_real_on_class_folders_and_on_an_imported_set(tmp_path: Path, capsys):
    rng = np.random.default_rng(1)
    for state in ("open", "closed"):
        (tmp_path / "eyes" / state).mkdir(parents=True)
        for i in range(6):
            cv2.imwrite(str(tmp_path / "eyes" / state / f"{i}.png"), _eye(state == "closed", rng, 64))
    (tmp_path / "eyes" / "open" / "broken.png").write_bytes(b"xx")
    out = tmp_path / "report"
    assert cli(["eval", "--real", str(tmp_path / "eyes"), "--out", str(out)]) == 0
    rep = json.loads((out / "report.json").read_text())
    oc = rep["sets"]["eyes"]["open_closed"]
    assert oc["closed"] == 6 and oc["open"] == 6 and 0 <= oc["blink_auc"] <= 1
    assert (out / "confusion_real_eyes.png").exists() and (out / "report.md").exists()
    root = _real_root(tmp_path, 48)
    assert cli(["eval", "--real", str(root), "--real-split", "val", "--out", str(tmp_path / "r2")]) == 0
    rep = json.loads((tmp_path / "r2" / "report.json").read_text())
    assert set(rep["sets"]) == {"mrl", "smile"} and rep["sets"]["mrl"]["source"]["commit"].startswith("814c51fa")
    (tmp_path / "junk" / "cats").mkdir(parents=True)
    assert cli(["eval", "--real", str(tmp_path / "junk"), "--out", str(tmp_path / "r3")]) == 2
    assert "expected an imported set" in capsys.readouterr().err


def test_not_yawning_is_a_weak_hinge_and_a_missing_yawn_label_contributes_nothing():
    jaw = torch.tensor([4.0, 4.0, -4.0, 1.0], requires_grad=True)  # sigmoid: 0.98, 0.98, 0.02, 0.73
    smile = (torch.zeros(4, requires_grad=True), torch.zeros(4, requires_grad=True))
    nan = float("nan")
    t = {"yawn": torch.tensor([nan, 0.0, 0.0, 1.0]), "mouth_open": torch.tensor([nan, nan, nan, 1.0]),
         "smile": torch.full((4,), nan)}
    rt.mouth_loss(jaw, smile, t).backward()
    g = jaw.grad.numpy()
    assert g[0] == 0.0, "a sample without a yawn label gets no gradient"
    assert g[1] > 0, "not yawning with a yawn-wide jaw: jawOpen is pushed down"
    assert g[2] == 0.0, "not yawning with the jaw below the hinge: left alone (it may be talking)"
    assert g[3] < 0  # yawning: pushed up
    assert g[1] < 0.5 * abs(float(rt._bce(torch.tensor([4.0]), torch.tensor([0.0])))), "the term is weak"
    # only missing labels: exactly zero, as a value and as a gradient
    jaw2 = torch.tensor([4.0, -1.0], requires_grad=True)
    nothing = {k: torch.full((2,), nan) for k in ("yawn", "mouth_open", "smile")}
    loss = rt.mouth_loss(jaw2, (jaw2 * 0, jaw2 * 0), nothing)
    assert float(loss) == 0.0 and not loss.requires_grad  # exactly 0, with no path back to the outputs
    # the lower-face loss keeps a sample that carries only the "not yawning" label
    logits = torch.zeros(2, 8, requires_grad=True)
    shape_logits = torch.full((2, 33), 3.0, requires_grad=True)
    t2 = {"fer8": torch.full((2, 8), nan), "mouth_open": torch.full((2,), nan), "smile": torch.full((2,), nan),
          "yawn": torch.tensor([0.0, nan])}
    rt.lower_face_real_loss(logits, shape_logits, t2).backward()
    assert float(shape_logits.grad[0, rt.LF_POS[rt.JAW]]) > 0 and float(shape_logits.grad[1].abs().sum()) == 0.0


def test_eval_real_scores_yawn_vs_not_the_eyes_of_nir_faces_and_eye_apertures(tmp_path: Path):
    rng = np.random.default_rng(3)
    faces, nir = [], []
    for i in range(12):
        img = np.full((48, 48), 120, np.uint8)
        cv2.ellipse(img, (24, 36), (8, 2 + (i % 2) * 8), 0, 0, 360, 20, -1)
        faces.append(Record(img, f"g{i}", f"f{i}.jpg", {"yawn": float(i % 2)} | ({"mouth_open": 1.0} if i % 2 else {}),
                            split="val"))
        eye = _eye(bool(i % 5 == 0), rng, 48)
        nir.append(Record(img, f"nir{i % 3:02d}", f"{i % 3}-{i}-x.jpg",
                          {"expression": i % 8, "valence": float(rng.uniform(-1, 1)),
                           "arousal": float(rng.uniform(-1, 1))}, split="val",
                          views={"left_eye": eye, "right_eye": eye[:, ::-1].copy()}))
    eyes = [Record(_eye(False, rng, 48), f"g{i}", f"{i}.jpg#left", {"aperture": 0.1 + 0.02 * (i % 6), "side": 0},
                   split="val") for i in range(10)]
    write_set(tmp_path / "real" / "yawn", SOURCES["yawn"], faces, 48, tmp_path, 0, {})
    write_set(tmp_path / "real" / "nir", SOURCES["nir"], nir, 48, tmp_path, 0, {})
    write_set(tmp_path / "real" / "smile-eyes", SOURCES["smile-eyes"], eyes, 48, tmp_path, 0, {})
    assert cli(["eval", "--real", str(tmp_path / "real"), "--out", str(tmp_path / "r")]) == 0
    rep = json.loads((tmp_path / "r" / "report.json").read_text())
    m = rep["sets"]["yawn"]["mouth_shapes"]
    assert m["yawn_images"] == 6 and m["not_yawning_images"] == 6 and 0 <= m["jawOpen_auc_yawn_vs_not"] <= 1
    assert m["jawOpen_mean_not_yawning"] is not None
    n = rep["sets"]["nir"]
    assert n["fer8"]["images"] == 12 and (tmp_path / "r" / "confusion_real_nir.png").exists()
    e = n["eyes_from_face"]
    assert e["images"] == 12 and e["eyes"] == 24 and 0 <= e["share_eyes_predicted_open"] <= 1
    assert {"valence_ccc", "valence_corr", "arousal_ccc", "arousal_corr"} <= set(e)
    assert "NOT headset eye frames" in (tmp_path / "r" / "report.md").read_text()
    a = rep["sets"]["smile-eyes"]["eye_aperture"]
    assert a["images"] == 10 and -1 <= a["openness_spearman"] <= 1 and 0 <= a["share_predicted_open"] <= 1
    assert "eye_aperture.openness_spearman" in (tmp_path / "r" / "report.md").read_text()


def test_eye_aperture_block_reports_shut_lids_read_open():
    """Visible-light closed eyes: the nearly shut ones (small landmark aperture) must read eyeBlink high; the block
    counts them, their mean, how many read open, and their gap to clearly open eyes (apertures between are left out)."""
    from bridge.evaluation.real import eye_metrics
    from bridge.schema import BLENDSHAPE_INDEX

    aperture = np.array([0.02, 0.03, 0.05, 0.10, 0.18, 0.20, 0.22, np.nan])
    blink = np.array([0.9, 0.8, 0.1, 0.5, 0.0, 0.1, 0.2, 0.7], np.float32)
    shapes = np.zeros((8, 52), np.float32)
    shapes[:, BLENDSHAPE_INDEX["eyeBlinkLeft"]] = blink
    a = eye_metrics({"shapes": shapes, "openness": 1 - blink}, {"aperture": aperture})["eye_aperture"]
    assert a["images"] == 7 and a["shut_images"] == 3
    assert a["shut_blink_mean"] == pytest.approx(0.6, abs=1e-4)
    assert a["shut_read_open"] == pytest.approx(1 / 3, abs=1e-4)
    assert a["blink_gap_shut_vs_open"] == pytest.approx(0.6 - 0.1, abs=1e-4)
    # No shut eye among them: no shut figures (not zeros that read like a result).
    b = eye_metrics({"shapes": shapes[3:7], "openness": 1 - blink[3:7]}, {"aperture": aperture[3:7]})["eye_aperture"]
    assert "shut_images" not in b
