"""Lower-face distillation (Georgescu 2019): the KD loss, the resumable full-face teacher stage, the student recipe
that feeds the teacher whole faces, and the unchanged exported student (needs torch)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from bridge.evaluation.data import SplitData  # noqa: E402
from bridge.inference.spec import LOWER_FACE8  # noqa: E402
from bridge.schema import BLENDSHAPE_NAMES  # noqa: E402
from bridge.training import nets, tasks  # noqa: E402
from bridge.training import real_tasks as rt  # noqa: E402
from bridge.training.export import export_onnx, parity_check  # noqa: E402
from bridge.training.loop import FitConfig  # noqa: E402
from bridge.training.pipeline import TrainPlan, fit_lower_face_teacher, lower_face_net  # noqa: E402
from bridge.training.real import Pool, RealData  # noqa: E402

SIZE = 48


class _Stop(Exception):
    pass


def _ferplus(n: int, seed: int) -> Pool:
    """A tiny FER+-like pool: faces whose 'mouth' brightness says the (soft-voted) class."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 8, n)
    img = rng.integers(60, 120, (n, SIZE, SIZE)).astype(np.uint8)
    img[:, 34:40, 14:34] = (y * 30)[:, None, None].astype(np.uint8)
    img[:, 10:16, 10:38] = 200  # 'brows': the upper half is not black
    q = np.full((n, 8), 0.02, np.float32)
    q[np.arange(n), y] = 0.86
    nan = np.full(n, np.nan, np.float32)
    labels = {"fer8": q, "smile": nan, "mouth_open": nan.copy(), "yawn": nan.copy()}
    return Pool(img, labels, np.zeros(n, np.int32), np.arange(n), ["ferplus"]).finish({"ferplus": 1.0})


def _real(n: int = 64) -> tuple[RealData, RealData]:
    return RealData(None, None, _ferplus(n, 0), {}), RealData(None, None, _ferplus(32, 1), {})


def _split(n: int, seed: int) -> SplitData:
    rng = np.random.default_rng(seed)
    views = {"lower_face": rng.integers(0, 255, (n, SIZE, SIZE)).astype(np.uint8)}
    labels = {"fer8": rng.integers(0, 8, n).astype(np.int8),
              "blendshapes": rng.random((n, len(BLENDSHAPE_NAMES))).astype(np.float32)}
    return SplitData(views, labels, {}, np.zeros(n, np.int64), np.zeros((1, 2), np.int64))


def test_distillation_loss_is_zero_for_equal_logits_and_positive_otherwise():
    torch.manual_seed(0)
    t = torch.randn(16, 8)
    for temp in (1.0, 3.0):
        assert float(rt.distillation_loss(t.clone(), t, temp)) == pytest.approx(0.0, abs=1e-6)
        assert float(rt.distillation_loss(t + 5.0, t, temp)) == pytest.approx(0.0, abs=1e-5)  # softmax shift
        assert float(rt.distillation_loss(torch.randn(16, 8), t, temp)) > 1e-3
    s = torch.zeros(16, 8, requires_grad=True)
    rt.distillation_loss(s, t.requires_grad_(), 3.0).backward()
    assert float(s.grad.abs().sum()) > 0 and t.grad is None  # the teacher is a fixed target


def _plan(**kw) -> TrainPlan:
    return replace(TrainPlan(identities=1, seconds=1.0, epochs={"lower_face8_teacher": 2}, batch=16),
                   lower_face_teacher_width=4, **kw)


