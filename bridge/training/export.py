"""ONNX export (opset 17, legacy exporter) and the onnxruntime-vs-torch parity check."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import torch

from bridge.inference.spec import ModelSpec

OPSET = 17


def example_inputs(spec: ModelSpec, size: int, seed: int = 0) -> tuple[torch.Tensor, ...]:
    """Random batch-1 inputs with the shapes the model expects (also used by the parity check)."""
    g = torch.Generator().manual_seed(seed)
    if spec.key == "blendshapes":
        return tuple(torch.rand(1, 1, size, size, generator=g) for _ in range(3))
    if spec.key == "eyemotion":
        return (torch.rand(1, 2, size, 2 * size, generator=g) - 0.25,)
    if spec.key in ("mouth8", "lower_face8"):
        return (torch.rand(1, 1, size, size, generator=g),)
    if spec.key == "expression_vector8":
        return (torch.rand(1, 52, generator=g),)
    raise KeyError(f"no example inputs for model {spec.key!r}")


def export_onnx(model: torch.nn.Module, spec: ModelSpec, size: int, path: Path) -> Path:
    """Export ``model`` (a copy in eval + export mode) to ``path`` with a dynamic batch axis."""
    m = copy.deepcopy(model).eval()
    m.export = True
    inputs = example_inputs(spec, size)
    dynamic = {name: {0: "batch"} for name in spec.inputs + spec.outputs}
    path.parent.mkdir(parents=True, exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(m, inputs, str(path), input_names=list(spec.inputs), output_names=list(spec.outputs),
                          opset_version=OPSET, dynamic_axes=dynamic, do_constant_folding=True, dynamo=False)
    return path


def parity_check(model: torch.nn.Module, spec: ModelSpec, size: int, path: Path, batch: int = 4) -> float:
    """Max |onnxruntime - torch| over every output on random inputs; raises AssertionError above 1e-4."""
    import onnxruntime as ort

    m = copy.deepcopy(model).eval()
    m.export = True
    inputs = tuple(torch.cat([t] * batch) + 0.01 * torch.arange(batch).view(-1, *([1] * (t.dim() - 1)))
                   for t in example_inputs(spec, size, seed=1))
    with torch.no_grad():
        ref = m(*inputs)
    ref = ref if isinstance(ref, tuple) else (ref,)
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = sess.run(list(spec.outputs), {n: t.numpy() for n, t in zip(spec.inputs, inputs, strict=True)})
    worst = max(float(np.max(np.abs(r.numpy() - g))) for r, g in zip(ref, got, strict=True))
    if worst > 1e-4:
        raise AssertionError(f"{path.name}: onnxruntime differs from torch by {worst:.2e} (> 1e-4)")
    return worst
