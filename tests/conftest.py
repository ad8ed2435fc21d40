"""Suite-wide settings: mDNS (OSCQuery discovery) stays on loopback, in this process and in the bridges tests start."""

import os

import pytest

os.environ.setdefault("FACEBRIDGE_MDNS_INTERFACES", "127.0.0.1")


@pytest.fixture
def batchnorm_statistics():
    """Give a model's BatchNorm2d layers non-trivial running statistics, so an ONNX export's batch-norm folding is
    actually exercised by a parity check. Returns the model."""
    def apply(model):
        import torch  # only the tests that use this need torch

        for mod in model.modules():
            if isinstance(mod, torch.nn.BatchNorm2d):
                mod.running_mean.uniform_(-0.5, 0.5)
                mod.running_var.uniform_(0.5, 2.0)
        return model

    return apply
