"""The openness readout refit (bridge.training.openness): ranking pairs and loss, the fit, and that only the openness
row of the net changes (needs torch)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from bridge.data.shards import Record, write_set  # noqa: E402
from bridge.data.sources import SOURCES  # noqa: E402
from bridge.evaluation.data import SplitData  # noqa: E402
from bridge.training import nets  # noqa: E402
from bridge.training.openness import (  # noqa: E402
    OPENNESS_ROW,
    ReadoutConfig,
    ReadoutData,
    fit_readout,
    readout_metrics,
    refit_openness,
)
from bridge.training.real import load_real  # noqa: E402
from bridge.training.real_tasks import aperture_rank_loss, rank_loss, rank_pairs  # noqa: E402

SIZE = 32


def test_rank_pairs_keep_only_clearly_ordered_pairs_and_sample_deterministically():
    ap = torch.tensor([0.10, 0.11, 0.20, 0.30])
    pairs = rank_pairs(ap, margin=0.02, n_pairs=100, seed=0)
    got = {tuple(p) for p in pairs.tolist()}
    assert got == {(2, 0), (2, 1), (3, 0), (3, 1), (3, 2)}  # (wider, narrower); 0.10 vs 0.11 is a tie
    few = rank_pairs(ap, 0.02, 3, seed=1)
    assert len(few) == 3 and {tuple(p) for p in few.tolist()} <= got
    assert torch.equal(few, rank_pairs(ap, 0.02, 3, seed=1))


def test_rank_loss_punishes_the_wrong_order_and_pushes_toward_the_right_one():
    pairs = torch.tensor([[1, 0]])  # sample 1 is the wider eye
    right = rank_loss(torch.tensor([0.2, 0.8]), pairs, temperature=0.05)
    wrong = rank_loss(torch.tensor([0.8, 0.2]), pairs, temperature=0.05)
    assert float(right) < 1e-4 < 5.0 < float(wrong)
    pred = torch.tensor([0.5, 0.5], requires_grad=True)
    rank_loss(pred, pairs, 0.05).backward()
    assert pred.grad[1] < 0 < pred.grad[0]  # descent raises the wider eye, lowers the narrower one
    assert float(rank_loss(pred, torch.zeros(0, 2, dtype=torch.long), 0.05)) == 0.0


def test_aperture_rank_loss_ranks_both_eye_slots_and_ignores_unlabelled_crops():
    nan = float("nan")
    openness = torch.tensor([[0.5, 0.5], [0.5, 0.5], [0.5, 0.5]], requires_grad=True)
    left, right = torch.tensor([0.30, nan, 0.10]), torch.tensor([nan, 0.20, nan])
    aperture_rank_loss(openness, left, right).backward()
    g = openness.grad
    assert g[0, 0] < 0 < g[2, 0]  # the widest eye is pushed open, the narrowest closed
    assert g[1, 0] == 0 and g[0, 1] == 0 and g[2, 1] == 0  # crops without an aperture: no gradient
    assert float(aperture_rank_loss(openness, torch.tensor([0.2, nan, nan]), torch.full((3,), nan))) == 0.0


def _toy_data(n_real: int = 300, seed: int = 0) -> tuple[ReadoutData, torch.Tensor]:
    """Features where dim 0 carries the real aperture and the renders' openness follows dims 0 and 1; the 'trained'
    row reads dim 1 only, so it ranks real eyes by chance and misses part of the renders' openness."""
    g = torch.Generator().manual_seed(seed)
    hs = torch.randn(400, 4, generator=g)
    ys = (0.5 + 0.2 * hs[:, 1] + 0.1 * hs[:, 0]).clamp(0, 1)
    hr = torch.randn(n_real, 4, generator=g)
    ap = 0.2 + 0.05 * hr[:, 0]
    nan = torch.full((n_real,), float("nan"))
    w0 = torch.tensor([0.0, 0.2, 0.0, 0.0])
    return ReadoutData(hs, ys, hr, nan, nan.clone(), ap), w0


