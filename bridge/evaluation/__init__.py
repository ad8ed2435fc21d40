"""Evaluation of the shipped models on held-out synthetic identities (numpy + onnxruntime, no torch)."""
