"""Lower-face rare-class logit offsets (bridge.training.class_offsets): the fit, the exported graph applying them,
the pipeline's skip paths and the model card section (needs torch)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from bridge.schema import FER8  # noqa: E402
from bridge.training import nets  # noqa: E402
from bridge.training.class_offsets import (  # noqa: E402
    class_scores,
    fit_class_offsets,
    with_offsets,
)
from bridge.training.tasks import ferplus_probabilities  # noqa: E402

DISGUST = FER8.index("disgust")


def _skewed(n: int = 400, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Neutral / happiness faces read confidently; disgust faces (5 %) lean to neutral but keep some disgust mass,
    as a net trained on skewed votes does."""
    rng = np.random.default_rng(seed)
    labels = rng.choice([0, 1, DISGUST], size=n, p=[0.6, 0.35, 0.05])
    probs = np.full((n, len(FER8)), 0.01)
    for i, y in enumerate(labels):
        if y == DISGUST:
            probs[i, 0], probs[i, DISGUST] = 0.6, 0.3
        else:
            probs[i, y] = 0.9
    return probs / probs.sum(1, keepdims=True), labels


def test_zero_offsets_leave_the_probabilities_alone():
    probs, _ = _skewed(20)
    assert np.allclose(with_offsets(probs, np.zeros(len(FER8))), probs, atol=1e-6)


def test_fit_finds_offsets_that_name_the_rare_class_without_costing_accuracy():
    probs, labels = _skewed()
    offsets, summary = fit_class_offsets(probs, labels)
    assert offsets[DISGUST] > 0  # log(0.6 / 0.3) ~ 0.7 is needed: the grid's 1.0 names disgust
    assert np.count_nonzero(offsets) == 1  # fear / contempt gain nothing here: ties go to the smaller offset
    assert set(np.flatnonzero(offsets)) <= {FER8.index(c) for c in ("disgust", "fear", "contempt")}
    assert summary["before"]["recall"][DISGUST] == 0.0 and summary["after"]["recall"][DISGUST] == 1.0
    assert summary["after"]["macro_f1"] > summary["before"]["macro_f1"]
    assert summary["after"]["accuracy"] >= summary["before"]["accuracy"] - summary["slack"]
    assert summary["offsets"] == {"disgust": float(offsets[DISGUST]), "fear": 0.0, "contempt": 0.0}


def test_fit_keeps_zero_offsets_when_every_offset_costs_too_much_accuracy():
    probs, labels = _skewed()
    labels = np.where(labels == DISGUST, 0, labels)  # the leaning faces are really neutral: naming disgust is wrong
    offsets, summary = fit_class_offsets(probs, labels)
    assert not offsets.any() and summary["after"] == summary["before"]
    with pytest.raises(ValueError, match="no validation faces"):
        fit_class_offsets(probs[:0], labels[:0])


def test_class_scores_counts_recall_and_f1_per_class():
    probs = np.eye(len(FER8))[[0, 0, 1, 1]]
    s = class_scores(probs, np.array([0, 1, 1, 1]))
    assert s["accuracy"] == 0.75 and s["recall"][0] == 1.0 and s["recall"][1] == pytest.approx(2 / 3, abs=1e-3)


def test_exported_lower_face_net_applies_the_offsets_and_training_mode_matches_it():
    torch.manual_seed(0)
    net = nets.MirrorAveragedLowerFaceNet(nets.LowerFaceNet(48, 4, lower_half=True)).eval()
    x = torch.rand(5, 1, 48, 48)
    with torch.no_grad():
        log_p0 = net(x)[0]
        offsets = torch.zeros(len(FER8))
        offsets[DISGUST] = 2.0
        net.class_offsets.copy_(offsets)
        log_p1 = net(x)[0]
        net.export = True
        p1 = net(x)[0]
    expected = torch.log_softmax(log_p0 + offsets, 1)
    assert torch.allclose(log_p1, expected, atol=1e-5)
    assert torch.allclose(p1, expected.exp(), atol=1e-6) and torch.allclose(p1.sum(1), torch.ones(5), atol=1e-5)
    assert bool((p1[:, DISGUST] > log_p0.exp()[:, DISGUST]).all())
    assert "class_offsets" in net.state_dict()  # travels with the exported weights


def test_ferplus_probabilities_hide_the_upper_half():
    torch.manual_seed(0)
    net = nets.MirrorAveragedLowerFaceNet(nets.LowerFaceNet(48, 4, lower_half=False))
    faces = np.random.default_rng(0).integers(0, 255, (3, 48, 48), dtype=np.uint8)
    changed = faces.copy()
    changed[:, :24] = 255 - changed[:, :24]
    p = ferplus_probabilities(net, faces)
    assert p.shape == (3, len(FER8)) and np.allclose(p.sum(1), 1, atol=1e-5)
    assert np.allclose(ferplus_probabilities(net, changed), p, atol=1e-6)  # the upper half never reaches the net
    whole = ferplus_probabilities(net, faces, hide=False)
    assert not np.allclose(ferplus_probabilities(net, changed, hide=False), whole)


def test_pipeline_skips_without_fer_validation_faces_and_says_why():
    from bridge.training.pipeline import fit_lower_face_offsets

    lines: list[str] = []
    net = nets.MirrorAveragedLowerFaceNet(nets.LowerFaceNet(48, 4, lower_half=True))
    assert fit_lower_face_offsets(net, None, lines.append) == {"fitted": False,
                                                               "reason": "no FER2013Valid faces imported"}
    assert fit_lower_face_offsets(nets.LowerFaceNet(48, 4), None, lines.append)["fitted"] is False
    assert len(lines) == 2 and all("skipped" in line for line in lines)
    assert not net.class_offsets.any()


def test_card_section_shows_offsets_and_before_after_or_why_not():
    from bridge.training.card import class_offsets_section

    probs, labels = _skewed()
    offsets, summary = fit_class_offsets(probs, labels)
    text = "\n".join(class_offsets_section({"fitted": True, **summary}))
    assert "## Lower-face class offsets" in text and "disgust +1.0" in text
    assert "| recall disgust | 0.00 | 1.00 |" in text and "| macro F1 |" in text
    assert "Not fitted: no FER2013Valid faces imported." in "\n".join(
        class_offsets_section({"fitted": False, "reason": "no FER2013Valid faces imported"}))
    assert class_offsets_section(None) == []