def test_teacher_stage_resumes_from_its_checkpoint_and_reuses_a_finished_one(tmp_path: Path):
    plan = _plan()
    real, real_val = _real()

    def cfg(key):
        return FitConfig(epochs=plan.epochs[key], batch=plan.batch, seed=plan.seed)

    def dying_log(msg: str) -> None:
        if "epoch 2/2 step" in msg:
            raise _Stop  # killed in the middle of the second epoch

    torch.manual_seed(0)
    with pytest.raises(_Stop):
        fit_lower_face_teacher(plan, real, real_val, cfg, tmp_path, dying_log, {})
    saved = torch.load(tmp_path / "lower_face8_teacher.pt", weights_only=False)
    assert saved["state"]["epoch"] == 1 and not saved["state"]["done"]

    logs: list[str] = []
    summaries: dict = {}
    teacher = fit_lower_face_teacher(plan, real, real_val, cfg, tmp_path, logs.append, summaries)
    assert any("[lower_face8_teacher] resumed at epoch 1/2" in s for s in logs)
    assert summaries["lower_face8_teacher"]["epochs"] == 2
    assert teacher is not None and not teacher.training and teacher.top == 0  # sees the whole face

    logs.clear()
    again = fit_lower_face_teacher(plan, real, real_val, cfg, tmp_path, logs.append, {})
    assert any("already trained" in s for s in logs)
    assert again is not None
    for a, b in zip(teacher.state_dict().values(), again.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    assert fit_lower_face_teacher(replace(plan, lower_face_teacher_width=0), real, real_val, cfg, tmp_path,
                                  logs.append, {}) is None  # distillation off: no teacher stage
    none = RealData(None, None, None, {})
    assert fit_lower_face_teacher(plan, none, none, cfg, tmp_path, logs.append, {}) is None  # renders only
    assert "distillation skipped" in logs[-1]


class _Recorder(torch.nn.Module):
    """A stand-in teacher that remembers what it was shown."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[torch.Tensor] = []

    def forward(self, x):
        self.seen.append(x.clone())
        return x.mean((1, 2, 3)).unsqueeze(1) * torch.arange(8.0), None


def test_student_batch_shows_the_teacher_whole_faces_and_adds_the_kd_term():
    train, val = _split(32, 0), _split(8, 1)
    real, real_val = _real()
    teacher = _Recorder()
    student = nets.LowerFaceNet(SIZE, 4, 32, lower_half=True)
    with_kd = tasks.lower_face_recipe(train, val, True, real, real_val, flip=True, teacher=teacher, kd_weight=1.0,
                                      kd_temperature=3.0)
    no_kd = tasks.lower_face_recipe(train, val, True, real, real_val, flip=True)
    idx = np.arange(16)
    (x, ), targets = with_kd.make_batch(idx, True, torch.Generator().manual_seed(3))
    (x0, ), targets0 = no_kd.make_batch(idx, True, torch.Generator().manual_seed(3))
    assert torch.equal(x, x0)  # the teacher does not change what the student sees (same augmentation and flip)
    n_fer = tasks.REAL_FER_PER_BATCH
    seen = teacher.seen[-1]
    assert seen.shape[0] == n_fer and targets[3].shape == (n_fer, 8) and targets0[3] is None
    assert float(seen[:, :, : SIZE // 2].abs().sum()) > 0  # the teacher sees eyes and brows ...
    assert float(x[16:16 + n_fer, :, : SIZE // 2].abs().sum()) == 0  # ... the student the lower half only
    torch.testing.assert_close(seen[:, :, SIZE // 2:], x[16:16 + n_fer, :, SIZE // 2:])  # the same faces
    student.eval()
    with torch.no_grad():
        out = student(x)
        base = float(no_kd.loss_fn(out, targets0))
        total = float(with_kd.loss_fn(out, targets))
        kd = float(rt.distillation_loss(out[0][16:16 + n_fer], targets[3], 3.0))
    assert kd > 0 and total == pytest.approx(base + kd, rel=1e-5)
    (_, ), t_val = with_kd.make_batch(idx, False, torch.Generator().manual_seed(3))
    assert t_val[3] is None  # no real rows (and no teacher) outside training batches


def test_the_distilled_student_exports_with_the_shipped_interface_and_parity(tmp_path: Path, batchnorm_statistics):
    """Distillation changes the training loss only: the student is the plan's LowerFaceNet in the mirror-averaged
    wrapper, with the spec's input and outputs, and keeps ONNX parity."""
    import onnxruntime as ort

    plan = _plan(lower_face_width=4)
    torch.manual_seed(0)
    student = batchnorm_statistics(nets.MirrorAveragedLowerFaceNet(lower_face_net(plan)).eval())
    path = export_onnx(student, LOWER_FACE8, SIZE, tmp_path / LOWER_FACE8.file)
    assert parity_check(student, LOWER_FACE8, SIZE, path) < 1e-4
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert [i.name for i in sess.get_inputs()] == list(LOWER_FACE8.inputs)
    assert [o.name for o in sess.get_outputs()] == list(LOWER_FACE8.outputs)
    assert sess.get_inputs()[0].shape[1:] == [1, SIZE, SIZE]
    shipped = Path(__file__).resolve().parent.parent / "bridge" / "models" / LOWER_FACE8.file
    if shipped.exists():
        ref = ort.InferenceSession(str(shipped), providers=["CPUExecutionProvider"])
        assert [(i.name, i.shape[1:]) for i in ref.get_inputs()] == [(i.name, i.shape[1:]) for i in sess.get_inputs()]
        assert [(o.name, o.shape[1:]) for o in ref.get_outputs()] == [(o.name, o.shape[1:])
                                                                    for o in sess.get_outputs()]


def test_the_full_plan_distils_and_the_quick_plan_has_a_teacher_stage():
    for plan in (TrainPlan.full(), TrainPlan.quick()):
        assert plan.lower_face_teacher_width > plan.lower_face_width  # a wider teacher: training only
        assert plan.epochs["lower_face8_teacher"] >= 1
        assert plan.lower_face_kd_weight > 0 and plan.lower_face_kd_temperature > 1
