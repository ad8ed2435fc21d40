"""ONNX export: onnxruntime output equals torch output for every architecture (needs torch: the 'train' extra)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from bridge.inference.spec import ALL_SPECS, SPEC_BY_KEY  # noqa: E402
from bridge.training import nets  # noqa: E402
from bridge.training.export import export_onnx, parity_check  # noqa: E402

SIZE = 32  # small and fast; the architectures are size-generic


def _net(key: str) -> torch.nn.Module:
    torch.manual_seed(0)
    return {"blendshapes": lambda: nets.BlendshapeNet(SIZE, 4, 32), "eyemotion": lambda: nets.EyemotionNet(SIZE, 4, 32),
            "mouth8": lambda: nets.Emotion8Net(SIZE, 4, 32), "lower_face8": lambda: nets.LowerFaceNet(SIZE, 4, 32),
            "expression_vector8": lambda: nets.ExpressionVectorNet(16)}[key]()


@pytest.mark.parametrize("key", [s.key for s in ALL_SPECS])
def test_onnxruntime_matches_torch(key: str, tmp_path: Path, batchnorm_statistics):
    spec = SPEC_BY_KEY[key]
    model = batchnorm_statistics(_net(key))
    path = export_onnx(model, spec, SIZE, tmp_path / spec.file)
    assert parity_check(model, spec, SIZE, path) < 1e-4


def test_parity_check_catches_a_wrong_file(tmp_path: Path):
    spec = SPEC_BY_KEY["mouth8"]
    path = export_onnx(_net("mouth8"), spec, SIZE, tmp_path / spec.file)
    other = _net("mouth8")
    with torch.no_grad():
        other.out.bias[0] += 1.0  # a different model than the file holds (one class: softmax ignores a shift)
    with pytest.raises(AssertionError, match="differs from torch"):
        parity_check(other, spec, SIZE, path)


def test_left_eye_is_mirrored_inside_the_blendshape_model():
    """Feeding the mirror image of the right eye as the left eye must give the same per-eye shapes on both sides."""
    model = _net("blendshapes").eval()
    model.export = True
    right = torch.rand(1, 1, SIZE, SIZE)
    left = torch.flip(right, dims=[3])
    with torch.no_grad():
        shapes, gaze, openness = model(left, right, torch.rand(1, 1, SIZE, SIZE))
    np.testing.assert_allclose(shapes[0, 0:7].numpy(), shapes[0, 7:14].numpy(), atol=1e-6)
    np.testing.assert_allclose(openness[0, 0].item(), openness[0, 1].item(), atol=1e-6)
    # yaw flips sign under mirroring (subject's frame), pitch does not
    np.testing.assert_allclose(gaze[0, 0, 0].item(), -gaze[0, 1, 0].item(), atol=1e-5)
    np.testing.assert_allclose(gaze[0, 0, 1].item(), gaze[0, 1, 1].item(), atol=1e-5)
