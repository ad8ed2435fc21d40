"""The lower-face network's runtime forms: bottom-half reading and the mirror-averaged export wrapper."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from bridge.inference.spec import LOWER_FACE_SHAPES  # noqa: E402
from bridge.schema import BLENDSHAPE_NAMES  # noqa: E402
from bridge.training import nets  # noqa: E402


def _net(**kw) -> nets.LowerFaceNet:
    torch.manual_seed(0)
    return nets.LowerFaceNet(48, 4, 32, **kw).eval()


def test_mirror_permutation_swaps_left_and_right_names():
    names = [BLENDSHAPE_NAMES[i] for i in LOWER_FACE_SHAPES]
    perm = nets.lower_face_mirror_permutation()
    j = names.index("mouthSmileLeft")
    assert names[perm[j]] == "mouthSmileRight"
    assert names[perm[names.index("jawOpen")]] == "jawOpen"
    assert sorted(perm) == list(range(len(names)))


def test_lower_half_net_ignores_the_hidden_top_half():
    net = _net(lower_half=True, stem_stride=2)
    x = torch.rand(3, 1, 48, 48)
    y = x.clone()
    y[:, :, :24] = torch.rand(3, 1, 24, 48)  # anything above the middle row
    with torch.no_grad():
        a, b = net(x), net(y)
    assert torch.allclose(a[0], b[0]) and torch.allclose(a[1], b[1])
    x[:, :, 30] += 0.5  # but the bottom half matters
    with torch.no_grad():
        assert not torch.allclose(net(x)[0], a[0])


def test_mirror_averaged_net_is_mirror_equivariant_and_exports_probabilities():
    wrapped = nets.MirrorAveragedLowerFaceNet(_net(lower_half=True, stem_stride=2)).eval()
    x = torch.rand(2, 1, 48, 48)
    wrapped.export = True
    with torch.no_grad():
        p, s = wrapped(x)
        pm, sm = wrapped(x.flip(-1))
    perm = nets.lower_face_mirror_permutation()
    assert torch.allclose(p, pm, atol=1e-6)  # emotion does not depend on the side
    assert torch.allclose(s, sm[:, perm], atol=1e-6)  # shapes swap sides with the image
    assert torch.allclose(p.sum(1), torch.ones(2), atol=1e-5)
    wrapped.export = False
    with torch.no_grad():
        logp, shape_logits = wrapped(x)
    np.testing.assert_allclose(torch.softmax(logp, 1).numpy(), p.numpy(), atol=1e-5)
    np.testing.assert_allclose(torch.sigmoid(shape_logits).numpy(), s.numpy(), atol=1e-5)


def test_two_member_average_is_the_mean_of_the_members_and_stays_equivariant():
    a, b = _net(lower_half=True, stem_stride=2), _net(lower_half=True, stem_stride=2)
    torch.manual_seed(1)
    for p in b.parameters():  # a different second member
        p.data += 0.05 * torch.randn_like(p)
    pair = nets.MirrorAveragedLowerFaceNet(a, b).eval()
    ones = [nets.MirrorAveragedLowerFaceNet(m).eval() for m in (a, b)]
    for m in (pair, *ones):
        m.export = True
    x = torch.rand(3, 1, 48, 48)
    with torch.no_grad():
        p2, s2 = pair(x)
        pa, sa = ones[0](x)
        pb, sb = ones[1](x)
        pm, sm = pair(x.flip(-1))
    assert not torch.allclose(pa, pb)
    assert torch.allclose(p2, 0.5 * (pa + pb), atol=1e-6) and torch.allclose(s2, 0.5 * (sa + sb), atol=1e-6)
    assert torch.allclose(p2, pm, atol=1e-6)
    assert torch.allclose(s2, sm[:, nets.lower_face_mirror_permutation()], atol=1e-6)


def test_mirror_averaged_net_exports_to_onnx_with_a_dynamic_batch(tmp_path):
    pytest.importorskip("onnxruntime")
    from bridge.inference.spec import LOWER_FACE8
    from bridge.training.export import export_onnx, parity_check

    wrapped = nets.MirrorAveragedLowerFaceNet(_net(lower_half=True, stem_stride=2), _net(lower_half=True))
    path = export_onnx(wrapped, LOWER_FACE8, 48, tmp_path / "lower_face8.onnx")
    assert parity_check(wrapped, LOWER_FACE8, 48, path, batch=3) <= 1e-4
