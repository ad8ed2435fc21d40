"""Fit the fusion weights (bridge/inference/fusion.py) on validation identities."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from bridge.inference.fusion import FusionWeights
from bridge.inference.spec import EMOTION_SOURCES


def fit_fusion(sources: dict[str, np.ndarray], labels: np.ndarray, steps: int = 400, seed: int = 0) -> FusionWeights:
    """Minimise the NLL of softmax(b + sum_s w_s log p_s) over labelled frames, w_s >= 0 (softplus).

    Each step drops every source with probability 0.3 (at least one kept), so the weights stay sensible when a
    camera is missing at runtime.
    """
    keep = labels >= 0
    names = [s for s in EMOTION_SOURCES if s in sources]
    logp = torch.stack([torch.log(torch.from_numpy(sources[s][keep]).double() + 1e-6) for s in names], 0)
    y = torch.from_numpy(labels[keep].astype(np.int64))
    raw_w = torch.zeros(len(names), dtype=torch.float64, requires_grad=True)  # softplus(0) ~ 0.69
    bias = torch.zeros(logp.shape[2], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([raw_w, bias], lr=0.05)
    g = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        mask = (torch.rand(len(names), logp.shape[1], generator=g) > 0.3).double()
        none = mask.sum(0) == 0
        mask[0, none] = 1.0
        w = F.softplus(raw_w).view(-1, 1, 1)
        logits = bias + (w * logp * mask.unsqueeze(2)).sum(0)
        loss = F.cross_entropy(logits, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    w = F.softplus(raw_w).detach().numpy()
    return FusionWeights({s: float(v) for s, v in zip(names, w, strict=True)}, bias.detach().numpy().astype(np.float32))