def test_fit_readout_fits_the_renders_and_the_rank_term_adds_the_real_ranking():
    data, w0 = _toy_data()
    b0 = torch.tensor(0.5)
    before = readout_metrics(w0, b0, data)
    plain = readout_metrics(*fit_readout(data, w0, b0, ReadoutConfig(steps=300, lr=1e-2, rank_weight=0.0)), data)
    ranked = readout_metrics(*fit_readout(data, w0, b0, ReadoutConfig(steps=300, lr=1e-2)), data)
    assert abs(before["aperture_spearman"]) < 0.2
    assert plain["render_openness_mae"] < 0.01 < before["render_openness_mae"]  # the renders alone: fitted
    assert ranked["aperture_spearman"] > plain["aperture_spearman"] + 0.3  # the real ranking: from the rank term
    assert ranked["render_openness_mae"] > plain["render_openness_mae"]  # ... at a price on the renders


def _eye(aperture_px: int, rng: np.random.Generator) -> np.ndarray:
    img = np.full((SIZE, SIZE), 150 + int(rng.integers(-15, 15)), np.uint8)
    cv2.ellipse(img, (SIZE // 2, SIZE // 2), (SIZE // 4, max(1, aperture_px)), 0, 0, 360, 225, -1)
    cv2.circle(img, (SIZE // 2, SIZE // 2), 3, 20, -1)
    return img


def _real_eyes(tmp_path: Path, with_aperture: bool) -> Path:
    rng = np.random.default_rng(0)
    root = tmp_path / ("real_ap" if with_aperture else "real")
    recs = [Record(_eye(0 if i % 2 else 6, rng), f"s{i % 6:04d}", f"{i}.png", {"closed": float(i % 2)})
            for i in range(60)]
    write_set(root / "mrl", SOURCES["mrl"], recs, SIZE, tmp_path, 0, {})
    if with_aperture:
        recs = [Record(_eye(2 + i % 6, rng), f"g{i % 20}", f"{i}.jpg#left", {"aperture": (2 + i % 6) / 16, "side": 0})
                for i in range(80)]
        write_set(root / "smile-eyes", SOURCES["smile-eyes"], recs, SIZE, tmp_path, 0, {}, split_key="smile")
    return root


def _split(n: int, seed: int) -> SplitData:
    rng = np.random.default_rng(seed)
    op = rng.random((n, 2)).astype(np.float32)
    views = {v: np.stack([_eye(int(1 + 7 * o[k]), rng) for o in op]) for k, v in enumerate(("left_eye", "right_eye"))}
    return SplitData(views, {"openness": op}, {}, np.zeros(n, np.int64), np.zeros((1, 2), np.int64))


def test_refit_openness_changes_only_the_openness_row_and_reports(tmp_path: Path):
    torch.manual_seed(0)
    net = nets.BlendshapeNet(SIZE, 4)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    cfg = ReadoutConfig(steps=50, synthetic_frames=40, augmented_copies=1)
    plain = load_real(_real_eyes(tmp_path, False), "train", SIZE, log=lambda *_: None)
    res = refit_openness(net, _split(40, 1), _split(20, 2), plain.eyes, None, cfg, log=lambda *_: None)
    assert res["refit"] is False and "smile-eyes" in res["reason"]
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())

    root = _real_eyes(tmp_path, True)
    train, val = (load_real(root, s, SIZE, log=lambda *_: None) for s in ("train", "val"))
    lines: list[str] = []
    res = refit_openness(net, _split(40, 1), _split(20, 2), train.eyes, val.eyes, cfg, log=lines.append)
    assert res["refit"] is True and res["weight_change"] > 0
    assert {"train_before", "train_after", "val_before", "val_after"} <= set(res)
    assert "aperture_spearman" in res["train_after"] and "render_openness_mae" in res["val_after"]
    assert lines and lines[-1].startswith("openness readout refit (validation)")
    changed = {k for k, v in net.state_dict().items() if not torch.equal(before[k], v)}
    assert changed == {"eye_head.2.weight", "eye_head.2.bias"}
    w, w_before = net.state_dict()["eye_head.2.weight"], before["eye_head.2.weight"]
    rows = [i for i in range(w.shape[0]) if not torch.equal(w[i], w_before[i])]
    assert rows == [OPENNESS_ROW]
    assert torch.equal(net.state_dict()["eye_head.2.bias"][:OPENNESS_ROW], before["eye_head.2.bias"][:OPENNESS_ROW])


def _warm_net() -> tuple[nets.BlendshapeNet, SplitData]:
    """An untrained net whose batch-norm statistics come from eye crops (so its features vary between eyes), and a
    render split with every blink label 0."""
    from bridge.schema import BLENDSHAPE_NAMES

    torch.manual_seed(0)
    net = nets.BlendshapeNet(SIZE, 4)
    split = _split(30, 3)
    with torch.no_grad():
        for _ in range(30):
            net.eye_encoder(torch.from_numpy(split.views["right_eye"][:, None] / 255.0).float())
    split.labels["blendshapes"] = np.zeros((30, len(BLENDSHAPE_NAMES)), np.float32)
    return net, split


def test_refit_blink_changes_only_the_eyeblink_row_and_fits_the_exposure_tails():
    from bridge.training.blink import BLINK_ROW, BlinkReadoutConfig, refit_blink

    net, split = _warm_net()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    lines: list[str] = []
    cfg = BlinkReadoutConfig(tail_weight=10.0, stay_close=0.0, steps=300, lr=1e-2, synthetic_frames=30)
    res = refit_blink(net, split, SIZE, cfg, log=lines.append, fit_identities=6)
    assert res["refit"] is True and lines and lines[0].startswith("eyeBlink readout refit")
    b, a = res["before"], res["after"]
    assert a["tail_blink_gap"] > b["tail_blink_gap"]  # closed tail eyes read more closed than open ones, by more
    w, w_before = net.state_dict()["eye_head.2.weight"], before["eye_head.2.weight"]
    assert [i for i in range(w.shape[0]) if not torch.equal(w[i], w_before[i])] == [BLINK_ROW]
    changed = {k for k, v in net.state_dict().items() if not torch.equal(before[k], v)}
    assert changed == {"eye_head.2.weight", "eye_head.2.bias"}


def test_refit_blink_reads_visible_light_eyes_shut_by_their_landmark_aperture(tmp_path: Path):
    from bridge.training.blink import BlinkReadoutConfig, refit_blink, visible_light_eyes

    rng = np.random.default_rng(1)
    shut = [i % 3 == 0 for i in range(90)]
    recs = [Record(_eye(0 if s else 5, rng), f"g{i % 20}", f"{i}.jpg#left", {"aperture": 0.0 if s else 5 / 16,
                                                                           "side": 0}) for i, s in enumerate(shut)]
    root = tmp_path / "real"
    write_set(root / "smile-eyes", SOURCES["smile-eyes"], recs, SIZE, tmp_path, 0, {}, split_key="smile")
    eyes = load_real(root, "train", SIZE, log=lambda *_: None).eyes
    net, split = _warm_net()
    assert visible_light_eyes(net, None, 1, 0) is None
    only_open = load_real(_real_eyes(tmp_path, True), "train", SIZE, log=lambda *_: None).eyes  # apertures >= 0.125
    assert visible_light_eyes(net, only_open, 1, 0) is None  # nothing shut: no term (a one-class BCE would only bias)

    lines: list[str] = []
    cfg = BlinkReadoutConfig(tail_weight=0.0, stay_close=0.0, steps=300, lr=1e-2, synthetic_frames=30,
                             visible_weight=5.0)
    res = refit_blink(net, split, SIZE, cfg, log=lines.append, fit_identities=2, eyes=eyes)
    assert res["visible_light_eyes"] == 2 * len(eyes)  # every eye is clearly shut or open, plus one augmented copy
    assert "visible-light eyes" in lines[0]
    b, a = res["before"], res["after"]
    gap = {k: r["visible_shut_blink"] - r["visible_open_blink"] for k, r in (("before", b), ("after", a))}
    assert gap["after"] > gap["before"] + 0.2 and a["visible_shut_blink"] > 0.5 > a["visible_open_blink"]
